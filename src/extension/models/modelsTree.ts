// The Models view: model → versions (stage badge, aliases, a key metric, age; icon and colour by
// stage) → files and a "Packages" node. MLflow's registry and GTO tags appear read-only under their
// source. Elements are plain data; each folder's snapshot comes from its engine (`models` request)
// and is fetched again when the registry changes (journal watched by models/registration.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Stage } from '../../core/registry/names';
import { formatNumber } from '../../core/util/numbers';
import type { ModelFileItem, ModelItem, ModelPackageItem, ModelsSnapshot, ModelVersionItem, SourceModelItem } from '../../shared/engineProtocol';
import { readConfig } from '../config';
import type { Engines } from '../engines';
import { log } from '../log';
import { humanSize } from '../views/artifactsTree';
import { age, kindLabel } from '../views/runsTree';

export type ModelsNode =
  | { type: 'folder'; id: string; folder: vscode.WorkspaceFolder }
  | { type: 'model'; id: string; folder: vscode.WorkspaceFolder; model: ModelItem }
  | { type: 'version'; id: string; folder: vscode.WorkspaceFolder; model: ModelItem; version: ModelVersionItem }
  | { type: 'file'; id: string; folder: vscode.WorkspaceFolder; model: string; version: number; file: ModelFileItem }
  | { type: 'packages'; id: string; folder: vscode.WorkspaceFolder; model: string; version: ModelVersionItem }
  | { type: 'package'; id: string; folder: vscode.WorkspaceFolder; model: string; version: number; pkg: ModelPackageItem }
  | { type: 'source'; id: string; folder: vscode.WorkspaceFolder; source: string; kind: string; models: SourceModelItem[] }
  | { type: 'sourceModel'; id: string; folder: vscode.WorkspaceFolder; model: SourceModelItem }
  | { type: 'sourceVersion'; id: string; folder: vscode.WorkspaceFolder; model: SourceModelItem; version: SourceModelItem['versions'][number] }
  | { type: 'message'; id: string; message: string; icon: string };

/** Codicon and theme colour of each stage. */
export const STAGE_ICONS: Record<Stage, [string, string | undefined]> = {
  candidate: ['circle-large-outline', undefined],
  staging: ['beaker', 'charts.yellow'],
  production: ['rocket', 'charts.green'],
  decommissioned: ['circle-slash', 'disabledForeground'],
  archived: ['archive', 'disabledForeground'],
};

/** The metric shown next to a version: the first configured key metric it has, else its first. */
export function keyMetric(version: ModelVersionItem, configured: readonly string[]): [string, number | null] | undefined {
  const name = configured.find((k) => k in version.metrics) ?? Object.keys(version.metrics).sort()[0];
  return name === undefined ? undefined : [name, version.metrics[name] ?? null];
}

/** "production · @champion · accuracy 0.91 · 3m ago": what the version row says after its label. */
export function versionDescription(version: ModelVersionItem, configured: readonly string[], now = Date.now()): string {
  const metric = keyMetric(version, configured);
  return [
    version.stage,
    version.aliases.map((a) => `@${a}`).join(' '),
    metric ? `${metric[0]} ${metric[1] === null ? 'NaN' : formatNumber(metric[1])}` : '',
    age(version.registered, now),
  ]
    .filter(Boolean)
    .join(' · ');
}

