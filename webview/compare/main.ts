// The Compare Runs webview: tables of params and metrics, a uPlot chart per metric, parallel
// coordinates and a scatter, for the runs the host sends (src/shared/compareProtocol.ts). The host
// owns the data; this page keeps only UI state (setState), so a reload or a hidden tab costs nothing.
// Values from files are always text (dom.ts), never parsed as HTML.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import 'uplot/dist/uPlot.min.css';
import './compare.css';
import {
  DEFAULT_VIEW_STATE,
  type CompareData,
  type CompareRunInfo,
  type CompareViewState,
  type HostMessage,
  type MetricRow,
  type WebviewMessage,
} from '../../src/shared/compareProtocol';
import { CurveCharts } from './curves';
import { clear, h, onThemeChange, primeTheme } from '../shared/dom';
import { drawParallel, drawScatter, type PlotRun } from './plots';
import { formatValue } from '../shared/format';
import { connectToHost } from '../shared/vscodeApi';

const { api: vscode, post } = connectToHost<WebviewMessage, CompareViewState>();

const saved = vscode.getState();
const view: CompareViewState = { ...DEFAULT_VIEW_STATE, runs: [], ...(saved ?? {}) };
let data: CompareData | undefined;

function saveState(): void {
  vscode.setState(view);
}

// Ready now, not once the layout below is built: the host's tables then travel while this script runs. No
// message can be handled before it ends, and by then the listener (at the bottom) is registered.
const script = performance.getEntriesByType('resource').find((e) => e.name.split('?')[0]!.endsWith('/compare.js')) as PerformanceResourceTiming | undefined;
post({ type: 'ready', state: saved ? view : null, boot: { readyAt: performance.now(), scriptFetchedAt: script ? script.responseEnd : null } });

const LONG_VALUE = 80;

// ---- layout (built once) ------------------------------------------------------------------------

const app = document.getElementById('app')!;
clear(app);
app.removeAttribute('aria-busy');

const title = h('h1', { id: 'title' }, 'Compare Runs');
const status = h('span', { class: 'status', role: 'status', 'aria-live': 'polite' });
const addButton = h('vscode-button', { id: 'add-runs', title: 'Add runs to this comparison' }, 'Add Runs…');
const csvButton = h('vscode-button', { id: 'export-csv', secondary: true, title: 'Save the params and metrics tables as CSV' }, 'Export CSV');
addButton.addEventListener('click', () => post({ type: 'addRuns' }));
csvButton.addEventListener('click', () => post({ type: 'exportCsv', onlyDifferences: view.onlyDifferences }));
const missingBar = h('div', { class: 'missing', role: 'status', hidden: true });

const onlyDiff = h('vscode-checkbox', { id: 'only-differences', label: 'Only differences' }) as HTMLElement & { checked: boolean };
onlyDiff.checked = view.onlyDifferences;
onlyDiff.addEventListener('change', () => {
  view.onlyDifferences = onlyDiff.checked;
  saveState();
  applyOnlyDifferences();
  drawPlots();
});
const paramCount = h('span', { class: 'count' });
const paramsWrap = h('div', { class: 'table-wrap' });
const metricsWrap = h('div', { class: 'table-wrap' });

const section = (id: string, heading: string, ...body: (Node | string)[]): HTMLElement => {
  const c = h('vscode-collapsible', { id, heading, open: true, class: 'section' });
  for (const b of body) c.append(b);
  return c;
};

const curves = new CurveCharts(post, () => view, saveState);

const parallelMetric = h('vscode-single-select', { id: 'parallel-metric', 'aria-label': 'Metric of the last axis' }) as HTMLElement & { value: string };
const parallelCanvas = h('canvas', { id: 'parallel', role: 'img', tabindex: 0, 'aria-label': 'Parallel coordinates' });
const parallelPng = h('vscode-button', { secondary: true, class: 'png', title: 'Save this chart as PNG' }, 'PNG');
parallelPng.addEventListener('click', () => post({ type: 'exportPng', name: 'parallel-coordinates', dataUrl: parallelCanvas.toDataURL('image/png') }));
parallelMetric.addEventListener('change', () => {
  view.targetMetric = parallelMetric.value || null;
  saveState();
  drawPlots();
});

