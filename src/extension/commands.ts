// Every command of MLCycle, registered through one helper that logs failures and shows them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatNumber } from '../core/util/numbers';
import type { TreeRun } from '../shared/engineProtocol';
import type { Engines, RunRef } from './engines';
import { log, showError } from './log';
import { runDetailsUri } from './runDetails';
import { ArtifactsTreeProvider, type ArtifactsNode } from './views/artifactsTree';
import { kindLabel, type RunsNode, type RunsTreeProvider } from './views/runsTree';

export const COMMANDS = {
  scanWorkspace: 'mlcycle.scanWorkspace',
  rescanEverything: 'mlcycle.rescanEverything',
  refresh: 'mlcycle.refresh',
  showLog: 'mlcycle.showLog',
  filterRuns: 'mlcycle.filterRuns',
  clearFilter: 'mlcycle.clearFilter',
  sortRuns: 'mlcycle.sortRuns',
  showDeletedRuns: 'mlcycle.showDeletedRuns',
  hideDeletedRuns: 'mlcycle.hideDeletedRuns',
  showRunDetails: 'mlcycle.showRunDetails',
  copyRunId: 'mlcycle.copyRunId',
  revealRunFolder: 'mlcycle.revealRunFolder',
  openRunFolder: 'mlcycle.openRunFolder',
  revealArtifact: 'mlcycle.revealArtifact',
  copyArtifactPath: 'mlcycle.copyArtifactPath',
  hashArtifact: 'mlcycle.hashArtifact',
  chooseFolders: 'mlcycle.chooseFolders',
  showSupportedFormats: 'mlcycle.showSupportedFormats',
} as const;

interface Views {
  runs: RunsTreeProvider;
  runsView: vscode.TreeView<RunsNode>;
  artifacts: ArtifactsTreeProvider;
  setContext: (key: string, value: unknown) => void;
}

export function register(id: string, fn: (...args: never[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: never[]) => {
    try {
      return await fn(...args);
    } catch (err) {
      void showError(`${id.replace('mlcycle.', '')} failed: ${(err as Error).message}`);
      return undefined;
    }
  });
}

/** The runs a command applies to: the clicked item, or the multi-selection it belongs to. */
function targetRuns(views: Views, node?: RunsNode, nodes?: RunsNode[]): RunRef[] {
  const picked = nodes && nodes.length > 0 ? nodes : node ? [node] : [...views.runsView.selection];
  return picked.flatMap((n) => (n.type === 'run' ? [{ folder: n.folder, run: n.run }] : []));
}

function describeRun(r: TreeRun): string {
  const metrics = Object.entries(r.metrics)
    .slice(0, 3)
    .map(([k, v]) => `${k} ${v === null ? 'NaN' : formatNumber(v)}`)
    .join(' · ');
  return [r.status.toLowerCase(), r.experiment ?? '', metrics].filter(Boolean).join(' · ');
}

/** A quick pick of runs (with key metrics), for commands started from the palette. */
async function pickRun(engines: Engines, placeHolder: string): Promise<RunRef | undefined> {
  const runs = engines.runs().filter((r) => !r.run.deleted);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage('MLCycle has found no runs in this workspace yet.');
    return undefined;
  }
  const choice = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: r.run.name ?? r.run.id, description: describeRun(r.run), detail: `${kindLabel(r.run.source.kind)} · ${r.run.source.path} · ${r.run.id}`, ref: r })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return choice?.ref;
}

async function showDetails(ref: RunRef): Promise<void> {
  const uri = runDetailsUri(ref.folder, ref.run.uid, ref.run.name ?? ref.run.id);
  // The Markdown preview renders the tables; it reuses one editor tab for run after run.
  await vscode.commands.executeCommand('markdown.showPreview', uri, undefined, { sideBySide: false, locked: false });
}

function runFolderUri(ref: RunRef): vscode.Uri | undefined {
  return ref.run.path ? vscode.Uri.joinPath(ref.folder.uri, ...ref.run.path.split('/')) : undefined;
}

