/** Number formats shared by the CLI's text and the report. */

/** An error rate as a percentage with two decimals ('—' when missing). */
export const pct = (v: number | null | undefined): string => (v == null || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(2)}%`);

/** A Markdown table; rows[0] is the header. */
export function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/**
 * A plain-text table with aligned columns; rows[0] is the header. Columns are right-aligned
 * (numbers) except those `left(c)` names (default: the first); the last column is not padded.
 */
export function textTable(rows: string[][], left: (column: number) => boolean = (c) => c === 0): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const last = rows[0].length - 1;
  return rows
    .map((r) => r.map((cell, c) => (c === last && left(c) ? cell : left(c) ? cell.padEnd(w[c]) : cell.padStart(w[c]))).join('  ').trimEnd())
    .join('\n');
}
