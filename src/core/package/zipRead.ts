// Reading package zips defensively: a package may come from anywhere (a colleague, a CI artifact,
// an attacker). Every entry is checked before a byte is extracted: its name cannot escape the
// target folder (`../`, absolute paths, drive letters, backslashes), it is a plain file or folder
// (no symbolic links, devices or FIFOs), no two entries land on the same path, and its sizes are
// believable (no zip bombs). yauzl reads the central directory (never scanning for local headers)
// and checks each entry's actual size against the declared one; we add the rest.
import * as fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import * as yauzl from 'yauzl';
import { HASH_CHUNK } from './hashing';

export interface ZipLimits {
  /** Largest uncompressed entry. A model file can be tens of GB; beyond this nothing is real. */
  maxEntryBytes: number;
  /** Largest sum of uncompressed entries. */
  maxTotalBytes: number;
  /**
   * Largest uncompressed/compressed ratio, for entries above `ratioFloor`. Deflate cannot exceed
   * about 1032:1, so 1000:1 only refuses data that was made to be a bomb (or is all zeros).
   */
  maxRatio: number;
  ratioFloor: number;
  maxEntries: number;
  /** manifest.json is read whole into memory: keep it bounded. */
  maxManifestBytes: number;
}

export const DEFAULT_LIMITS: ZipLimits = {
  maxEntryBytes: 64 * 2 ** 30,
  maxTotalBytes: 64 * 2 ** 30,
  maxRatio: 1000,
  ratioFloor: 1024 * 1024,
  maxEntries: 100_000,
  maxManifestBytes: 64 * 1024 * 1024,
};

