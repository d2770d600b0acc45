import { COLUMN_TYPES, type ColumnType } from '../api/types';

export type ColumnTypeChoice = {
  name: string;
  /** The type the server inferred, when known. */
  current?: ColumnType;
};

type ColumnTypesEditorProps = {
  columns: ColumnTypeChoice[];
  value: Partial<Record<string, ColumnType>>;
  onChange: (value: Partial<Record<string, ColumnType>>) => void;
  caption: string;
};

/** A type select per column; "automatic" (or the current type) sends no hint. */
export function ColumnTypesEditor({ columns, value, onChange, caption }: ColumnTypesEditorProps) {
  return (
    <div className="table-scroll">
      <table className="table table--compact">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Type</th>
          </tr>
        </thead>
        <tbody>
          {columns.map((column) => {
            const selected = value[column.name] ?? '';
            return (
              <tr key={column.name}>
                <th scope="row">
                  <code>{column.name}</code>
                </th>
                <td>
                  <select
                    className="select select--small"
                    aria-label={`Type of ${column.name}`}
                    value={selected}
                    onChange={(event) => {
                      const type = event.target.value as ColumnType | '';
                      const rest = Object.fromEntries(
                        Object.entries(value).filter(([name]) => name !== column.name),
                      );
                      onChange(
                        type === '' || type === column.current
                          ? rest
                          : { ...rest, [column.name]: type },
                      );
                    }}
                  >
                    <option value="">
                      {column.current ? `${column.current} (detected)` : 'Detect automatically'}
                    </option>
                    {COLUMN_TYPES.filter((t) => t !== column.current).map((type) => (
                      <option key={type} value={type}>
                        {type}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
