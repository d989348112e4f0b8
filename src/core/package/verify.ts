// `mlcycle verify PACKAGE`: recompute the SHA-256 of every file in the zip, streaming, and name
// each file that is missing, extra or altered against manifest.json. Unsafe entries are reported
// too (and never read).
import { pipeline } from 'node:stream/promises';
import { Cancelled } from '../registry/objects';
import { HashingStream } from './hashing';
import { invalidManifest, MANIFEST_NAME, type Manifest } from './manifest';
import { DEFAULT_LIMITS, discard, entryReadError, listEntries, openEntry, openZip, readEntryText, type ZipLimits } from './zipRead';

export interface AlteredFile {
  path: string;
  expected: { sha256: string; size: number };
  actual: { sha256: string | null; size: number };
  /** Why the bytes could not be read to the end, when they could not. */
  error?: string;
}

export interface VerifyResult {
  ok: boolean;
  file: string;
  manifest: Manifest | null;
  /** Files checked and their bytes. */
  files: number;
  bytes: number;
  missing: string[];
  extra: string[];
  altered: AlteredFile[];
  /** Unsafe entries, an unreadable manifest, a damaged zip. */
  problems: string[];
  durationMs: number;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  limits?: ZipLimits;
}

export async function verifyPackage(file: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const limits = options.limits ?? DEFAULT_LIMITS;
  const result: VerifyResult = { ok: false, file, manifest: null, files: 0, bytes: 0, missing: [], extra: [], altered: [], problems: [], durationMs: 0 };
  const opened = await openZip(file);
  try {
    const { entries, problems } = await listEntries(opened, limits);
    result.problems.push(...problems);
    const byName = new Map(entries.filter((e) => !e.isDirectory).map((e) => [e.name, e]));
    const manifestEntry = byName.get(MANIFEST_NAME);
    if (!manifestEntry) {
      result.problems.push(`${MANIFEST_NAME} is missing: this is not an MLCycle package`);
      return finish(result, started);
    }
    let manifest: Manifest;
    try {
      const parsed = JSON.parse(await readEntryText(opened, manifestEntry, limits.maxManifestBytes)) as unknown;
      const bad = invalidManifest(parsed);
      if (bad) throw new Error(bad);
      manifest = parsed as Manifest;
    } catch (err) {
      result.problems.push(`${MANIFEST_NAME} cannot be read: ${(err as Error).message}`);
      return finish(result, started);
    }
    result.manifest = manifest;
    const listed = new Set(manifest.files.map((f) => f.path));
    for (const e of byName.keys()) if (e !== MANIFEST_NAME && !listed.has(e)) result.extra.push(e);
    const total = manifest.files.reduce((n, f) => n + (byName.has(f.path) ? f.size : 0), 0);
    let done = 0;
    for (const f of manifest.files) {
      if (options.signal?.aborted) throw new Cancelled();
      const entry = byName.get(f.path);
      if (!entry) {
        result.missing.push(f.path);
        continue;
      }
      const base = done;
      const hasher = new HashingStream({
        // Never read past the declared size (a lying entry) nor past what the manifest promises.
        limit: Math.max(entry.size, f.size),
        label: `entry ${f.path}`,
        ...(options.signal ? { signal: options.signal } : {}),
        onBytes: (n) => options.onProgress?.((done += n), total),
      });
      try {
        await pipeline(await openEntry(opened, entry), hasher, discard());
      } catch (err) {
        if (err instanceof Cancelled) throw err;
        result.altered.push({ path: f.path, expected: { sha256: f.sha256, size: f.size }, actual: { sha256: null, size: hasher.bytes }, error: entryReadError(entry, err).message });
        done = base + f.size;
        continue;
      }
      result.files++;
      result.bytes += hasher.bytes;
      if (hasher.digest !== f.sha256 || hasher.bytes !== f.size) {
        result.altered.push({ path: f.path, expected: { sha256: f.sha256, size: f.size }, actual: { sha256: hasher.digest ?? null, size: hasher.bytes } });
      }
    }
  } finally {
    opened.close();
  }
  result.ok = result.missing.length === 0 && result.extra.length === 0 && result.altered.length === 0 && result.problems.length === 0;
  return finish(result, started);
}

function finish(r: VerifyResult, started: number): VerifyResult {
  r.durationMs = performance.now() - started;
  return r;
}

/** One line per mismatch, naming the file: what `mlcycle verify` prints. */
export function describeMismatches(r: VerifyResult): string[] {
  const lines: string[] = [];
  for (const p of r.problems) lines.push(`✗ ${p}`);
  for (const m of r.missing) lines.push(`✗ missing  ${m} (listed in the manifest, not in the zip)`);
  for (const e of r.extra) lines.push(`✗ extra    ${e} (in the zip, not in the manifest)`);
  for (const a of r.altered) {
    if (a.error) lines.push(`✗ altered  ${a.path}: ${a.error}`);
    // Both the size and the hash when the size differs: the hash is what a reader compares with
    // another copy, the size tells at a glance whether the file was cut or grew.
    else if (a.actual.size !== a.expected.size) lines.push(`✗ altered  ${a.path}: ${a.actual.size} bytes, sha256 ${a.actual.sha256}; the manifest says ${a.expected.size} bytes, sha256 ${a.expected.sha256}`);
    else lines.push(`✗ altered  ${a.path}: sha256 ${a.actual.sha256}, the manifest says ${a.expected.sha256}`);
  }
  return lines;
}
