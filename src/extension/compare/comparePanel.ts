// The Compare Runs panel on the host side. The host owns the data: it asks each folder's engine for
// the runs' summaries and downsampled histories (the worker decodes series, never this thread),
// merges them (core/compare/panelData.ts) and posts them to the webview once it said `ready`. The
// webview keeps only UI state (setState), which the serializer hands back after a reload.
import * as vscode from 'vscode';
import { webviewHtml, webviewOptions } from '../webviewShell';
import { buildCompareData, compareDataCsv, runLabel, seriesPoints, type PanelRunInput } from '../../core/compare/panelData';
import {
  COMPARE_BUCKETS,
  isRunKey,
  isWebviewMessage,
  runKeyString,
  type CompareData,
  type CompareRunKey,
  type Direction,
  type HostMessage,
  type SeriesData,
  type WebviewMessage,
} from '../../shared/compareProtocol';
import type { EngineClient } from '../engineClient';
import type { Engines } from '../engines';
import { log, showError } from '../log';

/** Live updates re-send at most this often (a running run writes many lines a second). */
const LIVE_INTERVAL_MS = 1000;

export interface ComparePanelHooks {
  /** "Add Runs…" in the panel: the same picker as the palette, without the runs already shown. */
  pickRuns(exclude: readonly CompareRunKey[]): Promise<CompareRunKey[] | undefined>;
  showRun(key: CompareRunKey): Promise<void>;
}

export class ComparePanel implements vscode.Disposable {
  private static readonly open = new Set<ComparePanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly engineSubs = new Map<EngineClient, vscode.Disposable>();
  private keys: CompareRunKey[];
  private overrides: Record<string, Direction>;
  private readonly colors = new Map<string, number>();
  private readonly labels = new Map<string, string>();
  private ready = false;
  private readonly queue: HostMessage[] = [];
  private loading: Promise<void> | undefined;
  private reloadAgain: 'change' | 'runs' | 'direction' | undefined;
  private liveTimer: NodeJS.Timeout | undefined;
  private lastLoad = 0;
  private liveDirty = false;
  private snapshotSignature = '';
  private disposed = false;
  private readonly received = new vscode.EventEmitter<WebviewMessage>();
  /** Every message from the webview (tests and the benchmark wait on `painted`). */
  readonly onDidReceiveMessage = this.received.event;
  /** The last data sent to the webview (with every series once they have come). */
  lastData: CompareData | undefined;
  private lastInputs: PanelRunInput[] | undefined;
  /** ms the last load took on the host: engines' compareRuns (in their workers) and the merge. */
  lastLoadMs: number | undefined;
  /** The webview's report of its last render (the first-paint benchmark reads it). */
  lastPainted: Extract<WebviewMessage, { type: 'painted' }> | undefined;
  /** Every render the webview reported, with the host's clock when the report came. */
  readonly paints: (Extract<WebviewMessage, { type: 'painted' }> & { at: number })[] = [];
  /**
   * When (host clock, performance.now()) the panel was created, the webview said ready, the summaries and the
   * histories came from the workers and went to the webview: the first-paint benchmark splits its time with them.
   */
  readonly marks: { created: number; ready?: number; summaries?: number; tablesPosted?: number; histories?: number; seriesPosted?: number } = { created: performance.now() };
  /** The webview's clock at its `ready` (ms since its document started; when compare.js had arrived). */
  boot: { readyAt: number; scriptFetchedAt: number | null } | undefined;
  /** Histories held back until the webview has painted the tables they follow (see postSeries). */
  private heldSeries: SeriesData[] | undefined;
  /** Tables were posted and the webview has not reported painting them yet. */
  private tablesUnpainted = false;

