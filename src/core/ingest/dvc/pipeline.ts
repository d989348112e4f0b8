// DVC pipelines: dvc.yaml (stages, top-level metrics/plots/params, artifacts), dvc.lock (deps and
// outs with their content hashes, FORMATS.md §2.6) and `*.dvc` pointer files, turned into the
// files a project run reads and into lineage edges.
//
// Templated dvc.yaml (`${base.model_dir}/clf-model`, foreach/matrix) is kept as written: such a
// path names no file, so it only ever fails to match. dvc.lock holds the resolved paths, and the
// lineage comes from it.
import * as path from 'node:path';
import { isInside } from '../../util/paths';
import { statOrUndefined } from '../readers';
import type { Diagnostic, LineageEdge, LineageNode } from '../types';
import { fingerprintFile, isPlainObject, paramText, readMappingFile, type Fingerprint } from './files';
import { layoutOfFolder, type Layout, type LiveFolder } from './layout';

export interface StageDecl {
  name: string;
  /** Absolute working folder of the stage (paths in its entries are relative to it). */
  wdir: string;
  outs: string[];
  metrics: string[];
  plots: string[];
  /** Params files the stage reads (absolute). */
  paramFiles: string[];
}

export interface ArtifactDecl {
  /** DVC's artifact id: `name` in the root dvc.yaml, `<folder>:name` in a nested one. */
  id: string;
  path: string;
  type: string | null;
  desc: string | null;
  labels: string[];
  /** Folder of the file that declares it. */
  declaredIn: string;
}

export interface DvcYaml {
  file: string;
  dir: string;
  /** Path of the dvc.yaml relative to the source root ('dvc.yaml', 'sub/dvc.yaml'). */
  rel: string;
  stages: StageDecl[];
  metrics: string[];
  plots: string[];
  params: string[];
  artifacts: ArtifactDecl[];
}

const URL = /^[a-z][a-z0-9+.-]*:\/\//i;