const scatterX = h('vscode-single-select', { id: 'scatter-x', 'aria-label': 'Scatter x axis' }) as HTMLElement & { value: string };
const scatterY = h('vscode-single-select', { id: 'scatter-y', 'aria-label': 'Scatter y axis' }) as HTMLElement & { value: string };
const scatterCanvas = h('canvas', { id: 'scatter', role: 'img', tabindex: 0, 'aria-label': 'Scatter plot' });
const scatterTip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
const scatterPng = h('vscode-button', { secondary: true, class: 'png', title: 'Save this chart as PNG' }, 'PNG');
scatterPng.addEventListener('click', () => post({ type: 'exportPng', name: 'scatter', dataUrl: scatterCanvas.toDataURL('image/png') }));
scatterX.addEventListener('change', () => {
  view.scatterX = scatterX.value || null;
  saveState();
  drawPlots();
});
scatterY.addEventListener('change', () => {
  view.targetMetric = scatterY.value || null;
  saveState();
  drawPlots();
});
let scatterHit: ((x: number, y: number) => string | null) | undefined;
scatterCanvas.addEventListener('mousemove', (e) => {
  const text = scatterHit?.(e.offsetX, e.offsetY) ?? null;
  scatterTip.hidden = text === null;
  if (text !== null) {
    scatterTip.textContent = text;
    scatterTip.style.left = `${e.offsetX + 12}px`;
    scatterTip.style.top = `${e.offsetY + 12}px`;
  }
});
scatterCanvas.addEventListener('mouseleave', () => (scatterTip.hidden = true));

app.append(
  h('header', { class: 'toolbar' }, title, addButton, csvButton, status),
  missingBar,
  section('params-section', 'Parameters', h('div', { class: 'controls' }, onlyDiff, paramCount), paramsWrap),
  section('metrics-section', 'Metrics', h('p', { class: 'hint' }, 'Last value, with the minimum and maximum over the run. The best last value per metric is marked ★; choose whether lower or higher is better per metric.'), metricsWrap),
  section('curves-section', 'Curves', curves.controls, curves.grid),
  section(
    'parallel-section',
    'Parallel Coordinates',
    h('div', { class: 'controls' }, h('label', { for: 'parallel-metric' }, 'Metric'), parallelMetric, parallelPng),
    h('div', { class: 'plot-wrap' }, parallelCanvas),
  ),
  section(
    'scatter-section',
    'Scatter',
    h('div', { class: 'controls' }, h('label', { for: 'scatter-x' }, 'x'), scatterX, h('label', { for: 'scatter-y' }, 'y'), scatterY, scatterPng),
    h('div', { class: 'plot-wrap scatter-wrap' }, scatterCanvas, scatterTip),
  ),
);

// ---- tables -----------------------------------------------------------------------------------

function runHeader(run: CompareRunInfo, index: number): HTMLTableCellElement {
  const name = h('button', { class: 'run-name', type: 'button', title: `${run.label} — ${[run.sourceKind, run.experiment, run.folderName, run.key.id].filter(Boolean).join(' · ')}\nOpen the run's details` }, run.label);
  name.addEventListener('click', () => post({ type: 'showRun', key: run.key }));
  const remove = h('button', { class: 'icon-button remove-run', type: 'button', 'aria-label': `Remove ${run.label} from the comparison`, title: 'Remove from the comparison' }, '×');
  remove.addEventListener('click', () => post({ type: 'removeRun', key: run.key }));
  const swatch = h('span', { class: `swatch c${index}`, 'aria-hidden': 'true' });
  curves.paintSwatch(swatch, run.color);
  const badge = run.status !== 'FINISHED' ? h('span', { class: `run-status status-${run.status.toLowerCase()}` }, run.status.toLowerCase()) : null;
  return h('th', { scope: 'col', class: 'run-col' }, h('div', { class: 'run-head' }, swatch, name, remove), badge, run.deleted ? h('span', { class: 'run-status' }, 'deleted') : null);
}

