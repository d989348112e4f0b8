// Writes TensorBoard event files byte for byte as the writers do (FORMATS.md §5): TFRecord framing
// with masked CRC-32C, Event / Summary / TensorProto / HParams protobufs. For tests (every scalar
// variant, hparams, session logs, damaged files) and for the 1,000,000-scalar benchmark file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { maskedCrc32c } from '../../src/core/ingest/tensorboard/events';

// --- protobuf wire writer --------------------------------------------------------------------

const enc = new TextEncoder();

function varint(n: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, x) => s + x.length, 0);
  const out = new Uint8Array(n);
  let p = 0;
  for (const x of parts) {
    out.set(x, p);
    p += x.length;
  }
  return out;
}

const key = (field: number, wt: number): Uint8Array => Uint8Array.from(varint((field << 3) | wt));
export const fVarint = (field: number, n: number | bigint): Uint8Array => concat(key(field, 0), Uint8Array.from(varint(n)));
export const fBytes = (field: number, b: Uint8Array): Uint8Array => concat(key(field, 2), Uint8Array.from(varint(b.length)), b);
export const fString = (field: number, s: string): Uint8Array => fBytes(field, enc.encode(s));
export function fDouble(field: number, x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return concat(key(field, 1), b);
}
export function fFloat(field: number, x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return concat(key(field, 5), b);
}

// --- framing ---------------------------------------------------------------------------------

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length, true);
  dv.setUint32(4, 0, true);
  dv.setUint32(8, maskedCrc32c(out, 0, 8), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// --- Summary.Value payloads ------------------------------------------------------------------

const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, STRING: 7, INT64: 9, BFLOAT16: 14, HALF: 19 } as const;

function pluginMetadata(name: string, content?: Uint8Array): Uint8Array {
  const pluginData = concat(fString(1, name), content && content.length > 0 ? fBytes(2, content) : new Uint8Array());
  return fBytes(9, fBytes(1, pluginData));
}

/** `simple_value` (PyTorch SummaryWriter, tensorboardX, TF1, Lightning, HF). */
export function simpleScalar(tag: string, x: number): Uint8Array {
  return concat(fString(1, tag), fFloat(2, x));
}

export type TensorEncoding = 'f32-content' | 'f32-val' | 'f64-content' | 'f64-val' | 'half-content' | 'half-val' | 'bf16-val';

function halfBits(x: number): number {
  // Round-to-nearest float32 → float16 for the fixture values used in tests (normal range).
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | Math.round(mant / 8192);
}

function bf16Bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0]! >>> 16;
}

/**
 * A tensor-valued scalar with plugin `scalars` (TF2 `tf.summary.scalar`, PyTorch
 * `new_style=True` / `double_precision=True`), in any of the encodings writers use.
 */
export function tensorScalar(tag: string, x: number, encoding: TensorEncoding = 'f32-content'): Uint8Array {
  const shape = fBytes(2, new Uint8Array()); // tensor_shape {} : a scalar
  let tensor: Uint8Array;
  switch (encoding) {
    case 'f32-content': {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, x, true);
      tensor = concat(fVarint(1, DT.FLOAT), shape, fBytes(4, b));
      break;
    }
    case 'f32-val': {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, x, true);
      tensor = concat(fVarint(1, DT.FLOAT), shape, fBytes(5, b)); // packed float_val
      break;
    }
    case 'f64-content': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, x, true);
      tensor = concat(fVarint(1, DT.DOUBLE), shape, fBytes(4, b));
      break;
    }
    case 'f64-val':
      tensor = concat(fVarint(1, DT.DOUBLE), shape, fDouble(6, x)); // unpacked double_val
      break;
    case 'half-content': {
      const b = new Uint8Array(2);
      new DataView(b.buffer).setUint16(0, halfBits(x), true);
      tensor = concat(fVarint(1, DT.HALF), shape, fBytes(4, b));
      break;
    }
    case 'half-val':
      tensor = concat(fVarint(1, DT.HALF), shape, fBytes(13, Uint8Array.from(varint(halfBits(x)))));
      break;
    case 'bf16-val':
      tensor = concat(fVarint(1, DT.BFLOAT16), shape, fVarint(13, bf16Bits(x)));
      break;
  }
  return concat(fString(1, tag), fBytes(8, tensor), pluginMetadata('scalars'));
}