function rel(root: string, abs: string): string {
  const r = path.relative(root, abs);
  return r === '' ? '.' : r.split(path.sep).join('/');
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** Paths of a list whose items are `path` or `{path: {options}}`. */
function entryPaths(list: unknown): string[] {
  const items = Array.isArray(list) ? list : list === undefined || list === null ? [] : [list];
  const out: string[] = [];
  for (const item of items) {
    const s = str(item);
    if (s !== null) out.push(s);
    else if (isPlainObject(item)) out.push(...Object.keys(item));
  }
  return out;
}

/** Files of top-level plots: `path`, `{path: {x, y}}`, or `{id: {y: {file: field}, x: …}}`. */
function topLevelPlotPaths(list: unknown): string[] {
  const items = Array.isArray(list) ? list : [];
  const out: string[] = [];
  for (const item of items) {
    const s = str(item);
    if (s !== null) {
      out.push(s);
      continue;
    }
    if (!isPlainObject(item)) continue;
    for (const [k, v] of Object.entries(item)) {
      const y = isPlainObject(v) ? v['y'] : undefined;
      const x = isPlainObject(v) ? v['x'] : undefined;
      if (isPlainObject(y) || isPlainObject(x)) {
        if (isPlainObject(y)) out.push(...Object.keys(y));
        if (isPlainObject(x)) out.push(...Object.keys(x));
      } else out.push(k);
    }
  }
  return out;
}

function resolveAll(dir: string, paths: string[]): string[] {
  return paths.filter((p) => !URL.test(p)).map((p) => path.resolve(dir, p));
}

function parseArtifacts(value: unknown, dir: string, root: string): ArtifactDecl[] {
  if (!isPlainObject(value)) return [];
  const folder = rel(root, dir);
  const out: ArtifactDecl[] = [];
  for (const [name, spec] of Object.entries(value)) {
    if (!isPlainObject(spec)) continue;
    const p = str(spec['path']);
    if (p === null) continue;
    const labels = Array.isArray(spec['labels']) ? spec['labels'].map((l) => str(l)).filter((l): l is string => l !== null) : [];
    out.push({
      id: folder === '.' ? name : `${folder}:${name}`,
      path: URL.test(p) ? p : path.resolve(dir, p),
      type: str(spec['type']),
      desc: str(spec['desc']) ?? str(spec['description']),
      labels,
      declaredIn: dir,
    });
  }
  return out;
}

/**
 * dvc.yaml files are read on every scan (they say where the runs are), and the YAML parser takes
 * milliseconds per KB: parsed files are kept while their fingerprint holds.
 */
const parsedYamls = new Map<string, { fp: Fingerprint; yaml: DvcYaml | undefined; diags: Diagnostic[] }>();
const PARSED_YAMLS_KEPT = 256;

/** Reads one dvc.yaml; a malformed one yields a diagnostic and nothing else. */
export function parseDvcYaml(file: string, root: string, diags: Diagnostic[]): DvcYaml | undefined {
  const fp = fingerprintFile(file);
  const key = `${root}\0${file}`;
  const cached = parsedYamls.get(key);
  if (cached && fp && cached.fp && cached.fp[0] === fp[0] && cached.fp[1] === fp[1]) {
    diags.push(...cached.diags);
    return cached.yaml;
  }
  const own: Diagnostic[] = [];
  const yaml = parseDvcYamlNow(file, root, own);
  diags.push(...own);
  if (parsedYamls.size >= PARSED_YAMLS_KEPT) parsedYamls.delete(parsedYamls.keys().next().value!);
  parsedYamls.set(key, { fp, yaml, diags: own });
  return yaml;
}

function parseDvcYamlNow(file: string, root: string, diags: Diagnostic[]): DvcYaml | undefined {
  const value = readMappingFile(file, diags);
  if (!value) return undefined;
  const dir = path.dirname(file);
  const stages: StageDecl[] = [];
  const stagesValue = value['stages'];
  if (isPlainObject(stagesValue)) {
    for (const [name, raw] of Object.entries(stagesValue)) {
      if (!isPlainObject(raw)) continue;
      // foreach/matrix stages keep their definition under `do` (or at the top for matrix).
      const def = isPlainObject(raw['do']) ? raw['do'] : raw;
      const wdir = path.resolve(dir, str(def['wdir']) ?? '.');
      const paramFiles: string[] = [];
      for (const item of Array.isArray(def['params']) ? def['params'] : []) {
        if (str(item) !== null) paramFiles.push(path.join(wdir, 'params.yaml'));
        else if (isPlainObject(item)) for (const f of Object.keys(item)) paramFiles.push(path.resolve(wdir, f));
      }
      stages.push({
        name,
        wdir,
        outs: resolveAll(wdir, entryPaths(def['outs'])),
        metrics: resolveAll(wdir, entryPaths(def['metrics'])),
        plots: resolveAll(wdir, entryPaths(def['plots'])),
        paramFiles,
      });
    }
  } else if (stagesValue !== undefined && stagesValue !== null) {
    diags.push({ severity: 'warning', file, message: '`stages` is not a mapping of stage names; stages ignored' });
  }
  return {
    file,
    dir,
    rel: rel(root, file),
    stages,
    metrics: resolveAll(dir, entryPaths(value['metrics'])),
    plots: resolveAll(dir, topLevelPlotPaths(value['plots'])),
    params: resolveAll(dir, entryPaths(value['params'])),
    artifacts: parseArtifacts(value['artifacts'], dir, root),
  };
}

/** GTO's artifacts.yaml (before artifacts moved into dvc.yaml): `name: {path, type, description, labels}`. */
export function parseArtifactsYaml(file: string, root: string, diags: Diagnostic[]): ArtifactDecl[] {
  const value = readMappingFile(file, diags);
  return value ? parseArtifacts(value, path.dirname(file), root) : [];
}

/** The summary file of a DVCLive folder. */
export function summaryFile(f: { dir: string; layout: Layout }): string {
  return f.layout === 'v0' ? `${f.dir}.json` : path.join(f.dir, 'metrics.json');
}

/** The DVCLive folder a path belongs to (the folder, anything in it, or its 0.x summary). */
export function liveFolderOf(p: string, live: readonly LiveFolder[]): LiveFolder | undefined {
  let best: LiveFolder | undefined;
  for (const f of live) {
    if ((isInside(f.dir, p) || p === summaryFile(f)) && (!best || f.dir.length > best.dir.length)) best = f;
  }
  return best;
}

/**
 * Paths named in dvc.yaml `metrics:`, `plots:` and `params:` that may lead to DVCLive folders
 * (renamed log folders). Stage outs are left to the walk: there are many, mostly data.
 */
export function namedPaths(yamls: readonly DvcYaml[]): string[] {
  const out: string[] = [];
  for (const y of yamls) {
    out.push(...y.metrics, ...y.plots, ...y.params);
    for (const s of y.stages) out.push(...s.metrics, ...s.plots);
  }
  return out;
}

/**
 * DVCLive folders named in dvc.yaml that the walk did not reach (inside a tracked output, too
 * deep): a named path, or one of its parents, with the DVCLive layout.
 */
export function namedLiveFolders(root: string, yamls: readonly DvcYaml[], known: readonly LiveFolder[]): LiveFolder[] {
  const out: LiveFolder[] = [];
  const checked = new Set<string>();
  for (const p of namedPaths(yamls)) {
    if (!isInside(root, p) || liveFolderOf(p, known) || liveFolderOf(p, out)) continue;
    let dir = p;
    for (let up = 0; up < 4 && isInside(root, dir); up++, dir = path.dirname(dir)) {
      if (checked.has(dir)) break;
      checked.add(dir);
      if (!statOrUndefined(dir)?.isDirectory()) continue;
      const layout = layoutOfFolder(dir);
      if (layout) {
        out.push({ dir, id: rel(root, dir), layout, parent: null });
        break;
      }
    }
  }
  return out;
}

function existingFile(p: string): boolean {
  return statOrUndefined(p)?.isFile() ?? false;
}

/** Metrics files of the project itself (not a DVCLive folder's), in dvc.yaml order. */
export function projectMetricsFiles(yamls: readonly DvcYaml[], live: readonly LiveFolder[]): string[] {
  const out: string[] = [];
  for (const y of yamls) {
    for (const p of [...y.metrics, ...y.stages.flatMap((s) => s.metrics)]) {
      if (!out.includes(p) && !liveFolderOf(p, live) && existingFile(p)) out.push(p);
    }
  }
  return out;
}

/** Params files of the project: params.yaml at its root (DVC's default), then those dvc.yaml names. */
export function projectParamsFiles(root: string, yamls: readonly DvcYaml[], live: readonly LiveFolder[]): string[] {
  const out: string[] = [];
  const add = (p: string): void => {
    if (!out.includes(p) && !liveFolderOf(p, live) && existingFile(p)) out.push(p);
  };
  add(path.join(root, 'params.yaml'));
  for (const y of yamls) {
    for (const p of y.params) add(p);
    for (const s of y.stages) for (const p of s.paramFiles) add(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lineage

/** A node for one deps/outs entry; the hash as DVC records it (`md5:<value>`, `.dir` = folder). */
function entryNode(base: string, e: Record<string, unknown>): LineageNode | undefined {
  const p = str(e['path']);
  if (p === null) return undefined; // dataset deps (`dataset:`, `name:`) name no file
  const hash = entryHash(e);
  if (URL.test(p)) return { kind: 'dataset', key: p, ...(hash ? { hash } : {}) };
  const md5 = str(e['md5']);
  const dir = (md5 !== null && md5.endsWith('.dir')) || e['nfiles'] !== undefined;
  return { kind: dir ? 'dir' : 'file', key: path.resolve(base, p), ...(hash ? { hash } : {}) };
}

function entryHash(e: Record<string, unknown>): string | undefined {
  for (const name of ['md5', 'etag', 'checksum']) {
    const v = str(e[name]);
    if (v !== null) return `${name}:${v}`;
  }
  return undefined;
}

function entries(list: unknown): Record<string, unknown>[] {
  return Array.isArray(list) ? list.filter(isPlainObject) : [];
}

function flattenParamValues(value: unknown, prefix: string, out: [string, string][]): void {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flattenParamValues(v, `${prefix}.${k}`, out);
  } else out.push([prefix, paramText(value)]);
}

export interface LineageInput {
  root: string;
  yamls: readonly DvcYaml[];
  locks: readonly string[];
  pointers: readonly string[];
  artifacts: readonly ArtifactDecl[];
  live: readonly LiveFolder[];
}

/**
 * Edges: file → stage (`dep`), stage → file (`out`), param → stage (`param`), stage → run
 * (`produced`, when a stage writes a DVCLive folder), source → file (`import`, from pointer files
 * of `dvc import`), pointer → file (`tracks`, `dvc add`), model/dataset artifact → its file
 * (`artifact`), run → artifact or file (`produced`, for what DVCLive logged). Two stages connect
 * through a file node they share: the same path at the same hash.
 */
export function buildLineage(input: LineageInput, diags: Diagnostic[]): LineageEdge[] {
  const { root } = input;
  const edges: LineageEdge[] = [];
  const seen = new Set<string>();
  const add = (e: LineageEdge): void => {
    const k = JSON.stringify([e.from, e.to, e.relation]);
    if (seen.has(k)) return;
    seen.add(k);
    edges.push(e);
  };
  const hashes = new Map<string, LineageNode>();
  const runNode = (f: LiveFolder): LineageNode => ({ kind: 'run', key: f.id });
  const yamlByDir = new Map(input.yamls.map((y) => [y.dir, y]));

  for (const lockFile of input.locks) {
    const lock = readMappingFile(lockFile, diags);
    if (!lock) continue;
    const dir = path.dirname(lockFile);
    const yaml = yamlByDir.get(dir);
    const yamlRel = rel(root, path.join(dir, 'dvc.yaml'));
    // Schema 2.0 (DVC ≥ 2.1) keeps stages under `stages:`; the DVC 1.x lock file has them at the top.
    const stagesValue = lock['schema'] !== undefined || isPlainObject(lock['stages']) ? lock['stages'] : lock;
    if (!isPlainObject(stagesValue)) {
      diags.push({ severity: 'warning', file: lockFile, message: 'no `stages` mapping: nothing to read' });
      continue;
    }
    for (const [name, raw] of Object.entries(stagesValue)) {
      if (!isPlainObject(raw)) continue;
      const decl = yaml?.stages.find((s) => s.name === name.split('@')[0]);
      const wdir = decl?.wdir ?? dir;
      const stage: LineageNode = { kind: 'stage', key: `${yamlRel}:${name}` };
      for (const e of entries(raw['deps'])) {
        const node = entryNode(wdir, e);
        if (!node) continue;
        if (node.hash && !hashes.has(node.key)) hashes.set(node.key, node);
        add({ from: node, to: stage, relation: 'dep' });
      }
      const params = raw['params'];
      if (isPlainObject(params)) {
        for (const [file, values] of Object.entries(params)) {
          if (!isPlainObject(values)) continue;
          const fileRel = rel(root, path.resolve(wdir, file));
          const flat: [string, string][] = [];
          for (const [k, v] of Object.entries(values)) flattenParamValues(v, k, flat);
          for (const [k, v] of flat) add({ from: { kind: 'param', key: `${fileRel}:${k}` }, to: stage, relation: 'param', meta: { value: v } });
        }
      }
      const outPaths: string[] = [];
      for (const e of entries(raw['outs'])) {
        const node = entryNode(wdir, e);
        if (!node) continue;
        hashes.set(node.key, node);
        outPaths.push(node.key);
        add({ from: stage, to: node, relation: 'out' });
      }
      if (decl) outPaths.push(...decl.outs, ...decl.metrics, ...decl.plots);
      for (const f of producedRuns(outPaths, input.live)) add({ from: stage, to: runNode(f), relation: 'produced' });
    }
  }
  // Stages declared but never run (no lock entry) still say which DVCLive folder they write.
  for (const y of input.yamls) {
    for (const s of y.stages) {
      const stage: LineageNode = { kind: 'stage', key: `${y.rel}:${s.name}` };
      for (const f of producedRuns([...s.outs, ...s.metrics, ...s.plots], input.live)) add({ from: stage, to: runNode(f), relation: 'produced' });
    }
  }

  for (const pointer of input.pointers) {
    const value = readMappingFile(pointer, diags);
    if (!value) continue;
    const base = path.resolve(path.dirname(pointer), str(value['wdir']) ?? '.');
    const outs = entries(value['outs']).map((e) => entryNode(base, e)).filter((n): n is LineageNode => n !== undefined);
    if (outs.length === 0) {
      diags.push({ severity: 'warning', file: pointer, message: 'a .dvc file without `outs` entries: nothing is tracked' });
      continue;
    }
    const deps = entries(value['deps']);
    for (const out of outs) {
      if (out.hash) hashes.set(out.key, out);
      if (deps.length > 0) {
        for (const d of deps) {
          const repo = isPlainObject(d['repo']) ? d['repo'] : undefined;
          const depPath = str(d['path']);
          if (depPath === null) continue;
          const url = repo ? str(repo['url']) : null;
          const from: LineageNode = url ? { kind: 'dataset', key: `${url}/${depPath}` } : entryNode(base, d) ?? { kind: 'dataset', key: depPath };
          const meta: Record<string, unknown> = {};
          if (repo && str(repo['rev_lock'])) meta['rev'] = str(repo['rev_lock']);
          add({ from, to: out, relation: 'import', ...(Object.keys(meta).length ? { meta } : {}) });
        }
      } else {
        add({ from: { kind: 'file', key: pointer }, to: out, relation: 'tracks' });
      }
      const owner = liveFolderOf(pointer, input.live);
      if (owner) add({ from: runNode(owner), to: out, relation: 'produced' });
    }
  }

  for (const a of input.artifacts) {
    const target: LineageNode = URL.test(a.path) ? { kind: 'dataset', key: a.path } : hashes.get(a.path) ?? { kind: isDirectory(a.path) ? 'dir' : 'file', key: a.path };
    const kind = a.type === 'model' ? 'model' : a.type === 'dataset' || a.type === 'data' ? 'dataset' : undefined;
    const meta: Record<string, unknown> = { type: a.type };
    if (a.desc) meta['desc'] = a.desc;
    if (a.labels.length) meta['labels'] = a.labels;
    const artifact: LineageNode | undefined = kind ? { kind, key: a.id } : undefined;
    if (artifact) add({ from: artifact, to: target, relation: 'artifact', meta });
    // DVCLive 2.x declares what log_artifact() saved in its own dvc.yaml: the run produced it.
    const owner = input.live.find((f) => f.dir === a.declaredIn) ?? (URL.test(a.path) ? undefined : liveFolderOf(a.path, input.live));
    if (owner) add({ from: runNode(owner), to: artifact ?? target, relation: 'produced', ...(artifact ? {} : { meta }) });
  }
  return edges;
}

function isDirectory(p: string): boolean {
  return statOrUndefined(p)?.isDirectory() ?? false;
}

function producedRuns(paths: readonly string[], live: readonly LiveFolder[]): LiveFolder[] {
  const out: LiveFolder[] = [];
  for (const p of paths) {
    // A stage that writes a whole folder holding DVCLive folders (outs: [dvclive]) produced them all.
    for (const f of live) if ((isInside(p, f.dir) || liveFolderOf(p, [f])) && !out.includes(f)) out.push(f);
  }
  return out;
}
