// The Artifacts view: the files each selected run produced (models, data, plots), as folders and
// files with their sizes; a file's SHA-256 is computed on demand.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ArtifactRow } from '../../core/store/queries';
import type { TreeRun } from '../../shared/engineProtocol';
import type { Engines } from '../engines';

export type ArtifactsNode =
  | { type: 'run'; id: string; folder: vscode.WorkspaceFolder; run: TreeRun }
  | { type: 'entry'; id: string; folder: vscode.WorkspaceFolder; run: TreeRun; root: string; row: ArtifactRow; children: ArtifactRow[] }
  | { type: 'empty'; id: string; message: string };

export function humanSize(bytes: number | null): string {
  if (bytes === null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

const MODEL_FILE = /\.(pkl|joblib|onnx|pt|pth|ckpt|safetensors|h5|keras|bin|pb|skops)$/i;
const IMAGE_FILE = /\.(png|jpe?g|svg|gif)$/i;
const DATA_FILE = /\.(csv|tsv|parquet|json|jsonl|npy|npz|arrow)$/i;

/**
 * Whether an artifact row is a folder: listed as one, or with files below it, or a model that is not a model
 * file (an MLflow model folder, a Hugging Face checkpoint, an exported `weights/best_saved_model/`).
 */
function isFolder(row: ArtifactRow, items: readonly ArtifactRow[]): boolean {
  if (row.kind === 'dir') return true;
  if (items.some((a) => a.path.startsWith(row.path + '/'))) return true;
  return row.kind === 'model' && !MODEL_FILE.test(row.path);
}

export class ArtifactsTreeProvider implements vscode.TreeDataProvider<ArtifactsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ArtifactsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private selection: { folder: vscode.WorkspaceFolder; run: TreeRun }[] = [];
  private readonly listings = new Map<string, Promise<{ root: string | null; items: ArtifactRow[] }>>();
  /** SHA-256 computed on demand, by absolute path. */
  readonly hashes = new Map<string, string>();

  constructor(private readonly engines: Engines) {}

  select(runs: { folder: vscode.WorkspaceFolder; run: TreeRun }[]): void {
    this.selection = runs;
    this.listings.clear();
    this.changed.fire(undefined);
  }

  refresh(node?: ArtifactsNode): void {
    if (!node) this.listings.clear();
    this.changed.fire(node);
  }

  dispose(): void {
    this.changed.dispose();
  }

  private listing(folder: vscode.WorkspaceFolder, run: TreeRun): Promise<{ root: string | null; items: ArtifactRow[] }> {
    const key = `${folder.uri.toString()}|${run.uid}`;
    let p = this.listings.get(key);
    if (!p) {
      p = this.engines.get(folder)?.client.request('artifacts', { uid: run.uid }) ?? Promise.resolve({ root: null, items: [] });
      this.listings.set(key, p);
    }
    return p;
  }

  async getChildren(node?: ArtifactsNode): Promise<ArtifactsNode[]> {
    if (!node) {
      if (this.selection.length === 0) return [];
      if (this.selection.length === 1) return this.entries(this.selection[0]!.folder, this.selection[0]!.run, '');
      return this.selection.map(({ folder, run }) => ({ type: 'run', id: `art-run:${folder.uri.toString()}:${run.source.path}:${run.id}`, folder, run }));
    }
    if (node.type === 'run') return this.entries(node.folder, node.run, '');
    if (node.type === 'entry') return this.entries(node.folder, node.run, node.row.path + '/');
    return [];
  }

  private async entries(folder: vscode.WorkspaceFolder, run: TreeRun, prefix: string): Promise<ArtifactsNode[]> {
    const { root, items } = await this.listing(folder, run);
    if (!root || items.length === 0) {
      return prefix === '' ? [{ type: 'empty', id: `art-empty:${run.uid}`, message: 'No files recorded for this run' }] : [];
    }
    // Direct children of `prefix`. Readers other than MLflow's list nested files without their folders
    // (Ultralytics `weights/best.pt`, Lightning `checkpoints/*.ckpt`): such folders are made up here.
    const direct = new Map<string, ArtifactRow>();
    for (const a of items) {
      if (a.path === '.' || !a.path.startsWith(prefix)) continue;
      const rest = a.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) direct.set(a.path, a);
      else if (slash > 0 && !direct.has(prefix + rest.slice(0, slash))) direct.set(prefix + rest.slice(0, slash), { path: prefix + rest.slice(0, slash), kind: 'dir', size: null });
    }
    const isDir = (row: ArtifactRow): boolean => isFolder(row, items);
    return [...direct.values()]
      .sort((a, b) => (isDir(a) ? 0 : 1) - (isDir(b) ? 0 : 1) || a.path.localeCompare(b.path))
      .map((row) => ({
        type: 'entry' as const,
        id: `art:${folder.uri.toString()}:${run.source.path}:${run.id}:${row.path}`,
        folder,
        run,
        root,
        row,
        children: items.filter((a) => a.path.startsWith(row.path + '/')),
      }));
  }

  getTreeItem(node: ArtifactsNode): vscode.TreeItem {
    if (node.type === 'empty') {
      const item = new vscode.TreeItem(node.message);
      item.id = node.id;
      return item;
    }
    if (node.type === 'run') {
      const item = new vscode.TreeItem(node.run.name ?? node.run.id, vscode.TreeItemCollapsibleState.Expanded);
      item.id = node.id;
      item.iconPath = new vscode.ThemeIcon('beaker');
      return item;
    }
    const { row } = node;
    const file = path.join(node.root, ...row.path.split('/'));
    const isDir = isFolder(row, node.children);
    const item = new vscode.TreeItem(path.posix.basename(row.path), isDir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.resourceUri = vscode.Uri.file(file);
    const hash = this.hashes.get(file);
    item.description = [row.kind === 'model' ? 'model' : '', humanSize(row.size), hash ? `sha256 ${hash.slice(0, 12)}…` : ''].filter(Boolean).join(' · ');
    item.tooltip = `${row.path}${row.size !== null ? `\n${row.size} bytes` : ''}${hash ? `\nsha256 ${hash}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(
      row.kind === 'model' || MODEL_FILE.test(row.path) ? 'package' : isDir ? 'folder' : IMAGE_FILE.test(row.path) ? 'file-media' : DATA_FILE.test(row.path) ? 'table' : 'file',
    );
    item.contextValue = isDir ? 'artifact.folder' : 'artifact.file';
    if (!isDir) item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(file)] };
    return item;
  }

  /** The absolute path of an entry. */
  static fileOf(node: ArtifactsNode): string | undefined {
    return node.type === 'entry' ? path.join(node.root, ...node.row.path.split('/')) : undefined;
  }
}