  static panels(): readonly ComparePanel[] {
    return [...ComparePanel.open];
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly engines: Engines,
    extensionUri: vscode.Uri,
    private readonly hooks: ComparePanelHooks,
    keys: readonly CompareRunKey[],
    overrides: Readonly<Record<string, Direction>> = {},
  ) {
    this.keys = dedupe(keys);
    this.overrides = { ...overrides };
    for (const k of this.keys) this.colorOf(k);
    ComparePanel.open.add(this);
    const webview = panel.webview;
    webview.options = webviewOptions(extensionUri);
    this.disposables.push(
      this.received,
      panel.onDidDispose(() => this.dispose()),
      webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      engines.onDidChange(() => this.onEnginesChanged()),
    );
    this.watchEngines();
    this.snapshotSignature = this.signature();
    this.updateTitle();
    webview.html = webviewHtml(webview, extensionUri, { bundle: 'compare', title: 'Compare Runs', placeholder: 'Loading runs…' });
    // Loaded while the webview starts (both take a while): sent as soon as it says it is ready.
    void this.reload('open');
  }

  get runKeys(): readonly CompareRunKey[] {
    return this.keys;
  }

  get directionOverrides(): Readonly<Record<string, Direction>> {
    return this.overrides;
  }

  /** Adds runs (those already shown are ignored) and reloads. */
  addRuns(keys: readonly CompareRunKey[]): void {
    const before = this.keys.length;
    this.keys = dedupe([...this.keys, ...keys]);
    for (const k of this.keys) this.colorOf(k);
    if (this.keys.length !== before) this.reload('runs');
    this.panel.reveal(undefined, false);
  }

  removeRun(key: CompareRunKey): void {
    const k = runKeyString(key);
    this.keys = this.keys.filter((r) => runKeyString(r) !== k);
    this.reload('runs');
  }

  setDirection(metric: string, direction: Direction | 'auto'): void {
    if (direction === 'auto') delete this.overrides[metric];
    else this.overrides[metric] = direction;
    this.reload('direction');
  }

  private colorOf(key: CompareRunKey): number {
    const k = runKeyString(key);
    let c = this.colors.get(k);
    if (c === undefined) {
      c = this.colors.size;
      this.colors.set(k, c);
    }
    return c;
  }

  private updateTitle(): void {
    this.panel.title = `Compare ${this.keys.length} Run${this.keys.length === 1 ? '' : 's'}`;
  }

