// Compact encoding of one metric history (steps, wall times, values) as a single BLOB.
// DESIGN.md §9 budgets 10 M points in ≤ 100 MB, so a row per point (≈58 B) is out of the question,
// and so is general-purpose compression: deflate costs ~100 µs per small series (10 s per 100,000)
// and gains little on float mantissas. Instead, bit-level encodings made for time series:
//
//   byte   version (1)
//   varint n
//   byte   step mode   0: arithmetic: zigzag start, zigzag stride
//                      1: zigzag first, then deltas bit-packed (byte width, n-1 zigzag values)
//   byte   time mode   0: no times
//                      1: zigzag first, zigzag first delta, byte width, n-2 delta-of-deltas packed
//                      2: the times of another series of the same run plus a constant: varint
//                         key length, key, zigzag offset (metrics logged together share times,
//                         as MLflow's log_metrics and every framework's epoch-end logging do)
//   byte   value mode  0: float64 XOR-with-previous, Gorilla style (Pelkonen et al., VLDB 2015):
//                         '0' same value; '10' + bits inside the previous window;
//                         '11' + 6-bit leading zeros + 6-bit length-1 + bits
//                      2: decimal: byte k, zigzag first m, byte width, n-1 zigzag deltas of m,
//                         where value = m / 10^k (rounded metrics, counts)
// Values keep their exact bits, NaN and ±Infinity included.
export interface Series {
  steps: number[];
  /** Wall time in ms since the epoch, one per point; null when the format records none. */
  times: number[] | null;
  values: number[];
}

const VERSION = 1;
const MAX_DECIMALS = 6;
const POW10 = Array.from({ length: MAX_DECIMALS + 1 }, (_, k) => 10 ** k);
const TWO32 = 0x1_0000_0000;

class BitWriter {
  buf: Uint8Array;
  pos = 0;
  private cur = 0;
  private used = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }
  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  /** Pads to a byte boundary. */
  align(): void {
    if (this.used > 0) {
      this.ensure(1);
      this.buf[this.pos++] = (this.cur << (8 - this.used)) & 0xff;
      this.cur = 0;
      this.used = 0;
    }
  }
  byte(b: number): void {
    this.align();
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  varint(n: number): void {
    this.align();
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  zigzag(n: number): void {
    this.varint(zigzag(n));
  }
  /** Writes the low `width` bits of value (width ≤ 32), most significant first. */
  bits(value: number, width: number): void {
    if (width > 24) {
      this.bits(value >>> 16, width - 16);
      this.bits(value & 0xffff, 16);
      return;
    }
    // `cur` holds fewer than 8 pending bits, so the shifted accumulator stays within 31 bits.
    this.ensure(4);
    this.cur = (this.cur << width) | (value & ((1 << width) - 1));
    this.used += width;
    while (this.used >= 8) {
      this.used -= 8;
      this.buf[this.pos++] = (this.cur >>> this.used) & 0xff;
    }
    this.cur &= (1 << this.used) - 1;
  }
  /** Writes a non-negative integer of up to 53 bits. */
  wide(value: number, width: number): void {
    if (width > 32) {
      this.bits(Math.floor(value / TWO32), width - 32);
      this.bits(value >>> 0, 32);
    } else this.bits(value, width);
  }
  result(): Uint8Array {
    this.align();
    return this.buf.slice(0, this.pos);
  }
}

class BitReader {
  private pos = 0;
  private cur = 0;
  private left = 0;
  constructor(private readonly buf: Uint8Array) {}
  private nextByte(): number {
    if (this.pos >= this.buf.length) throw new Error('series blob is truncated');
    return this.buf[this.pos++]!;
  }
  align(): void {
    this.left = 0;
  }
  byte(): number {
    this.align();
    return this.nextByte();
  }
  varint(): number {
    this.align();
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.nextByte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
  }
  zigzag(): number {
    return unzigzag(this.varint());
  }
  bits(width: number): number {
    if (width > 24) {
      const high = this.bits(width - 16);
      return high * 0x10000 + this.bits(16);
    }
    while (this.left < width) {
      this.cur = ((this.cur << 8) | this.nextByte()) & 0x7fffffff;
      this.left += 8;
    }
    this.left -= width;
    return (this.cur >>> this.left) & ((1 << width) - 1);
  }
  wide(width: number): number {
    if (width > 32) {
      const hi = this.bits(width - 32);
      return hi * TWO32 + this.bits(32);
    }
    return this.bits(width);
  }
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

function bitWidth(max: number): number {
  let w = 0;
  while (w < 53 && 2 ** w <= max) w++;
  return w;
}

/** Bit-packs zigzag(deltas) at one width; `deltas` is consumed. */
function writePacked(w: BitWriter, values: number[]): void {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const z = zigzag(values[i]!);
    values[i] = z;
    if (z > max) max = z;
  }
  const width = bitWidth(max);
  w.byte(width);
  for (const z of values) w.wide(z, width);
  w.align();
}

function readPacked(r: BitReader, count: number): number[] {
  const width = r.byte();
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = unzigzag(r.wide(width));
  r.align();
  return out;
}

function isArithmetic(steps: number[]): boolean {
  if (steps.length < 2) return true;
  const stride = steps[1]! - steps[0]!;
  for (let i = 2; i < steps.length; i++) if (steps[i]! - steps[i - 1]! !== stride) return false;
  return true;
}

/** The number of decimals k ≤ 6 such that every value is an integer times 10^-k, or -1. */
function decimalScale(values: number[]): number {
  let k = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) return -1;
    while (k <= MAX_DECIMALS) {
      const m = Math.round(v * POW10[k]!);
      if (Math.abs(m) <= 2 ** 52 && m / POW10[k]! === v) break;
      k++;
    }
    if (k > MAX_DECIMALS) return -1;
  }
  return k;
}

