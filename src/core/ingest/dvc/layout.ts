// Where DVC projects and DVCLive folders are (FORMATS.md §2.1–2.3), decided from folder listings.
//
// A DVCLive folder is recognised by what DVCLive writes, whatever its name:
//   1.x–3.x  plots/metrics/ (TSV histories), or metrics.json next to plots/{sklearn,images,custom}/,
//            or metrics.json next to the dvc.yaml DVCLive 2.x writes inside its own folder;
//   0.x      scalars/ with TSVs (its summary is `<folder>.json` next to the folder).
// A DVC project is a folder with `.dvc/` or a `dvc.yaml` that is not such a DVCLive-written one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_EXCLUDED_NAMES } from '../discovery';
import { listDir, statOrUndefined, type DirEntries } from '../readers';
import type { Diagnostic } from '../types';
import { readYamlFile } from './files';
import { isMapping } from '../../util/yamlFlat';

export type Layout = 'v0' | 'v1';

export interface Listing {
  readonly dirs: readonly string[];
  readonly files: readonly string[];
}

export interface LiveFolder {
  /** Absolute folder. */
  dir: string;
  /** Path relative to the source root, '/' separated ('.' for the root itself): the run's id. */
  id: string;
  layout: Layout;
  /** Id of the DVCLive folder this one is nested in (k-fold runs inside dvclive/), if any. */
  parent: string | null;
}

const PLOT_KINDS = new Set(['metrics', 'sklearn', 'images', 'custom']);
/** Folders inside a DVCLive folder that hold its own data, never another DVCLive folder. */
const OWN_DATA_DIRS = new Set(['plots', 'scalars', 'artifacts']);

/** True for the dvc.yaml DVCLive 2.x writes inside its folder: no stages, `metrics: [metrics.json]`. */
export function isDvcliveOwnYaml(file: string): boolean {
  const value = readYamlFile(file, []);
  if (!isMapping(value) || 'stages' in value) return false;
  const metrics = value['metrics'];
  return Array.isArray(metrics) && metrics.some((m) => m === 'metrics.json' || (isMapping(m) && 'metrics.json' in m));
}

/** The DVCLive layout of a folder, or undefined when it is not a DVCLive folder. */
export function dvcliveLayout(dir: string, l: Listing): Layout | undefined {
  const hasSummary = l.files.includes('metrics.json');
  if (l.dirs.includes('plots')) {
    const plots = listDir(path.join(dir, 'plots'), undefined);
    if (plots?.dirs.includes('metrics')) return 'v1';
    if (hasSummary && plots?.dirs.some((d) => PLOT_KINDS.has(d))) return 'v1';
  }
  if (l.dirs.includes('scalars')) {
    const scalars = listDir(path.join(dir, 'scalars'), undefined);
    if (scalars?.files.some((f) => f.endsWith('.tsv')) || statOrUndefined(`${dir}.json`)?.isFile()) return 'v0';
  }
  if (hasSummary && l.files.includes('dvc.yaml') && !l.dirs.includes('.dvc') && isDvcliveOwnYaml(path.join(dir, 'dvc.yaml'))) return 'v1';
  return undefined;
}

/** A DVC project root: `.dvc/`, or a dvc.yaml that DVCLive did not write for its own folder. */
export function isProjectRoot(dir: string, l: Listing): boolean {
  if (l.dirs.includes('.dvc')) return true;
  if (!l.files.includes('dvc.yaml')) return false;
  return !isDvcliveOwnYaml(path.join(dir, 'dvc.yaml'));
}

export function layoutOfFolder(dir: string): Layout | undefined {
  const l = listDir(dir, undefined);
  return l ? dvcliveLayout(dir, l) : undefined;
}

/** Child folders of `dir` that are DVCLive folders. */
export function dvcliveChildren(dir: string, l: Listing): string[] {
  return l.dirs.filter((d) => !d.startsWith('.') && layoutOfFolder(path.join(dir, d)) !== undefined);
}

/** Cheap hint that a child is a DVCLive folder: the default name (or a variant), or a 0.x summary pair. */
export function hintedChildren(l: Listing): string[] {
  // Called for every folder of the workspace: linear in its entries, however many there are.
  let summaries: Set<string> | undefined;
  for (const f of l.files) if (f.endsWith('.json')) (summaries ??= new Set()).add(f.slice(0, -5));
  return l.dirs.filter((d) => /dvclive/i.test(d) || summaries?.has(d));
}