export function registerCommands(engines: Engines, views: Views): vscode.Disposable[] {
  const updateFilterContext = (): void => {
    views.setContext('mlcycle.runs.filtered', views.runs.state.filter !== '');
    views.setContext('mlcycle.runs.showDeleted', views.runs.state.showDeleted);
    const { filter, sort } = views.runs.state;
    const sorted = sort.by === 'metric' ? `sorted by ${sort.metric} ${sort.descending ? '↓' : '↑'}` : sort.by === 'name' ? 'sorted by name' : '';
    const description = [filter ? `filter: ${filter}` : '', sorted].filter(Boolean).join(' · ');
    views.runsView.description = description || '';
  };

  return [
    register(COMMANDS.scanWorkspace, async () => {
      await vscode.window.withProgress({ location: { viewId: 'mlcycle.runs' }, title: 'Scanning' }, () => engines.scanAll());
      const n = engines.runs().length;
      log.info(`scan finished: ${n} runs`);
    }),
    register(COMMANDS.rescanEverything, async () => {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'MLCycle: reading every file again…' },
        () => engines.scanAll(true),
      );
    }),
    register(COMMANDS.refresh, async () => {
      await Promise.all(engines.all().map((fe) => engines.refresh(fe)));
      views.artifacts.refresh();
    }),
    register(COMMANDS.showLog, () => log.show()),
    register(COMMANDS.filterRuns, async () => {
      const value = await vscode.window.showInputBox({
        title: 'Filter Runs',
        prompt: 'Show the runs whose name, id, experiment, status, source or metric names contain this text',
        value: views.runs.state.filter,
      });
      if (value === undefined) return;
      views.runs.state.filter = value.trim();
      updateFilterContext();
      views.runs.refresh();
    }),
    register(COMMANDS.clearFilter, () => {
      views.runs.state.filter = '';
      updateFilterContext();
      views.runs.refresh();
    }),
    register(COMMANDS.sortRuns, async () => {
      const metrics = [...new Set(engines.runs().flatMap((r) => Object.keys(r.run.metrics)))].sort();
      type Choice = vscode.QuickPickItem & { sort: RunsTreeProvider['state']['sort'] };
      const choices: Choice[] = [
        { label: '$(history) Newest first', sort: { by: 'start', descending: true } },
        { label: '$(history) Oldest first', sort: { by: 'start', descending: false } },
        { label: '$(symbol-text) Name', sort: { by: 'name', descending: false } },
        ...metrics.flatMap((m): Choice[] => [
          { label: `$(arrow-down) ${m}`, description: 'highest first', sort: { by: 'metric', metric: m, descending: true } },
          { label: `$(arrow-up) ${m}`, description: 'lowest first', sort: { by: 'metric', metric: m, descending: false } },
        ]),
      ];
      const choice = await vscode.window.showQuickPick(choices, { title: 'Sort Runs', placeHolder: 'Sort by start time, name, or any metric' });
      if (!choice) return;
      views.runs.state.sort = choice.sort;
      updateFilterContext();
      views.runs.refresh();
    }),
    register(COMMANDS.showDeletedRuns, () => {
      views.runs.state.showDeleted = true;
      updateFilterContext();
      views.runs.refresh();
    }),
    register(COMMANDS.hideDeletedRuns, () => {
      views.runs.state.showDeleted = false;
      updateFilterContext();
      views.runs.refresh();
    }),
    register(COMMANDS.showRunDetails, async (node?: RunsNode) => {
      const ref = node?.type === 'run' ? { folder: node.folder, run: node.run } : await pickRun(engines, 'Show the details of a run');
      if (ref) await showDetails(ref);
    }),
    register(COMMANDS.copyRunId, async (node?: RunsNode, nodes?: RunsNode[]) => {
      const refs = targetRuns(views, node, nodes);
      if (refs.length === 0) return;
      await vscode.env.clipboard.writeText(refs.map((r) => r.run.id).join('\n'));
      vscode.window.setStatusBarMessage(`$(clippy) Copied ${refs.length === 1 ? refs[0]!.run.id : `${refs.length} run ids`}`, 3000);
    }),
    register(COMMANDS.revealRunFolder, async (node?: RunsNode) => {
      const [ref] = targetRuns(views, node);
      const uri = ref && runFolderUri(ref);
      if (!uri) throw new Error('this run has no folder of its own (it lives in a database)');
      await vscode.commands.executeCommand('revealInExplorer', uri);
    }),
    register(COMMANDS.openRunFolder, async (node?: RunsNode) => {
      const [ref] = targetRuns(views, node);
      const uri = ref && runFolderUri(ref);
      if (!uri) throw new Error('this run has no folder of its own (it lives in a database)');
      await vscode.commands.executeCommand('revealFileInOS', uri);
    }),
    register(COMMANDS.revealArtifact, async (node?: ArtifactsNode) => {
      const file = node && ArtifactsTreeProvider.fileOf(node);
      if (file) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(file));
    }),
    register(COMMANDS.copyArtifactPath, async (node?: ArtifactsNode) => {
      const file = node && ArtifactsTreeProvider.fileOf(node);
      if (file) await vscode.env.clipboard.writeText(file);
    }),
    register(COMMANDS.hashArtifact, async (node?: ArtifactsNode) => {
      if (!node || node.type !== 'entry') return;
      const file = ArtifactsTreeProvider.fileOf(node)!;
      const fe = engines.get(node.folder);
      if (!fe) return;
      const { sha256, size } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Hashing ${path.basename(file)}…` },
        () => fe.client.request('hashFile', { path: file }),
      );
      views.artifacts.hashes.set(file, sha256);
      views.artifacts.refresh(node);
      log.info(`sha256 ${sha256}  ${file} (${size} bytes)`);
      const copy = await vscode.window.showInformationMessage(`SHA-256 of ${path.basename(file)}: ${sha256}`, 'Copy');
      if (copy) await vscode.env.clipboard.writeText(sha256);
    }),
    register(COMMANDS.chooseFolders, async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) {
        void vscode.window.showInformationMessage('Open a folder first: MLCycle reads the experiment outputs inside it.');
        return;
      }
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: true,
        defaultUri: folder.uri,
        openLabel: 'Scan These Folders',
        title: 'Folders where MLCycle looks for runs',
      });
      if (!picked || picked.length === 0) return;
      const include = picked
        .map((u) => vscode.workspace.getWorkspaceFolder(u) && path.relative(vscode.workspace.getWorkspaceFolder(u)!.uri.fsPath, u.fsPath).split(path.sep).join('/'))
        .filter((p): p is string => typeof p === 'string')
        .map((p) => p || '.');
      await vscode.workspace.getConfiguration('mlcycle').update('include', include.includes('.') ? [] : include, vscode.ConfigurationTarget.Workspace);
    }),
    register(COMMANDS.showSupportedFormats, async () => {
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: SUPPORTED_FORMATS });
      await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
    }),
  ];
}

const SUPPORTED_FORMATS = `# What MLCycle reads

MLCycle reads the files your training code already writes. Nothing to change in your scripts.

| Tool | Files |
|---|---|
| MLflow | \`mlruns/\` folders (file store, MLflow 1.x–3.x) and \`mlflow.db\` (the default since MLflow 3.7) |
| DVC / DVCLive | \`dvclive/\` folders, \`dvc.yaml\`, \`dvc.lock\`, \`params.yaml\` |
| PyTorch Lightning | \`lightning_logs/version_*/\` (\`metrics.csv\`, \`hparams.yaml\`, TensorBoard files) |
| Hugging Face Trainer | output folders with \`trainer_state.json\` |
| Keras | CSVLogger files (\`training.log\`, \`*.csv\`) |
| TensorBoard | \`events.out.tfevents.*\` files |
| Ultralytics YOLO | \`runs/<task>/<name>/results.csv\` with \`args.yaml\` |
| Your own scripts | a folder with \`metrics.json\` and/or \`params.yaml\` next to a model file |

It looks everywhere in the workspace except dependency, version-control and virtual-environment
folders. To limit it, use **MLCycle: Choose Folders to Scan** or the \`mlcycle.include\` and
\`mlcycle.exclude\` settings. Its store lives in \`.mlcycle/\` in each workspace folder.
`;