const f64 = new Float64Array(1);
const f64words = new Uint32Array(f64.buffer); // little-endian: [0] low word, [1] high word (sign, exponent)

function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function ctz64(hi: number, lo: number): number {
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
}

/** Writes bits [shift, shift + width) of the 64-bit (hi, lo). */
function writeWindow(w: BitWriter, hi: number, lo: number, shift: number, width: number): void {
  let h: number;
  let l: number;
  if (shift === 0) {
    h = hi;
    l = lo;
  } else if (shift < 32) {
    l = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    h = hi >>> shift;
  } else {
    l = hi >>> (shift - 32);
    h = 0;
  }
  if (width > 32) {
    w.bits(h, width - 32);
    w.bits(l, 32);
  } else w.bits(l, width);
}

function readWindow(r: BitReader, shift: number, width: number): [number, number] {
  let h = 0;
  let l: number;
  if (width > 32) {
    h = r.bits(width - 32);
    l = r.bits(32);
  } else l = r.bits(width);
  if (shift === 0) return [h, l];
  if (shift < 32) return [((h << shift) | (l >>> (32 - shift))) >>> 0, (l << shift) >>> 0];
  return [(l << (shift - 32)) >>> 0, 0];
}

function writeGorilla(w: BitWriter, values: number[]): void {
  let prevHi = 0;
  let prevLo = 0;
  let winLead = -1;
  let winTrail = 0;
  for (const v of values) {
    f64[0] = v;
    const hi = f64words[1]!;
    const lo = f64words[0]!;
    const xh = (hi ^ prevHi) >>> 0;
    const xl = (lo ^ prevLo) >>> 0;
    prevHi = hi;
    prevLo = lo;
    if (xh === 0 && xl === 0) {
      w.bits(0, 1);
      continue;
    }
    const lead = Math.min(63, clz64(xh, xl));
    const trail = ctz64(xh, xl);
    if (winLead >= 0 && lead >= winLead && trail >= winTrail) {
      w.bits(0b10, 2);
      writeWindow(w, xh, xl, winTrail, 64 - winLead - winTrail);
    } else {
      const width = 64 - lead - trail;
      w.bits(0b11, 2);
      w.bits(lead, 6);
      w.bits(width - 1, 6);
      writeWindow(w, xh, xl, trail, width);
      winLead = lead;
      winTrail = trail;
    }
  }
  w.align();
}

