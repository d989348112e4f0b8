// `mlcycle restore PACKAGE DIR`: extract a package into a folder, all or nothing. Every entry is
// judged first (zipRead.ts), then extracted into a fresh temporary folder beside DIR while its
// SHA-256 is checked against manifest.json; only a complete, verified extraction is renamed to DIR.
// Any failure (a bad entry, a wrong hash, a full disk, a cancel) removes the temporary folder:
// DIR never holds part of a package.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Cancelled } from '../registry/objects';
import { isInside } from '../util/paths';
import { HASH_CHUNK, HashingStream } from './hashing';
import { invalidManifest, MANIFEST_NAME, type Manifest } from './manifest';
import { DEFAULT_LIMITS, entryReadError, humanBytes, listEntries, openEntry, openZip, readEntryText, UnsafeZipError, type ZipLimits } from './zipRead';
import { fsyncDir } from '../util/fsync';

export interface RestoreOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  limits?: ZipLimits;
  /** Refuse (before writing) a package of another model or version. */
  expect?: { model: string; version: number };
}

export interface RestoreResult {
  dir: string;
  manifest: Manifest;
  files: number;
  bytes: number;
  durationMs: number;
}

export class RestoreError extends Error {}

export async function restorePackage(file: string, dir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const started = performance.now();
  const limits = options.limits ?? DEFAULT_LIMITS;
  const target = path.resolve(dir);
  checkTarget(target);
  const opened = await openZip(file);
  let tmp: string | undefined;
  try {
    const { entries, problems } = await listEntries(opened, limits);
    if (problems.length > 0) throw new UnsafeZipError(file, problems);
    const files = entries.filter((e) => !e.isDirectory);
    const byName = new Map(files.map((e) => [e.name, e]));
    const manifestEntry = byName.get(MANIFEST_NAME);
    if (!manifestEntry) throw new RestoreError(`${file} has no ${MANIFEST_NAME}: not an MLCycle package`);
    const parsed = JSON.parse(await readEntryText(opened, manifestEntry, limits.maxManifestBytes)) as unknown;
    const bad = invalidManifest(parsed);
    if (bad) throw new RestoreError(`${file}: ${bad}`);
    const manifest = parsed as Manifest;
    if (options.expect && (manifest.model !== options.expect.model || manifest.version !== options.expect.version)) {
      throw new RestoreError(`${file} holds ${manifest.model} v${manifest.version}, not ${options.expect.model} v${options.expect.version}`);
    }
    // The zip and its manifest must agree before anything is written.
    const mismatch: string[] = [];
    const listed = new Map(manifest.files.map((f) => [f.path, f]));
    for (const f of manifest.files) {
      const e = byName.get(f.path);
      if (!e) mismatch.push(`missing  ${f.path} (listed in the manifest, not in the zip)`);
      else if (e.size !== f.size) mismatch.push(`altered  ${f.path}: the zip declares ${e.size} bytes, the manifest ${f.size}`);
    }
    for (const e of files) if (e.name !== MANIFEST_NAME && !listed.has(e.name)) mismatch.push(`extra    ${e.name} (in the zip, not in the manifest)`);
    if (mismatch.length > 0) throw new UnsafeZipError(file, mismatch);

    const total = files.reduce((n, e) => n + e.size, 0);
    const parent = path.dirname(target);
    fs.mkdirSync(parent, { recursive: true });
    checkFreeSpace(parent, total);
    tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.restoring-`));
    let done = 0;
    for (const e of files) {
      if (options.signal?.aborted) throw new Cancelled();
      const out = path.join(tmp, ...e.name.split('/'));
      if (!isInside(tmp, out) || out === tmp) throw new RestoreError(`entry ${e.name} would land outside ${target}`); // names were checked; belt and braces
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const expected = e.name === MANIFEST_NAME ? undefined : listed.get(e.name)!;
      const hasher = new HashingStream({
        limit: e.size,
        label: `entry ${e.name}`,
        ...(options.signal ? { signal: options.signal } : {}),
        onBytes: (n) => options.onProgress?.((done += n), total),
      });
      // 'wx': never follow or overwrite anything; the folder is ours and new.
      const handle = await fs.promises.open(out, 'wx', e.executable ? 0o755 : 0o644);
      try {
        await pipeline(await openEntry(opened, e), hasher, fileSink(handle));
      } catch (err) {
        const explained = entryReadError(e, err);
        if (explained === err) throw err; // a write error (full disk) keeps its code; Cancelled stays Cancelled
        throw new RestoreError(explained.message);
      } finally {
        await handle.close();
      }
      if (hasher.bytes !== e.size) throw new RestoreError(`entry ${e.name} holds ${hasher.bytes} bytes, it declares ${e.size}`);
      if (expected && hasher.digest !== expected.sha256) {
        throw new UnsafeZipError(file, [`altered  ${e.name}: sha256 ${hasher.digest}, the manifest says ${expected.sha256}`]);
      }
    }
    for (const d of entries.filter((x) => x.isDirectory)) fs.mkdirSync(path.join(tmp, ...d.name.slice(0, -1).split('/')), { recursive: true });
    fsyncDir(tmp);
    // An empty folder is replaced (rename cannot replace a folder on every OS); a non-empty one was refused up front.
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.renameSync(tmp, target);
    tmp = undefined;
    fsyncDir(parent);
    return { dir: target, manifest, files: files.length, bytes: total, durationMs: performance.now() - started };
  } finally {
    opened.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes into an open file and fsyncs it at the end (the handle stays ours to close). */
function fileSink(handle: fs.promises.FileHandle): Writable {
  const writeAll = async (chunk: Buffer): Promise<void> => {
    let off = 0;
    while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
  };
  return new Writable({
    highWaterMark: HASH_CHUNK,
    write(chunk: Buffer, _encoding, callback): void {
      writeAll(chunk).then(() => callback(), callback);
    },
    final(callback): void {
      handle.sync().then(() => callback(), callback);
    },
  });
}

/** DIR must be absent or an empty folder: restoring never mixes a package with other files. */
function checkTarget(target: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw new RestoreError(`${target} exists and is not a folder`);
  if (fs.readdirSync(target).length > 0) throw new RestoreError(`${target} is not empty: restore into a new or empty folder`);
}

function checkFreeSpace(dir: string, bytes: number): void {
  let free: number;
  try {
    const s = fs.statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    return; // unknown: the write itself will tell
  }
  if (bytes > free) throw new RestoreError(`the package needs ${humanBytes(bytes)} but ${dir} has ${humanBytes(free)} free`);
}

