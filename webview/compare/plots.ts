// Parallel coordinates (params → a metric) and a scatter (any param or metric against a metric),
// drawn on canvases with the axes of scales.ts: numeric values on a linear scale, other params as
// ordered categories. Canvas text is never HTML, so values from files stay inert here too.
import type { MetricRow, ParamRow } from '../../src/shared/compareProtocol';
import { themeColor } from '../shared/dom';
import { formatValue, truncate } from '../shared/format';
import { axisFor, type Axis } from './scales';

export interface PlotRun {
  label: string;
  color: string;
}

interface Palette {
  bg: string;
  fg: string;
  muted: string;
  grid: string;
  font: string;
}

function palette(): Palette {
  const family = themeColor('--vscode-font-family', 'sans-serif');
  return {
    bg: themeColor('--vscode-editor-background', '#1e1e1e'),
    fg: themeColor('--vscode-foreground', '#cccccc'),
    muted: themeColor('--vscode-descriptionForeground', '#999999'),
    grid: themeColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)'),
    font: `11px ${family}`,
  };
}

/** Sizes the canvas to its box at the device pixel ratio; returns a context in CSS pixels. */
function setup(canvas: HTMLCanvasElement, height: number): { ctx: CanvasRenderingContext2D; width: number; height: number; p: Palette } {
  const width = Math.max(320, canvas.parentElement?.clientWidth ?? 600);
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const p = palette();
  // Painted background: the exported PNG then looks like the panel.
  ctx.fillStyle = p.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.font = p.font;
  return { ctx, width, height, p };
}

function tickLabels(axis: Axis, max: number): { pos: number; text: string }[] {
  if (axis.kind === 'numeric') return axis.ticks.map((t) => ({ pos: axis.position(t)!, text: formatValue(t) })).filter((t) => t.pos >= -1e-9 && t.pos <= 1 + 1e-9);
  const cats = axis.categories;
  const step = Math.max(1, Math.ceil(cats.length / max));
  return cats.flatMap((c, i) => (i % step === 0 || i === cats.length - 1 ? [{ pos: axis.position(c)!, text: c }] : []));
}

function message(ctx: CanvasRenderingContext2D, p: Palette, width: number, height: number, text: string): void {
  ctx.fillStyle = p.muted;
  ctx.textAlign = 'center';
  ctx.fillText(text, width / 2, height / 2);
}

/** One vertical axis per param, the metric's last value as the last one; a line per run. */
export function drawParallel(canvas: HTMLCanvasElement, runs: readonly PlotRun[], params: readonly ParamRow[], metric: MetricRow | null): void {
  const { ctx, width, height, p } = setup(canvas, 320);
  const columns: { label: string; values: (string | number | null)[] }[] = params.map((r) => ({ label: r.key, values: r.values }));
  if (metric) columns.push({ label: metric.key, values: metric.cells.map((c) => c?.last ?? null) });
  if (columns.length < 2 || runs.length === 0) {
    message(ctx, p, width, height, columns.length < 2 ? 'Needs at least one param that differs and a metric.' : 'No runs.');
    return;
  }
  const axes = columns.map((c) => axisFor(c.values));
  const top = 34;
  const bottom = height - 16;
  const left = 70;
  const right = width - 70;
  const xOf = (i: number): number => left + ((right - left) * i) / (columns.length - 1);
  const yOf = (pos: number): number => bottom - (bottom - top) * pos;
  // Axes with their ticks.
  ctx.lineWidth = 1;
  axes.forEach((axis, i) => {
    const x = xOf(i);
    ctx.strokeStyle = p.grid;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    ctx.fillStyle = i === axes.length - 1 && metric ? p.fg : p.muted;
    ctx.textAlign = i === 0 ? 'left' : i === axes.length - 1 ? 'right' : 'center';
    ctx.fillText(truncate(columns[i]!.label, Math.max(6, Math.floor((right - left) / (columns.length - 1) / 7))), x + (i === 0 ? -8 : i === axes.length - 1 ? 8 : 0), 14);
    ctx.fillStyle = p.muted;
    ctx.textAlign = 'right';
    for (const t of tickLabels(axis, 8)) ctx.fillText(truncate(t.text, 10), x - 4, yOf(t.pos) + 4);
  });
  // Lines, the best run last so that it is on top.
  const order = runs.map((_, i) => i);
  if (metric?.best !== null && metric?.best !== undefined) order.push(...order.splice(metric.best, 1));
  for (const r of order) {
    ctx.strokeStyle = runs[r]!.color;
    ctx.lineWidth = metric?.best === r ? 3 : 1.5;
    ctx.beginPath();
    let pen = false;
    axes.forEach((axis, i) => {
      const pos = axis.position(columns[i]!.values[r] ?? null);
      if (pos === null) {
        pen = false; // a run without this value: the line breaks there
        return;
      }
      if (pen) ctx.lineTo(xOf(i), yOf(pos));
      else ctx.moveTo(xOf(i), yOf(pos));
      pen = true;
    });
    ctx.stroke();
  }
}