function readGorilla(r: BitReader, n: number): number[] {
  const out: number[] = new Array(n);
  let hi = 0;
  let lo = 0;
  let winLead = 0;
  let winTrail = 0;
  for (let i = 0; i < n; i++) {
    if (r.bits(1) === 1) {
      if (r.bits(1) === 1) {
        winLead = r.bits(6);
        const width = r.bits(6) + 1;
        winTrail = 64 - winLead - width;
      }
      const [xh, xl] = readWindow(r, winTrail, 64 - winLead - winTrail);
      hi = (hi ^ xh) >>> 0;
      lo = (lo ^ xl) >>> 0;
    }
    f64words[1] = hi;
    f64words[0] = lo;
    out[i] = f64[0]!;
  }
  r.align();
  return out;
}

/** Times shared with another series: `times[i] = reference.times[i] + offset`. */
export interface TimeReference {
  key: string;
  offset: number;
}

export function encodeSeries(series: Series, timeRef?: TimeReference): Uint8Array {
  const { steps, times, values } = series;
  const n = values.length;
  if (steps.length !== n || (times && times.length !== n)) throw new Error('series arrays differ in length');
  const w = new BitWriter(n * 9 + 24);
  w.byte(VERSION);
  w.varint(n);
  if (isArithmetic(steps)) {
    w.byte(0);
    w.zigzag(steps[0] ?? 0);
    w.zigzag(n > 1 ? steps[1]! - steps[0]! : 0);
  } else {
    w.byte(1);
    w.zigzag(steps[0]!);
    const deltas: number[] = new Array(n - 1);
    for (let i = 1; i < n; i++) deltas[i - 1] = steps[i]! - steps[i - 1]!;
    writePacked(w, deltas);
  }
  if (!times || n === 0) {
    w.byte(0);
  } else if (timeRef) {
    w.byte(2);
    const key = new TextEncoder().encode(timeRef.key);
    w.varint(key.length);
    for (const b of key) w.byte(b);
    w.zigzag(timeRef.offset);
  } else {
    w.byte(1);
    w.zigzag(times[0]!);
    w.zigzag(n > 1 ? times[1]! - times[0]! : 0);
    const dods: number[] = [];
    for (let i = 2; i < n; i++) dods.push(times[i]! - 2 * times[i - 1]! + times[i - 2]!);
    writePacked(w, dods);
  }
  const k = n > 0 ? decimalScale(values) : -1;
  if (k >= 0) {
    w.byte(2);
    w.byte(k);
    const scale = POW10[k]!;
    const first = Math.round(values[0]! * scale);
    w.zigzag(first);
    const deltas: number[] = new Array(n - 1);
    let prev = first;
    for (let i = 1; i < n; i++) {
      const m = Math.round(values[i]! * scale);
      deltas[i - 1] = m - prev;
      prev = m;
    }
    writePacked(w, deltas);
  } else {
    w.byte(0);
    writeGorilla(w, values);
  }
  return w.result();
}

/**
 * Decodes one series. A series whose times refer to another series of its run needs `lookup` to
 * find that series' blob.
 */
/**
 * `lookup` gives the blob of a series whose times this one refers to; `timesOf`, when given, gives
 * those times already decoded (a run's series share one time column: decoding it again for each
 * of them doubled the cost of reading a run).
 */
export function decodeSeries(blob: Uint8Array, lookup?: (key: string) => Uint8Array | undefined, timesOf?: (key: string) => number[] | null | undefined): Series {
  const r = new BitReader(blob);
  const version = r.byte();
  if (version !== VERSION) throw new Error(`unknown series encoding ${version}`);
  const n = r.varint();
  let steps: number[];
  if (r.byte() === 0) {
    const start = r.zigzag();
    const stride = r.zigzag();
    steps = new Array(n);
    for (let i = 0; i < n; i++) steps[i] = start + i * stride;
  } else {
    steps = [r.zigzag()];
    const deltas = readPacked(r, n - 1);
    for (const d of deltas) steps.push(steps[steps.length - 1]! + d);
  }
  let times: number[] | null = null;
  const timeMode = r.byte();
  if (timeMode === 2) {
    const keyBytes = new Uint8Array(r.varint());
    for (let i = 0; i < keyBytes.length; i++) keyBytes[i] = r.byte();
    const key = new TextDecoder().decode(keyBytes);
    const offset = r.zigzag();
    let refTimes = timesOf?.(key);
    if (refTimes === undefined) {
      const refBlob = lookup?.(key);
      if (!refBlob) throw new Error(`series refers to the times of "${key}", which is missing`);
      refTimes = decodeSeries(refBlob).times;
    }
    if (!refTimes || refTimes.length !== n) throw new Error(`series refers to the times of "${key}", which do not match`);
    times = refTimes.map((t) => t + offset);
  } else if (timeMode === 1) {
    times = new Array(n);
    const first = r.zigzag();
    let delta = r.zigzag();
    times[0] = first;
    if (n > 1) times[1] = first + delta;
    const dods = readPacked(r, Math.max(0, n - 2));
    for (let i = 2; i < n; i++) {
      delta += dods[i - 2]!;
      times[i] = times[i - 1]! + delta;
    }
  }
  let values: number[];
  const valueMode = r.byte();
  if (valueMode === 2) {
    const scale = POW10[r.byte()]!;
    let m = r.zigzag();
    values = [m / scale];
    for (const d of readPacked(r, n - 1)) {
      m += d;
      values.push(m / scale);
    }
  } else if (valueMode === 0) {
    values = readGorilla(r, n);
  } else {
    throw new Error(`unknown value encoding ${valueMode}`);
  }
  return { steps, times, values };
}

