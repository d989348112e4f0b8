// Element building for the model panel. Every value that comes from files (model descriptions,
// run names, metric names, reasons, the model card) goes in as text (textContent) or through
// setAttribute: no HTML string is ever parsed.

import { formatNumber } from '../../src/core/util/numbers';

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string | number | boolean | null | undefined>, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string | number | boolean | null | undefined>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string | number | boolean | null | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A theme colour (var(--vscode-…)) for drawing on a canvas. */
export function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** Numbers as the Runs view and the CLI show them (src/core/util/numbers.ts, pure), a dash for none. */
export function formatValue(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : formatNumber(v);
}
