/**
 * A report as a small document model (headings, paragraphs, tables, figures), written
 * out as Markdown or as one self-contained HTML page. Every text that reaches the
 * output passes through the escaping here: names from a capture or from registries
 * (AS names, addresses, labels) are data, never markup.
 */
export type Block =
  | { t: 'h1' | 'h2' | 'h3'; text: string; id?: string }
  | { t: 'p'; text: string }
  | { t: 'list'; items: string[] }
  | { t: 'table'; caption: string; head: string[]; rows: string[][]; align?: ('l' | 'r')[] }
  | { t: 'figure'; id: string; caption: string; svg: string };

export interface ReportDocument {
  lang: 'ja' | 'en';
  title: string;
  blocks: Block[];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * Markdown text: HTML specials as entities (renderers pass inline HTML through), the
 * characters that start emphasis, code, links or table cells escaped, and a line start
 * that would make a heading, list or quote.
 */
export function escapeMarkdown(s: string): string {
  // Quotes need no escaping in Markdown text; <, > and & do (inline HTML, entities).
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/[&<>]/g, (c) => HTML_ESCAPES[c])
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/^(#|>|[-+](?=\s))/, '\\$1')
    .replace(/^(\d+)([.)])(?=\s)/, '$1\\$2');
}

/** Figures as separate files beside a Markdown report: their names and contents. */
export interface Asset {
  name: string;
  content: string;
}

/** The Markdown text and the SVG files it links (`prefix`-fig1.svg …, to write beside it). */
export function toMarkdown(doc: ReportDocument, prefix: string): { text: string; assets: Asset[] } {
  const out: string[] = [];
  const assets: Asset[] = [];
  for (const b of doc.blocks) {
    switch (b.t) {
      case 'h1':
        out.push(`# ${escapeMarkdown(b.text)}`, '');
        break;
      case 'h2':
        out.push(`## ${escapeMarkdown(b.text)}`, '');
        break;
      case 'h3':
        out.push(`### ${escapeMarkdown(b.text)}`, '');
        break;
      case 'p':
        out.push(escapeMarkdown(b.text), '');
        break;
      case 'list':
        for (const i of b.items) out.push(`- ${escapeMarkdown(i)}`);
        out.push('');
        break;
      case 'table': {
        out.push(`**${escapeMarkdown(b.caption)}**`, '');
        out.push(`| ${b.head.map(escapeMarkdown).join(' | ')} |`);
        out.push(`|${b.head.map((_, i) => ((b.align?.[i] ?? 'l') === 'r' ? '---:' : '---')).join('|')}|`);
        for (const r of b.rows) out.push(`| ${r.map(escapeMarkdown).join(' | ')} |`);
        out.push('');
        break;
      }
      case 'figure': {
        const name = `${prefix}-${b.id}.svg`;
        assets.push({ name, content: b.svg });
        out.push(`![${escapeMarkdown(b.caption)}](${encodeURI(name)})`, '', `*${escapeMarkdown(b.caption)}*`, '');
        break;
      }
    }
  }
  return { text: out.join('\n'), assets };
}

const CSS = `
body { font-family: 'IPAPGothic', 'IPAexGothic', 'Noto Sans CJK JP', 'Helvetica Neue', Arial, sans-serif; color: #111; max-width: 960px; margin: 2em auto; padding: 0 1em; line-height: 1.6; }
h1 { font-size: 1.6em; border-bottom: 2px solid #333; padding-bottom: .2em; }
h2 { font-size: 1.3em; border-bottom: 1px solid #999; margin-top: 2em; }
h3 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: .95em; }
caption { text-align: left; font-weight: bold; padding-bottom: .3em; }
th, td { border: 1px solid #888; padding: .25em .6em; vertical-align: top; }
th { background: #eee; }
td.r { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 2em; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-weight: bold; margin-top: .3em; }
table, tr { page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
`;

/** One HTML page: inline CSS and SVG, no script, no external resource. */
export function toHtml(doc: ReportDocument): string {
  const out: string[] = [];
  for (const b of doc.blocks) {
    switch (b.t) {
      case 'h1':
      case 'h2':
      case 'h3':
        out.push(`<${b.t}${b.id ? ` id="${escapeHtml(b.id)}"` : ''}>${escapeHtml(b.text)}</${b.t}>`);
        break;
      case 'p':
        out.push(`<p>${escapeHtml(b.text)}</p>`);
        break;
      case 'list':
        out.push(`<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);
        break;
      case 'table': {
        const cls = (i: number) => ((b.align?.[i] ?? 'l') === 'r' ? ' class="r"' : '');
        out.push(
          `<table><caption>${escapeHtml(b.caption)}</caption><thead><tr>${b.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>` +
            b.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('') +
            '</tbody></table>',
        );
        break;
      }
      case 'figure':
        // The SVG is Vega's output (its text nodes escaped by Vega, tested); the caption is ours to escape.
        out.push(`<figure id="${escapeHtml(b.id)}">${b.svg}<figcaption>${escapeHtml(b.caption)}</figcaption></figure>`);
        break;
    }
  }
  return `<!DOCTYPE html>
<html lang="${doc.lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(doc.title)}</title>
<style>${CSS}</style>
</head>
<body>
${out.join('\n')}
</body>
</html>
`;
}