function sameSteps(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The constant c with a[i] = b[i] + c for all i, or undefined. */
function constantOffset(a: number[], b: number[]): number | undefined {
  if (a.length !== b.length || a.length === 0) return undefined;
  const c = a[0]! - b[0]!;
  for (let i = 1; i < a.length; i++) if (a[i]! - b[i]! !== c) return undefined;
  return c;
}

/**
 * Encodes all the series of one run. A series whose times equal another's plus a constant (same
 * steps) stores only that reference; the referenced series always holds its own times.
 */
export function encodeRunSeries(series: ReadonlyMap<string, Series>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const anchors: [string, Series][] = [];
  for (const key of [...series.keys()].sort()) {
    const s = series.get(key)!;
    let ref: TimeReference | undefined;
    if (s.times && s.times.length > 1) {
      for (const [anchorKey, anchor] of anchors) {
        if (!sameSteps(anchor.steps, s.steps)) continue;
        const offset = constantOffset(s.times, anchor.times!);
        if (offset !== undefined) {
          ref = { key: anchorKey, offset };
          break;
        }
      }
      if (!ref) anchors.push([key, s]);
    }
    out.set(key, encodeSeries(s, ref));
  }
  return out;
}

export function decodeRunSeries(blobs: ReadonlyMap<string, Uint8Array>): Map<string, Series> {
  const decoded = new Map<string, Series>();
  const decode = (key: string, blob: Uint8Array): Series => {
    let s = decoded.get(key);
    if (!s) {
      // A referenced series holds its own times (encodeRunSeries), so this recursion is one level deep.
      s = decodeSeries(blob, (k) => blobs.get(k), (k) => {
        const ref = blobs.get(k);
        return ref ? decode(k, ref).times : undefined;
      });
      decoded.set(key, s);
    }
    return s;
  };
  const out = new Map<string, Series>();
  for (const [key, blob] of blobs) out.set(key, decode(key, blob));
  return out;
}

/** The summary kept beside each blob so lists and tables never decode a series. */
export interface SeriesSummary {
  count: number;
  last: number;
  lastStep: number;
  lastTime: number | null;
  min: number | null;
  max: number | null;
}

/**
 * MLflow's "latest" value is the max by (step, timestamp, value); min and max ignore NaN.
 */
export function summarize(series: Series): SeriesSummary | undefined {
  const n = series.values.length;
  if (n === 0) return undefined;
  let best = 0;
  let min: number | null = null;
  let max: number | null = null;
  const { steps, times, values } = series;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) {
      if (min === null || v < min) min = v;
      if (max === null || v > max) max = v;
    }
    if (i === 0) continue;
    const ds = steps[i]! - steps[best]!;
    if (ds > 0) best = i;
    else if (ds === 0) {
      const dt = times ? times[i]! - times[best]! : 1; // without times, later in the file wins
      if (dt > 0 || (dt === 0 && compareValues(v, values[best]!) >= 0)) best = i;
    }
  }
  return {
    count: n,
    last: values[best]!,
    lastStep: steps[best]!,
    lastTime: times ? times[best]! : null,
    min,
    max,
  };
}

/** Python orders NaN as neither greater nor smaller; treat it as the smallest to keep max() stable. */
function compareValues(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a - b;
}
