// The model panel webview: a model's description and card, its versions (stage, aliases, run,
// metrics), a uPlot chart of one metric across versions and the audit trail, for the data the host
// sends (src/shared/modelProtocol.ts). The host owns the data; this page keeps only UI state
// (setState: which model, which metric), which the serializer hands back after a reload. Values from
// files are always text (dom.ts), never parsed as HTML.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './model.css';
import type { HostMessage, ModelPanelData, ModelViewState, WebviewMessage } from '../../src/shared/modelProtocol';
import { clear, h, themeColor } from '../shared/dom';
import { formatValue } from '../shared/format';
import { connectToHost } from '../shared/vscodeApi';

const { api: vscode, post } = connectToHost<WebviewMessage, ModelViewState>();

const saved = vscode.getState();
let metric: string | null = typeof saved?.metric === 'string' ? saved.metric : null;
let data: ModelPanelData | undefined;
let chart: uPlot | undefined;

function saveState(): void {
  if (data) vscode.setState({ folder: data.folder, model: data.model, metric });
}

// ---- layout (built once) ------------------------------------------------------------------------

const app = document.getElementById('app')!;
clear(app);
app.removeAttribute('aria-busy');

const title = h('h1', { id: 'title' }, 'Model');
const subtitle = h('div', { id: 'subtitle', class: 'muted' });
const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Loading…');
const description = h('p', { id: 'description', class: 'description' });
const compareButton = h('vscode-button', { id: 'compare-versions', secondary: true, title: "Open the versions' runs in Compare Runs" }, 'Compare Versions');
compareButton.addEventListener('click', () => post({ type: 'compareVersions' }));
const toolbar = h('div', { class: 'toolbar' }, compareButton);
const card = h('pre', { id: 'model-card', class: 'model-card' });
const versionsWrap = h('div', { class: 'table-wrap' });
const historyWrap = h('div', { class: 'table-wrap' });
const metricSelect = h('vscode-single-select', { id: 'chart-metric', 'aria-label': 'Metric charted across versions' }) as HTMLElement & { value: string };
const chartEl = h('div', { id: 'chart', role: 'img', 'aria-label': 'A metric across versions' });
const chartNote = h('p', { class: 'hint' });
metricSelect.addEventListener('change', () => {
  metric = metricSelect.value || null;
  saveState();
  drawChart();
});

const section = (id: string, heading: string, open: boolean, ...body: (Node | string)[]): HTMLElement => {
  const c = h('vscode-collapsible', { id, heading, open, class: 'section' });
  for (const b of body) c.append(b);
  return c;
};

app.append(
  title,
  subtitle,
  status,
  description,
  toolbar,
  section('versions-section', 'Versions', true, versionsWrap),
  section('chart-section', 'Metric across versions', true, h('div', { class: 'chart-controls' }, h('label', { for: 'chart-metric' }, 'Metric'), metricSelect), chartEl, chartNote),
  section('history-section', 'Audit trail', true, h('p', { class: 'hint' }, 'Every change to this model, oldest first, as the journal .mlcycle/registry.jsonl keeps it.'), historyWrap),
  section('card-section', 'Model card', false, h('p', { class: 'hint' }, 'MODEL_CARD.md as a package of the newest version would carry it (generated; shown as text).'), card),
);

// ---- rendering --------------------------------------------------------------------------------------

function time(ms: number | string): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString().replace('T', ' ').slice(0, 19);
}

function renderVersions(d: ModelPanelData): void {
  clear(versionsWrap);
  const shownMetrics = d.metrics.slice(0, 6);
  const table = h('table', { id: 'versions-table' });
  const head = h('tr', {}, ...['Version', 'Stage', 'Aliases', 'Run', 'Registered', 'Packages'].map((t) => h('th', { scope: 'col' }, t)), ...shownMetrics.map((m) => h('th', { scope: 'col', class: 'num' }, m)));
  table.append(h('thead', {}, head));
  const body = h('tbody');
  for (const v of [...d.versions].reverse()) {
    const run = v.run
      ? (() => {
          const b = h('button', { class: 'link-button', type: 'button', title: `Show the details of run ${v.run.id}` }, v.run.name ?? v.run.id.slice(0, 12));
          b.addEventListener('click', () => post({ type: 'showRun', version: v.version }));
          return b;
        })()
      : h('span', { class: 'muted' }, '—');
    body.append(
      h(
        'tr',
        { 'data-version': v.version, 'data-stage': v.stage },
        h('td', {}, `v${v.version}`),
        h('td', { title: v.stageReason ?? '' }, h('span', { class: `badge stage-${v.stage}` }, v.stage)),
        h('td', {}, v.aliases.map((a) => `@${a}`).join(' ')),
        h('td', {}, run),
        h('td', { title: v.actor ?? '' }, time(v.registered)),
        h('td', {}, v.packages === 0 ? '—' : `${v.packages} (${v.verifiedPackages} verified)`),
        ...shownMetrics.map((m) => h('td', { class: 'num' }, formatValue(v.metrics[m]))),
      ),
    );
  }
  table.append(body);
  versionsWrap.append(table);
}

