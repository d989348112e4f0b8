// One uPlot chart per metric, a line per run. uPlot's faceted mode (mode 2) gives every run its own
// x array, so runs logged at different steps or times are drawn as they are, without joining them
// onto one x axis (a join of 50 runs × 2,000 points would be 100,000 slots per run). Charts are
// built when they scroll into view (IntersectionObserver): the first paint draws only what is seen.
import uPlot from 'uplot';
import type { CompareData, CompareViewState, WebviewMessage } from '../../src/shared/compareProtocol';
import { clear, h, themeColor } from '../shared/dom';
import { formatValue } from '../shared/format';
import { chartValues, formatDuration, sortedByX, valueAt, xValues, type XAxis } from './series';
import { ema } from './smoothing';

interface PlotSeries {
  run: number;
  label: string;
  color: string;
  x: Float64Array;
  y: (number | null)[];
}

interface Chart {
  metric: string;
  card: HTMLElement;
  plot: HTMLElement;
  readout: HTMLElement;
  u: uPlot | undefined;
  /** Data or options changed since it was drawn (redrawn when next in view). */
  stale: boolean;
  series: PlotSeries[];
  /** What the uPlot options depend on: a change rebuilds the chart instead of setData. */
  layout: string;
}

// Theme chart colours first; more runs than those get evenly spread hues.
const THEME_COLORS: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-yellow', '#cca700'],
];

const HEIGHT = 220;

export class CurveCharts {
  readonly controls: HTMLElement;
  readonly grid: HTMLElement;
  private readonly charts = new Map<string, Chart>();
  private readonly observer: IntersectionObserver;
  private data: CompareData | undefined;
  private readonly colors: string[] = [];
  private smoothingTimer: number | undefined;

