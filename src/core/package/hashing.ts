// SHA-256 of files by streaming: a 5 GB model never sits in memory. 8 MiB reads keep the
// per-chunk overhead (syscall, event-loop turn, Buffer) negligible next to the hash itself, so
// Node's OpenSSL sha256 runs at its own speed (bench/package.ts measures it against `sha256sum`).
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { Cancelled } from '../registry/objects';

export const HASH_CHUNK = 8 * 1024 * 1024;

export interface HashOptions {
  signal?: AbortSignal;
  /** Bytes hashed so far in this file. */
  onProgress?: (done: number) => void;
}

/** Streams a file through SHA-256; returns the hex digest and the byte count. */
export async function sha256File(file: string, options: HashOptions = {}): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const input = fs.createReadStream(file, { highWaterMark: HASH_CHUNK });
  try {
    for await (const chunk of input) {
      if (options.signal?.aborted) throw new Cancelled();
      const b = chunk as Buffer;
      hash.update(b);
      size += b.length;
      options.onProgress?.(size);
    }
  } finally {
    input.destroy();
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * The same, blocking: for the promotion gate, which the registry evaluates synchronously under
 * its journal lock. A promotion is rare and a package hashes at several hundred MB/s.
 */
export function sha256FileSync(file: string): { sha256: string; size: number } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(HASH_CHUNK);
  const fd = fs.openSync(file, 'r');
  let size = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
      size += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * A pass-through that hashes and counts what flows by. With `limit` it fails as soon as more
 * bytes than that arrive (an entry longer than it declared: stop reading at once).
 */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  digest: string | undefined;

  constructor(
    private readonly options: { limit?: number; signal?: AbortSignal; onBytes?: (n: number) => void; label?: string } = {},
  ) {
    super({ highWaterMark: HASH_CHUNK });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.options.signal?.aborted) {
      callback(new Cancelled());
      return;
    }
    this.bytes += chunk.length;
    if (this.options.limit !== undefined && this.bytes > this.options.limit) {
      callback(new Error(`${this.options.label ?? 'entry'} holds more than the ${this.options.limit} bytes it declares: stopped reading`));
      return;
    }
    this.hash.update(chunk);
    this.options.onBytes?.(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    callback();
  }
}