function renderHistory(d: ModelPanelData): void {
  clear(historyWrap);
  const table = h('table', { id: 'history-table' });
  table.append(h('thead', {}, h('tr', {}, ...['When', 'Who', 'Version', 'Event', 'From', 'To', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))));
  const body = h('tbody');
  for (const e of d.history) {
    body.append(
      h(
        'tr',
        { 'data-type': e.type, title: e.detail },
        h('td', {}, time(e.time)),
        h('td', {}, e.actor),
        h('td', {}, e.version === null ? '' : `v${e.version}`),
        h('td', {}, e.type),
        h('td', { class: 'from' }, e.from ?? ''),
        h('td', { class: 'to' }, e.to ?? ''),
        h('td', { class: 'reason' }, e.reason ?? (e.type === 'stage' ? '' : e.detail)),
      ),
    );
  }
  table.append(body);
  historyWrap.append(table);
}

function fillMetricSelect(d: ModelPanelData): void {
  clear(metricSelect);
  for (const m of d.metrics) metricSelect.append(h('vscode-option', { value: m }, m));
  if (metric === null || !d.metrics.includes(metric)) metric = d.metrics[0] ?? null;
  if (metric !== null) metricSelect.value = metric;
}

function drawChart(): number {
  chart?.destroy();
  chart = undefined;
  clear(chartEl);
  if (!data || metric === null) {
    chartNote.textContent = 'None of the versions is linked to a run with metrics.';
    return 0;
  }
  const points = data.versions.filter((v) => typeof v.metrics[metric!] === 'number');
  chartNote.textContent = points.length < data.versions.length ? `${data.versions.length - points.length} version(s) without ${metric} are left out.` : '';
  if (points.length === 0) return 0;
  const xs = points.map((v) => v.version);
  const ys = points.map((v) => v.metrics[metric!] as number);
  const fg = themeColor('--vscode-foreground', '#ccc');
  const grid = themeColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  const stroke = themeColor('--vscode-charts-blue', '#3794ff');
  const axis = (values?: uPlot.Axis['values']): uPlot.Axis => ({ stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, ...(values ? { values } : {}) });
  const width = Math.max(320, Math.min(900, chartEl.clientWidth || app.clientWidth - 16));
  chart = new uPlot(
    {
      width,
      height: 240,
      // Half a version of room on each side and 10 % above and below (5 % of the value for a single one), so that
      // one or two versions sit inside the plot rather than on its edges.
      scales: {
        x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
        y: {
          range: (_u, min, max) => {
            const pad = min === max ? Math.abs(min) * 0.05 || 1 : (max - min) * 0.1;
            return [min - pad, max + pad];
          },
        },
      },
      axes: [
        { ...axis((_u, splits) => splits.map((s) => (Number.isInteger(s) ? `v${s}` : ''))), incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
        axis((_u, splits) => splits.map((s) => formatValue(s))),
      ],
      series: [{ label: 'version', value: (_u, v) => (v === null ? '' : `v${v}`) }, { label: metric, stroke, width: 2, points: { show: true, size: 8, fill: stroke }, value: (_u, v) => formatValue(v) }],
    },
    [xs, ys],
    chartEl,
  );
  return points.length;
}

function render(d: ModelPanelData): void {
  data = d;
  title.textContent = d.model;
  subtitle.textContent = `${d.folderName} · ${d.versions.length} version${d.versions.length === 1 ? '' : 's'}${d.readOnly ? ' · read-only (Restricted Mode)' : ''}`;
  status.textContent = '';
  description.textContent = d.description ?? '';
  description.hidden = !d.description;
  card.textContent = d.modelCard ?? 'No model card: the model has no version yet.';
  renderVersions(d);
  renderHistory(d);
  fillMetricSelect(d);
  saveState();
  // The chart needs the layout's width: after the page is laid out.
  requestAnimationFrame(() => {
    const chartPoints = drawChart();
    post({ type: 'painted', versions: d.versions.length, events: d.history.length, chartPoints });
  });
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  switch (m.type) {
    case 'data':
      render(m.data);
      break;
    case 'gone':
      status.textContent = `The model ${m.model} is no longer in the registry.`;
      break;
    case 'loading':
      status.textContent = 'Loading…';
      break;
  }
});

let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  if (resizeTimer !== undefined) clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => drawChart(), 150);
});

post({ type: 'ready' });
