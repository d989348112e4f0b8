// Building the deployment package of a registered model version: a zip of
//   manifest.json        the table of contents (manifest.ts), written last
//   MODEL_CARD.md        generated from the version, or the caller's edited text
//   model/…              the registered files, streamed from the object store; `model/MLmodel`
//                        (copied, or generated for a scikit-learn pickle/joblib), the run's
//                        environment files (requirements.txt, conda.yaml, python_env.yaml)
//   <resources>          the declared deployment resources at their workspace paths
//
// Zip library: yazl (write) and yauzl (read), by the same author. Both stream (a 5 GB model never
// sits in memory), use ZIP64 on their own past 4 GiB, are MIT licensed with one small dependency
// each, have been maintained for ten years (yauzl 3.4 in 2026) and are what VS Code's vsce uses.
// yauzl reads the central directory instead of scanning for local headers and checks each entry's
// real size against the declared one, which is what a safe restore needs. archiver (write only,
// many dependencies), adm-zip and JSZip (whole archives in memory) do not fit.
//
// Every byte is hashed as it is written, so manifest.json is complete when the last file has
// gone by. The zip is written to a temporary file next to the final one, fsync'd, then renamed:
// a full disk, a crash or a cancel never leaves a half package under the final name, and the
// temporary file is removed on failure.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as yazl from 'yazl';
// The module object itself (not an ES namespace copy): its `unsigned` is replaced below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import crc32 = require('buffer-crc32');
import type { Database } from 'sql.js';
import { Cancelled } from '../registry/objects';
import type { Registry, VersionRow } from '../registry/registry';
import { jsonNumber } from '../util/numbers';
import { fromStorePath, isInside } from '../util/paths';
import { HASH_CHUNK, HashingStream } from './hashing';
import {
  MANIFEST_NAME,
  MANIFEST_VERSION,
  MANIFEST_FORMAT,
  MODEL_CARD_NAME,
  MODEL_DIR,
  manifestText,
  TOOL,
  type FileRole,
  type Manifest,
  type ManifestFile,
  type ManifestLineageEdge,
  type ManifestLineageInput,
} from './manifest';
import { ENV_FILES, environmentVersions, generateMLmodel, JOBLIB_LOADER, JOBLIB_LOADER_MODULE, MLMODEL, readMLmodel, sniffPickle, type PickleFormat } from './mlmodel';
import { renderModelCard } from './modelCard';
import { declaredResources, expandResources, PackageConfigError } from './resources';
import { fsyncDir } from '../util/fsync';

// yazl computes each entry's CRC-32 with buffer-crc32, a JavaScript loop (~250 MB/s here) that
// would be the slowest step of a build; Node ≥ 20.15 has the same function in C (zlib.crc32,
// ~2 GB/s). yazl looks `crc32.unsigned` up on each call, so replacing it swaps the engine; the
// results are identical (test/unit/package.test.ts checks them).
if (typeof zlib.crc32 === 'function') {
  crc32.unsigned = (buf, previous) =>
    zlib.crc32(typeof buf === 'string' ? Buffer.from(buf) : buf, typeof previous === 'number' ? previous : Buffer.isBuffer(previous) ? previous.readUInt32BE(0) : 0);
}

export class PackageError extends Error {}

/** Where the zip's bytes go: a file by default; tests inject one that fails (a full disk). */
export interface OutputFile {
  write(chunk: Buffer): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** The zip to write (absolute, or relative to the workspace); default `.mlcycle/packages/<model>/v<N>/<model>-v<N>.zip`. */
  out?: string;
  /** Resource globs besides those of mlcycle.yaml (the extension's settings). */
  resources?: readonly string[];
  /** A glob matching no file is an error; with this it is a warning in the manifest. */
  allowMissingResources?: boolean;
  /** MODEL_CARD.md text to use instead of the generated one (an edited card). */
  modelCard?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** The package's creation time (tests). */
  now?: Date;
  openOutput?: (tmpPath: string) => Promise<OutputFile>;
  /** Files below this size are deflated; bigger ones (weights, which compress little) are stored. */
  compressBelow?: number;
}

