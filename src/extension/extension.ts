// The VS Code host: thin. It opens one Workspace (store + ingestor) per folder, scans on demand,
// and shows the runs. Everything it knows comes from src/core.
import * as vscode from 'vscode';
import { listRuns, type RunSummary } from '../core/store/queries';
import { formatNumber } from '../core/util/numbers';
import { Workspace } from '../core/workspace';

class RunsTree implements vscode.TreeDataProvider<RunSummary> {
  private readonly changed = new vscode.EventEmitter<RunSummary | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: RunSummary[] = [];

  set(runs: RunSummary[]): void {
    this.runs = runs;
    this.changed.fire(undefined);
  }

  getChildren(element?: RunSummary): RunSummary[] {
    return element ? [] : this.runs;
  }

  getTreeItem(run: RunSummary): vscode.TreeItem {
    const item = new vscode.TreeItem(run.name ?? run.id, vscode.TreeItemCollapsibleState.None);
    item.id = `${run.source.path}/${run.id}`;
    item.description = Object.entries(run.metrics)
      .slice(0, 2)
      .map(([k, m]) => `${k} ${formatNumber(m.last)}`)
      .join(' · ');
    item.tooltip = `${run.status} · ${run.experiment ?? ''} · ${run.source.path}`;
    item.iconPath = new vscode.ThemeIcon(run.status === 'RUNNING' ? 'sync~spin' : run.status === 'FAILED' ? 'error' : 'pass');
    item.contextValue = 'run';
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** What the extension hands to other extensions and to its in-host tests. */
export interface MlcycleApi {
  runsTree: vscode.TreeDataProvider<RunSummary>;
}

export function activate(context: vscode.ExtensionContext): MlcycleApi {
  const log = vscode.window.createOutputChannel('MLCycle', { log: true });
  const tree = new RunsTree();
  const workspaces = new Map<string, Promise<Workspace>>();
  context.subscriptions.push(log, tree, vscode.window.registerTreeDataProvider('mlcycle.runs', tree));

  const open = (folder: vscode.WorkspaceFolder): Promise<Workspace> => {
    let ws = workspaces.get(folder.uri.fsPath);
    if (!ws) {
      ws = Workspace.open(folder.uri.fsPath, { onNotice: (n) => log[n.level === 'info' ? 'info' : n.level === 'warning' ? 'warn' : 'error'](n.message) });
      workspaces.set(folder.uri.fsPath, ws);
    }
    return ws;
  };

  const scan = async (): Promise<void> => {
    const all: RunSummary[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      try {
        const ws = await open(folder);
        const summary = await ws.ingestor.scan();
        log.info(`scanned ${folder.uri.fsPath}: ${summary.sources.length} sources in ${summary.durationMs.toFixed(0)} ms`);
        all.push(...ws.store.read((db) => listRuns(db)));
      } catch (err) {
        log.error(err as Error);
        void vscode.window.showErrorMessage(`MLCycle could not scan ${folder.name}: ${(err as Error).message}`);
      }
    }
    tree.set(all);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('mlcycle.scanWorkspace', scan),
    { dispose: () => void Promise.all([...workspaces.values()].map((p) => p.then((w) => w.close()))) },
  );
  void scan();
  return { runsTree: tree };
}

export function deactivate(): void {
  // Workspaces are closed (and flushed) by the disposable registered in activate.
}
