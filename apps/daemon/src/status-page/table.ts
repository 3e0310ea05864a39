import { escapeHtml } from '../html-escape.js';

/** One cell: its column name goes in data-label, which the phone layout shows before the value. */
export interface Cell {
  readonly label: string;
  /** Already escaped HTML. */
  readonly html: string;
}

/**
 * A table that reflows on a phone: each row becomes a block of "label: value" lines (page-style.ts),
 * so nothing scrolls sideways. `rows` hold escaped HTML only.
 */
export function reflowTable(
  id: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
): string {
  const head = columns.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join('');
  const body = rows
    .map(
      (cells) =>
        `<tr>${cells.map((cell) => `<td data-label="${escapeHtml(cell.label)}">${cell.html}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table class="reflow" id="${escapeHtml(id)}">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A pill whose colour class comes from a fixed list (never from the value), with the value as text. */
export function pill(value: string, tone: Tone): string {
  return `<span class="pill ${tone}">${escapeHtml(value)}</span>`;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral';