  constructor(
    private readonly post: (m: WebviewMessage) => void,
    private readonly view: () => CompareViewState,
    private readonly saveState: () => void,
  ) {
    const v = view();
    const axis = h('vscode-radio-group', { id: 'x-axis', 'aria-label': 'x axis' });
    for (const [value, label] of [
      ['step', 'Step'],
      ['time', 'Wall time'],
      ['relative', 'Relative time'],
    ] as const) {
      const radio = h('vscode-radio', { name: 'x-axis', value, label, checked: v.xAxis === value }) as HTMLElement & { checked: boolean };
      radio.addEventListener('change', () => {
        if (!radio.checked) return;
        this.view().xAxis = value;
        this.saveState();
        this.invalidate(true);
      });
      axis.append(radio);
    }
    const smoothingValue = h('span', { class: 'smoothing-value', id: 'smoothing-value' }, v.smoothing.toFixed(2));
    const smoothing = h('input', { type: 'range', id: 'smoothing', min: 0, max: 0.99, step: 0.01, value: v.smoothing, 'aria-label': 'Smoothing (exponential moving average weight)' });
    smoothing.addEventListener('input', () => {
      const w = Number(smoothing.value);
      this.view().smoothing = w;
      smoothingValue.textContent = w.toFixed(2);
      this.saveState();
      window.clearTimeout(this.smoothingTimer);
      this.smoothingTimer = window.setTimeout(() => this.invalidate(false), 60);
    });
    const log = h('vscode-checkbox', { id: 'log-scale', label: 'Log scale' }) as HTMLElement & { checked: boolean };
    log.checked = v.logScale;
    log.addEventListener('change', () => {
      this.view().logScale = log.checked;
      this.saveState();
      this.invalidate(true);
    });
    this.controls = h(
      'div',
      { class: 'controls curve-controls' },
      h('span', { class: 'control-label' }, 'x axis'),
      axis,
      h('label', { for: 'smoothing', class: 'control-label' }, 'Smoothing'),
      smoothing,
      smoothingValue,
      log,
    );
    this.grid = h('div', { class: 'chart-grid', id: 'charts' });
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          const chart = this.charts.get((e.target as HTMLElement).dataset['metric'] ?? '');
          if (chart?.stale) this.draw(chart);
        }
      },
      { rootMargin: '200px 0px' },
    );
  }

  /** The theme changed: colours are read again and every chart redrawn. */
  themeChanged(): void {
    this.colors.length = 0;
    this.invalidate(true);
  }

  colorOf(index: number): string {
    if (this.colors[index] === undefined) {
      const theme = THEME_COLORS[index];
      // Golden-angle hues keep neighbours apart however many runs there are.
      this.colors[index] = theme ? themeColor(theme[0], theme[1]) : `hsl(${Math.round((index * 137.508) % 360)}, 65%, 58%)`;
    }
    return this.colors[index]!;
  }

  paintSwatch(el: HTMLElement, color: number): void {
    el.style.backgroundColor = this.colorOf(color);
  }

  /** The tables came first; the histories are on their way: cards say so, nothing is drawn yet. */
  pending(d: CompareData): { drawn: number; points: number } {
    this.setData({ ...d, series: [] }, false);
    for (const c of this.charts.values()) {
      if (c.u) continue;
      clear(c.readout);
      c.readout.append(h('span', { class: 'readout-at' }, 'Reading the histories…'));
    }
    return { drawn: 0, points: 0 };
  }

  /** New data: cards for every metric; those in view drawn now, the rest when scrolled to. */
  setData(d: CompareData, draw = true): { drawn: number; points: number } {
    this.data = d;
    const keys = d.metrics.map((m) => m.key);
    for (const [metric, chart] of this.charts) {
      if (keys.includes(metric)) continue;
      chart.u?.destroy();
      this.observer.unobserve(chart.card);
      chart.card.remove();
      this.charts.delete(metric);
    }
    if (keys.length === 0) {
      clear(this.grid);
      this.grid.append(h('p', { class: 'hint' }, 'No metric histories to draw.'));
      return { drawn: 0, points: 0 };
    }
    this.grid.querySelector(':scope > p.hint')?.remove();
    keys.forEach((metric, i) => {
      let chart = this.charts.get(metric);
      if (!chart) {
        chart = this.card(metric);
        this.charts.set(metric, chart);
        this.observer.observe(chart.card);
      }
      if (this.grid.children[i] !== chart.card) this.grid.insertBefore(chart.card, this.grid.children[i] ?? null);
      chart.stale = draw;
    });
    return draw ? this.drawVisible() : { drawn: 0, points: 0 };
  }

  /** Options changed (axis, log scale: rebuild) or only the values (smoothing). */
  private invalidate(rebuild: boolean): void {
    for (const c of this.charts.values()) {
      c.stale = true;
      if (rebuild) c.layout = '';
    }
    this.drawVisible();
  }

  resize(): void {
    for (const c of this.charts.values()) {
      if (!c.u) continue;
      const width = c.plot.clientWidth;
      if (width > 0 && width !== c.u.width) c.u.setSize({ width, height: HEIGHT });
    }
  }

  private drawVisible(): { drawn: number; points: number } {
    // Every rectangle first: one layout, not one per chart drawn in between.
    const bottom = window.innerHeight + 200;
    const visible = [...this.charts.values()].flatMap((c) => {
      const r = c.card.getBoundingClientRect();
      return c.stale && r.bottom >= -200 && r.top <= bottom ? [{ c, width: c.plot.clientWidth }] : [];
    });
    let points = 0;
    for (const { c, width } of visible) points += this.draw(c, width);
    return { drawn: visible.length, points };
  }

  private card(metric: string): Chart {
    const plot = h('div', { class: 'plot', role: 'img', 'aria-label': `Curves of ${metric}` });
    const readout = h('div', { class: 'readout', 'aria-live': 'off' });
    const png = h('vscode-button', { secondary: true, class: 'png', title: `Save the chart of ${metric} as PNG` }, 'PNG');
    const chart: Chart = {
      metric,
      card: h('figure', { class: 'chart-card', 'data-metric': metric }, h('figcaption', {}, h('span', { class: 'chart-title', title: metric }, metric), png), plot, readout),
      plot,
      readout,
      u: undefined,
      stale: true,
      series: [],
      layout: '',
    };
    png.addEventListener('click', () => this.exportPng(chart));
    return chart;
  }

  private seriesOf(metric: string): { series: PlotSeries[]; withoutTimes: number } {
    const d = this.data!;
    const v = this.view();
    const out: PlotSeries[] = [];
    let withoutTimes = 0;
    for (const s of d.series) {
      if (s.metric !== metric) continue;
      const run = d.runs[s.run]!;
      const start = run.startTime ?? (s.times ? s.times[0]! : null);
      const x = xValues(s, v.xAxis, start);
      if (!x) {
        withoutTimes++;
        continue;
      }
      const y = chartValues(v.smoothing > 0 ? ema(s.values, v.smoothing) : Array.from(s.values), v.logScale);
      const sorted = sortedByX(x, y);
      out.push({ run: s.run, label: run.label, color: this.colorOf(run.color), x: sorted.x, y: sorted.y });
    }
    return { series: out, withoutTimes };
  }

  /** Draws (or redraws) one chart; returns the points drawn. `width`: measured by the caller. */
  private draw(chart: Chart, width = chart.plot.clientWidth): number {
    chart.stale = false;
    const v = this.view();
    const { series, withoutTimes } = this.seriesOf(chart.metric);
    chart.series = series;
    const note = chart.card.querySelector('.chart-note');
    note?.remove();
    if (withoutTimes > 0) {
      chart.card.insertBefore(
        h('p', { class: 'chart-note' }, `${withoutTimes} run${withoutTimes === 1 ? '' : 's'} recorded no times for this metric: shown on the step axis only.`),
        chart.readout,
      );
    }
    const layout = JSON.stringify([v.xAxis, v.logScale, series.map((s) => [s.run, s.color])]);
    const data = [null, ...series.map((s) => [s.x, s.y])] as unknown as uPlot.AlignedData;
    if (chart.u && chart.layout === layout) {
      chart.u.setData(data);
    } else {
      chart.u?.destroy();
      chart.layout = layout;
      chart.u = new uPlot(this.options(chart, width, series, v.xAxis, v.logScale), data, chart.plot);
    }
    chart.plot.setAttribute('aria-label', `Curves of ${chart.metric} for ${series.length} run${series.length === 1 ? '' : 's'}, x axis ${v.xAxis === 'step' ? 'step' : v.xAxis === 'time' ? 'wall time' : 'relative time'}${v.logScale ? ', log scale' : ''}`);
    this.readout(chart, -1);
    return series.reduce((n, s) => n + s.x.length, 0);
  }

  private options(chart: Chart, width: number, series: PlotSeries[], xAxis: XAxis, logScale: boolean): uPlot.Options {
    const fg = themeColor('--vscode-descriptionForeground', '#999');
    const grid = themeColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
    const font = `11px ${themeColor('--vscode-font-family', 'sans-serif')}`;
    const axis = (values?: uPlot.Axis['values']): uPlot.Axis => ({
      stroke: fg,
      font,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      ...(values ? { values } : {}),
    });
    let frame = 0;
    return {
      mode: 2,
      width: width || 400,
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { show: false } },
      scales: {
        x: { time: xAxis === 'time', auto: true },
        y: { auto: true, ...(logScale ? { distr: 3 as const } : {}) },
      },
      axes: [
        axis(xAxis === 'relative' ? (_u, splits) => splits.map((s) => formatDuration(s)) : xAxis === 'step' ? (_u, splits) => splits.map((s) => formatValue(s)) : undefined),
        { ...axis((_u, splits) => splits.map((s) => formatValue(s))), size: 56 },
      ],
      series: [
        {},
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            points: { show: false },
            facets: [
              { scale: 'x', auto: true },
              { scale: 'y', auto: true },
            ],
            paths: uPlot.paths.linear!(),
          }),
        ),
      ],
      hooks: {
        setCursor: [
          (u) => {
            cancelAnimationFrame(frame);
            frame = requestAnimationFrame(() => this.readout(chart, u.cursor.left ?? -1));
          },
        ],
      },
    };
  }

  /** Every run's value under the cursor (its last point at or before that x), or the last values. */
  private readout(chart: Chart, left: number): void {
    const u = chart.u;
    clear(chart.readout);
    if (!u || chart.series.length === 0) return;
    const v = this.view();
    const x = left >= 0 ? u.posToVal(left, 'x') : undefined;
    const at =
      x === undefined
        ? 'last values'
        : v.xAxis === 'step'
          ? `step ${formatValue(Math.round(x))}`
          : v.xAxis === 'relative'
            ? formatDuration(x)
            : new Date(x * 1000).toLocaleString();
    chart.readout.append(h('span', { class: 'readout-at' }, at));
    for (const s of chart.series) {
      const value = x === undefined ? lastFinite(s.y) : valueAt(s.x, s.y, x);
      if (value === undefined) continue;
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = s.color;
      chart.readout.append(h('span', { class: 'readout-item' }, swatch, h('span', { class: 'readout-label' }, s.label), ' ', h('span', { class: 'readout-value' }, value === null ? 'gap' : formatValue(value))));
    }
  }

  private exportPng(chart: Chart): void {
    if (!chart.u) this.draw(chart);
    const u = chart.u!;
    const src = u.ctx.canvas;
    // The chart canvas is transparent: give it the editor background and a title.
    const out = document.createElement('canvas');
    const titleH = 24 * devicePixelRatio;
    out.width = src.width;
    out.height = src.height + titleH;
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = themeColor('--vscode-editor-background', '#1e1e1e');
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = themeColor('--vscode-foreground', '#ccc');
    ctx.font = `${12 * devicePixelRatio}px ${themeColor('--vscode-font-family', 'sans-serif')}`;
    ctx.fillText(chart.metric, 8 * devicePixelRatio, 16 * devicePixelRatio);
    ctx.drawImage(src, 0, titleH);
    this.post({ type: 'exportPng', name: chart.metric, dataUrl: out.toDataURL('image/png') });
  }
}

function lastFinite(y: (number | null)[]): number | null | undefined {
  for (let i = y.length - 1; i >= 0; i--) if (y[i] !== null) return y[i];
  return y.length > 0 ? null : undefined;
}
