// SHA-256 of files by streaming: a 5 GB model never sits in memory. Reads go into two 1 MiB
// buffers used over and over (one is hashed while the next read fills the other), so the bytes
// are hashed while still in the CPU's cache. Measured (bench/package.ts, docs/BENCHMARKS.md): a
// stream's fresh 8 MiB buffers made the same hash 3-5x slower, each new buffer faulted in and
// read from RAM again; 1 MiB reused buffers run at OpenSSL's own speed.
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { Cancelled } from '../util/cancelled';

/** Chunk size for every package read and pipe (see the top of this file). */
export const HASH_CHUNK = 1024 * 1024;

export interface HashOptions {
  signal?: AbortSignal;
  /** Bytes hashed so far in this file. */
  onProgress?: (done: number) => void;
  /** Each chunk as it is hashed (to copy it): valid only during the call, its buffer is reused. */
  onChunk?: (chunk: Buffer) => void;
}

/** Streams a file through SHA-256; returns the hex digest and the byte count. */
export async function sha256File(file: string, options: HashOptions = {}): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(HASH_CHUNK), Buffer.allocUnsafe(HASH_CHUNK)];
    let which = 0;
    let pending = handle.read(buffers[0]!, 0, HASH_CHUNK, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      if (options.signal?.aborted) throw new Cancelled();
      const current = buffers[which]!;
      which ^= 1;
      pending = handle.read(buffers[which]!, 0, HASH_CHUNK, null); // the next read runs while this chunk is hashed
      const chunk = bytesRead === HASH_CHUNK ? current : current.subarray(0, bytesRead);
      hash.update(chunk);
      options.onChunk?.(chunk);
      size += bytesRead;
      options.onProgress?.(size);
    }
  } finally {
    await handle.close();
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