/**
 * Each run as a point: x from a param or metric, y from a metric's last value. Returns a hit test
 * for the hover tooltip (text of the run under the pointer, or null).
 */
export function drawScatter(
  canvas: HTMLCanvasElement,
  runs: readonly PlotRun[],
  x: { label: string; values: (string | number | null)[] },
  metric: MetricRow | null,
): (px: number, py: number) => string | null {
  const { ctx, width, height, p } = setup(canvas, 300);
  if (!metric || runs.length === 0) {
    message(ctx, p, width, height, 'Choose a metric for the y axis.');
    return () => null;
  }
  const ys = metric.cells.map((c) => c?.last ?? null);
  const xAxis = axisFor(x.values);
  const yAxis = axisFor(ys);
  const left = 64;
  const right = width - 20;
  const top = 16;
  const bottom = height - 40;
  const px = (pos: number): number => left + (right - left) * (xAxis.kind === 'categorical' ? 0.05 + 0.9 * pos : pos);
  const py = (pos: number): number => bottom - (bottom - top) * pos;
  ctx.strokeStyle = p.grid;
  ctx.lineWidth = 1;
  ctx.strokeRect(left, top, right - left, bottom - top);
  ctx.fillStyle = p.muted;
  ctx.textAlign = 'center';
  for (const t of tickLabels(xAxis, Math.max(2, Math.floor((right - left) / 70)))) ctx.fillText(truncate(t.text, 12), px(t.pos), bottom + 14);
  ctx.fillStyle = p.fg;
  ctx.fillText(truncate(x.label, 60), (left + right) / 2, height - 8);
  ctx.textAlign = 'right';
  ctx.fillStyle = p.muted;
  for (const t of tickLabels(yAxis, 6)) ctx.fillText(truncate(t.text, 10), left - 4, py(t.pos) + 4);
  ctx.save();
  ctx.translate(12, (top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillStyle = p.fg;
  ctx.fillText(truncate(metric.key, 40), 0, 0);
  ctx.restore();
  const points: { x: number; y: number; text: string }[] = [];
  runs.forEach((run, i) => {
    const xp = xAxis.position(x.values[i] ?? null);
    const yp = yAxis.position(ys[i] ?? null);
    if (xp === null || yp === null) return;
    const cx = px(xp);
    const cy = py(yp);
    ctx.fillStyle = run.color;
    ctx.beginPath();
    ctx.arc(cx, cy, metric.best === i ? 6 : 4.5, 0, Math.PI * 2);
    ctx.fill();
    if (metric.best === i) {
      ctx.strokeStyle = p.fg;
      ctx.stroke();
    }
    const xv = x.values[i];
    points.push({ x: cx, y: cy, text: `${run.label}: ${x.label} = ${typeof xv === 'number' ? formatValue(xv) : String(xv)}, ${metric.key} = ${formatValue(ys[i] ?? null)}` });
  });
  if (points.length === 0) message(ctx, p, width, height, 'No run has both values.');
  return (hx, hy) => {
    let best: { d: number; text: string } | null = null;
    for (const pt of points) {
      const d = Math.hypot(pt.x - hx, pt.y - hy);
      if (d <= 10 && (!best || d < best.d)) best = { d, text: pt.text };
    }
    return best?.text ?? null;
  };
}