export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly snapshots = new Map<string, Promise<ModelsSnapshot | undefined>>();
  private readonly parents = new Map<string, ModelsNode | undefined>();
  private readonly loadedEmitter = new vscode.EventEmitter<void>();
  /** Fires each time a folder's snapshot has come (tests wait on it). */
  readonly onDidLoad = this.loadedEmitter.event;

  constructor(private readonly engines: Engines) {}

  /** Fetches the folder's models again (all folders when none is given) and redraws. */
  refresh(folder?: vscode.WorkspaceFolder): void {
    if (folder) this.snapshots.delete(folder.uri.toString());
    else this.snapshots.clear();
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
    this.loadedEmitter.dispose();
  }

  /** The folder's registry as last fetched (fetched now when needed). */
  snapshot(folder: vscode.WorkspaceFolder): Promise<ModelsSnapshot | undefined> {
    const key = folder.uri.toString();
    let p = this.snapshots.get(key);
    if (!p) {
      const fe = this.engines.get(folder);
      p = fe
        ? (async () => {
            await fe.ready;
            const s = await fe.client.request('models', {});
            this.loadedEmitter.fire();
            return s;
          })().catch((err: unknown) => {
            log.error(`[${folder.name}] models: ${(err as Error).message}`);
            this.snapshots.delete(key);
            return undefined;
          })
        : Promise.resolve(undefined);
      this.snapshots.set(key, p);
    }
    return p;
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    const children = await this.children(node);
    for (const c of children) this.parents.set(c.id, node);
    return children;
  }

  getParent(node: ModelsNode): ModelsNode | undefined {
    return this.parents.get(node.id);
  }

  private async children(node?: ModelsNode): Promise<ModelsNode[]> {
    if (!node) {
      const folders = this.engines.all().map((fe) => fe.folder);
      if (folders.length === 1) return this.folderChildren(folders[0]!);
      return folders.map((folder) => ({ type: 'folder', id: `models-folder:${folder.uri.toString()}`, folder }));
    }
    const f = 'folder' in node ? node.folder.uri.toString() : '';
    switch (node.type) {
      case 'folder':
        return this.folderChildren(node.folder);
      case 'model':
        return [...node.model.versions].reverse().map((version) => ({ type: 'version', id: `model-version:${f}:${node.model.name}:${version.version}`, folder: node.folder, model: node.model, version }));
      case 'version':
        return [
          ...node.version.files.map((file): ModelsNode => ({ type: 'file', id: `model-file:${f}:${node.model.name}:${node.version.version}:${file.path}`, folder: node.folder, model: node.model.name, version: node.version.version, file })),
          { type: 'packages', id: `model-packages:${f}:${node.model.name}:${node.version.version}`, folder: node.folder, model: node.model.name, version: node.version },
        ];
      case 'packages':
        if (node.version.packages.length === 0) return [{ type: 'message', id: `${node.id}:none`, message: 'No package built yet', icon: 'info' }];
        return [...node.version.packages]
          .sort((a, b) => b.created - a.created)
          .map((pkg) => ({ type: 'package', id: `model-package:${f}:${pkg.file}`, folder: node.folder, model: node.model, version: node.version.version, pkg }));
      case 'source':
        return node.models.map((model) => ({ type: 'sourceModel', id: `source-model:${f}:${node.source}:${model.name}`, folder: node.folder, model }));
      case 'sourceModel':
        return [...node.model.versions].reverse().map((version) => ({ type: 'sourceVersion', id: `source-version:${f}:${node.model.source}:${node.model.name}:${version.version}`, folder: node.folder, model: node.model, version }));
      default:
        return [];
    }
  }

  private async folderChildren(folder: vscode.WorkspaceFolder): Promise<ModelsNode[]> {
    const f = folder.uri.toString();
    const s = await this.snapshot(folder);
    if (!s) return [];
    const out: ModelsNode[] = s.models.map((model) => ({ type: 'model', id: `model:${f}:${model.name}`, folder, model }));
    const bySource = new Map<string, SourceModelItem[]>();
    for (const m of s.sources) bySource.set(m.source, [...(bySource.get(m.source) ?? []), m]);
    for (const [source, models] of bySource) out.push({ type: 'source', id: `models-source:${f}:${source}`, folder, source, kind: models[0]!.kind, models });
    for (const [i, p] of s.problems.entries()) out.push({ type: 'message', id: `models-problem:${f}:${i}`, message: p, icon: 'warning' });
    return out;
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.type) {
      case 'message': {
        const item = new vscode.TreeItem(node.message, C.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.message;
        return item;
      }
      case 'folder': {
        const item = new vscode.TreeItem(node.folder.name, C.Expanded);
        item.id = node.id;
        item.iconPath = vscode.ThemeIcon.Folder;
        return item;
      }
      case 'model': {
        const item = new vscode.TreeItem(node.model.name, C.Collapsed);
        item.id = node.id;
        const prod = node.model.versions.find((v) => v.stage === 'production');
        item.description = [`${node.model.versions.length} version${node.model.versions.length === 1 ? '' : 's'}`, prod ? `v${prod.version} in production` : ''].filter(Boolean).join(' · ');
        item.tooltip = new vscode.MarkdownString().appendText(`${node.model.name}\n${node.model.description ?? ''}`.trim());
        item.iconPath = new vscode.ThemeIcon('symbol-class');
        item.contextValue = 'model';
        return item;
      }
      case 'version': {
        const v = node.version;
        const item = new vscode.TreeItem(`v${v.version}`, C.Collapsed);
        item.id = node.id;
        item.description = versionDescription(v, readConfig(node.folder).keyMetrics);
        const [icon, color] = STAGE_ICONS[v.stage];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        const tip = new vscode.MarkdownString();
        tip.appendText(`${node.model.name} v${v.version}: ${v.stage}${v.stageReason ? ` (${v.stageReason})` : ''}\n`);
        if (v.aliases.length) tip.appendText(`aliases: ${v.aliases.join(', ')}\n`);
        tip.appendText(`registered ${new Date(v.registered).toISOString()}${v.actor ? ` by ${v.actor}` : ''}\n`);
        if (v.sourcePath) tip.appendText(`from ${v.sourcePath}\n`);
        if (v.run) tip.appendText(`run ${v.run.name ?? v.run.id} (${v.run.source})\n`);
        tip.appendText(`${humanSize(v.bytes)} · sha256 ${v.digest.slice(0, 16)}…\n`);
        for (const [k, m] of Object.entries(v.metrics)) tip.appendText(`${k} ${m === null ? 'NaN' : formatNumber(m)}\n`);
        item.tooltip = tip;
        item.accessibilityInformation = { label: `v${v.version}, ${item.description}` };
        item.contextValue = `version.${v.stage}${v.run ? '.run' : ''}`;
        return item;
      }
      case 'file': {
        const item = new vscode.TreeItem(node.file.path, C.None);
        item.id = node.id;
        item.description = humanSize(node.file.size);
        item.tooltip = `${node.file.path}\n${node.file.size} bytes\nsha256 ${node.file.sha256}`;
        item.iconPath = new vscode.ThemeIcon('file-binary');
        item.contextValue = 'modelFile';
        return item;
      }
      case 'packages': {
        const n = node.version.packages.length;
        const verified = node.version.packages.filter((p) => p.verifiedAt !== null && p.present).length;
        const item = new vscode.TreeItem('Packages', n > 0 ? C.Expanded : C.Collapsed);
        item.id = node.id;
        item.description = n === 0 ? 'none' : `${n} built · ${verified} verified`;
        item.iconPath = new vscode.ThemeIcon('package');
        item.contextValue = 'modelPackages';
        return item;
      }
      case 'package': {
        const p = node.pkg;
        const item = new vscode.TreeItem(path.basename(p.file), C.None);
        item.id = node.id;
        const state = !p.present ? 'missing' : p.verifiedAt !== null ? 'verified' : 'not verified';
        item.description = [state, humanSize(p.size), age(p.created)].join(' · ');
        item.tooltip = `${p.file}\nsha256 ${p.sha256}\n${state}${p.verifiedAt !== null ? ` ${new Date(p.verifiedAt).toISOString()}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(
          !p.present ? 'warning' : p.verifiedAt !== null ? 'verified-filled' : 'unverified',
          !p.present ? new vscode.ThemeColor('list.warningForeground') : p.verifiedAt !== null ? new vscode.ThemeColor('testing.iconPassed') : undefined,
        );
        item.resourceUri = vscode.Uri.file(p.file);
        item.contextValue = p.present ? 'modelPackage' : 'modelPackage.missing';
        return item;
      }
      case 'source': {
        const item = new vscode.TreeItem(node.source, C.Collapsed);
        item.id = node.id;
        item.description = `${node.kind === 'gto' ? 'git tags (GTO)' : `${kindLabel(node.kind)} registry`} · read-only`;
        item.iconPath = new vscode.ThemeIcon('lock');
        item.contextValue = 'modelSource';
        return item;
      }
      case 'sourceModel': {
        const item = new vscode.TreeItem(node.model.name, C.Collapsed);
        item.id = node.id;
        item.description = `${node.model.versions.length} version${node.model.versions.length === 1 ? '' : 's'}`;
        if (node.model.description) item.tooltip = node.model.description;
        item.iconPath = new vscode.ThemeIcon('symbol-class');
        item.contextValue = 'sourceModel';
        return item;
      }
      case 'sourceVersion': {
        const v = node.version;
        const item = new vscode.TreeItem(/^\d+$/.test(v.label) ? `v${v.label}` : v.label, C.None);
        item.id = node.id;
        const stage = v.deleted ? (v.status === 'deregistered' ? 'deregistered' : 'deleted') : (v.stage ?? '');
        item.description = [stage, v.status === 'deprecated' ? 'deprecated' : '', v.aliases.map((a) => `@${a}`).join(' '), v.created === null ? '' : age(v.created)].filter(Boolean).join(' · ');
        item.tooltip = [`${node.model.name} ${v.label}`, v.runId ? `run ${v.runId}` : '', 'read-only'].filter(Boolean).join('\n');
        const stageKey = (v.stage ?? '').toLowerCase();
        const [icon, color] = stageKey === 'production' ? STAGE_ICONS.production : stageKey === 'staging' ? STAGE_ICONS.staging : v.deleted || stageKey === 'archived' ? STAGE_ICONS.archived : STAGE_ICONS.candidate;
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        item.contextValue = 'sourceVersion';
        return item;
      }
    }
  }
}