/** A zip that is unsafe or malformed; `problems` names each offending entry. */
export class UnsafeZipError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a safe package:\n${problems.map((p) => `  ✗ ${p}`).join('\n')}`);
  }
}

export interface ZipEntry {
  name: string;
  isDirectory: boolean;
  size: number;
  compressedSize: number;
  executable: boolean;
  raw: yauzl.Entry;
}

/**
 * Reads a zip through one descriptor in big chunks. yauzl's own file reader streams 16 KiB reads
 * (Node's default high-water mark); 1 MiB reads (HASH_CHUNK) let a 5 GB entry hash at disk speed.
 */
class FdReader extends yauzl.RandomAccessReader {
  constructor(private readonly fd: number) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    // Not fs.createReadStream: destroying it closes the descriptor whatever autoClose says, and the
    // descriptor is shared by every entry (closed once, by close()).
    const fd = this.fd;
    let pos = start;
    return new Readable({
      highWaterMark: HASH_CHUNK,
      read(): void {
        const want = Math.min(HASH_CHUNK, end - pos);
        if (want <= 0) {
          this.push(null);
          return;
        }
        const buf = Buffer.allocUnsafe(want);
        fs.read(fd, buf, 0, want, pos, (err, n) => {
          if (err) this.destroy(err);
          else if (n === 0) this.destroy(new Error('unexpected end of the zip file'));
          else {
            pos += n;
            this.push(n === want ? buf : buf.subarray(0, n));
          }
        });
      },
    });
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    let done = 0;
    const step = (): void => {
      if (done >= length) {
        callback(null);
        return;
      }
      fs.read(this.fd, buffer, offset + done, length - done, position + done, (err, n) => {
        if (err) return callback(err);
        if (n === 0) return callback(new Error('unexpected end of the zip file'));
        done += n;
        step();
      });
    };
    step();
  }

  override close(callback: (err: Error | null) => void): void {
    fs.close(this.fd, (err) => callback(err ?? null));
  }
}

export interface OpenZip {
  zip: yauzl.ZipFile;
  /** Bytes of the zip file. */
  size: number;
  close: () => void;
}

export async function openZip(file: string): Promise<OpenZip> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `no such package: ${file}` : `cannot read ${file}: ${(err as Error).message}`);
  }
  const size = fs.fstatSync(fd).size;
  const reader = new FdReader(fd);
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings false: names are decoded and judged here, so that each refusal names its entry
    // (yauzl would stop the whole listing at the first bad name with a generic message).
    zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { autoClose: false, lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (err) {
    fs.closeSync(fd);
    throw new Error(`${file} is not a readable zip: ${(err as Error).message}`);
  }
  let closed = false;
  return {
    zip,
    size,
    close: () => {
      if (closed) return;
      closed = true;
      zip.close();
    },
  };
}

/** Why an entry name is refused, or undefined. `name` is already decoded. */
export function unsafeName(name: string): string | undefined {
  const shown = JSON.stringify(name);
  if (name === '' || name === '/') return 'an entry has an empty name';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `entry ${shown} has control characters in its name`;
  if (name.includes('\\')) return `entry ${shown} uses backslashes: a Windows path that may escape the folder`;
  if (name.startsWith('/')) return `entry ${shown} is an absolute path`;
  if (/^[A-Za-z]:/.test(name)) return `entry ${shown} starts with a drive letter`;
  const parts = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  if (parts.includes('..')) return `entry ${shown} escapes the folder (a ".." segment)`;
  if (parts.some((p) => p === '' || p === '.')) return `entry ${shown} is not a normalized path (empty or "." segment)`;
  return undefined;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** "Version made by" hosts whose external attributes carry a Unix mode. */
const UNIX_HOSTS = new Set([3, 19]);

const human = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;

/**
 * Lists and judges every entry before anything is read. Returns the entries and every problem
 * found (an empty list: safe to extract within the limits).
 */
export async function listEntries(opened: OpenZip, limits: ZipLimits = DEFAULT_LIMITS): Promise<{ entries: ZipEntry[]; problems: string[] }> {
  const { zip } = opened;
  const entries: ZipEntry[] = [];
  const problems: string[] = [];
  if (zip.entryCount > limits.maxEntries) {
    return { entries, problems: [`the zip has ${zip.entryCount} entries (limit ${limits.maxEntries})`] };
  }
  let total = 0;
  try {
    for await (const raw of zip.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(raw.generalPurposeBitFlag, raw.fileNameRaw, raw.extraFields, true);
      const shown = JSON.stringify(name);
      const bad = unsafeName(name);
      if (bad) {
        problems.push(bad);
        continue;
      }
      let isDirectory = name.endsWith('/');
      let executable = false;
      if (UNIX_HOSTS.has(raw.versionMadeBy >> 8)) {
        const mode = (raw.externalFileAttributes >>> 16) & 0xffff;
        const type = mode & S_IFMT;
        if (type === S_IFLNK) {
          problems.push(`entry ${shown} is a symbolic link`);
          continue;
        }
        if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
          problems.push(`entry ${shown} is a special file (device, FIFO or socket)`);
          continue;
        }
        if (type === S_IFDIR) isDirectory = true;
        executable = (mode & 0o100) !== 0;
      }
      if (isDirectory && !name.endsWith('/')) {
        problems.push(`entry ${shown} is a folder without a trailing "/"`);
        continue;
      }
      if (raw.generalPurposeBitFlag & 0x1) {
        problems.push(`entry ${shown} is encrypted`);
        continue;
      }
      if (raw.compressionMethod !== 0 && raw.compressionMethod !== 8) {
        problems.push(`entry ${shown} uses compression method ${raw.compressionMethod} (only stored and deflate are read)`);
        continue;
      }
      const size = raw.uncompressedSize;
      const compressed = raw.compressedSize;
      if (size > limits.maxEntryBytes) {
        problems.push(`entry ${shown} declares ${human(size)} uncompressed (limit ${human(limits.maxEntryBytes)}): refusing a possible zip bomb`);
        continue;
      }
      if (size > limits.ratioFloor && size / Math.max(compressed, 1) > limits.maxRatio) {
        problems.push(
          `entry ${shown} declares ${human(size)} uncompressed from ${human(compressed)} (ratio ${Math.round(size / Math.max(compressed, 1))}:1, limit ${limits.maxRatio}:1): refusing a possible zip bomb`,
        );
        continue;
      }
      if (compressed > opened.size) {
        problems.push(`entry ${shown} declares ${human(compressed)} of data, more than the whole zip (${human(opened.size)})`);
        continue;
      }
      total += size;
      entries.push({ name, isDirectory, size, compressedSize: compressed, executable, raw });
    }
  } catch (err) {
    problems.push(`the zip's central directory is damaged: ${(err as Error).message}`);
    return { entries, problems };
  }
  if (total > limits.maxTotalBytes) problems.push(`the entries add up to ${human(total)} uncompressed (limit ${human(limits.maxTotalBytes)}): refusing a possible zip bomb`);

  // Two entries on one path, also when they differ only in case or Unicode form (they collide on
  // macOS and Windows), or a file where another entry needs a folder.
  const byKey = new Map<string, string>();
  const files = new Set<string>();
  for (const e of entries) {
    const clean = e.isDirectory ? e.name.slice(0, -1) : e.name;
    const key = clean.normalize('NFC').toLowerCase();
    const other = byKey.get(key);
    if (other !== undefined) {
      if (!(e.isDirectory && other.endsWith('/'))) problems.push(other === e.name ? `entry ${JSON.stringify(e.name)} appears twice` : `entries ${JSON.stringify(other)} and ${JSON.stringify(e.name)} name the same file`);
    } else byKey.set(key, e.name);
    if (!e.isDirectory) files.add(key);
  }
  for (const e of entries) {
    const parts = (e.isDirectory ? e.name.slice(0, -1) : e.name).normalize('NFC').toLowerCase().split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (files.has(prefix)) {
        problems.push(`entry ${JSON.stringify(e.name)} needs a folder where the zip has a file (${prefix})`);
        break;
      }
    }
  }
  return { entries, problems };
}

