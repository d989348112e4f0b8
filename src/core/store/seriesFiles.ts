// Metric histories live beside the database, one file per run, not inside it.
//
// sql.js holds the whole database in memory and `export()` copies all of it on every save, so
// 10 M points inside it would cost ~100 MB of memory twice over and a second per save (DESIGN.md §9
// allows 0.3 s). The database keeps each metric's summary; the full history is read from the run's
// file when a view asks for it. Files are derived data: written by temp file + rename (a reader
// never sees half a file), without fsync (a file lost to a power cut is detected by its checksum
// or absence, and the run is read again from its source).
//
// File: "MLCS" | version u8 | varint count | count × (varint key length, key utf8, varint blob
// length, blob) | crc32 u32 LE of everything before it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('MLCS', 'latin1');
const VERSION = 1;

function varint(n: number, out: number[]): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

export class SeriesFiles {
  constructor(readonly dir: string) {}

  /** The file of a run: a hash of (source, run id), fanned out over 256 folders. */
  fileOf(sourcePath: string, nativeId: string): string {
    const h = createHash('sha1').update(sourcePath).update('\0').update(nativeId).digest('hex');
    return path.join(this.dir, h.slice(0, 2), h.slice(2) + '.bin');
  }

  /** The run's metric blobs by key; undefined when the file is missing or damaged. */
  read(sourcePath: string, nativeId: string): Map<string, Uint8Array> | undefined {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(this.fileOf(sourcePath, nativeId));
    } catch {
      return undefined;
    }
    return decodeRunFile(buf);
  }

  write(sourcePath: string, nativeId: string, blobs: ReadonlyMap<string, Uint8Array>): void {
    const file = this.fileOf(sourcePath, nativeId);
    if (blobs.size === 0) {
      fs.rmSync(file, { force: true });
      return;
    }
    const bytes = encodeRunFile(blobs);
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      fs.writeFileSync(tmp, bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(tmp, bytes);
    }
    fs.renameSync(tmp, file);
  }

  remove(sourcePath: string, nativeId: string): void {
    fs.rmSync(this.fileOf(sourcePath, nativeId), { force: true });
  }

  /** Removes every file (the database they belong to was rebuilt). */
  clear(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function encodeRunFile(blobs: ReadonlyMap<string, Uint8Array>): Buffer {
  const head: number[] = [];
  varint(blobs.size, head);
  const parts: Uint8Array[] = [MAGIC, Uint8Array.of(VERSION), Uint8Array.from(head)];
  for (const [key, blob] of blobs) {
    const k = Buffer.from(key, 'utf8');
    const lens: number[] = [];
    varint(k.length, lens);
    parts.push(Uint8Array.from(lens), k);
    const blobLen: number[] = [];
    varint(blob.length, blobLen);
    parts.push(Uint8Array.from(blobLen), blob);
  }
  const body = Buffer.concat(parts);
  const out = Buffer.allocUnsafe(body.length + 4);
  body.copy(out);
  out.writeUInt32LE(crc32(body), body.length);
  return out;
}

export function decodeRunFile(buf: Buffer): Map<string, Uint8Array> | undefined {
  if (buf.length < 9 || !buf.subarray(0, 4).equals(MAGIC) || buf[4] !== VERSION) return undefined;
  const bodyEnd = buf.length - 4;
  if (crc32(buf.subarray(0, bodyEnd)) !== buf.readUInt32LE(bodyEnd)) return undefined;
  let pos = 5;
  const readVarint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = buf[pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
  };
  const out = new Map<string, Uint8Array>();
  const count = readVarint();
  for (let i = 0; i < count; i++) {
    const kLen = readVarint();
    const key = buf.toString('utf8', pos, pos + kLen);
    pos += kLen;
    const bLen = readVarint();
    out.set(key, buf.subarray(pos, pos + bLen));
    pos += bLen;
    if (pos > bodyEnd) return undefined;
  }
  return out;
}
