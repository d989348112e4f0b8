// Element building for the panels. Every value that comes from files (run names, params, metric
// names, model cards, reasons) goes in as text (textContent) or through setAttribute: no HTML string is ever parsed, so a
// run named `<img src=x onerror=…>` stays text.

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string | number | boolean | null | undefined>, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string | number | boolean | null | undefined>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string | number | boolean | null | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// Theme colours resolved for canvases. Reading a computed style forces a style recalculation, so
// they are read in one go before the DOM is built and kept until the theme changes (VS Code swaps
// the body's class and the root's style on a theme change).
const themeCache = new Map<string, string>();
const THEME_VARS = [
  '--vscode-charts-blue',
  '--vscode-charts-orange',
  '--vscode-charts-green',
  '--vscode-charts-red',
  '--vscode-charts-purple',
  '--vscode-charts-yellow',
  '--vscode-editor-background',
  '--vscode-foreground',
  '--vscode-descriptionForeground',
  '--vscode-editorWidget-border',
  '--vscode-font-family',
];

export function primeTheme(): void {
  if (themeCache.size > 0) return;
  const style = getComputedStyle(document.body);
  for (const name of THEME_VARS) themeCache.set(name, style.getPropertyValue(name).trim());
}

export function onThemeChange(fn: () => void): void {
  const observer = new MutationObserver(() => {
    themeCache.clear();
    fn();
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}

/** A CSS custom property of the theme (var(--vscode-…)) for drawing on a canvas. */
export function themeColor(name: string, fallback: string): string {
  primeTheme();
  let v = themeCache.get(name);
  if (v === undefined) {
    v = getComputedStyle(document.body).getPropertyValue(name).trim();
    themeCache.set(name, v);
  }
  return v || fallback;
}