/** Opens an entry's data (inflated), or fails with a message naming it. */
export async function openEntry(opened: OpenZip, entry: ZipEntry): Promise<Readable> {
  try {
    return await opened.zip.openReadStreamPromise(entry.raw);
  } catch (err) {
    throw new Error(`cannot read entry ${entry.name}: ${(err as Error).message}`);
  }
}

/**
 * An error met while reading an entry's data, said with the entry's name. yauzl checks the
 * inflated length against the declared one itself ("too many bytes in the stream. expected N. got
 * at least M"), before our own counting sees the extra bytes: that is a zip lying about its size.
 */
export function entryReadError(entry: Pick<ZipEntry, 'name' | 'size'>, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/^too many bytes in the stream/.test(message)) return new Error(`entry ${entry.name} holds more than the ${entry.size} bytes it declares: stopped reading`);
  if (/^too few bytes in the stream/.test(message)) return new Error(`entry ${entry.name} holds fewer than the ${entry.size} bytes it declares (truncated or damaged)`);
  if (/^invalid (stored block lengths|distance|code|block type)|^unexpected end of file|incorrect header check/.test(message)) return new Error(`entry ${entry.name} cannot be inflated: ${message}`);
  return err instanceof Error ? err : new Error(message);
}

/** Reads an entry whole into memory (for manifest.json), refusing more than `max` bytes. */
export async function readEntryText(opened: OpenZip, entry: ZipEntry, max: number): Promise<string> {
  if (entry.size > max) throw new Error(`${entry.name} declares ${human(entry.size)} (limit ${human(max)})`);
  const stream = await openEntry(opened, entry);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > max) {
      stream.destroy();
      throw new Error(`${entry.name} holds more than ${human(max)}`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A sink that drops what it is given (hashing without writing). */
export function discard(): Writable {
  return new Writable({
    highWaterMark: HASH_CHUNK,
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

export { human as humanBytes };
