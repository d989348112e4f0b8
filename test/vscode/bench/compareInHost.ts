// First paint of the Compare Runs panel, measured from inside a real extension host (code-server) with the real
// webview in Chromium. Not a test: bench/compare.ts (npm run bench:compare) opens the workbench on the benchmark
// workspace with this module as extensionTestsPath and reads the JSON it writes (MLCYCLE_BENCH_CONFIG names it).
// For each repetition: run "mlcycle.compareRuns" with every run of the workspace, and time until the webview
// reports `painted` for the tables (its first render, two animation frames after it was built: the first paint)
// and for the histories (the curves in view drawn); the host's load (the engine worker's compareRuns: summaries,
// then read, decode and downsample every history; the merge) and the webview's own render times come with it.
// The panel is closed between repetitions, so each one starts a webview from nothing; the worker keeps its cache
// of downsampled histories, so the first repetition is the only one that decodes them all.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { MlcycleApi } from '../../../src/extension/extension';
import type { CompareRunKey } from '../../../src/shared/compareProtocol';

export interface CompareBenchConfig {
  repeat: number;
  out: string;
}

export interface CompareBenchRun {
  /** ms from executeCommand to the webview's first `painted` (the tables; the curves follow). */
  firstPaintMs: number;
  /** ms from executeCommand to the `painted` of the histories (the curves in view drawn). */
  curvesMs: number;
  /** ms the host spent loading (worker requests: summaries, then histories; the merge). */
  loadMs: number;
  /** ms the webview measured from the data message to its painted frame (tables). */
  webviewMs: number;
  /** The same for the histories message (curves in view). */
  webviewCurvesMs: number;
  points: number;
  charts: number;
  /** The longest the extension host's event loop was blocked during the repetition (a 10 ms timer's lateness), and when it ended (ms after the command). */
  hostStall: { ms: number; endedAt: number };
  /** The webview's own clock: ms from its document's start to compare.js fetched and to `ready`. */
  boot: { readyAt: number; scriptFetchedAt: number | null } | null;
  /** ms from executeCommand to each step (host clock): panel created, webview ready, summaries from the worker, tables posted, histories from the worker, histories posted. */
  steps: { created: number; ready: number; summaries: number; tablesPosted: number; histories: number; seriesPosted: number };
}

export interface CompareBenchResult {
  vscodeVersion: string;
  runs: number;
  metrics: number;
  points: number;
  ingestMs: number;
  repetitions: CompareBenchRun[];
  error?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = probe();
    if (v !== undefined) return v;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function run(): Promise<void> {
  const config = JSON.parse(process.env['MLCYCLE_BENCH_CONFIG'] ?? '{}') as CompareBenchConfig;
  const result: CompareBenchResult = { vscodeVersion: vscode.version, runs: 0, metrics: 0, points: 0, ingestMs: 0, repetitions: [] };
  try {
    const ext = vscode.extensions.getExtension<MlcycleApi>('mlcycle.mlcycle');
    if (!ext) throw new Error('mlcycle.mlcycle is not loaded');
    const t0 = Date.now();
    const api = ext.isActive ? ext.exports : await ext.activate();
    await until('the scan', 600_000, () => (api.engines.all().length > 0 && !api.engines.scanning && api.engines.all().every((fe) => fe.snapshot && !fe.cached) ? true : undefined));
    result.ingestMs = Date.now() - t0;
    const keys: CompareRunKey[] = api.engines.runs().map((r) => ({ folder: r.folder.uri.toString(), source: r.run.source.path, id: r.run.id }));
    result.runs = keys.length;
    for (let i = 0; i < config.repeat; i++) {
      for (const p of api.compare.panels()) p.dispose();
      await sleep(1500); // let the closed webview go and the machine settle
      const before = new Set(api.compare.panels());
      const started = performance.now();
      const stall = { ms: 0, endedAt: 0 };
      let tick = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        if (now - tick - 10 > stall.ms) Object.assign(stall, { ms: now - tick - 10, endedAt: now - started });
        tick = now;
      }, 10);
      await vscode.commands.executeCommand('mlcycle.compareRuns', keys);
      const panel = await until('the panel', 30_000, () => api.compare.panels().find((p) => !before.has(p)));
      const tables = await until('the first paint', 120_000, () => panel.paints.find((p) => p.reason === 'open'));
      // The histories' render: the charts in view are drawn (at 50 runs the tables fill the view and the charts,
      // below them, are drawn when scrolled to: then 0 points here).
      const curves = await until('the curves', 300_000, () => panel.paints.find((p) => p.reason === 'series'));
      clearInterval(ticker);
      const data = panel.lastData!;
      const at = (t: number | undefined): number => (t === undefined ? NaN : t - started);
      const mk = panel.marks;
      result.metrics = data.metrics.length;
      result.points = data.series.reduce((n, s) => n + s.count, 0);
      result.repetitions.push({
        firstPaintMs: tables.at - started,
        curvesMs: curves.at - started,
        loadMs: panel.lastLoadMs ?? NaN,
        webviewMs: tables.ms,
        webviewCurvesMs: curves.ms,
        points: curves.points,
        charts: curves.charts,
        boot: panel.boot ?? null,
        hostStall: stall,
        steps: { created: at(mk.created), ready: at(mk.ready), summaries: at(mk.summaries), tablesPosted: at(mk.tablesPosted), histories: at(mk.histories), seriesPosted: at(mk.seriesPosted) },
      });
    }
    for (const p of api.compare.panels()) p.dispose();
  } catch (err) {
    result.error = (err as Error).stack ?? String(err);
  }
  fs.writeFileSync(config.out, JSON.stringify(result, null, 2));
}
