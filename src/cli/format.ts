/** Text output shared by the commands: tables and terminal-safe strings. */

/** Registry and capture strings reach the terminal: drop control characters (escape sequences). */
export const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

/** Columns padded to their widest cell (numbers right-aligned, with thousands separators). */
export function textTable(head: string[], rows: (string | number)[][], indent = ''): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en') : printable(c))))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  return cells.map((r) => indent + r.map((c, i) => (typeof rows[0]?.[i] === 'number' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}