function valueCell(value: string | null): HTMLTableCellElement {
  if (value === null) return h('td', { class: 'absent', title: 'not set in this run' }, '—');
  if (value.length <= LONG_VALUE) return h('td', {}, value);
  // Long values (a 10,000-character list repr): truncated, full text in the tooltip and on demand.
  const text = h('span', { class: 'value' }, value.slice(0, LONG_VALUE - 1) + '…');
  const more = h('button', { class: 'link-button', type: 'button', 'aria-expanded': 'false' }, `show all ${value.length.toLocaleString()} characters`);
  more.addEventListener('click', () => {
    const open = more.getAttribute('aria-expanded') === 'true';
    text.textContent = open ? value.slice(0, LONG_VALUE - 1) + '…' : value;
    more.setAttribute('aria-expanded', String(!open));
    more.textContent = open ? `show all ${value.length.toLocaleString()} characters` : 'show less';
  });
  return h('td', { class: 'long', title: value.length > 4000 ? value.slice(0, 4000) + '…' : value }, text, h('br'), more);
}

function renderParams(d: CompareData): void {
  const table = h('table', { id: 'params-table', class: 'grid' }, h('caption', { class: 'visually-hidden' }, 'Parameters of the compared runs'));
  table.append(h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'key-col' }, 'Parameter'), ...d.runs.map(runHeader))));
  const body = h('tbody');
  for (const p of d.params) {
    const row = h('tr', { class: p.differs ? 'differs' : 'same', 'data-key': p.key }, h('th', { scope: 'row', class: 'key-col', title: p.key }, p.key), ...p.values.map(valueCell));
    body.append(row);
  }
  table.append(body);
  clear(paramsWrap);
  paramsWrap.append(d.params.length > 0 ? table : h('p', { class: 'hint' }, 'These runs have no params.'));
  applyOnlyDifferences();
}

function applyOnlyDifferences(): void {
  const table = document.getElementById('params-table');
  const total = data?.params.length ?? 0;
  const differing = data?.params.filter((p) => p.differs).length ?? 0;
  table?.classList.toggle('only-differences', view.onlyDifferences);
  paramCount.textContent = view.onlyDifferences ? `${differing} of ${total} params differ` : `${total} params, ${differing} differ`;
}

// A native <select> per metric row: a table may have a hundred metrics, and each
// vscode-single-select renders its own dropdown (≈ 20 ms apiece at 50 runs here).
function directionSelect(m: MetricRow): HTMLElement {
  const select = h('select', { class: 'direction', 'aria-label': `Which is better for ${m.key}` });
  const auto = m.directionSource === 'inferred' ? `auto (${m.direction === 'min' ? 'lower' : 'higher'})` : 'auto';
  select.append(h('option', { value: 'auto' }, auto), h('option', { value: 'min' }, 'lower is better'), h('option', { value: 'max' }, 'higher is better'));
  select.value = m.directionSource === 'user' ? m.direction : 'auto';
  select.addEventListener('change', () => {
    const v = select.value as 'auto' | 'min' | 'max';
    if (v === 'auto') delete view.directions[m.key];
    else view.directions[m.key] = v;
    saveState();
    post({ type: 'setDirection', metric: m.key, direction: v });
  });
  return select;
}

function renderMetrics(d: CompareData): void {
  if (d.metrics.length === 0) {
    clear(metricsWrap);
    metricsWrap.append(h('p', { class: 'hint' }, 'These runs have no metrics.'));
    return;
  }
  const table = h('table', { id: 'metrics-table', class: 'grid' }, h('caption', { class: 'visually-hidden' }, 'Metrics of the compared runs: last value, minimum and maximum'));
  table.append(h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'key-col' }, 'Metric'), h('th', { scope: 'col' }, 'Better'), ...d.runs.map(runHeader))));
  const body = h('tbody');
  for (const m of d.metrics) {
    const cells = m.cells.map((c, i) => {
      if (!c) return h('td', { class: 'absent', title: 'not logged by this run' }, '—');
      const last = c.lastNonFinite ?? formatValue(c.last);
      const best = m.best === i;
      const td = h(
        'td',
        { class: best ? 'num best' : 'num', title: `last ${last} at step ${c.lastStep ?? '?'} · min ${formatValue(c.min)} · max ${formatValue(c.max)} · ${c.count} points` },
        h('span', { class: 'last' }, best ? `★ ${last}` : last),
        h('span', { class: 'range' }, `${formatValue(c.min)} – ${formatValue(c.max)}`),
      );
      if (best) td.setAttribute('aria-label', `${last}, best`);
      return td;
    });
    body.append(h('tr', { 'data-key': m.key }, h('th', { scope: 'row', class: 'key-col', title: m.key }, m.key), h('td', { class: 'dir' }, directionSelect(m)), ...cells));
  }
  table.append(body);
  clear(metricsWrap);
  metricsWrap.append(table);
}