export interface BuildResult {
  /** Absolute path of the zip. */
  path: string;
  sha256: string;
  size: number;
  manifest: Manifest;
  durationMs: number;
}

type Source = { kind: 'object'; sha256: string } | { kind: 'file'; abs: string } | { kind: 'buffer'; data: Buffer };

interface PlannedFile {
  path: string;
  role: FileRole;
  size: number;
  source: Source;
  executable: boolean;
}

export interface PackagePlan {
  files: PlannedFile[];
  draft: Omit<Manifest, 'files'>;
  /** The card that will be written (generated or given). */
  modelCard: string;
}

const DEFAULT_COMPRESS_BELOW = 32 * 1024 * 1024;
const SNIFF_BYTES = 4 * 1024 * 1024;
const MAX_SMALL_FILE = 1024 * 1024;

/** `.mlcycle/packages/<model>/v<N>/<model>-v<N>.zip`, beside the object store. */
export function defaultPackagePath(storeDir: string, model: string, version: number): string {
  return path.join(storeDir, 'packages', model, `v${version}`, `${model}-v${version}.zip`);
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

function rows(db: Database, sql: string, args: (string | number)[] = []): unknown[][] {
  return db.exec(sql, args)[0]?.values ?? [];
}
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

interface RunRecord {
  uid: number;
  kind: string;
  path: string | null;
  artifactDir: string | null;
  git: { commit: string | null; branch: string | null; dirty: boolean | null; remote: string | null };
  artifacts: string[];
}

function runRecord(db: Database, run: { source: string; id: string }): RunRecord | null {
  const r = rows(
    db,
    `SELECT r.id, s.kind, r.path, r.artifact_dir, r.git_commit, r.git_branch, r.git_dirty, r.git_remote FROM runs r JOIN sources s ON s.id = r.source_id
     WHERE s.path = ? AND r.native_id = ?`,
    [run.source, run.id],
  )[0];
  if (!r) return null;
  const uid = Number(r[0]);
  return {
    uid,
    kind: String(r[1]),
    path: strOrNull(r[2]),
    artifactDir: strOrNull(r[3]),
    git: { commit: strOrNull(r[4]), branch: strOrNull(r[5]), dirty: r[6] === null || r[6] === undefined ? null : Number(r[6]) !== 0, remote: strOrNull(r[7]) },
    artifacts: rows(db, 'SELECT path FROM artifacts WHERE run_id = ? ORDER BY path', [uid]).map((x) => String(x[0])),
  };
}

function lineageInputs(db: Database, uid: number): ManifestLineageInput[] {
  return rows(
    db,
    `SELECT i.kind, i.ref_id, i.context, d.name, d.digest, d.location, d.source_type FROM run_inputs i JOIN runs r ON r.id = i.run_id
     LEFT JOIN datasets d ON d.source_id = r.source_id AND d.native_id = i.ref_id WHERE i.run_id = ? ORDER BY i.kind, i.ref_id`,
    [uid],
  ).map(([kind, refId, context, name, digest, location, sourceType]) => ({
    kind: String(kind),
    name: strOrNull(name) ?? String(refId),
    digest: strOrNull(digest),
    source: strOrNull(location),
    sourceType: strOrNull(sourceType),
    context: strOrNull(context),
  }));
}

/** Lineage edges upstream of the run and of the model's files (DVC stages, their deps and params). */
function lineageEdges(db: Database, starts: { kind?: string; key: string; prefix?: boolean }[]): ManifestLineageEdge[] {
  const out: ManifestLineageEdge[] = [];
  const seenEdges = new Set<string>();
  const seenNodes = new Set<string>();
  let frontier = starts;
  for (let depth = 0; depth < 20 && frontier.length > 0 && out.length < 1000; depth++) {
    const next: typeof frontier = [];
    for (const n of frontier) {
      const nodeKey = `${n.kind ?? '*'}\0${n.key}\0${n.prefix ? 1 : 0}`;
      if (seenNodes.has(nodeKey)) continue;
      seenNodes.add(nodeKey);
      const where = n.prefix ? 'to_key LIKE ? ESCAPE \'\\\'' : 'to_key = ?';
      const key = n.prefix ? n.key.replace(/[\\%_]/g, (c) => '\\' + c) + '/%' : n.key;
      const args: string[] = [key];
      const kindClause = n.kind ? ' AND to_kind = ?' : '';
      if (n.kind) args.push(n.kind);
      for (const [fk, fkey, fh, tk, tkey, th, rel] of rows(db, `SELECT from_kind, from_key, from_hash, to_kind, to_key, to_hash, relation FROM lineage WHERE ${where}${kindClause} ORDER BY rowid`, args)) {
        const e: ManifestLineageEdge = {
          from: { kind: String(fk), key: String(fkey), hash: strOrNull(fh) },
          to: { kind: String(tk), key: String(tkey), hash: strOrNull(th) },
          relation: String(rel),
        };
        const id = JSON.stringify(e);
        if (seenEdges.has(id)) continue;
        seenEdges.add(id);
        out.push(e);
        next.push({ kind: e.from.kind, key: e.from.key });
      }
    }
    frontier = next;
  }
  return out;
}

function readObject(registry: Registry, sha256: string, max: number): Buffer {
  const fd = fs.openSync(registry.objects.pathOf(sha256), 'r');
  try {
    const buf = Buffer.alloc(max);
    const n = fs.readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function metricsOf(v: VersionRow): Manifest['metrics'] {
  const out: Manifest['metrics'] = {};
  for (const [k, m] of Object.entries(v.metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out[k] = { last: jsonNumber(m.last), min: jsonNumber(m.min), max: jsonNumber(m.max), step: m.lastStep, count: m.count };
  }
  return out;
}

/**
 * Decides what goes into the package, reading only small files (MLmodel, pickle heads, environment
 * files): nothing is written. Fails on anything that would make a broken package.
 */
export function planPackage(registry: Registry, model: string, version: number, options: Pick<BuildOptions, 'resources' | 'allowMissingResources' | 'modelCard' | 'now'> = {}): PackagePlan {
  const m = registry.model(model);
  if (!m) throw new PackageError(`no model named ${model}`);
  const v = m.versions.find((x) => x.version === version);
  if (!v) throw new PackageError(`${model} has no version ${version} (it has ${m.versions.map((x) => `v${x.version}`).join(', ') || 'none'})`);
  const workspace = registry.workspace;
  const store = registry.store;
  const warnings: string[] = [];
  const files: PlannedFile[] = [];

  const versionFiles = store
    .read((db) => rows(db, 'SELECT path, sha256, size FROM version_files WHERE model = ? AND version = ? ORDER BY path', [model, version]))
    .map(([p, sha, size]) => ({ path: String(p), sha256: String(sha), size: Number(size) }));
  if (versionFiles.length === 0) throw new PackageError(`${model} v${version} has no files in the registry`);
  for (const f of versionFiles) {
    if (!registry.objects.has(f.sha256)) throw new PackageError(`the object store lost ${f.path} of ${model} v${version} (sha256 ${f.sha256}): register the files again`);
    const top = !f.path.includes('/');
    files.push({
      path: `${MODEL_DIR}/${f.path}`,
      role: top && (ENV_FILES as readonly string[]).includes(f.path) ? 'environment' : top && f.path === MLMODEL ? 'mlmodel' : 'model',
      size: f.size,
      source: { kind: 'object', sha256: f.sha256 },
      executable: false,
    });
  }
  const inVersion = new Map(versionFiles.map((f) => [f.path, f]));

  // The run: git context, dataset inputs, lineage, and where to look for environment files.
  const run = v.run ? store.read((db) => runRecord(db, v.run!)) : null;
  if (v.run && !run) warnings.push(`run ${v.run.id} is no longer in the store: its environment files and lineage could not be read`);
  const inputs = run ? store.read((db) => lineageInputs(db, run.uid)) : [];
  const starts: { kind?: string; key: string; prefix?: boolean }[] = [];
  if (v.run) starts.push({ kind: 'run', key: `${v.run.source}#${v.run.id}` });
  if (v.sourcePath) starts.push({ key: v.sourcePath }, { kind: 'file', key: v.sourcePath, prefix: true });
  const edges = store.read((db) => lineageEdges(db, starts));

  // Environment files: in the registered files, else next to the model or in a folder above it
  // within the run's artifacts, else at the run's artifact root or in its folder. A file inside a
  // sibling folder (another model logged by the same run, say) describes that model, not this one.
  const envTexts: Partial<Record<(typeof ENV_FILES)[number], string>> = {};
  const environment: string[] = [];
  const sourceAbs = v.sourcePath ? fromStorePath(workspace, v.sourcePath) : null;
  const modelFolder = sourceAbs ? (versionFiles.length === 1 && versionFiles[0]!.path === path.basename(sourceAbs) ? path.dirname(sourceAbs) : sourceAbs) : null;
  for (const name of ENV_FILES) {
    const own = inVersion.get(name);
    if (own) {
      environment.push(`${MODEL_DIR}/${name}`);
      if (own.size <= MAX_SMALL_FILE) envTexts[name] = readObject(registry, own.sha256, own.size).toString('utf8');
      continue;
    }
    const candidates: string[] = [];
    if (modelFolder) candidates.push(path.join(modelFolder, name));
    if (run) {
      const artifactRoot = run.artifactDir ? fromStorePath(workspace, run.artifactDir) : null;
      if (modelFolder && artifactRoot && isInside(artifactRoot, modelFolder)) {
        for (let dir = path.dirname(modelFolder); isInside(artifactRoot, dir); dir = path.dirname(dir)) candidates.push(path.join(dir, name));
      }
      for (const dir of [run.artifactDir, run.path]) if (dir) candidates.push(path.join(fromStorePath(workspace, dir), name));
    }
    const found = candidates.find((c) => {
      try {
        return fs.statSync(c).isFile();
      } catch {
        return false;
      }
    });
    if (!found) continue;
    const st = fs.statSync(found);
    files.push({ path: `${MODEL_DIR}/${name}`, role: 'environment', size: st.size, source: { kind: 'file', abs: found }, executable: false });
    environment.push(`${MODEL_DIR}/${name}`);
    if (st.size <= MAX_SMALL_FILE) envTexts[name] = fs.readFileSync(found, 'utf8');
  }

  // MLmodel: the registered one, or one generated for a scikit-learn pickle/joblib.
  const created = (options.now ?? new Date()).toISOString();
  const mlflow: Manifest['mlflow'] = { modelDir: null, mlmodel: null, flavors: [], signature: null, inputExample: null };
  const own = inVersion.get(MLMODEL);
  if (own) {
    if (own.size > MAX_SMALL_FILE) throw new PackageError(`${model} v${version}: MLmodel is ${own.size} bytes, too big to be an MLmodel file`);
    let info: ReturnType<typeof readMLmodel>;
    try {
      info = readMLmodel(readObject(registry, own.sha256, own.size).toString('utf8'));
    } catch (err) {
      throw new PackageError(`${model} v${version}: ${(err as Error).message}`);
    }
    Object.assign(mlflow, { modelDir: MODEL_DIR, mlmodel: 'copied', flavors: info.flavors, signature: info.signature });
    if (info.inputExample) {
      const ex = inVersion.get(info.inputExample.path);
      let value: unknown = null;
      if (ex && ex.size <= MAX_SMALL_FILE) {
        try {
          value = JSON.parse(readObject(registry, ex.sha256, ex.size).toString('utf8')) as unknown;
        } catch {
          warnings.push(`the input example ${info.inputExample.path} is not valid JSON`);
        }
      } else if (!ex) warnings.push(`MLmodel names an input example ${info.inputExample.path} that is not among the registered files`);
      mlflow.inputExample = { path: `${MODEL_DIR}/${info.inputExample.path}`, type: info.inputExample.type, value };
    }
  } else {
    const pickles = versionFiles.filter((f) => /\.(pkl|pickle|joblib)$/i.test(f.path));
    const chosen = pickles.length === 1 ? pickles[0] : pickles.find((f) => /^model\.(pkl|pickle|joblib)$/i.test(f.path));
    if (pickles.length > 1 && !chosen) warnings.push(`no MLmodel generated: ${pickles.length} pickle files and none is named model.pkl or model.joblib`);
    if (chosen) {
      const sniff = sniffPickle(readObject(registry, chosen.sha256, SNIFF_BYTES), chosen.path);
      if (!sniff) warnings.push(`no MLmodel generated: ${chosen.path} is not an uncompressed pickle (compressed joblib files cannot be looked into)`);
      else if (!sniff.sklearn) warnings.push(`no MLmodel generated: ${chosen.path} does not hold a scikit-learn model`);
      else {
        const versions = environmentVersions(envTexts);
        const format: PickleFormat = sniff.format;
        const text = generateMLmodel({
          modelFile: chosen.path,
          format,
          env: environment.map((e) => e.slice(MODEL_DIR.length + 1)),
          sklearnVersion: versions.sklearn,
          pythonVersion: versions.python,
          modelSizeBytes: v.bytes,
          created: new Date(created),
          identity: `${model}\0${version}\0${v.digest}`,
          metadata: { generated_by: `${TOOL.name} ${TOOL.version}`, mlcycle_model: model, mlcycle_version: version, serialization: format },
        });
        files.push({ path: `${MODEL_DIR}/${MLMODEL}`, role: 'mlmodel', size: Buffer.byteLength(text), source: { kind: 'buffer', data: Buffer.from(text) }, executable: false });
        if (format === 'joblib') {
          const loader = Buffer.from(JOBLIB_LOADER);
          files.push({ path: `${MODEL_DIR}/code/${JOBLIB_LOADER_MODULE}.py`, role: 'code', size: loader.length, source: { kind: 'buffer', data: loader }, executable: false });
        }
        Object.assign(mlflow, { modelDir: MODEL_DIR, mlmodel: 'generated', flavors: format === 'joblib' ? ['python_function'] : ['python_function', 'sklearn'] });
        if (!versions.sklearn) warnings.push('the scikit-learn version is unknown (no requirements.txt or conda.yaml pins scikit-learn): MLflow cannot warn about a mismatch');
      }
    }
  }
  if (environment.length === 0) warnings.push('no environment file (requirements.txt, conda.yaml, python_env.yaml) was found for the run: record the dependencies to serve the model elsewhere');

  // Deployment resources.
  let declared: ReturnType<typeof declaredResources>;
  let expanded: ReturnType<typeof expandResources>;
  try {
    declared = declaredResources(workspace, model);
    expanded = expandResources(workspace, [...declared.globs, ...(options.resources ?? [])]);
  } catch (err) {
    if (err instanceof PackageConfigError) throw new PackageError(err.message);
    throw err;
  }
  const taken = new Map(files.map((f) => [f.path, 'the model']));
  const resources: Manifest['resources'] = [];
  for (const { glob, files: matched } of expanded.matches) {
    const listed: string[] = [];
    for (const r of matched) {
      if (r.rel === MANIFEST_NAME || r.rel === MODEL_CARD_NAME || r.rel.startsWith(`${MODEL_DIR}/`)) {
        throw new PackageError(`resource ${r.rel} (from "${glob}") would take a place the package reserves (${MANIFEST_NAME}, ${MODEL_CARD_NAME} and ${MODEL_DIR}/): move it or narrow the glob`);
      }
      listed.push(r.rel);
      if (taken.has(r.rel)) continue; // two globs matching one file
      taken.set(r.rel, glob);
      files.push({ path: r.rel, role: 'resource', size: r.size, source: { kind: 'file', abs: r.abs }, executable: r.executable });
    }
    resources.push({ glob, files: listed });
  }
  // A glob matching nothing comes after the errors no flag can lift (a reserved place above): the
  // user who adds --allow-missing-resources should not meet a second error on the next build.
  for (const g of expanded.missing) {
    const where = declared.globs.includes(g) && declared.file ? ` (declared in ${path.basename(declared.file)} for ${model})` : '';
    const message = `resource glob "${g}"${where} matches no file`;
    if (!options.allowMissingResources) throw new PackageError(`${message}: fix the glob, add the file, or build with --allow-missing-resources`);
    warnings.push(message);
  }

  const remote = run?.git.remote ?? null;
  const draft: Omit<Manifest, 'files'> = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    model,
    version,
    stage: v.stage,
    description: m.description,
    aliases: v.aliases,
    created,
    tool: { name: TOOL.name, version: TOOL.version },
    registered: { time: new Date(v.registered).toISOString(), by: v.actor, sourcePath: v.sourcePath, digest: v.digest, bytes: v.bytes },
    run: v.run ? { source: v.run.source, id: v.run.id, name: v.run.name } : null,
    git: { commit: v.gitCommit ?? run?.git.commit ?? null, remote, branch: run?.git.branch ?? null, dirty: run?.git.dirty ?? null },
    params: Object.fromEntries(Object.entries(v.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    metrics: metricsOf(v),
    lineage: { inputs, edges },
    mlflow,
    environment: environment.sort(),
    resources,
    warnings,
  };
  const modelFiles = versionFiles.map((f) => ({ path: `${MODEL_DIR}/${f.path}`, sha256: f.sha256, size: f.size, role: 'model' as const }));
  const modelCard = options.modelCard ?? renderModelCard(draft, modelFiles);
  const card = Buffer.from(modelCard);
  files.push({ path: MODEL_CARD_NAME, role: 'model-card', size: card.length, source: { kind: 'buffer', data: card }, executable: false });
  files.sort(byPath);
  return { files, draft, modelCard };
}

async function openFileOutput(tmp: string): Promise<OutputFile> {
  const handle = await fs.promises.open(tmp, 'wx', 0o644);
  return {
    write: async (chunk) => {
      let off = 0;
      while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
    },
    sync: () => handle.sync(),
    close: () => handle.close(),
  };
}

/** Temporary files of builds whose process is gone (killed mid-build): they will never be renamed. */
function removeAbandoned(final: string): void {
  const dir = path.dirname(final);
  const prefix = `${path.basename(final)}.partial-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // still building
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') continue;
    }
    fs.rmSync(path.join(dir, n), { force: true });
  }
}

/** Removes `dir` and its parents up to `top` (included) while they are empty. */
function removeEmptyUpTo(dir: string, top: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d); // fails on a folder that is not empty: then its parents are not either
    } catch {
      return;
    }
    if (d === top || path.dirname(d) === d) return;
  }
}

/** Builds the package of a version into `out` (see the top of this file). */
export async function buildPackage(registry: Registry, model: string, version: number, options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  if (options.signal?.aborted) throw new Cancelled();
  const plan = planPackage(registry, model, version, options);
  const storeDir = path.dirname(registry.store.dbPath);
  const final = options.out ? path.resolve(registry.workspace, options.out) : defaultPackagePath(storeDir, model, version);
  // The first folder this build created: removed again (when still empty) if the build fails.
  const createdDir = fs.mkdirSync(path.dirname(final), { recursive: true });
  removeAbandoned(final);
  const tmp = `${final}.partial-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const mtime = new Date(plan.draft.created);
  const compressBelow = options.compressBelow ?? DEFAULT_COMPRESS_BELOW;
  const total = plan.files.reduce((n, f) => n + f.size, 0);
  let done = 0;

  let failure: Error | undefined;
  let rejectFailed: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  const fail = (err: unknown): void => {
    if (failure) return;
    failure = err instanceof Error ? err : new Error(String(err));
    rejectFailed(failure);
  };
  const onAbort = (): void => fail(new Cancelled());
  options.signal?.addEventListener('abort', onAbort);

  const zip = new yazl.ZipFile();
  zip.on('error', fail);
  const output = zip.outputStream as unknown as NodeJS.ReadableStream & { destroy(err?: Error): void };
  const streams: { destroy(): void }[] = [];
  let out: OutputFile | undefined;
  let writer: Promise<void> | undefined;
  const zipHash = createHash('sha256');
  let zipSize = 0;
  try {
    out = await (options.openOutput ?? openFileOutput)(tmp);
    const sink = out;
    writer = (async () => {
      for await (const chunk of output) {
        if (failure) return;
        const b = chunk as Buffer;
        zipHash.update(b);
        zipSize += b.length;
        await sink.write(b);
      }
    })();
    writer.catch(fail);

    const written: ManifestFile[] = [];
    const pending: Promise<void>[] = [];
    for (const f of plan.files) {
      const common = { mtime, mode: f.executable ? 0o100755 : 0o100644, compress: f.size < compressBelow };
      if (f.source.kind === 'buffer') {
        zip.addBuffer(f.source.data, f.path, common);
        written.push({ path: f.path, sha256: createHash('sha256').update(f.source.data).digest('hex'), size: f.size, role: f.role });
        done += f.size;
        continue;
      }
      const source = f.source;
      const abs = source.kind === 'object' ? registry.objects.pathOf(source.sha256) : source.abs;
      pending.push(
        new Promise<void>((resolve) => {
          zip.addReadStreamLazy(f.path, { ...common, size: f.size }, (cb) => {
            if (failure) return;
            const input = fs.createReadStream(abs, { highWaterMark: HASH_CHUNK });
            const hasher = new HashingStream({
              limit: f.size,
              label: f.path,
              ...(options.signal ? { signal: options.signal } : {}),
              onBytes: (n) => options.onProgress?.((done += n), total),
            });
            streams.push(input, hasher);
            input.on('error', (err) => fail(new PackageError(`cannot read ${source.kind === 'object' ? `the stored copy of ${f.path}` : path.relative(registry.workspace, abs)}: ${err.message}`)));
            hasher.on('error', (err) => fail(err instanceof Cancelled ? err : new PackageError(`${f.path} changed while the package was built: ${err.message}`)));
            hasher.on('end', () => {
              if (hasher.bytes !== f.size) return fail(new PackageError(`${f.path} changed while the package was built (${hasher.bytes} bytes, ${f.size} expected)`));
              if (source.kind === 'object' && hasher.digest !== source.sha256) {
                return fail(new PackageError(`the object store's copy of ${f.path} is damaged: sha256 ${hasher.digest}, registered as ${source.sha256}`));
              }
              written.push({ path: f.path, sha256: hasher.digest!, size: hasher.bytes, role: f.role });
              resolve();
            });
            input.pipe(hasher);
            cb(null, hasher);
          });
        }),
      );
    }
    await Promise.race([Promise.all(pending), failed]);
    const manifest: Manifest = { ...plan.draft, files: written.sort(byPath) };
    zip.addBuffer(Buffer.from(manifestText(manifest)), MANIFEST_NAME, { mtime, mode: 0o100644, compress: true });
    zip.end();
    await Promise.race([writer, failed]);
    if (failure) throw failure;
    await out.sync();
    await out.close();
    out = undefined;
    fs.renameSync(tmp, final);
    fsyncDir(path.dirname(final));
    return { path: final, sha256: zipHash.digest('hex'), size: zipSize, manifest, durationMs: performance.now() - started };
  } catch (err) {
    fail(err);
    throw failure ?? err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (failure) {
      for (const s of streams) s.destroy();
      output.destroy();
      await writer?.catch(() => undefined);
      if (out) await out.close().catch(() => undefined);
      fs.rmSync(tmp, { force: true });
      if (createdDir) removeEmptyUpTo(path.dirname(final), createdDir);
    }
  }
}