/** `add_text` / `tf.summary.text`: plugin `text`, a DT_STRING tensor. */
export function textSummary(tag: string, text: string): Uint8Array {
  const tensor = concat(fVarint(1, DT.STRING), fBytes(2, fBytes(2, fVarint(1, 1))), fBytes(8, enc.encode(text)));
  return concat(fString(1, tag), fBytes(8, tensor), pluginMetadata('text'));
}

/** An image summary (field 4), which readers skip. */
export function imageSummary(tag: string, bytes = 64): Uint8Array {
  const image = concat(fVarint(1, 8), fVarint(2, 8), fVarint(3, 3), fBytes(4, new Uint8Array(bytes).fill(7)));
  return concat(fString(1, tag), fBytes(4, image));
}

/** A TF2 histogram: a tensor with plugin `histograms`, which readers skip. */
export function histogramSummary(tag: string): Uint8Array {
  const b = new Uint8Array(24);
  const dv = new DataView(b.buffer);
  dv.setFloat64(0, 0, true);
  dv.setFloat64(8, 1, true);
  dv.setFloat64(16, 5, true);
  const tensor = concat(fVarint(1, DT.DOUBLE), fBytes(2, concat(fBytes(2, fVarint(1, 1)), fBytes(2, fVarint(1, 3)))), fBytes(4, b));
  return concat(fString(1, tag), fBytes(8, tensor), pluginMetadata('histograms'));
}

type PbValue = number | string | boolean | null;

function pbValue(v: PbValue): Uint8Array {
  if (v === null) return fVarint(1, 0);
  if (typeof v === 'number') return fDouble(2, v);
  if (typeof v === 'boolean') return fVarint(4, v ? 1 : 0);
  return fString(3, v);
}

/** `_hparams_/session_start_info` (TB's hparams API, PyTorch add_hparams, Lightning). */
export function hparamsSessionStart(hparams: Record<string, PbValue>, startTimeSecs?: number): Uint8Array {
  const entries = Object.entries(hparams).map(([k, v]) => fBytes(1, concat(fString(1, k), fBytes(2, pbValue(v)))));
  const ssi = concat(...entries, startTimeSecs !== undefined ? fDouble(5, startTimeSecs) : new Uint8Array());
  const content = fBytes(3, ssi); // HParamsPluginData{session_start_info = 3}; version 0 is not written
  return concat(fString(1, '_hparams_/session_start_info'), pluginMetadata('hparams', content));
}

/** `_hparams_/session_end_info`; PyTorch leaves end_time_secs out (a placeholder written at start). */
export function hparamsSessionEnd(status: 0 | 1 | 2 | 3, endTimeSecs?: number): Uint8Array {
  const sei = concat(fVarint(1, status), endTimeSecs !== undefined ? fDouble(2, endTimeSecs) : new Uint8Array());
  return concat(fString(1, '_hparams_/session_end_info'), pluginMetadata('hparams', fBytes(4, sei)));
}

// --- events and files ------------------------------------------------------------------------

export interface EventSpec {
  /** Seconds since the epoch. */
  wallTime: number;
  step?: number;
  fileVersion?: string;
  /** Summary.Value payloads (from the builders above). */
  values?: Uint8Array[];
  /** SessionLog status: 1 START, 2 STOP, 3 CHECKPOINT. */
  sessionLog?: 1 | 2 | 3;
}

export function eventBytes(e: EventSpec): Uint8Array {
  const parts: Uint8Array[] = [fDouble(1, e.wallTime)];
  if (e.step) parts.push(fVarint(2, e.step));
  if (e.fileVersion !== undefined) parts.push(fString(3, e.fileVersion));
  if (e.values && e.values.length > 0) parts.push(fBytes(5, concat(...e.values.map((v) => fBytes(1, v)))));
  if (e.sessionLog !== undefined) parts.push(fBytes(7, fVarint(1, e.sessionLog)));
  return concat(...parts);
}

export function eventRecord(e: EventSpec): Uint8Array {
  return frameRecord(eventBytes(e));
}