function renderMissing(d: CompareData): void {
  clear(missingBar);
  missingBar.hidden = d.missing.length === 0;
  if (d.missing.length === 0) return;
  missingBar.append(h('span', {}, `${d.missing.length === 1 ? 'A run is' : `${d.missing.length} runs are`} no longer in the workspace (deleted, or their folder closed): `));
  for (const m of d.missing) {
    const remove = h('button', { class: 'link-button', type: 'button', 'aria-label': `Remove ${m.label} from the comparison` }, 'remove');
    remove.addEventListener('click', () => post({ type: 'removeRun', key: m.key }));
    missingBar.append(h('span', { class: 'missing-run' }, h('span', { class: 'missing-label' }, m.label), ' (', remove, ') '));
  }
}

// ---- parallel coordinates and scatter ----------------------------------------------------------

function fillSelect(select: HTMLElement & { value: string }, options: [string, string][], value: string | null): string | null {
  clear(select);
  for (const [v, label] of options) select.append(h('vscode-option', { value: v }, label));
  const chosen = value && options.some(([v]) => v === value) ? value : (options[0]?.[0] ?? null);
  if (chosen !== null) select.value = chosen;
  return chosen;
}

let plotControlsDirty = true;
function ensurePlotControls(): void {
  if (!plotControlsDirty || !data) return;
  plotControlsDirty = false;
  renderPlotControls(data);
}

function defaultTarget(d: CompareData): string | null {
  // The first metric that has a best run: most often the one people choose by.
  return d.metrics.find((m) => m.best !== null)?.key ?? d.metrics[0]?.key ?? null;
}

function renderPlotControls(d: CompareData): void {
  const metricOptions: [string, string][] = d.metrics.map((m) => [m.key, m.key]);
  const target = view.targetMetric && d.metrics.some((m) => m.key === view.targetMetric) ? view.targetMetric : defaultTarget(d);
  fillSelect(parallelMetric, metricOptions, target);
  fillSelect(scatterY, metricOptions, target);
  const xOptions: [string, string][] = [...d.params.map((p): [string, string] => [`param:${p.key}`, `param ${p.key}`]), ...d.metrics.map((m): [string, string] => [`metric:${m.key}`, `metric ${m.key}`])];
  const firstDiffering = d.params.find((p) => p.differs);
  view.scatterX = fillSelect(scatterX, xOptions, view.scatterX ?? (firstDiffering ? `param:${firstDiffering.key}` : null));
}

// Below the curves, so drawn when scrolled into view (or at once if in view), not in the first paint.
let plotsDirty = true;
const plotsShown = new Set<Element>();
const plotsObserver = new IntersectionObserver(
  (entries) => {
    for (const e of entries) {
      if (e.isIntersecting) plotsShown.add(e.target);
      else plotsShown.delete(e.target);
    }
    if (plotsShown.size > 0 && plotsDirty) drawPlotsNow();
  },
  { rootMargin: '200px 0px' },
);
plotsObserver.observe(parallelCanvas.parentElement!);
plotsObserver.observe(scatterCanvas.parentElement!);

let plotsFrame = 0;
function drawPlots(): void {
  plotsDirty = true;
  // After this frame's layout: the observer's view of what is visible may predate the new tables.
  cancelAnimationFrame(plotsFrame);
  plotsFrame = requestAnimationFrame(() => {
    const inView = [parallelCanvas, scatterCanvas].some((c) => {
      const r = c.parentElement!.getBoundingClientRect();
      return r.bottom >= -200 && r.top <= window.innerHeight + 200;
    });
    if (plotsDirty && inView) drawPlotsNow();
  });
}

