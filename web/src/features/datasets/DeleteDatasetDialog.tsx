import type { Dataset } from '../../api/types';
import { ConfirmMutationDialog } from '../../components/Dialog';
import { useDeleteDataset } from './useDatasets';

type DeleteDatasetDialogProps = {
  dataset: Dataset | null;
  onClose: () => void;
  onDeleted?: () => void;
};

export function DeleteDatasetDialog({ dataset, onClose, onDeleted }: DeleteDatasetDialogProps) {
  const remove = useDeleteDataset();
  return (
    <ConfirmMutationDialog
      target={dataset}
      mutation={remove}
      title="Delete this dataset?"
      confirmLabel="Delete dataset"
      onClose={onClose}
      onDone={onDeleted}
    >
      <p>
        <strong>{dataset?.name}</strong>, all its versions and every insight computed from it will
        be deleted. This cannot be undone.
      </p>
    </ConfirmMutationDialog>
  );
}