/** A whole file: the `brain.Event:2` header event first (as every writer does), then the events. */
export function eventFile(events: EventSpec[], options: { wallTime?: number; header?: boolean } = {}): Uint8Array {
  const all = options.header === false ? events : [{ wallTime: options.wallTime ?? events[0]?.wallTime ?? 0, fileVersion: 'brain.Event:2' }, ...events];
  return concat(...all.map(eventRecord));
}

/** The name PyTorch's SummaryWriter gives its files. */
export function eventFileName(wallTimeSecs: number, host = 'host', pid = 4242, uid = 0): string {
  return `events.out.tfevents.${Math.floor(wallTimeSecs)}.${host}.${pid}.${uid}`;
}

export function writeEventFile(dir: string, name: string, events: EventSpec[], options: { wallTime?: number; header?: boolean } = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, eventFile(events, options));
  return file;
}

export function appendEvents(file: string, events: EventSpec[]): void {
  fs.appendFileSync(file, concat(...events.map(eventRecord)));
}

// --- the large benchmark file ----------------------------------------------------------------

/** Varint of a non-negative safe integer, without BigInt (the generator writes a million). */
function smallVarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

export interface ScalarFileOptions {
  /** Number of scalar events. */
  count: number;
  /** Tags cycled through, one scalar per event (default: one tag, "loss"). */
  tags?: string[];
  /** Wall time of the first event (s) and seconds between events. */
  start?: number;
  interval?: number;
}

/** The value written for scalar i: exactly representable in float32, so reads compare equal. */
export function scalarFileValue(i: number): number {
  return Math.fround(1 / (1 + i * 0.001));
}

/**
 * Writes `count` simple_value scalar events (PyTorch's add_scalar layout), streaming to disk
 * in 8 MB pieces so that the generator itself needs little memory.
 */
export function writeScalarEventFile(file: string, options: ScalarFileOptions): { bytes: number; count: number } {
  const tags = options.tags ?? ['loss'];
  const start = options.start ?? 1_700_000_000;
  const interval = options.interval ?? 0.01;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    const header = eventRecord({ wallTime: start, fileVersion: 'brain.Event:2' });
    fs.writeSync(fd, header);
    bytes += header.length;
    const tagBytes = tags.map((t) => fString(1, t));
    const piece = Buffer.allocUnsafe(8 * 1024 * 1024);
    let used = 0;
    const scratch = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < options.count; i++) {
      const tag = tagBytes[i % tagBytes.length]!;
      // Event { 1 wall_time, 2 step, 5 summary { 1 value { 1 tag, 2 simple_value } } }
      const stepBytes = i === 0 ? [] : smallVarint(i);
      const valueLen = tag.length + 5;
      const summaryLen = 1 + varint(valueLen).length + valueLen;
      const dataLen = 9 + (i === 0 ? 0 : 1 + stepBytes.length) + 1 + smallVarint(summaryLen).length + summaryLen;
      const recordLen = 12 + dataLen + 4;
      if (used + recordLen > piece.length) {
        fs.writeSync(fd, piece, 0, used);
        bytes += used;
        used = 0;
      }
      const r = used;
      piece.writeUInt32LE(dataLen, r);
      piece.writeUInt32LE(0, r + 4);
      piece.writeUInt32LE(maskedCrc32c(piece, r, r + 8), r + 8);
      let p = r + 12;
      piece[p++] = 0x09;
      scratch.setFloat64(0, start + i * interval, true);
      for (let k = 0; k < 8; k++) piece[p++] = scratch.getUint8(k);
      if (i !== 0) {
        piece[p++] = 0x10;
        for (const b of stepBytes) piece[p++] = b;
      }
      piece[p++] = 0x2a;
      for (const b of smallVarint(summaryLen)) piece[p++] = b;
      piece[p++] = 0x0a;
      for (const b of smallVarint(valueLen)) piece[p++] = b;
      piece.set(tag, p);
      p += tag.length;
      piece[p++] = 0x15;
      piece.writeFloatLE(scalarFileValue(i), p);
      p += 4;
      piece.writeUInt32LE(maskedCrc32c(piece, r + 12, p), p);
      p += 4;
      used = p;
    }
    fs.writeSync(fd, piece, 0, used);
    bytes += used;
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, count: options.count };
}