function drawPlotsNow(): void {
  if (!data) return;
  ensurePlotControls();
  plotsDirty = false;
  const d = data;
  const target = parallelMetric.value || defaultTarget(d);
  const runs: PlotRun[] = d.runs.map((r) => ({ label: r.label, color: curves.colorOf(r.color) }));
  const params = (view.onlyDifferences ? d.params.filter((p) => p.differs) : d.params).slice(0, 16);
  const metric = d.metrics.find((m) => m.key === target);
  drawParallel(parallelCanvas, runs, params, metric ?? null);
  parallelCanvas.setAttribute('aria-label', `Parallel coordinates of ${params.length} params${metric ? ` and ${metric.key}` : ''} for ${runs.length} runs`);
  const yMetric = d.metrics.find((m) => m.key === (scatterY.value || target));
  const x = scatterX.value || '';
  const xValues: (string | number | null)[] = x.startsWith('param:')
    ? (d.params.find((p) => p.key === x.slice(6))?.values ?? d.runs.map(() => null))
    : (d.metrics.find((m) => m.key === x.slice(7))?.cells.map((c) => c?.last ?? null) ?? d.runs.map(() => null));
  scatterHit = drawScatter(scatterCanvas, runs, { label: x.replace(/^(param|metric):/, ''), values: xValues }, yMetric ?? null);
  scatterCanvas.setAttribute('aria-label', `Scatter of ${yMetric?.key ?? 'no metric'} against ${x.replace(':', ' ')} for ${runs.length} runs`);
}

// ---- messages ---------------------------------------------------------------------------------

function render(incoming: CompareData, reason: string): void {
  const started = performance.now();
  primeTheme();
  // A direction override changes the tables only: the curves stay as they are.
  const d = incoming.seriesState === 'unchanged' && data ? { ...incoming, series: data.series, seriesState: data.seriesState } : incoming;
  data = d;
  view.runs = d.keys;
  for (const m of d.metrics) if (m.directionSource === 'inferred') delete view.directions[m.key];
  saveState();
  title.textContent = `Compare ${d.runs.length} Run${d.runs.length === 1 ? '' : 's'}`;
  status.textContent = '';
  renderMissing(d);
  renderParams(d);
  renderMetrics(d);
  // The plots' selects (vscode-single-select reads every option's innerText: a layout of the tables each) are
  // below the fold: filled after the first paint, or when the plots are drawn, whichever comes first.
  plotControlsDirty = true;
  const charts = d.seriesState === 'pending' ? curves.pending(d) : curves.setData(d);
  drawPlots();
  // Measured once the browser has painted what is on screen (two frames: layout, then paint).
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      post({ type: 'painted', ms: performance.now() - started, points: charts.points, charts: charts.drawn, reason });
      window.setTimeout(ensurePlotControls, 0);
    }),
  );
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const m = event.data;
  switch (m.type) {
    case 'data':
      render(m.data, m.reason);
      break;
    case 'series':
      if (data) {
        const started = performance.now();
        data = { ...data, series: m.series, seriesState: 'included' };
        const charts = curves.setData(data);
        requestAnimationFrame(() =>
          requestAnimationFrame(() => post({ type: 'painted', ms: performance.now() - started, points: charts.points, charts: charts.drawn, reason: 'series' })),
        );
      }
      break;
    case 'loading':
      status.textContent = 'Loading…';
      break;
    case 'saved':
      status.textContent = `Saved ${m.path}`;
      break;
    case 'error':
      status.textContent = m.message;
      break;
  }
});

onThemeChange(() => {
  curves.themeChanged();
  if (data) {
    renderParams(data);
    renderMetrics(data);
  }
  drawPlots();
});

let resizeTimer: number | undefined;
new ResizeObserver(() => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    curves.resize();
    drawPlots();
  }, 100);
}).observe(app);

// 'ready' went out at the start (the message listener above is in place before any message can arrive).
