// Run details: a read-only Markdown document (shown as a preview) with every param, metric
// (last, min, max, steps), tag, the git context and the files of a run. Every value comes from
// files the user did not necessarily write: it is escaped, never interpreted as Markdown or HTML.
import * as vscode from 'vscode';
import type { RunDetail } from '../core/store/queries';
import { formatNumber } from '../core/util/numbers';
import type { Engines } from './engines';
import { humanSize } from './views/artifactsTree';
import { escapeMd, kindLabel } from './views/runsTree';

export const RUN_SCHEME = 'mlcycle-run';

/** mlcycle-run:/<folder index>/<uid>/<name>.md */
export function runDetailsUri(folder: vscode.WorkspaceFolder, uid: number, name: string): vscode.Uri {
  const safe = name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'run';
  return vscode.Uri.from({ scheme: RUN_SCHEME, path: `/${folder.index}/${uid}/${safe}.md` });
}

function iso(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function cell(text: string): string {
  return escapeMd(text.length > 500 ? text.slice(0, 499) + '…' : text);
}

export function renderRunDetails(run: RunDetail): string {
  const lines: string[] = [];
  lines.push(`# ${cell(run.name ?? run.id)}`, '');
  lines.push('| | |', '|---|---|');
  lines.push(`| Run ID | ${cell(run.id)} |`);
  lines.push(`| Status | ${run.status}${run.deleted ? ' (deleted)' : ''} |`);
  lines.push(`| Experiment | ${cell(run.experiment ?? '—')} |`);
  lines.push(`| Source | ${cell(kindLabel(run.source.kind))} · ${cell(run.source.path)} |`);
  lines.push(`| Started | ${iso(run.startTime)} |`, `| Ended | ${iso(run.endTime)} |`);
  if (run.parentId) lines.push(`| Parent run | ${cell(run.parentId)} |`);
  if (run.user) lines.push(`| User | ${cell(run.user)} |`);
  if (run.path) lines.push(`| Folder | ${cell(run.path)} |`);
  const commit = run.git.commit ?? run.tags['mlflow.source.git.commit'] ?? null;
  if (commit || run.git.branch) {
    lines.push(`| Git commit | ${cell(commit ?? '—')}${run.git.dirty ? ' (with uncommitted changes)' : ''} |`);
    if (run.git.branch) lines.push(`| Git branch | ${cell(run.git.branch)} |`);
    if (run.git.remote) lines.push(`| Git remote | ${cell(run.git.remote)} |`);
  }
  lines.push('');

  const params = Object.entries(run.params);
  lines.push(`## Params (${params.length})`, '');
  if (params.length > 0) {
    lines.push('| Param | Value |', '|---|---|');
    for (const [k, v] of params) lines.push(`| ${cell(k)} | ${cell(v)} |`);
  } else lines.push('_None recorded._');
  lines.push('');

  const metrics = Object.entries(run.metrics);
  lines.push(`## Metrics (${metrics.length})`, '');
  if (metrics.length > 0) {
    lines.push('| Metric | Last | Min | Max | Last step | Points |', '|---|---:|---:|---:|---:|---:|');
    for (const [k, m] of metrics) {
      lines.push(`| ${cell(k)} | ${formatNumber(m.last)} | ${formatNumber(m.min)} | ${formatNumber(m.max)} | ${m.lastStep} | ${m.count} |`);
    }
  } else lines.push('_None recorded._');
  lines.push('');

  const tags = Object.entries(run.tags);
  if (tags.length > 0) {
    lines.push(`## Tags (${tags.length})`, '', '| Tag | Value |', '|---|---|');
    for (const [k, v] of tags) lines.push(`| ${cell(k)} | ${cell(v)} |`);
    lines.push('');
  }
  if (run.inputs.length > 0) {
    lines.push('## Inputs', '', '| Kind | Name | Digest | Context |', '|---|---|---|---|');
    for (const i of run.inputs) lines.push(`| ${i.kind} | ${cell(i.name ?? i.refId)} | ${cell(i.digest ?? '')} | ${cell(i.context ?? '')} |`);
    lines.push('');
  }
  const files = run.artifacts.filter((a) => a.kind !== 'dir');
  if (files.length > 0) {
    lines.push(`## Files (${files.length})`, '', '| File | Kind | Size |', '|---|---|---:|');
    for (const a of files.slice(0, 500)) lines.push(`| ${cell(a.path)} | ${a.kind} | ${humanSize(a.size)} |`);
    if (files.length > 500) lines.push(`| … ${files.length - 500} more | | |`);
    lines.push('');
  }
  if (run.diagnostics.length > 0) {
    lines.push('## Problems', '');
    for (const d of run.diagnostics) lines.push(`- ${d.severity}: ${cell(d.file)}${d.line ? `:${d.line}` : ''}: ${cell(d.message)}`);
    lines.push('');
  }
  return lines.join('\n');
}

export class RunDetailsProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private readonly open = new Set<string>();

  constructor(private readonly engines: Engines) {
    // Live runs: documents that are open follow the store.
    this.subscription = engines.onDidChange(() => {
      for (const u of this.open) this.changed.fire(vscode.Uri.parse(u));
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    this.open.add(uri.toString());
    const [, folderIndex, uid] = uri.path.split('/');
    const folder = vscode.workspace.workspaceFolders?.[Number(folderIndex)];
    const fe = folder ? this.engines.get(folder) : undefined;
    if (!fe) return '# Run not found\n\nIts workspace folder is no longer open.';
    await fe.ready;
    const run = await fe.client.request('getRun', { uid: Number(uid) });
    if (!run) return '# Run not found\n\nIt is no longer in the store (its files were removed).';
    return renderRunDetails(run);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
