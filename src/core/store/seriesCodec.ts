// Compact encoding of one metric history (steps, wall times, values) as a single BLOB.
// DESIGN.md §9 budgets 10 M points in ≤ 100 MB, so a row per point (≈58 B) is out of the question.
//
// Layout (after an optional raw-deflate of everything but the first byte):
//   byte   flags        bit0: payload deflated
//   varint n
//   byte   step mode    0: arithmetic (zigzag start, zigzag stride)  1: zigzag deltas
//   byte   time mode    0: none  1: zigzag first time, then zigzag delta-of-delta
//   byte   value mode   0: float64, XOR with the previous value, bytes shuffled by significance
//                       1: float32 LE (every value exactly representable, e.g. TensorBoard)
// Values keep their exact bits, NaN and ±Infinity included.
import { deflateRawSync, inflateRawSync, constants as zconst } from 'node:zlib';

export interface Series {
  steps: number[];
  /** Wall time in ms since the epoch, one per point; null when the format records none. */
  times: number[] | null;
  values: number[];
}

const FLAG_DEFLATED = 1;
const DEFLATE_MIN_BYTES = 64;

class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }
  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  /** Unsigned varint for any non-negative safe integer (beyond 2^32 without bit operators). */
  varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

class ByteReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('series blob is truncated');
    return this.buf[this.pos++]!;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
  }
  zigzag(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new Error('series blob is truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function isArithmetic(steps: number[]): boolean {
  if (steps.length < 2) return true;
  const stride = steps[1]! - steps[0]!;
  for (let i = 2; i < steps.length; i++) if (steps[i]! - steps[i - 1]! !== stride) return false;
  return true;
}

const f32 = new Float32Array(1);
function allFloat32Exact(values: number[]): boolean {
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    f32[0] = v;
    if (f32[0] !== v) return false;
  }
  return true;
}

function encodeFloat64Shuffled(values: number[]): Uint8Array {
  const n = values.length;
  const f64 = new Float64Array(n);
  for (let i = 0; i < n; i++) f64[i] = values[i]!;
  const words = new Uint32Array(f64.buffer);
  // XOR with the previous value: neighbours share sign, exponent and high mantissa bits.
  for (let i = n - 1; i > 0; i--) {
    words[2 * i] = words[2 * i]! ^ words[2 * i - 2]!;
    words[2 * i + 1] = words[2 * i + 1]! ^ words[2 * i - 1]!;
  }
  // Byte shuffle: all most-significant bytes first, so the zero runs are contiguous for deflate.
  const src = new Uint8Array(f64.buffer);
  const out = new Uint8Array(n * 8);
  for (let b = 0; b < 8; b++) {
    const base = (7 - b) * n;
    for (let i = 0; i < n; i++) out[base + i] = src[i * 8 + b]!;
  }
  return out;
}

function decodeFloat64Shuffled(bytes: Uint8Array, n: number): number[] {
  const raw = new Uint8Array(n * 8);
  for (let b = 0; b < 8; b++) {
    const base = (7 - b) * n;
    for (let i = 0; i < n; i++) raw[i * 8 + b] = bytes[base + i]!;
  }
  const words = new Uint32Array(raw.buffer);
  for (let i = 1; i < n; i++) {
    words[2 * i] = words[2 * i]! ^ words[2 * i - 2]!;
    words[2 * i + 1] = words[2 * i + 1]! ^ words[2 * i - 1]!;
  }
  return Array.from(new Float64Array(raw.buffer));
}

export function encodeSeries(series: Series): Uint8Array {
  const { steps, times, values } = series;
  const n = values.length;
  if (steps.length !== n || (times && times.length !== n)) throw new Error('series arrays differ in length');
  const w = new ByteWriter(n * 10 + 16);
  w.varint(n);
  if (isArithmetic(steps)) {
    w.byte(0);
    w.zigzag(steps[0] ?? 0);
    w.zigzag(n > 1 ? steps[1]! - steps[0]! : 0);
  } else {
    w.byte(1);
    let prev = 0;
    for (const s of steps) {
      w.zigzag(s - prev);
      prev = s;
    }
  }
  if (!times) {
    w.byte(0);
  } else {
    w.byte(1);
    w.zigzag(times[0] ?? 0);
    let prev = times[0] ?? 0;
    let prevDelta = 0;
    for (let i = 1; i < n; i++) {
      const delta = times[i]! - prev;
      w.zigzag(delta - prevDelta);
      prevDelta = delta;
      prev = times[i]!;
    }
  }
  if (n > 0 && allFloat32Exact(values)) {
    w.byte(1);
    const arr = new Float32Array(values);
    w.bytes(new Uint8Array(arr.buffer));
  } else {
    w.byte(0);
    w.bytes(encodeFloat64Shuffled(values));
  }
  const payload = w.result();
  if (payload.length >= DEFLATE_MIN_BYTES) {
    const packed = deflateRawSync(payload, { level: 1, strategy: zconst.Z_DEFAULT_STRATEGY });
    if (packed.length + 1 < payload.length) {
      const out = new Uint8Array(packed.length + 1);
      out[0] = FLAG_DEFLATED;
      out.set(packed, 1);
      return out;
    }
  }
  const out = new Uint8Array(payload.length + 1);
  out[0] = 0;
  out.set(payload, 1);
  return out;
}

export function decodeSeries(blob: Uint8Array): Series {
  if (blob.length === 0) throw new Error('series blob is empty');
  const flags = blob[0]!;
  const payload = flags & FLAG_DEFLATED ? new Uint8Array(inflateRawSync(blob.subarray(1))) : blob.subarray(1);
  const r = new ByteReader(payload);
  const n = r.varint();
  const steps: number[] = new Array(n);
  const stepMode = r.byte();
  if (stepMode === 0) {
    const start = r.zigzag();
    const stride = r.zigzag();
    for (let i = 0; i < n; i++) steps[i] = start + i * stride;
  } else {
    let prev = 0;
    for (let i = 0; i < n; i++) steps[i] = prev = prev + r.zigzag();
  }
  let times: number[] | null = null;
  if (r.byte() === 1) {
    times = new Array(n);
    let prev = r.zigzag();
    let prevDelta = 0;
    if (n > 0) times[0] = prev;
    for (let i = 1; i < n; i++) {
      prevDelta += r.zigzag();
      times[i] = prev = prev + prevDelta;
    }
  }
  const valueMode = r.byte();
  let values: number[];
  if (valueMode === 1) {
    const bytes = r.bytes(n * 4);
    values = Array.from(new Float32Array(bytes.slice().buffer));
  } else {
    values = decodeFloat64Shuffled(r.bytes(n * 8), n);
  }
  return { steps, times, values };
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
