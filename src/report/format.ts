/** Number formats shared by the CLI's text and the report. */

/** An error rate as a percentage with two decimals ('—' when missing). */
export const pct = (v: number | null | undefined): string => (v == null || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(2)}%`);
