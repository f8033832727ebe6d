/**
 * CSV text: a header row and rows of numbers/strings (RFC 4180 quoting where needed; null and
 * non-finite numbers become empty cells).
 *
 *   toCsv(['a', 'b'], [[1, null], [2, 'x,y']])   // 'a,b\n1,\n2,"x,y"\n'
 */
export type Cell = number | string | null | undefined;

function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
