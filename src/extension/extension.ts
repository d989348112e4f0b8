// The VS Code host: thin. Each workspace folder gets an engine worker (src/core behind
// src/shared/engineProtocol.ts); the host turns what they report into views, and commands into
// requests. One root object owns every disposable.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { registerCompare, type CompareApi } from './compare/registration';
import { Engines } from './engines';
import { createLog, log } from './log';
import { registerModels, type ModelsApi } from './models/registration';
import { Problems } from './problems';
import { RUN_SCHEME, RunDetailsProvider } from './runDetails';
import { RunsStatusBar } from './statusBar';
import { ArtifactsTreeProvider } from './views/artifactsTree';
import { RunsTreeProvider, type RunsNode } from './views/runsTree';

/** What the extension hands to its in-host tests (and to other extensions). */
export interface MlcycleApi {
  runsTree: RunsTreeProvider;
  artifactsTree: ArtifactsTreeProvider;
  engines: Engines;
  /** Open Compare Runs panels (tests and the benchmark read what they were sent). */
  compare: CompareApi;
  /** The Models view and the open model panels. */
  models: ModelsApi;
  /** ms from activation to the first Runs tree with content, once there is one. */
  firstTreeMs(): number | undefined;
}

class MlcycleExtension implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  readonly engines: Engines;
  readonly runs: RunsTreeProvider;
  readonly artifacts: ArtifactsTreeProvider;
  readonly compare: CompareApi;
  readonly models: ModelsApi;
  readonly activatedAt = Date.now();

  constructor(context: vscode.ExtensionContext) {
    const track = <T extends vscode.Disposable>(d: T): T => {
      this.disposables.push(d);
      return d;
    };
    track(createLog());
    this.engines = track(new Engines(context, path.join(context.extensionPath, 'dist')));
    this.runs = track(new RunsTreeProvider(this.engines));
    this.artifacts = track(new ArtifactsTreeProvider(this.engines));
    const runsView = track(vscode.window.createTreeView('mlcycle.runs', { treeDataProvider: this.runs, canSelectMany: true, showCollapseAll: true }));
    track(vscode.window.createTreeView('mlcycle.artifacts', { treeDataProvider: this.artifacts, showCollapseAll: true }));
    track(
      runsView.onDidChangeSelection((e) => {
        this.artifacts.select(e.selection.flatMap((n: RunsNode) => (n.type === 'run' ? [{ folder: n.folder, run: n.run }] : [])));
      }),
    );
    track(new RunsStatusBar(this.engines));
    track(new Problems(this.engines));
    track(vscode.workspace.registerTextDocumentContentProvider(RUN_SCHEME, track(new RunDetailsProvider(this.engines))));
    const setContext = (key: string, value: unknown): void => void vscode.commands.executeCommand('setContext', key, value);
    for (const d of registerCommands(this.engines, { runs: this.runs, runsView, artifacts: this.artifacts, setContext })) track(d);
    const compare = registerCompare(context, this.engines, runsView);
    for (const d of compare.disposables) track(d);
    this.compare = compare.api;
    const models = registerModels(context, this.engines);
    for (const d of models.disposables) track(d);
    this.models = models.api;
    track(
      this.engines.onDidChange(() => {
        setContext('mlcycle.hasRuns', this.engines.runs().length > 0);
        setContext('mlcycle.scanning', this.engines.scanning);
      }),
    );
    setContext('mlcycle.scanning', true); // until the first scan ends: no "found nothing" message before
    setContext('mlcycle.activated', true);
    this.engines.start();
    if (this.engines.all().length === 0) setContext('mlcycle.scanning', false);
    log.info(`activated in ${Date.now() - this.activatedAt} ms (${vscode.workspace.isTrusted ? 'trusted' : 'restricted mode: no git, nothing written outside .mlcycle/'})`);
  }

  dispose(): void {
    for (const d of this.disposables.reverse()) d.dispose();
  }
}

export function activate(context: vscode.ExtensionContext): MlcycleApi {
  try {
    const ext = new MlcycleExtension(context);
    context.subscriptions.push(ext);
    return {
      runsTree: ext.runs,
      artifactsTree: ext.artifacts,
      engines: ext.engines,
      compare: ext.compare,
      models: ext.models,
      firstTreeMs: () => (ext.runs.firstChildren === undefined ? undefined : ext.runs.firstChildren - ext.activatedAt),
    };
  } catch (err) {
    // VS Code says nothing when an extension fails to activate: say it, then rethrow.
    void vscode.window.showErrorMessage(`MLCycle failed to start: ${(err as Error).message}`);
    throw err;
  }
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
