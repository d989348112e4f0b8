// Folds the committed frames of a SQLite write-ahead log into a copy of the main database image,
// so that sql.js (which has no WAL reader) sees what SQLite readers see. FORMATS.md §1.12; the
// format is sqlite.org/walformat.html and fileformat2.html#walformat; a port of the validated
// shared/recipes/formats/walmerge.js.
//
// Never writes to disk: the result is an in-memory image.

const MAGIC_LE = 0x377f0682; // checksums computed on little-endian words
const MAGIC_BE = 0x377f0683; // checksums computed on big-endian words
const WAL_VERSION = 3007000;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;
const DB_HEADER = 100;

export interface WalMergeResult {
  /** The image to open: a merged copy, or the main image itself when nothing was merged. */
  image: Uint8Array;
  /** Whether committed WAL frames were folded in. */
  merged: boolean;
  /** Valid frames up to and including the last commit frame. */
  committedFrames: number;
  /** Valid frames after the last commit frame: a transaction still open (or abandoned). */
  pendingFrames: number;
  /** Set when the WAL file is not a usable log (too short, bad header); it was ignored. */
  problem?: string;
}

function checksum(view: DataView, off: number, len: number, bigEndian: boolean, s: [number, number]): void {
  let s0 = s[0];
  let s1 = s[1];
  for (let i = off; i < off + len; i += 8) {
    const x0 = view.getUint32(i, !bigEndian);
    const x1 = view.getUint32(i + 4, !bigEndian);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  s[0] = s0;
  s[1] = s1;
}

function isPageSize(n: number): boolean {
  return n >= 512 && n <= 65536 && (n & (n - 1)) === 0;
}

/** The main image's page size, or undefined when it has no readable header. */
function dbPageSize(db: Uint8Array): number | undefined {
  if (db.length < DB_HEADER) return undefined;
  const raw = (db[16]! << 8) | db[17]!;
  const size = raw === 1 ? 65536 : raw;
  return isPageSize(size) ? size : undefined;
}

export interface WalMergeOptions {
  /**
   * The caller owns `db` (a buffer it just read) and lets the merge write into it, which saves a
   * copy of the whole database when the snapshot is not larger than the file.
   */
  reuse?: boolean;
}

/**
 * Applies the WAL's committed frames to a copy of `db` (or to `db` itself, see `reuse`). Frames
 * are valid while their salts match the WAL header and the running checksum matches; the first
 * invalid frame ends the log (it is left over from before the last WAL reset, or torn). Frames
 * after the last commit frame belong to a transaction that is not committed: never applied.
 */
export function mergeWal(db: Uint8Array, wal: Uint8Array | undefined, options: WalMergeOptions = {}): WalMergeResult {
  const unmerged = (problem?: string): WalMergeResult => ({
    image: db,
    merged: false,
    committedFrames: 0,
    pendingFrames: 0,
    ...(problem ? { problem } : {}),
  });
  // An empty WAL is the normal state after a checkpoint that truncated it.
  if (!wal || wal.length === 0) return unmerged();
  if (wal.length < WAL_HEADER) return unmerged(`the WAL file is too short to hold a header (${wal.length} bytes)`);
  const view = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = view.getUint32(0);
  if (magic !== MAGIC_LE && magic !== MAGIC_BE) return unmerged('the WAL file has no WAL signature');
  const bigEndian = magic === MAGIC_BE;
  if (view.getUint32(4) !== WAL_VERSION) return unmerged(`unknown WAL format version ${view.getUint32(4)}`);
  const pageSize = view.getUint32(8);
  if (!isPageSize(pageSize)) return unmerged(`the WAL header has an invalid page size (${pageSize})`);
  const salt1 = view.getUint32(16);
  const salt2 = view.getUint32(20);
  const sum: [number, number] = [0, 0];
  checksum(view, 0, 24, bigEndian, sum);
  if (sum[0] !== view.getUint32(24) || sum[1] !== view.getUint32(28)) return unmerged('the WAL header checksum does not match');
  const mainPageSize = dbPageSize(db);
  // A main file without a header (empty, brand new) takes its page size from the log.
  if (mainPageSize !== undefined && mainPageSize !== pageSize) {
    return unmerged(`the WAL page size (${pageSize}) differs from the database's (${mainPageSize})`);
  }

  const frameSize = FRAME_HEADER + pageSize;
  const pending = new Map<number, number>(); // page number → offset of its newest content in the WAL
  const committed = new Map<number, number>();
  let dbPages = 0;
  let committedFrames = 0;
  let pendingFrames = 0;
  for (let off = WAL_HEADER; off + frameSize <= wal.length; off += frameSize) {
    if (view.getUint32(off + 8) !== salt1 || view.getUint32(off + 12) !== salt2) break;
    checksum(view, off, 8, bigEndian, sum);
    checksum(view, off + FRAME_HEADER, pageSize, bigEndian, sum);
    if (sum[0] !== view.getUint32(off + 16) || sum[1] !== view.getUint32(off + 20)) break;
    const pageNo = view.getUint32(off);
    if (pageNo === 0) break; // not a page: the log is damaged from here
    pending.set(pageNo, off + FRAME_HEADER);
    pendingFrames++;
    const commitSize = view.getUint32(off + 4);
    if (commitSize !== 0) {
      for (const [p, o] of pending) committed.set(p, o);
      pending.clear();
      committedFrames += pendingFrames;
      pendingFrames = 0;
      dbPages = commitSize;
    }
  }
  if (committed.size === 0) return { ...unmerged(), pendingFrames };

  // The commit frame's size is the database size of that snapshot: the image is cut or zero-extended.
  const size = dbPages * pageSize;
  let out: Uint8Array;
  if (options.reuse && size <= db.length) {
    out = db.subarray(0, size);
  } else {
    out = new Uint8Array(size);
    out.set(db.subarray(0, Math.min(db.length, size)));
  }
  for (const [p, o] of committed) {
    if (p > dbPages) continue; // a page beyond the committed size (the database shrank)
    out.set(wal.subarray(o, o + pageSize), (p - 1) * pageSize);
  }
  if (out.length >= DB_HEADER) {
    // Present a rollback-journal database so the WAL-less engine opens it as is...
    out[18] = 1;
    out[19] = 1;
    // ...and keep the in-header size consistent with the snapshot (SQLite trusts it when valid).
    new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(28, dbPages);
  }
  return { image: out, merged: true, committedFrames, pendingFrames };
}
