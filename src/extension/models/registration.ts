// Everything of the model registry in the editor: the Models view, its commands (register from the
// palette, the Explorer and the Artifacts view; promote, alias, decommission, archive, build and
// verify packages, compare versions, open the model panel), the journal watcher that refreshes them
// when the CLI writes, and the model panel's serializer. Writes are refused in Restricted Mode.
// The version commands take the clicked version; started from the palette (no item) they ask which
// version with a quick pick of this workspace's own registry (MLflow's and GTO's are read-only).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { webviewOptions } from '../webviewShell';
import { DECOMMISSION_REASONS, invalidName, invalidTransition, STAGES, type DecommissionReason, type Stage } from '../../core/registry/names';
import type { CompareRunKey } from '../../shared/compareProtocol';
import type { ModelVersionItem, RequestMap, RequestName } from '../../shared/engineProtocol';
import { isModelViewState, MODEL_VIEW_TYPE } from '../../shared/modelProtocol';
import { register } from '../commands';
import { readConfig } from '../config';
import { EngineRequestError } from '../engineClient';
import type { Engines, FolderEngine } from '../engines';
import { log, showError } from '../log';
import { ArtifactsTreeProvider, type ArtifactsNode } from '../views/artifactsTree';
import type { RunsNode } from '../views/runsTree';
import { ModelPanel, type ModelPanelHooks } from './modelPanel';
import { ModelsTreeProvider, versionDescription, type ModelsNode } from './modelsTree';

export const MODEL_COMMANDS = {
  registerModel: 'mlcycle.registerModel',
  refreshModels: 'mlcycle.refreshModels',
  openModelPanel: 'mlcycle.openModelPanel',
  promote: 'mlcycle.views.models.promote',
  setAlias: 'mlcycle.views.models.setAlias',
  decommission: 'mlcycle.views.models.decommission',
  archive: 'mlcycle.views.models.archive',
  buildPackage: 'mlcycle.views.models.buildPackage',
  verifyPackage: 'mlcycle.views.models.verifyPackage',
  verifyPackageFile: 'mlcycle.verifyPackageFile',
  compareVersions: 'mlcycle.views.models.compareVersions',
} as const;

export const READ_ONLY_MESSAGE = 'MLCycle: the model registry is read-only in Restricted Mode. Trust this workspace to register or promote models.';

/** How often live changes of the runs (not scans) may refresh the Models view. */
const LIVE_REFRESH_MS = 5000;

export interface ModelsApi {
  tree: ModelsTreeProvider;
  view: vscode.TreeView<ModelsNode>;
  panels(): readonly ModelPanel[];
}

type VersionNode = Extract<ModelsNode, { type: 'version' }>;

/** The stages each version command applies to (the same as the context menu's `when` clauses). */
export const COMMAND_STAGES: Record<'promote' | 'setAlias' | 'decommission' | 'archive', readonly Stage[]> = {
  promote: ['candidate', 'staging', 'production'],
  setAlias: ['candidate', 'staging', 'production', 'decommissioned'],
  decommission: ['candidate', 'staging', 'production'],
  archive: ['candidate', 'staging', 'decommissioned'],
};


/** Where the journal and the packages are: beside the store (`.mlcycle/`, or the chosen location). */
function storeDir(fe: FolderEngine): vscode.Uri {
  return fe.storePath ? vscode.Uri.file(path.dirname(fe.storePath)) : vscode.Uri.joinPath(fe.folder.uri, '.mlcycle');
}

/** Stages a version may enter next (names.ts rules), in life-cycle order. */
export function nextStages(from: Stage): Stage[] {
  return STAGES.filter((s) => invalidTransition(from, s) === undefined);
}

/** A model name suggested for a path: the file's (or folder's) name, made valid. */
export function suggestName(file: string): string {
  const base = path.basename(file).replace(/\.[^.]+$/, '');
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '').replace(/\.\.+/g, '.');
  return cleaned || 'model';
}

