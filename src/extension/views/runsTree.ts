// The Runs view: folder (when several) → source → experiment → run (nested runs under their
// parent), newest first. Elements are plain data; getTreeItem turns them into items.
import * as vscode from 'vscode';
import type { TreeRun } from '../../shared/engineProtocol';
import { formatNumber } from '../../core/util/numbers';
import { readConfig } from '../config';
import type { Engines } from '../engines';

export type RunsNode =
  | { type: 'folder'; id: string; folder: vscode.WorkspaceFolder }
  | { type: 'source'; id: string; folder: vscode.WorkspaceFolder; kind: string; path: string; runs: number; diagnostics: number }
  | { type: 'experiment'; id: string; folder: vscode.WorkspaceFolder; source: string; name: string; runs: TreeRun[] }
  | { type: 'run'; id: string; folder: vscode.WorkspaceFolder; run: TreeRun; children: TreeRun[] };

export interface RunsViewState {
  /** Text the runs must contain (name, id, experiment, status, metric name). */
  filter: string;
  sort: { by: 'start' | 'name' | 'metric'; metric?: string; descending: boolean };
  showDeleted: boolean;
}

const KIND_LABELS: Record<string, string> = {
  mlflow: 'MLflow',
  'mlflow-sqlite': 'MLflow database',
  dvc: 'DVC',
  lightning: 'Lightning',
  huggingface: 'Hugging Face',
  ultralytics: 'Ultralytics',
  keras: 'Keras',
  tensorboard: 'TensorBoard',
  plain: 'Files',
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

const STATUS_ICONS: Record<string, [string, string | undefined]> = {
  RUNNING: ['sync~spin', 'charts.blue'],
  FINISHED: ['pass', 'testing.iconPassed'],
  FAILED: ['error', 'testing.iconFailed'],
  KILLED: ['circle-slash', 'disabledForeground'],
  SCHEDULED: ['clock', undefined],
  UNKNOWN: ['question', 'disabledForeground'],
};

export function age(ms: number | null, now = Date.now()): string {
  if (ms === null) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  if (s < 86400 * 60) return `${Math.round(s / 86400)}d ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

/** The metrics shown next to a run: the configured ones, else the first two it has. */
export function keyMetrics(run: TreeRun, configured: string[], sortMetric?: string): [string, number | null][] {
  const keys = Object.keys(run.metrics);
  const chosen = configured.filter((k) => k in run.metrics);
  const picked = chosen.length > 0 ? chosen : keys.slice(0, 2);
  if (sortMetric && sortMetric in run.metrics && !picked.includes(sortMetric)) picked.unshift(sortMetric);
  return picked.map((k) => [k, run.metrics[k] ?? null]);
}

function matches(run: TreeRun, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return [run.name ?? '', run.id, run.experiment ?? '', run.status, run.source.path, ...Object.keys(run.metrics)].some((t) => t.toLowerCase().includes(f));
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  state: RunsViewState = { filter: '', sort: { by: 'start', descending: true }, showDeleted: false };
  /** Resolves when the tree first has something to show (for measuring the first paint). */
  firstChildren: number | undefined;

  constructor(private readonly engines: Engines) {
    this.subscription = engines.onDidChange(() => this.changed.fire(undefined));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private visibleRuns(runs: readonly TreeRun[]): TreeRun[] {
    const out = runs.filter((r) => (this.state.showDeleted || !r.deleted) && matches(r, this.state.filter));
    const { by, metric, descending } = this.state.sort;
    const dir = descending ? -1 : 1;
    const key = (r: TreeRun): number | string | null =>
      by === 'name' ? (r.name ?? r.id).toLowerCase() : by === 'metric' ? (metric ? (r.metrics[metric] ?? null) : null) : r.startTime;
    return out.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka === null && kb === null) return a.id < b.id ? -1 : 1;
      if (ka === null) return 1; // runs without the value go last, either direction
      if (kb === null) return -1;
      return ka < kb ? -dir : ka > kb ? dir : 0;
    });
  }

  getChildren(node?: RunsNode): RunsNode[] {
    const engines = this.engines.all();
    if (!node) {
      const out: RunsNode[] =
        engines.length > 1
          ? engines.filter((fe) => fe.snapshot).map((fe) => ({ type: 'folder', id: `folder:${fe.folder.uri.toString()}`, folder: fe.folder }))
          : engines.flatMap((fe) => this.sources(fe.folder));
      if (out.length > 0) this.firstChildren ??= Date.now();
      return out;
    }
    switch (node.type) {
      case 'folder':
        return this.sources(node.folder);
      case 'source':
        return this.experiments(node.folder, node.path);
      case 'experiment':
        return this.runNodes(node.folder, node.runs, node.runs);
      case 'run':
        return this.runNodes(node.folder, node.children, this.engines.get(node.folder)?.snapshot?.runs ?? []);
    }
  }

  private sources(folder: vscode.WorkspaceFolder): RunsNode[] {
    const snapshot = this.engines.get(folder)?.snapshot;
    if (!snapshot) return [];
    const runs = this.visibleRuns(snapshot.runs);
    return snapshot.sources
      .filter((s) => !this.state.filter || runs.some((r) => r.source.path === s.path))
      .map((s) => ({
        type: 'source' as const,
        id: `source:${folder.uri.toString()}:${s.path}`,
        folder,
        kind: s.kind,
        path: s.path,
        runs: runs.filter((r) => r.source.path === s.path).length,
        diagnostics: s.diagnostics,
      }));
  }

  private experiments(folder: vscode.WorkspaceFolder, sourcePath: string): RunsNode[] {
    const runs = this.visibleRuns(this.engines.get(folder)?.snapshot?.runs ?? []).filter((r) => r.source.path === sourcePath);
    const groups = new Map<string, TreeRun[]>();
    for (const r of runs) {
      const name = r.experiment ?? '(no experiment)';
      groups.set(name, [...(groups.get(name) ?? []), r]);
    }
    // One experiment: its runs directly under the source, one level less to open.
    if (groups.size === 1) return this.runNodes(folder, runs, runs);
    return [...groups].map(([name, list]) => ({
      type: 'experiment' as const,
      id: `experiment:${folder.uri.toString()}:${sourcePath}:${name}`,
      folder,
      source: sourcePath,
      name,
      runs: list,
    }));
  }

  /** The runs of `list` that have no parent among `all`, each with its children. */
  private runNodes(folder: vscode.WorkspaceFolder, list: TreeRun[], all: readonly TreeRun[]): RunsNode[] {
    const ids = new Set(all.map((r) => r.id));
    const visible = this.visibleRuns(list);
    const top = visible.filter((r) => !r.parentId || !ids.has(r.parentId) || !visible.some((p) => p.id === r.parentId));
    return top.map((run) => ({
      type: 'run' as const,
      id: `run:${folder.uri.toString()}:${run.source.path}:${run.id}`,
      folder,
      run,
      children: visible.filter((c) => c.parentId === run.id && c.source.path === run.source.path),
    }));
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.type) {
      case 'folder': {
        const item = new vscode.TreeItem(node.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.iconPath = vscode.ThemeIcon.Folder;
        item.contextValue = 'folder';
        return item;
      }
      case 'source': {
        const item = new vscode.TreeItem(node.path === '.' ? kindLabel(node.kind) : node.path, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = `${kindLabel(node.kind)} · ${node.runs} run${node.runs === 1 ? '' : 's'}${node.diagnostics ? ` · ${node.diagnostics} problem${node.diagnostics === 1 ? '' : 's'}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(node.kind === 'mlflow-sqlite' ? 'database' : 'folder-library');
        item.tooltip = `${kindLabel(node.kind)} source: ${node.path}`;
        item.contextValue = 'source';
        item.resourceUri = vscode.Uri.joinPath(node.folder.uri, node.path);
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = `${node.runs.length} run${node.runs.length === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'experiment';
        return item;
      }
      case 'run':
        return this.runItem(node);
    }
  }

  private runItem(node: Extract<RunsNode, { type: 'run' }>): vscode.TreeItem {
    const { run } = node;
    const item = new vscode.TreeItem(
      run.name ?? run.id.slice(0, 12),
      node.children.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    const config = readConfig(node.folder);
    const sortMetric = this.state.sort.by === 'metric' ? this.state.sort.metric : undefined;
    const metrics = keyMetrics(run, config.keyMetrics, sortMetric)
      .map(([k, v]) => `${k} ${v === null ? 'NaN' : formatNumber(v)}`)
      .join(' · ');
    const status = run.status === 'RUNNING' ? 'running' : run.status === 'FINISHED' ? '' : run.status.toLowerCase();
    item.description = [status, metrics, age(run.endTime ?? run.startTime)].filter(Boolean).join(' · ');
    const [icon, color] = STATUS_ICONS[run.status] ?? STATUS_ICONS['UNKNOWN']!;
    item.iconPath = new vscode.ThemeIcon(run.deleted ? 'trash' : icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = run.path ? 'run.folder' : 'run';
    item.accessibilityInformation = { label: `${run.name ?? run.id}, ${run.status.toLowerCase()}${metrics ? `, ${metrics}` : ''}` };
    item.command = { command: 'mlcycle.showRunDetails', title: 'Show Run Details', arguments: [node] };
    return item;
  }

  /** Hover: params, metrics with last/min/max and git context, fetched when the hover opens. */
  async resolveTreeItem(item: vscode.TreeItem, node: RunsNode, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    if (node.type !== 'run') return item;
    const fe = this.engines.get(node.folder);
    const detail = await fe?.client.request('getRun', { uid: node.run.uid }).catch(() => null);
    if (!detail || token.isCancellationRequested) return item;
    const md = new vscode.MarkdownString(undefined, true);
    md.supportHtml = false;
    md.appendMarkdown(`**${escapeMd(detail.name ?? detail.id)}** — ${detail.status.toLowerCase()}${detail.deleted ? ' (deleted)' : ''}\n\n`);
    md.appendMarkdown(`${escapeMd(kindLabel(detail.source.kind))} · ${escapeMd(detail.experiment ?? '')} · ${escapeMd(detail.id)}\n\n`);
    const params = Object.entries(detail.params).slice(0, 15);
    if (params.length > 0) {
      md.appendMarkdown('| param | value |\n|---|---|\n');
      for (const [k, v] of params) md.appendMarkdown(`| ${escapeMd(k)} | ${escapeMd(truncate(v, 60))} |\n`);
      if (Object.keys(detail.params).length > 15) md.appendMarkdown(`| … | ${Object.keys(detail.params).length - 15} more |\n`);
      md.appendMarkdown('\n');
    }
    const metrics = Object.entries(detail.metrics).slice(0, 15);
    if (metrics.length > 0) {
      md.appendMarkdown('| metric | last | min | max |\n|---|---:|---:|---:|\n');
      for (const [k, m] of metrics) md.appendMarkdown(`| ${escapeMd(k)} | ${formatNumber(m.last)} | ${formatNumber(m.min)} | ${formatNumber(m.max)} |\n`);
      md.appendMarkdown('\n');
    }
    const git = detail.git.commit ?? detail.tags['mlflow.source.git.commit'];
    if (git) md.appendMarkdown(`git ${escapeMd(git.slice(0, 12))}${detail.git.branch ? ` on ${escapeMd(detail.git.branch)}` : ''}${detail.git.dirty ? ' (uncommitted changes)' : ''}\n`);
    item.tooltip = md;
    return item;
  }

  getParent(node: RunsNode): RunsNode | undefined {
    // Parents are rebuilt from ids; reveal() of runs is not used, so a flat answer suffices.
    void node;
    return undefined;
  }
}

/** Values come from files: render them as text, never as markdown or HTML. */
export function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => '\\' + c).replace(/\r?\n/g, ' ');
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
