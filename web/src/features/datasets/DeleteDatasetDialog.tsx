import type { Dataset } from '../../api/types';
import { ConfirmDialog } from '../../components/Dialog';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useDeleteDataset } from './useDatasets';

type DeleteDatasetDialogProps = {
  dataset: Dataset | null;
  onClose: () => void;
  onDeleted?: () => void;
};

export function DeleteDatasetDialog({ dataset, onClose, onDeleted }: DeleteDatasetDialogProps) {
  const remove = useDeleteDataset();
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={dataset !== null}
      title="Delete this dataset?"
      confirmLabel="Delete dataset"
      busy={remove.isPending}
      onCancel={close}
      onConfirm={() => {
        if (!dataset) return;
        remove.mutate(dataset.id, {
          onSuccess: () => {
            onClose();
            onDeleted?.();
          },
        });
      }}
      error={remove.error ? <ProblemAlert error={remove.error} /> : null}
    >
      <p>
        <strong>{dataset?.name}</strong>, all its versions and every insight computed from it will
        be deleted. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