  private post(message: HostMessage): void {
    // Handshake: nothing goes out before the webview's script listens (it would be lost).
    if (!this.ready) {
      this.queue.push(message);
      return;
    }
    if (message.type === 'data') {
      // New data supersedes histories still held for older tables.
      this.heldSeries = undefined;
      this.tablesUnpainted = message.data.seriesState === 'pending';
      if (this.tablesUnpainted) this.marks.tablesPosted ??= performance.now();
    }
    if (message.type === 'series') this.marks.seriesPosted ??= performance.now();
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        if (!delivered) log.debug(`compare: the webview did not take a ${message.type} message`);
      },
      (err: unknown) => log.error(`compare: posting ${message.type} to the webview failed: ${(err as Error).message}`),
    );
  }

  /**
   * The histories (50 runs × 10 metrics ≈ 14 MB of Float64Arrays) go once the webview has painted the tables:
   * a message that size takes seconds through code-server's socket and the webview's deserialisation, and
   * sent right behind the tables it would hold their first paint back.
   */
  private postSeries(series: SeriesData[]): void {
    if (!this.ready || this.tablesUnpainted) {
      this.heldSeries = series;
      return;
    }
    this.post({ type: 'series', series });
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isWebviewMessage(raw)) return;
    const m = raw;
    this.received.fire(m);
    try {
      switch (m.type) {
        case 'ready':
          // The webview is rebuilt each time the panel becomes visible again (no retained
          // context): it gets the whole last data; what was queued for an older page is dropped.
          this.ready = true;
          this.marks.ready ??= performance.now();
          this.boot ??= m.boot;
          this.queue.length = 0;
          this.heldSeries = undefined;
          this.tablesUnpainted = false;
          if (this.lastData?.seriesState === 'included' && this.lastData.series.length > 0) {
            // Loaded before the webview started: the tables first, the histories once they are painted.
            this.post({ type: 'data', data: { ...this.lastData, series: [], seriesState: 'pending' }, reason: 'open' });
            this.postSeries(this.lastData.series);
          } else if (this.lastData) this.post({ type: 'data', data: this.lastData, reason: 'open' });
          else this.post({ type: 'loading' });
          break;
        case 'painted':
          this.lastPainted = m;
          this.paints.push({ ...m, at: performance.now() });
          if (this.tablesUnpainted) {
            this.tablesUnpainted = false;
            const held = this.heldSeries;
            this.heldSeries = undefined;
            if (held) this.post({ type: 'series', series: held });
          }
          log.debug(`compare: painted ${m.points} points in ${m.charts} charts in ${Math.round(m.ms)} ms (${m.reason})`);
          break;
        case 'addRuns': {
          const picked = await this.hooks.pickRuns(this.keys);
          if (picked && picked.length > 0) this.addRuns(picked);
          break;
        }
        case 'removeRun':
          if (isRunKey(m.key)) this.removeRun(m.key);
          break;
        case 'setDirection':
          if (typeof m.metric === 'string' && ['min', 'max', 'auto'].includes(m.direction)) this.setDirection(m.metric, m.direction);
          break;
        case 'exportCsv':
          if (this.lastData) await this.save('comparison.csv', { CSV: ['csv'] }, Buffer.from(compareDataCsv(this.lastData, m.onlyDifferences === true), 'utf8'));
          break;
        case 'exportPng': {
          const prefix = 'data:image/png;base64,';
          if (typeof m.dataUrl !== 'string' || !m.dataUrl.startsWith(prefix)) throw new Error('the chart image is not a PNG');
          await this.save(`${safeFileName(String(m.name))}.png`, { PNG: ['png'] }, Buffer.from(m.dataUrl.slice(prefix.length), 'base64'));
          break;
        }
        case 'showRun':
          if (isRunKey(m.key)) await this.hooks.showRun(m.key);
          break;
        case 'log':
          log[m.level === 'error' ? 'error' : m.level === 'warn' ? 'warn' : 'info'](`compare webview: ${String(m.message)}`);
          break;
      }
    } catch (err) {
      void showError(`Compare Runs: ${(err as Error).message}`);
    }
  }

  private async save(defaultName: string, filters: Record<string, string[]>, bytes: Uint8Array): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, defaultName) } : {}),
      filters,
      title: 'Export from Compare Runs',
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, bytes);
    log.info(`compare: saved ${uri.fsPath} (${bytes.length} bytes)`);
    this.post({ type: 'saved', path: uri.fsPath });
  }

  /** Loads the runs from their engines and sends them; a reload asked meanwhile runs once after. */
  reload(reason: 'open' | 'change' | 'runs' | 'direction'): Promise<void> {
    this.updateTitle();
    if (this.loading) {
      // One reload after this one, the one that covers the others: new runs (everything is read
      // again, overrides applied) over a live change (the same) over a direction override.
      const rank = { direction: 0, change: 1, runs: 2, open: 2 } as const;
      const next = reason === 'open' ? 'runs' : reason;
      if (this.reloadAgain === undefined || rank[next] > rank[this.reloadAgain]) this.reloadAgain = next;
      return this.loading;
    }
    this.loading = this.load(reason).finally(() => {
      this.loading = undefined;
      const again = this.reloadAgain;
      this.reloadAgain = undefined;
      if (again && !this.disposed) void this.reload(again);
    });
    return this.loading;
  }

  /** Asks each folder's engine for its runs (in its worker); `buckets` 0: summaries only. */
  private async fetch(keys: readonly CompareRunKey[], buckets: number): Promise<PanelRunInput[]> {
    const inputs: PanelRunInput[] = keys.map((key) => ({ key, folderName: '', color: this.colorOf(key), data: null, lastLabel: this.labels.get(runKeyString(key)) ?? key.id.slice(0, 12) }));
    const byFolder = new Map<string, number[]>();
    keys.forEach((k, i) => byFolder.set(k.folder, [...(byFolder.get(k.folder) ?? []), i]));
    await Promise.all(
      [...byFolder].map(async ([folder, indices]) => {
        const fe = this.engines.get(vscode.Uri.parse(folder));
        if (!fe) return; // the folder left the workspace: its runs are missing
        await fe.ready;
        const results = await fe.client.request('compareRuns', { runs: indices.map((i) => ({ source: keys[i]!.source, id: keys[i]!.id })), buckets });
        indices.forEach((i, j) => {
          inputs[i]!.folderName = fe.folder.name;
          inputs[i]!.data = results[j] ?? null;
        });
      }),
    );
    return inputs;
  }

  /**
   * Opening (or adding runs): the tables first, from the store's summaries, then the histories,
   * which the worker must decode and downsample (seconds for millions of points, cached after).
   * A live change or a direction override sends one complete message.
   */
  private async load(reason: 'open' | 'change' | 'runs' | 'direction'): Promise<void> {
    this.lastLoad = Date.now();
    this.liveDirty = false;
    const started = performance.now();
    const keys = this.keys;
    if (reason === 'direction' && this.lastInputs && this.lastData) {
      const data = buildCompareData(this.lastInputs, this.overrides);
      this.lastData = data;
      this.post({ type: 'data', data: { ...data, series: [], seriesState: 'unchanged' }, reason });
      return;
    }
    if (reason === 'open' || reason === 'runs') {
      this.post({ type: 'loading' });
      const tables = buildCompareData(await this.fetch(keys, 0), this.overrides, 'pending');
      if (this.disposed) return;
      this.marks.summaries ??= performance.now();
      this.lastData = tables;
      this.post({ type: 'data', data: tables, reason });
    }
    const inputs = await this.fetch(keys, COMPARE_BUCKETS);
    if (this.disposed) return;
    const data = buildCompareData(inputs, this.overrides);
    this.marks.histories ??= performance.now();
    for (const r of data.runs) this.labels.set(runKeyString(r.key), runLabel(r.name, r.key.id));
    this.lastInputs = inputs;
    this.lastData = data;
    this.lastLoadMs = performance.now() - started;
    this.snapshotSignature = this.signature();
    log.debug(`compare: ${data.runs.length} runs, ${data.metrics.length} metrics, ${seriesPoints(data)} points loaded in ${Math.round(this.lastLoadMs)} ms (${reason})`);
    if (reason === 'change') this.post({ type: 'data', data, reason });
    else this.postSeries(data.series);
  }

  // ---- live: a running run's curves grow --------------------------------------------------------

  /** One subscription per engine client (folders come and go). */
  private watchEngines(): void {
    const clients = new Set(this.engines.all().map((fe) => fe.client));
    for (const [client, sub] of this.engineSubs) {
      if (!clients.has(client)) {
        sub.dispose();
        this.engineSubs.delete(client);
      }
    }
    for (const client of clients) {
      if (this.engineSubs.has(client)) continue;
      this.engineSubs.set(
        client,
        client.onEvent((e) => {
          if (e.type !== 'changed') return;
          const ours = new Set(this.keys.filter((k) => k.folder === client.folder.uri.toString()).map((k) => k.id));
          if (e.runIds.some((id) => ours.has(id))) this.liveDirty = true;
        }),
      );
    }
  }

  /** What the Runs view knows of the panel's runs: a change (or a run gone) means new data. */
  private signature(): string {
    return JSON.stringify(
      this.keys.map((k) => {
        const run = this.engines.get(vscode.Uri.parse(k.folder))?.snapshot?.runs.find((r) => r.id === k.id && r.source.path === k.source);
        return run ? [run.status, run.endTime, run.metrics] : null;
      }),
    );
  }

  private onEnginesChanged(): void {
    this.watchEngines();
    const sig = this.signature();
    if (sig !== this.snapshotSignature) this.liveDirty = true;
    this.snapshotSignature = sig;
    if (!this.liveDirty || this.liveTimer || !this.lastData) return;
    const wait = Math.max(0, this.lastLoad + LIVE_INTERVAL_MS - Date.now());
    this.liveTimer = setTimeout(() => {
      this.liveTimer = undefined;
      if (!this.disposed) void this.reload('change').catch((err: unknown) => log.error(err as Error));
    }, wait);
  }


  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    ComparePanel.open.delete(this);
    if (this.liveTimer) clearTimeout(this.liveTimer);
    for (const s of this.engineSubs.values()) s.dispose();
    this.engineSubs.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function dedupe(keys: readonly CompareRunKey[]): CompareRunKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const s = runKeyString(k);
    if (seen.has(s)) return false;
    seen.add(s);
    return true;
  });
}

function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'chart';
}