export function registerModels(
  context: vscode.ExtensionContext,
  engines: Engines,
): { disposables: vscode.Disposable[]; api: ModelsApi } {
  const tree = new ModelsTreeProvider(engines);
  const view = vscode.window.createTreeView('mlcycle.models', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  const disposables: vscode.Disposable[] = [tree, view];

  /** After a change: the tree and the open panels of the folder fetch again. */
  const changed = (folder: vscode.WorkspaceFolder): void => {
    tree.refresh(folder);
    for (const p of ModelPanel.panels()) if (p.folder.uri.toString() === folder.uri.toString()) void p.reload();
  };

  // ---- watching the journal (the CLI, another window) ----------------------------------------------
  const watchers = new Map<string, { dir: string; watcher: vscode.FileSystemWatcher; timer?: NodeJS.Timeout }>();
  const syncWatchers = (): void => {
    const live = new Set<string>();
    for (const fe of engines.all()) {
      const key = fe.folder.uri.toString();
      const dir = storeDir(fe).toString();
      live.add(key);
      const existing = watchers.get(key);
      if (existing?.dir === dir) continue;
      existing?.watcher.dispose();
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(storeDir(fe), '{registry.jsonl,policy.yaml,packages/**/*.zip}'));
      const entry: { dir: string; watcher: vscode.FileSystemWatcher; timer?: NodeJS.Timeout } = { dir, watcher };
      const fire = (): void => {
        if (entry.timer) clearTimeout(entry.timer);
        entry.timer = setTimeout(() => {
          delete entry.timer;
          changed(fe.folder);
        }, 200);
      };
      watcher.onDidChange(fire);
      watcher.onDidCreate(fire);
      watcher.onDidDelete(fire);
      watchers.set(key, entry);
    }
    for (const [key, w] of watchers) {
      if (live.has(key)) continue;
      w.watcher.dispose();
      if (w.timer) clearTimeout(w.timer);
      watchers.delete(key);
    }
  };
  // Scans bring MLflow's registry and GTO tags: refresh when one ends. Live runs change the runs
  // many times a second; their registries rarely: then at most every few seconds.
  let scanTimer: NodeJS.Timeout | undefined;
  let lastFolders = '';
  let wasScanning = false;
  const refreshAll = (): void => {
    if (scanTimer) clearTimeout(scanTimer);
    scanTimer = undefined;
    tree.refresh();
  };
  disposables.push(
    engines.onDidChange(() => {
      syncWatchers();
      const folders = engines.all().map((fe) => fe.folder.uri.toString()).join();
      const scanning = engines.scanning;
      const scanEnded = wasScanning && !scanning;
      wasScanning = scanning;
      if (folders !== lastFolders || scanEnded) {
        lastFolders = folders;
        refreshAll();
        return;
      }
      if (scanning || scanTimer) return;
      scanTimer = setTimeout(refreshAll, LIVE_REFRESH_MS);
    }),
    {
      dispose: () => {
        if (scanTimer) clearTimeout(scanTimer);
        for (const w of watchers.values()) {
          if (w.timer) clearTimeout(w.timer);
          w.watcher.dispose();
        }
        watchers.clear();
      },
    },
  );
  syncWatchers();

  // ---- helpers ----------------------------------------------------------------------------------------

  const engineOf = (folder: vscode.WorkspaceFolder): FolderEngine => {
    const fe = engines.get(folder);
    if (!fe) throw new Error(`${folder.name} has no MLCycle engine (not a local folder?)`);
    return fe;
  };

  /** Refuses writes in Restricted Mode (the engine refuses them too). */
  const trusted = (): boolean => {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(READ_ONLY_MESSAGE);
    return false;
  };

  /**
   * A registry request with what the engine says on failure shown: each failed gate of a refused
   * promotion, "cancelled", Restricted Mode. Returns undefined when it failed.
   */
  async function call<K extends RequestName>(
    fe: FolderEngine,
    method: K,
    params: RequestMap[K]['params'],
    progress?: { title: string; total?: number },
  ): Promise<RequestMap[K]['result'] | undefined> {
    try {
      const result = progress
        ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: progress.title, cancellable: true }, async (report, token) => {
            let shown = 0;
            return fe.client.request(method, params, {
              token,
              onProgress: (done, total) => {
                const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
                if (pct > shown) {
                  report.report({ increment: pct - shown, message: `${pct}% of ${humanBytes(total)}` });
                  shown = pct;
                }
              },
            });
          })
        : await fe.client.request(method, params);
      return result;
    } catch (err) {
      reportFailure(err);
      return undefined;
    } finally {
      changed(fe.folder);
    }
  }

  function reportFailure(err: unknown): void {
    const data = err instanceof EngineRequestError ? err.data : undefined;
    if (data?.kind === 'cancelled') {
      log.info('cancelled');
      void vscode.window.showInformationMessage('MLCycle: cancelled.');
      return;
    }
    if (data?.kind === 'readOnly') {
      void vscode.window.showWarningMessage(READ_ONLY_MESSAGE);
      return;
    }
    if (data?.kind === 'gates') {
      const failed = data.gates.filter((g) => !g.ok);
      const lines = failed.map((g) => `✗ ${g.gate}: ${g.detail}`);
      log.warn(`v${data.version} of ${data.model} cannot enter ${data.stage}:\n  ${lines.join('\n  ')}`);
      void showError(`v${data.version} of ${data.model} cannot enter ${data.stage}. ${failed.length} gate${failed.length === 1 ? '' : 's'} failed: ${lines.join('; ')}`);
      return;
    }
    void showError((err as Error).message);
  }

  /**
   * The version a command applies to: the clicked item; without one (the palette), the version the
   * user picks among those `allowed` of every folder's own registry.
   */
  async function versionOf(node: unknown, title: string, allowed: (v: ModelVersionItem) => boolean): Promise<VersionNode | undefined> {
    if (node !== undefined && node !== null) return (node as ModelsNode).type === 'version' ? (node as VersionNode) : undefined;
    return pickVersion(title, allowed);
  }

  async function pickVersion(title: string, allowed: (v: ModelVersionItem) => boolean): Promise<VersionNode | undefined> {
    const all = engines.all();
    const items: (vscode.QuickPickItem & { node: VersionNode })[] = [];
    let versions = 0;
    for (const fe of all) {
      const s = await tree.snapshot(fe.folder);
      const keyMetrics = readConfig(fe.folder).keyMetrics;
      const f = fe.folder.uri.toString();
      for (const model of s?.models ?? []) {
        for (const version of [...model.versions].reverse()) {
          versions++;
          if (!allowed(version)) continue;
          items.push({
            label: `${model.name} v${version.version}`,
            description: versionDescription(version, keyMetrics),
            ...(all.length > 1 ? { detail: fe.folder.name } : {}),
            node: { type: 'version', id: `model-version:${f}:${model.name}:${version.version}`, folder: fe.folder, model, version },
          });
        }
      }
    }
    if (items.length === 0) {
      void vscode.window.showInformationMessage(
        versions === 0 ? 'MLCycle: no model is registered yet. Right-click a model file and choose "Register Model…".' : `MLCycle: ${title}: no version is in a stage this applies to.`,
      );
      return undefined;
    }
    const choice = await vscode.window.showQuickPick(items, { title, placeHolder: 'Choose a model version', matchOnDescription: true });
    return choice?.node;
  }

  const inStages = (stages: readonly Stage[]) => (v: ModelVersionItem): boolean => stages.includes(v.stage);

  /** The package target of Build/Verify Package: a version, its Packages node or one package; else picked. */
  async function packageTarget(
    node: unknown,
    title: string,
    allowed: (v: ModelVersionItem) => boolean,
  ): Promise<{ folder: vscode.WorkspaceFolder; model: string; version: number; file?: string } | undefined> {
    if (node === undefined || node === null) {
      const picked = await pickVersion(title, allowed);
      return picked ? { folder: picked.folder, model: picked.model.name, version: picked.version.version } : undefined;
    }
    const n = node as ModelsNode;
    if (n.type === 'version') return { folder: n.folder, model: n.model.name, version: n.version.version };
    if (n.type === 'packages') return { folder: n.folder, model: n.model, version: n.version.version };
    if (n.type === 'package') return { folder: n.folder, model: n.model, version: n.version, file: n.pkg.file };
    return undefined;
  }

  const warn = (warnings: readonly string[]): void => {
    for (const w of warnings) {
      log.warn(w);
      void vscode.window.showWarningMessage(`MLCycle: ${w}`);
    }
  };

  const hooks: ModelPanelHooks = {
    showRun: async (folder, run) => {
      const ref = engines.runs().find((r) => r.folder.uri.toString() === folder.uri.toString() && r.run.source.path === run.source && r.run.id === run.id);
      if (!ref) throw new Error('that run is no longer in the store');
      const node: RunsNode = { type: 'run', id: `run:${folder.uri.toString()}:${run.source}:${run.id}`, folder, run: ref.run, children: [] };
      await vscode.commands.executeCommand('mlcycle.showRunDetails', node);
    },
    compareVersions: async (folder, model) => {
      const s = await tree.snapshot(folder);
      const m = s?.models.find((x) => x.name === model);
      if (m) await compare(folder, m.versions);
    },
  };

  async function compare(folder: vscode.WorkspaceFolder, versions: readonly ModelVersionItem[]): Promise<number | undefined> {
    const keys: CompareRunKey[] = [];
    const seen = new Set<string>();
    for (const v of versions) {
      if (!v.run || seen.has(`${v.run.source}\u0000${v.run.id}`)) continue;
      seen.add(`${v.run.source}\u0000${v.run.id}`);
      keys.push({ folder: folder.uri.toString(), source: v.run.source, id: v.run.id });
    }
    if (keys.length === 0) {
      void vscode.window.showInformationMessage('MLCycle: none of these versions is linked to a run, so there is nothing to compare.');
      return undefined;
    }
    return vscode.commands.executeCommand<number | undefined>('mlcycle.compareRuns', keys);
  }

  const openPanel = (folder: vscode.WorkspaceFolder, model: string): ModelPanel => {
    const existing = ModelPanel.find(folder, model);
    if (existing) {
      existing.panel.reveal(undefined, false);
      void existing.reload();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(MODEL_VIEW_TYPE, `Model: ${model}`, vscode.ViewColumn.Active, {
      ...webviewOptions(context.extensionUri),
      // Off: the page rebuilds from the host's last data, and a hidden panel holds no renderer memory.
      retainContextWhenHidden: false,
      enableFindWidget: true,
    });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'mlcycle.svg');
    return new ModelPanel(panel, engines, context.extensionUri, hooks, folder, model);
  };

  // ---- register ------------------------------------------------------------------------------------------

  async function registerPath(target: vscode.Uri, run: { source: string; id: string } | undefined, suggestion: string): Promise<{ model: string; version: number } | undefined> {
    const folder = vscode.workspace.getWorkspaceFolder(target);
    if (!folder) throw new Error(`${target.fsPath} is not inside a workspace folder: only the workspace's files can be registered`);
    const fe = engineOf(folder);
    await fe.ready;
    const existing = (await tree.snapshot(folder))?.models.map((m) => m.name) ?? [];
    const model = await vscode.window.showInputBox({
      title: `Register ${path.basename(target.fsPath)} as a Model Version`,
      prompt: existing.length > 0 ? `A new model name, or an existing one for a new version (${existing.slice(0, 5).join(', ')}${existing.length > 5 ? ', …' : ''})` : 'The model name',
      value: suggestion,
      validateInput: (v) => invalidName('model', v) ?? null,
    });
    if (model === undefined) return undefined;
    const result = await call(fe, 'register', { model, path: target.fsPath, ...(run ? { run } : {}) }, { title: `Registering ${path.basename(target.fsPath)} as ${model}` });
    if (!result) return undefined;
    warn(result.warnings);
    log.info(`registered ${model} v${result.version} from ${target.fsPath}${result.run ? ` (run ${result.run.name ?? result.run.id})` : ''}`);
    void vscode.window.showInformationMessage(`MLCycle: registered ${model} v${result.version}${result.run ? `, linked to run ${result.run.name ?? result.run.id}` : ''}.`);
    return { model, version: result.version };
  }

  const isArtifact = (a: unknown): a is Extract<ArtifactsNode, { type: 'entry' }> => typeof a === 'object' && a !== null && (a as { type?: unknown }).type === 'entry' && 'row' in a;

  disposables.push(
    register(MODEL_COMMANDS.registerModel, async (arg?: unknown) => {
      if (!trusted()) return undefined;
      if (arg instanceof vscode.Uri) return registerPath(arg, undefined, suggestName(arg.fsPath));
      if (isArtifact(arg)) {
        const file = ArtifactsTreeProvider.fileOf(arg)!;
        // A model folder (`artifacts/model/`) is better named after its experiment than "model".
        const suggestion = arg.run.experiment ? suggestName(arg.run.experiment) : suggestName(file);
        return registerPath(vscode.Uri.file(file), { source: arg.run.source.path, id: arg.run.id }, suggestion);
      }
      const folder = vscode.workspace.workspaceFolders?.[0];
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        ...(folder ? { defaultUri: folder.uri } : {}),
        openLabel: 'Register',
        title: 'The model file to register',
      });
      if (!picked?.[0]) return undefined;
      return registerPath(picked[0], undefined, suggestName(picked[0].fsPath));
    }),
    register(MODEL_COMMANDS.refreshModels, () => tree.refresh()),
    register(MODEL_COMMANDS.openModelPanel, async (node?: ModelsNode) => {
      const n = node ?? view.selection[0];
      if (n && (n.type === 'model' || n.type === 'version')) return openPanel(n.folder, n.model.name);
      const items = (
        await Promise.all(
          engines.all().map(async (fe) => ((await tree.snapshot(fe.folder))?.models ?? []).map((m) => ({ label: m.name, description: `${m.versions.length} versions · ${fe.folder.name}`, folder: fe.folder }))),
        )
      ).flat();
      if (items.length === 0) {
        void vscode.window.showInformationMessage('MLCycle: no model is registered yet. Right-click a model file and choose "Register Model…".');
        return undefined;
      }
      const choice = await vscode.window.showQuickPick(items, { title: 'Open Model Panel', placeHolder: 'Choose a model' });
      return choice ? openPanel(choice.folder, choice.label) : undefined;
    }),
    register(MODEL_COMMANDS.promote, async (node?: ModelsNode) => {
      if (!trusted()) return undefined;
      const n = await versionOf(node, 'Promote a Model Version', inStages(COMMAND_STAGES.promote));
      if (!n) return undefined;
      const v = n.version;
      const stages = nextStages(v.stage).filter((s) => s !== 'decommissioned' && s !== 'archived');
      if (stages.length === 0) {
        void vscode.window.showInformationMessage(`MLCycle: v${v.version} of ${n.model.name} is ${v.stage}; it cannot be promoted.`);
        return undefined;
      }
      const prod = n.model.versions.find((x) => x.stage === 'production' && x.version !== v.version);
      const choice = await vscode.window.showQuickPick(
        stages.map((s) => ({
          label: s,
          description: s === 'production' && prod ? `v${prod.version} will be decommissioned (superseded by v${v.version})` : s === 'staging' && v.stage === 'production' ? 'roll back for more validation' : '',
          stage: s,
        })),
        { title: `Promote ${n.model.name} v${v.version} (now ${v.stage})`, placeHolder: 'The stage to move it to' },
      );
      if (!choice) return undefined;
      const result = await call(engineOf(n.folder), 'setStage', { model: n.model.name, version: v.version, stage: choice.stage });
      if (!result) return undefined;
      warn(result.warnings);
      void vscode.window.showInformationMessage(
        `MLCycle: ${n.model.name} v${v.version} is now in ${result.stage}${result.demoted.length ? ` (${result.demoted.map((d) => `v${d}`).join(', ')} decommissioned)` : ''}.`,
      );
      return result;
    }),
    register(MODEL_COMMANDS.setAlias, async (node?: ModelsNode) => {
      if (!trusted()) return undefined;
      const n = await versionOf(node, 'Set an Alias on a Model Version', inStages(COMMAND_STAGES.setAlias));
      if (!n) return undefined;
      const alias = await vscode.window.showInputBox({
        title: `Set an Alias on ${n.model.name} v${n.version.version}`,
        prompt: `e.g. champion, challenger. An alias points at one version: setting it here moves it${Object.keys(n.model.aliases).length ? ` (now: ${Object.entries(n.model.aliases).map(([a, ver]) => `${a} → v${ver}`).join(', ')})` : ''}.`,
        validateInput: (value) => invalidName('alias', value) ?? null,
      });
      if (alias === undefined) return undefined;
      return call(engineOf(n.folder), 'setAlias', { model: n.model.name, version: n.version.version, alias });
    }),
    register(MODEL_COMMANDS.decommission, async (node?: ModelsNode) => {
      if (!trusted()) return undefined;
      const n = await versionOf(node, 'Decommission a Model Version', inStages(COMMAND_STAGES.decommission));
      if (!n) return undefined;
      const kinds = (Object.keys(DECOMMISSION_REASONS) as DecommissionReason[]).filter((k) => k !== 'superseded');
      const choice = await vscode.window.showQuickPick(
        kinds.map((k) => ({ label: DECOMMISSION_REASONS[k], description: k === 'other' ? 'say why' : '', reasonKind: k })),
        { title: `Decommission ${n.model.name} v${n.version.version}: why?`, placeHolder: 'The reason, kept in the audit trail' },
      );
      if (!choice) return undefined;
      let reason: string | undefined;
      if (choice.reasonKind === 'other') {
        reason = await vscode.window.showInputBox({ title: 'Why is this version decommissioned?', validateInput: (v) => (v.trim() ? null : 'A reason is needed') });
        if (reason === undefined) return undefined;
      }
      const result = await call(engineOf(n.folder), 'setStage', { model: n.model.name, version: n.version.version, stage: 'decommissioned', reasonKind: choice.reasonKind, ...(reason ? { reason } : {}) });
      if (result) warn(result.warnings);
      return result;
    }),
    register(MODEL_COMMANDS.archive, async (node?: ModelsNode) => {
      if (!trusted()) return undefined;
      const n = await versionOf(node, 'Archive a Model Version', inStages(COMMAND_STAGES.archive));
      if (!n) return undefined;
      const ok = await vscode.window.showWarningMessage(
        `Archive ${n.model.name} v${n.version.version}? It is frozen for good; a verified package is kept so that it can be restored.`,
        { modal: true },
        'Archive',
      );
      if (ok !== 'Archive') return undefined;
      const result = await call(engineOf(n.folder), 'archive', { model: n.model.name, version: n.version.version }, { title: `Archiving ${n.model.name} v${n.version.version}` });
      if (result) warn(result.warnings);
      return result;
    }),
    register(MODEL_COMMANDS.buildPackage, async (node?: ModelsNode) => {
      if (!trusted()) return undefined;
      const picked = await packageTarget(node, 'Build the Package of a Model Version', () => true);
      if (!picked) return undefined;
      const target = { folder: picked.folder, model: picked.model, version: picked.version };
      const result = await call(engineOf(target.folder), 'buildPackage', { model: target.model, version: target.version }, { title: `Building the package of ${target.model} v${target.version}` });
      if (!result) return undefined;
      warn(result.warnings);
      log.info(`package ${result.file}: ${result.files} files, ${result.size} bytes, sha256 ${result.sha256}`);
      void vscode.window.showInformationMessage(`MLCycle: built ${path.basename(result.file)} (${result.files} files, ${humanBytes(result.size)}). Verify it before promoting.`);
      return result;
    }),
    register(MODEL_COMMANDS.verifyPackage, async (node?: ModelsNode) => {
      const target = await packageTarget(node, 'Verify the Package of a Model Version', (v) => v.packages.some((p) => p.present));
      if (!target) return undefined;
      const { folder, ...params } = target;
      const result = await call(engineOf(folder), 'verifyPackage', params, { title: `Verifying the package of ${target.model} v${target.version}` });
      if (!result) return undefined;
      if (result.ok) void vscode.window.showInformationMessage(`MLCycle: ${path.basename(result.file)} verified: every file has its recorded SHA-256.`);
      else {
        log.warn(`${result.file} does not verify:\n  ${result.problems.join('\n  ')}`);
        void showError(`${path.basename(result.file)} does not verify: ${result.problems.slice(0, 5).join('; ')}${result.problems.length > 5 ? '; …' : ''}`);
      }
      return result;
    }),
    register(MODEL_COMMANDS.verifyPackageFile, async (arg?: unknown) => {
      let file = arg instanceof vscode.Uri ? arg : undefined;
      if (!file) {
        const first = engines.all()[0];
        const packagesDir = first ? vscode.Uri.joinPath(storeDir(first), 'packages') : undefined;
        const picked = await vscode.window.showOpenDialog({
          canSelectFiles: true,
          canSelectFolders: false,
          canSelectMany: false,
          filters: { 'Model packages': ['zip'] },
          ...(packagesDir ? { defaultUri: packagesDir } : {}),
          openLabel: 'Verify',
          title: 'The package (.zip) to verify',
        });
        file = picked?.[0];
      }
      if (!file) return undefined;
      const folder = vscode.workspace.getWorkspaceFolder(file);
      const fe = (folder && engines.get(folder)) ?? engines.all()[0];
      if (!fe) throw new Error('no workspace folder has an MLCycle engine to verify with');
      await fe.ready;
      const name = path.basename(file.fsPath);
      const result = await call(fe, 'verifyPackageFile', { file: file.fsPath }, { title: `Verifying ${name}` });
      if (!result) return undefined;
      const what = result.model !== null ? ` (${result.model} v${result.version ?? '?'})` : '';
      if (result.ok) {
        log.info(`${result.file} verified: ${result.files} files`);
        void vscode.window.showInformationMessage(`MLCycle: ${name}${what} verified: each of its ${result.files} files has its recorded SHA-256.`);
      } else {
        const lines = result.lines.map((l) => l.replace(/^✗ /, '').replace(/ {2,}/, ' '));
        log.warn(`${result.file}${what} does not verify:\n  ${lines.join('\n  ')}`);
        void showError(`${name}${what} does not verify: ${lines.slice(0, 6).join('; ')}${lines.length > 6 ? `; and ${lines.length - 6} more (see the log)` : ''}`);
      }
      return result;
    }),
    register(MODEL_COMMANDS.compareVersions, async (node?: ModelsNode, nodes?: ModelsNode[]) => {
      const picked = nodes && nodes.length > 0 ? nodes : node ? [node] : [...view.selection];
      const first = picked[0];
      if (!first || !('folder' in first)) return undefined;
      const versions = picked.flatMap((p) => (p.type === 'version' ? [p.version] : p.type === 'model' ? p.model.versions : []));
      return compare(first.folder, versions);
    }),
    vscode.window.registerWebviewPanelSerializer(MODEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const folder = isModelViewState(state) ? vscode.workspace.workspaceFolders?.find((f) => f.uri.toString() === state.folder) : undefined;
        if (!isModelViewState(state) || !folder) {
          panel.dispose();
          return;
        }
        panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'mlcycle.svg');
        new ModelPanel(panel, engines, context.extensionUri, hooks, folder, state.model);
      },
    }),
    { dispose: () => ModelPanel.panels().forEach((p) => p.dispose()) },
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()),
  );

  return { disposables, api: { tree, view, panels: () => ModelPanel.panels() } };
}

function humanBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