function storeRelative(root: string, dir: string): string {
  const rel = path.relative(root, dir);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

export interface WalkResult {
  live: LiveFolder[];
  /** dvc.yaml files (DVCLive's own included), absolute, in walk order (root first). */
  yamls: string[];
  locks: string[];
  /** `*.dvc` pointer files. */
  pointers: string[];
}

const WALK_MAX_DEPTH = 10;
const WALK_MAX_DIRS = 20_000;
/** Besides discovery's excludes: stores of other tools that can hold tens of thousands of folders. */
const NOT_WALKED = new Set([...DEFAULT_EXCLUDED_NAMES, 'mlruns', 'mlartifacts']);

/**
 * Finds the DVCLive folders, dvc.yaml, dvc.lock and pointer files of a source. A project is walked
 * whole (DVCLive folders may sit anywhere: eval/live, dvclive/fold_0) except data tracked by a
 * pointer and nested DVC repositories (their own sources). Without a project, only the root's
 * DVCLive folders (or the root itself, when it is one) and what is nested in them count.
 */
export function walkSource(root: string, project: boolean, diags: Diagnostic[]): WalkResult {
  const result: WalkResult = { live: [], yamls: [], locks: [], pointers: [] };
  const seen = new Set<string>();
  // inLive: inside a DVCLive folder; mustBeLive: outside a project, only DVCLive folders count.
  const queue: { dir: string; depth: number; inLive: boolean; mustBeLive: boolean }[] = [{ dir: root, depth: 0, inLive: false, mustBeLive: false }];
  let visited = 0;
  for (let qi = 0; qi < queue.length; qi++) {
    const { dir, depth, inLive, mustBeLive } = queue[qi]!;
    if (++visited > WALK_MAX_DIRS) {
      diags.push({ severity: 'info', file: root, message: `more than ${WALK_MAX_DIRS} folders below this DVC project; DVCLive folders further in are not looked for` });
      break;
    }
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      continue;
    }
    if (seen.has(real)) continue; // a symbolic link back into the project
    seen.add(real);
    const l: DirEntries | undefined = listDir(dir, depth === 0 ? diags : undefined);
    if (!l) continue;
    if (depth > 0 && l.dirs.includes('.dvc')) continue; // another DVC repository: a source of its own
    const layout = dvcliveLayout(dir, l);
    if (mustBeLive && !layout) continue;
    const here = inLive || layout !== undefined || project;
    if (layout) result.live.push({ dir, id: storeRelative(root, dir), layout, parent: null });
    if (here) {
      if (l.files.includes('dvc.yaml')) result.yamls.push(path.join(dir, 'dvc.yaml'));
      if (l.files.includes('dvc.lock')) result.locks.push(path.join(dir, 'dvc.lock'));
      for (const f of l.files) if (f.endsWith('.dvc') && f.length > 4) result.pointers.push(path.join(dir, f));
    }
    if (depth >= WALK_MAX_DEPTH) continue;
    const childLive = inLive || layout !== undefined;
    for (const name of l.dirs) {
      if (name.startsWith('.') || NOT_WALKED.has(name)) continue;
      if (layout && OWN_DATA_DIRS.has(name)) continue;
      if (l.files.includes(`${name}.dvc`)) continue; // data added with `dvc add`: no runs inside
      const rootOutsideLive = !project && !childLive;
      queue.push({ dir: path.join(dir, name), depth: depth + 1, inLive: childLive, mustBeLive: rootOutsideLive });
    }
  }
  return result;
}

/** Sorts DVCLive folders by id and links nested ones to the folder they are in. */
export function finishLiveFolders(folders: LiveFolder[]): LiveFolder[] {
  const byId = new Map<string, LiveFolder>();
  for (const f of folders) if (!byId.has(f.id)) byId.set(f.id, f);
  const out = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const f of out) {
    let best: LiveFolder | undefined;
    if (f.id !== '.') {
      for (const g of out) {
        const encloses = g !== f && (g.id === '.' || f.id.startsWith(`${g.id}/`));
        if (encloses && (!best || depthOf(g.id) > depthOf(best.id))) best = g;
      }
    }
    f.parent = best?.id ?? null;
  }
  return out;
}

function depthOf(id: string): number {
  return id === '.' ? 0 : id.split('/').length;
}
