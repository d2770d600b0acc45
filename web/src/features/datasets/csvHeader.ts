/** The column names of a CSV file's first line (RFC 4180 quoting), read from its first 64 KiB. */
export function parseCsvHeader(input: string): string[] {
  const text = input.replace(/^\uFEFF/, '');
  const columns: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      columns.push(field.trim());
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      break;
    } else field += ch;
  }
  columns.push(field.trim());
  return columns.filter((c) => c !== '');
}

export async function readCsvHeader(file: File): Promise<string[]> {
  const text = await file.slice(0, 64 * 1024).text();
  return parseCsvHeader(text);
}
