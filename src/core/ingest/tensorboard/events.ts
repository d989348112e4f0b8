// TensorBoard event files (`events.out.tfevents.*`), FORMATS.md §5: TFRecord framing checked with
// CRC-32C, and the few protobuf messages that carry scalars, text, hparams and session logs,
// decoded straight from the wire format (no protobuf library; the messages are small and fixed).
//
// Speed matters: a training job can leave millions of scalar events. The hot path decodes varints
// as numbers (no BigInt), hands values to a visitor (no object per event) and decodes each tag's
// bytes to a string once per distinct tag.
import * as fs from 'node:fs';
import type { Diagnostic } from '../types';

// ---------------------------------------------------------------------------------------------
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slice-by-8: ~8 bytes per table round.

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 8; s++) t[s * 256 + i] = (t[(s - 1) * 256 + i]! >>> 8) ^ t[t[(s - 1) * 256 + i]! & 0xff]!;
  }
  return t;
})();

export function crc32c(b: Uint8Array, start = 0, end = b.length): number {
  const t = CRC_TABLE;
  let c = 0xffffffff;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + b[i + 4]!]! ^
      t[512 + b[i + 5]!]! ^
      t[256 + b[i + 6]!]! ^
      t[b[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay distinct. */
export function maskedCrc32c(b: Uint8Array, start = 0, end = b.length): number {
  const c = crc32c(b, start, end);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// What a reader gets out of an event file.

/** A google.protobuf.Value from the HParams plugin, as JavaScript. */
export type HParamValue = number | string | boolean | null | HParamValue[];

/** SessionLog.status */
export const SESSION_START = 1;
export const SESSION_STOP = 2;

/** HParams SessionEndInfo.status */
export const HPARAMS_STATUS = { UNKNOWN: 0, SUCCESS: 1, FAILURE: 2, RUNNING: 3 } as const;

/** Receives the content of the events, in file order. Wall times are in seconds, as written. */
export interface EventVisitor {
  /** Every event, before its content. */
  event?(wallTime: number, step: number): void;
  scalar(tag: string, step: number, wallTime: number, value: number): void;
  text?(tag: string, step: number, wallTime: number, text: string): void;
  sessionStart?(hparams: Record<string, HParamValue>, startTimeSecs: number | undefined, wallTime: number): void;
  /** end_time_secs is 0/undefined when the writer left it out (PyTorch writes a placeholder). */
  sessionEnd?(status: number, endTimeSecs: number | undefined, wallTime: number): void;
  sessionLog?(status: number, step: number, wallTime: number): void;
  fileVersion?(version: string, wallTime: number): void;
}

class Malformed extends Error {}

const utf8 = new TextDecoder('utf-8');
const TWO32 = 4294967296;

// Plugin names compared as bytes, so that most summaries never decode their metadata.
const PLUGIN_SCALARS = Uint8Array.from(Buffer.from('scalars'));
const PLUGIN_TEXT = Uint8Array.from(Buffer.from('text'));
const PLUGIN_HPARAMS = Uint8Array.from(Buffer.from('hparams'));
const PLUGIN_NONE = 0;
const PLUGIN_IS_SCALARS = 1;
const PLUGIN_IS_TEXT = 2;
const PLUGIN_IS_HPARAMS = 3;
const PLUGIN_OTHER = 4;

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;
const DT_BOOL = 10;
const DT_BFLOAT16 = 14;
const DT_HALF = 19;

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * 2 ** (e - 15) * (1 + m / 1024);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));
function bfloat16ToNumber(h: number): number {
  bf16Scratch.setUint32(0, (h & 0xffff) << 16, false);
  return bf16Scratch.getFloat32(0, false);
}

/**
 * Decodes Event protobufs. One instance per file read: it keeps the distinct tags it has seen so
 * that each tag's bytes become a string once.
 */
export class EventDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private pos = 0;
  private readonly tags = new Map<number, { bytes: Uint8Array; text: string }[]>();

  constructor(private readonly visitor: EventVisitor) {}

  /** Parses one serialized Event found at buf[start, end). Throws Malformed on broken protobuf. */
  decode(buf: Uint8Array, start: number, end: number): void {
    if (buf !== this.buf) {
      this.buf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    this.pos = start;
    let wallTime = 0;
    let step = 0;
    let summaryStart = -1;
    let summaryEnd = -1;
    let fileVersion: string | undefined;
    let sessionLog = -1;
    while (this.pos < end) {
      const key = this.varint32();
      switch (key) {
        case 0x09: // 1 wall_time: double
          wallTime = this.dv.getFloat64(this.pos, true);
          this.pos += 8;
          break;
        case 0x10: // 2 step: int64
          step = this.int64();
          break;
        case 0x1a: {
          // 3 file_version: string
          const n = this.length(end);
          fileVersion = utf8.decode(this.buf.subarray(this.pos, this.pos + n));
          this.pos += n;
          break;
        }
        case 0x2a: {
          // 5 summary
          const n = this.length(end);
          summaryStart = this.pos;
          summaryEnd = this.pos + n;
          this.pos = summaryEnd;
          break;
        }
        case 0x3a: {
          // 7 session_log
          const n = this.length(end);
          sessionLog = this.sessionLogStatus(this.pos + n);
          break;
        }
        default:
          this.skip(key, end);
      }
    }
    if (this.pos !== end) throw new Malformed('field runs past the end of the record');
    const v = this.visitor;
    v.event?.(wallTime, step);
    if (fileVersion !== undefined) v.fileVersion?.(fileVersion, wallTime);
    if (sessionLog >= 0) v.sessionLog?.(sessionLog, step, wallTime);
    if (summaryStart >= 0) this.summary(summaryStart, summaryEnd, step, wallTime);
  }

  // --- wire primitives ---------------------------------------------------------------------

  /** A varint known to fit in 32 bits (keys, lengths, enums); larger ones are reduced mod 2^32. */
  private varint32(): number {
    const b = this.buf;
    let x = b[this.pos++]!;
    if (x < 0x80) return x;
    let r = x & 0x7f;
    x = b[this.pos++]!;
    r |= (x & 0x7f) << 7;
    if (x < 0x80) return r;
    x = b[this.pos++]!;
    r |= (x & 0x7f) << 14;
    if (x < 0x80) return r;
    x = b[this.pos++]!;
    r |= (x & 0x7f) << 21;
    if (x < 0x80) return r;
    x = b[this.pos++]!;
    r = (r | ((x & 0x0f) << 28)) >>> 0;
    // Skip the high bytes of a 64-bit varint (negative enums are 10 bytes long).
    for (let i = 0; x >= 0x80 && i < 5; i++) x = b[this.pos++]!;
    if (x >= 0x80) throw new Malformed('varint longer than 10 bytes');
    return r;
  }

  /** A signed int64 varint as a number (exact up to 2^53), with two 32-bit halves, no BigInt. */
  private int64(): number {
    const b = this.buf;
    let x = b[this.pos++]!;
    if (x < 0x80) return x;
    let lo = x & 0x7f;
    let shift = 7;
    for (; shift < 28; shift += 7) {
      x = b[this.pos++]!;
      lo |= (x & 0x7f) << shift;
      if (x < 0x80) return lo;
    }
    x = b[this.pos++]!;
    lo = (lo | ((x & 0x0f) << 28)) >>> 0;
    let hi = (x & 0x7f) >> 4;
    if (x >= 0x80) {
      for (shift = 3; shift < 32; shift += 7) {
        x = b[this.pos++]!;
        hi |= (x & 0x7f) << shift;
        if (x < 0x80) break;
      }
      if (x >= 0x80) throw new Malformed('varint longer than 10 bytes');
    }
    return (hi | 0) * TWO32 + lo;
  }

  private length(end: number): number {
    const n = this.varint32();
    if (this.pos + n > end) throw new Malformed('length-delimited field runs past its message');
    return n;
  }

  private skip(key: number, end: number): void {
    switch (key & 7) {
      case 0:
        this.varint32();
        break;
      case 1:
        this.pos += 8;
        break;
      case 2: {
        const n = this.length(end); // read before `this.pos +=` evaluates this.pos
        this.pos += n;
        break;
      }
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Malformed(`unsupported wire type ${key & 7}`);
    }
    if (this.pos > end) throw new Malformed('field runs past its message');
  }

  private text(start: number, end: number): string {
    return utf8.decode(this.buf.subarray(start, end));
  }

  /** The tag's string, decoded once per distinct byte sequence. */
  private tag(start: number, end: number): string {
    const b = this.buf;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const n = end - start;
    const bucket = this.tags.get(h);
    if (bucket) {
      outer: for (const entry of bucket) {
        const eb = entry.bytes;
        if (eb.length !== n) continue;
        for (let i = 0; i < n; i++) if (eb[i] !== b[start + i]) continue outer;
        return entry.text;
      }
    }
    const bytes = b.slice(start, end);
    const text = utf8.decode(bytes);
    if (this.tags.size < 100_000) {
      if (bucket) bucket.push({ bytes, text });
      else this.tags.set(h, [{ bytes, text }]);
    }
    return text;
  }

  private bytesEqual(start: number, end: number, expected: Uint8Array): boolean {
    if (end - start !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (this.buf[start + i] !== expected[i]) return false;
    return true;
  }

  // --- messages ----------------------------------------------------------------------------

  private sessionLogStatus(end: number): number {
    let status = 0;
    while (this.pos < end) {
      const key = this.varint32();
      if (key === 0x08) status = this.varint32();
      else this.skip(key, end);
    }
    return status;
  }

  private summary(start: number, end: number, step: number, wallTime: number): void {
    this.pos = start;
    while (this.pos < end) {
      const key = this.varint32();
      if (key === 0x0a) {
        const n = this.length(end);
        const valueEnd = this.pos + n;
        this.value(valueEnd, step, wallTime);
        this.pos = valueEnd;
      } else this.skip(key, end);
    }
  }

  /** Summary.Value: dispatches on its payload and plugin. */
  private value(end: number, step: number, wallTime: number): void {
    let tagStart = -1;
    let tagEnd = -1;
    let simple = 0;
    let hasSimple = false;
    let tensorStart = -1;
    let tensorEnd = -1;
    let metaStart = -1;
    let metaEnd = -1;
    while (this.pos < end) {
      const key = this.varint32();
      switch (key) {
        case 0x0a: {
          const n = this.length(end);
          tagStart = this.pos;
          tagEnd = this.pos + n;
          this.pos = tagEnd;
          break;
        }
        case 0x15: // 2 simple_value: float
          simple = this.dv.getFloat32(this.pos, true);
          this.pos += 4;
          hasSimple = true;
          break;
        case 0x42: {
          // 8 tensor
          const n = this.length(end);
          tensorStart = this.pos;
          tensorEnd = this.pos + n;
          this.pos = tensorEnd;
          break;
        }
        case 0x4a: {
          // 9 metadata
          const n = this.length(end);
          metaStart = this.pos;
          metaEnd = this.pos + n;
          this.pos = metaEnd;
          break;
        }
        default:
          // images, histograms, audio and node names are not read
          this.skip(key, end);
      }
    }
    if (this.pos !== end) throw new Malformed('summary value runs past its end');
    let plugin = PLUGIN_NONE;
    let contentStart = -1;
    let contentEnd = -1;
    if (metaStart >= 0) {
      this.pos = metaStart;
      while (this.pos < metaEnd) {
        const key = this.varint32();
        if (key === 0x0a) {
          // 1 plugin_data { 1 plugin_name, 2 content }
          const n = this.length(metaEnd);
          const pdEnd = this.pos + n;
          while (this.pos < pdEnd) {
            const k = this.varint32();
            if (k === 0x0a) {
              const m = this.length(pdEnd);
              const s = this.pos;
              this.pos += m;
              plugin =
                m === 0
                  ? PLUGIN_NONE
                  : this.bytesEqual(s, s + m, PLUGIN_SCALARS)
                    ? PLUGIN_IS_SCALARS
                    : this.bytesEqual(s, s + m, PLUGIN_TEXT)
                      ? PLUGIN_IS_TEXT
                      : this.bytesEqual(s, s + m, PLUGIN_HPARAMS)
                        ? PLUGIN_IS_HPARAMS
                        : PLUGIN_OTHER;
            } else if (k === 0x12) {
              const m = this.length(pdEnd);
              contentStart = this.pos;
              contentEnd = this.pos + m;
              this.pos += m;
            } else this.skip(k, pdEnd);
          }
        } else this.skip(key, metaEnd);
      }
    }
    if (plugin === PLUGIN_IS_HPARAMS) {
      if (contentStart >= 0) this.hparams(contentStart, contentEnd, wallTime);
      return;
    }
    if (tagStart < 0) return;
    if (hasSimple) {
      this.visitor.scalar(this.tag(tagStart, tagEnd), step, wallTime, simple);
      return;
    }
    if (tensorStart < 0) return;
    if (plugin === PLUGIN_IS_SCALARS || plugin === PLUGIN_NONE) {
      const x = this.tensorScalar(tensorStart, tensorEnd, plugin === PLUGIN_NONE);
      if (x !== undefined) this.visitor.scalar(this.tag(tagStart, tagEnd), step, wallTime, x);
    } else if (plugin === PLUGIN_IS_TEXT && this.visitor.text) {
      const s = this.tensorString(tensorStart, tensorEnd);
      if (s !== undefined) this.visitor.text(this.tag(tagStart, tagEnd), step, wallTime, s);
    }
  }

  /**
   * The first element of a numeric TensorProto: from tensor_content (raw little-endian) when
   * present, else from the typed list (packed or not). Without plugin metadata only true scalars
   * (shape []) are taken: other tensors there are histograms or images of old writers.
   */
  private tensorScalar(start: number, end: number, requireScalarShape: boolean): number | undefined {
    let dtype = 0;
    let dims = 0;
    let contentStart = -1;
    let contentEnd = -1;
    let first: number | undefined;
    let firstField = 0;
    this.pos = start;
    while (this.pos < end) {
      const key = this.varint32();
      const field = key >>> 3;
      const wt = key & 7;
      if (key === 0x08) dtype = this.varint32();
      else if (key === 0x12) {
        // 2 tensor_shape { 2 dim: repeated }
        const n = this.length(end);
        const shapeEnd = this.pos + n;
        while (this.pos < shapeEnd) {
          const k = this.varint32();
          if (k === 0x12) dims++;
          this.skip(k, shapeEnd);
        }
      } else if (key === 0x22) {
        const n = this.length(end);
        contentStart = this.pos;
        contentEnd = this.pos + n;
        this.pos += n;
      } else if (first === undefined && (field === 5 || field === 6 || field === 7 || field === 10 || field === 11 || field === 13)) {
        firstField = field;
        first = this.firstOfList(field, wt, end);
      } else this.skip(key, end);
    }
    if (requireScalarShape && dims > 0) return undefined;
    if (contentStart >= 0 && contentEnd > contentStart) {
      const n = contentEnd - contentStart;
      const dv = this.dv;
      const s = contentStart;
      switch (dtype) {
        case DT_FLOAT:
          return n >= 4 ? dv.getFloat32(s, true) : undefined;
        case DT_DOUBLE:
          return n >= 8 ? dv.getFloat64(s, true) : undefined;
        case DT_INT32:
          return n >= 4 ? dv.getInt32(s, true) : undefined;
        case DT_INT64:
          return n >= 8 ? dv.getInt32(s + 4, true) * TWO32 + dv.getUint32(s, true) : undefined;
        case DT_BOOL:
          return this.buf[s]! ? 1 : 0;
        case DT_HALF:
          return n >= 2 ? halfToNumber(dv.getUint16(s, true)) : undefined;
        case DT_BFLOAT16:
          return n >= 2 ? bfloat16ToNumber(dv.getUint16(s, true)) : undefined;
        default:
          return undefined;
      }
    }
    if (first === undefined) return undefined;
    switch (dtype) {
      case DT_FLOAT:
        return firstField === 5 ? first : undefined;
      case DT_DOUBLE:
        return firstField === 6 ? first : undefined;
      case DT_INT32:
        return firstField === 7 ? first : undefined;
      case DT_INT64:
        return firstField === 10 ? first : undefined;
      case DT_BOOL:
        return firstField === 11 ? (first ? 1 : 0) : undefined;
      case DT_HALF:
        return firstField === 13 ? halfToNumber(first) : undefined;
      case DT_BFLOAT16:
        return firstField === 13 ? bfloat16ToNumber(first) : undefined;
      default:
        return undefined;
    }
  }

  /** First element of a repeated numeric field, packed (wire type 2) or not. */
  private firstOfList(field: number, wt: number, end: number): number | undefined {
    const dv = this.dv;
    if (wt === 2) {
      const n = this.length(end);
      const s = this.pos;
      this.pos += n;
      if (n === 0) return undefined;
      if (field === 5) return n >= 4 ? dv.getFloat32(s, true) : undefined;
      if (field === 6) return n >= 8 ? dv.getFloat64(s, true) : undefined;
      const save = this.pos;
      this.pos = s;
      const x = field === 10 ? this.int64() : this.varint32() | 0;
      this.pos = save;
      return x;
    }
    if (field === 5 && wt === 5) {
      const x = dv.getFloat32(this.pos, true);
      this.pos += 4;
      return x;
    }
    if (field === 6 && wt === 1) {
      const x = dv.getFloat64(this.pos, true);
      this.pos += 8;
      return x;
    }
    if (wt === 0) return field === 10 ? this.int64() : this.varint32() | 0;
    this.skip((field << 3) | wt, end);
    return undefined;
  }

  /** string_val[0] of a DT_STRING tensor (text plugin). */
  private tensorString(start: number, end: number): string | undefined {
    this.pos = start;
    let out: string | undefined;
    while (this.pos < end) {
      const key = this.varint32();
      if (key === 0x42 && out === undefined) {
        const n = this.length(end);
        out = this.text(this.pos, this.pos + n);
        this.pos += n;
      } else this.skip(key, end);
    }
    return out;
  }

  /** HParamsPluginData: session_start_info (hparams) and session_end_info (status). */
  private hparams(start: number, end: number, wallTime: number): void {
    this.pos = start;
    while (this.pos < end) {
      const key = this.varint32();
      if (key === 0x1a) {
        const n = this.length(end);
        const ssiEnd = this.pos + n;
        const hparams: Record<string, HParamValue> = {};
        let startTime: number | undefined;
        while (this.pos < ssiEnd) {
          const k = this.varint32();
          if (k === 0x0a) {
            // map entry { 1 key, 2 value }
            const m = this.length(ssiEnd);
            const entryEnd = this.pos + m;
            let name: string | undefined;
            let value: HParamValue = null;
            while (this.pos < entryEnd) {
              const f = this.varint32();
              if (f === 0x0a) {
                const l = this.length(entryEnd);
                name = this.text(this.pos, this.pos + l);
                this.pos += l;
              } else if (f === 0x12) {
                const l = this.length(entryEnd);
                const valueEnd = this.pos + l;
                value = this.pbValue(valueEnd, 0);
                this.pos = valueEnd;
              } else this.skip(f, entryEnd);
            }
            if (name !== undefined) hparams[name] = value;
          } else if (k === 0x29) {
            startTime = this.dv.getFloat64(this.pos, true);
            this.pos += 8;
          } else this.skip(k, ssiEnd);
        }
        this.visitor.sessionStart?.(hparams, startTime, wallTime);
      } else if (key === 0x22) {
        const n = this.length(end);
        const seiEnd = this.pos + n;
        let status = 0;
        let endTime: number | undefined;
        while (this.pos < seiEnd) {
          const k = this.varint32();
          if (k === 0x08) status = this.varint32();
          else if (k === 0x11) {
            endTime = this.dv.getFloat64(this.pos, true);
            this.pos += 8;
          } else this.skip(k, seiEnd);
        }
        this.visitor.sessionEnd?.(status, endTime, wallTime);
      } else this.skip(key, end);
    }
  }

  /** google.protobuf.Value; structs are kept as a marker (nobody logs nested hparams that way). */
  private pbValue(end: number, depth: number): HParamValue {
    let out: HParamValue = null;
    while (this.pos < end) {
      const key = this.varint32();
      switch (key) {
        case 0x08: // 1 null_value
          this.varint32();
          out = null;
          break;
        case 0x11: // 2 number_value
          out = this.dv.getFloat64(this.pos, true);
          this.pos += 8;
          break;
        case 0x1a: {
          const n = this.length(end);
          out = this.text(this.pos, this.pos + n);
          this.pos += n;
          break;
        }
        case 0x20: // 4 bool_value
          out = this.varint32() !== 0;
          break;
        case 0x32: {
          // 6 list_value { 1 values }
          const n = this.length(end);
          const listEnd = this.pos + n;
          const list: HParamValue[] = [];
          while (this.pos < listEnd) {
            const k = this.varint32();
            if (k === 0x0a && depth < 8) {
              const m = this.length(listEnd);
              const itemEnd = this.pos + m;
              list.push(this.pbValue(itemEnd, depth + 1));
              this.pos = itemEnd;
            } else this.skip(k, listEnd);
          }
          out = list;
          break;
        }
        case 0x2a: {
          // 5 struct_value
          const n = this.length(end);
          this.pos += n;
          out = '{…}';
          break;
        }
        default:
          this.skip(key, end);
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Record framing over a buffer.

export type FrameStop = 'end' | 'incomplete' | 'corrupt';

export interface FrameResult {
  /** Offset in buf after the last whole record (where the next read starts). */
  next: number;
  stop: FrameStop;
  records: number;
}

export interface RecordProblem {
  /** Offset of the record in the file. */
  offset: number;
  kind: 'data-crc' | 'malformed';
  message: string;
}

/**
 * Reads the records of buf[start, end) and decodes each Event. Stops at an incomplete last record
 * (a live file: resume there) or at a record whose length checksum fails (framing lost: nothing
 * after it can be trusted). A record whose data checksum fails is skipped: its length was
 * verified, so the next record is still found.
 */
export function decodeRecords(
  buf: Uint8Array,
  start: number,
  end: number,
  decoder: EventDecoder,
  problems: RecordProblem[],
  /** File offset of buf[0], for the offsets reported in problems. */
  base = 0,
): FrameResult {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = start;
  let records = 0;
  while (p + 12 <= end) {
    const lenLo = dv.getUint32(p, true);
    const lenHi = dv.getUint32(p + 4, true);
    if (dv.getUint32(p + 8, true) !== maskedCrc32c(buf, p, p + 8)) return { next: p, stop: 'corrupt', records };
    if (lenHi !== 0) return { next: p, stop: 'corrupt', records }; // a 4 GB record: not an event file we can read
    const dataStart = p + 12;
    const dataEnd = dataStart + lenLo;
    if (dataEnd + 4 > end) return { next: p, stop: 'incomplete', records };
    if (dv.getUint32(dataEnd, true) !== maskedCrc32c(buf, dataStart, dataEnd)) {
      problems.push({ offset: base + p, kind: 'data-crc', message: 'data checksum mismatch' });
    } else {
      try {
        decoder.decode(buf, dataStart, dataEnd);
      } catch (err) {
        if (!(err instanceof Malformed)) throw err;
        problems.push({ offset: base + p, kind: 'malformed', message: err.message });
      }
    }
    records++;
    p = dataEnd + 4;
  }
  return { next: p, stop: p === end ? 'end' : 'incomplete', records };
}

// ---------------------------------------------------------------------------------------------
// Files.

export interface EventFileRead {
  /** Byte offset after the last whole record: the next read of this file starts there. */
  consumed: number;
  size: number;
  mtimeMs: number;
  records: number;
  /** The file ends inside a record (a writer is mid-flush): it is read on the next change. */
  incomplete: boolean;
  /** The file cannot be read past `consumed` (a length checksum failed, or it is not an event file). */
  corrupt: boolean;
}

const LFS_POINTER = Buffer.from('version https://git-lfs.github.com/spec/v1');
const CHUNK = 4 * 1024 * 1024;
const MAX_PROBLEMS_REPORTED = 5;

/**
 * Reads an event file from `fromByte` in chunks (files of images can be gigabytes; scalars are
 * decoded as they stream by). Problems become diagnostics naming the file and the byte offset.
 */
export function readEventFile(file: string, fromByte: number, visitor: EventVisitor, diags: Diagnostic[]): EventFileRead | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    diags.push({ severity: 'error', file, message: `cannot read the event file: ${(err as Error).message}` });
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    const result: EventFileRead = { consumed: fromByte, size: st.size, mtimeMs: st.mtimeMs, records: 0, incomplete: false, corrupt: false };
    if (fromByte >= st.size) {
      result.consumed = Math.min(fromByte, st.size);
      return result;
    }
    const decoder = new EventDecoder(visitor);
    const problems: RecordProblem[] = [];
    let buf = Buffer.allocUnsafe(Math.min(CHUNK, st.size - fromByte));
    let filled = 0; // bytes of buf holding file data from `base`
    let base = fromByte; // file offset of buf[0]
    let eof = false;
    while (true) {
      // Fill the buffer from the file.
      while (!eof && filled < buf.length) {
        const n = fs.readSync(fd, buf, filled, buf.length - filled, base + filled);
        if (n === 0) eof = true;
        filled += n;
      }
      if (base === 0 && filled >= LFS_POINTER.length && buf.subarray(0, LFS_POINTER.length).equals(LFS_POINTER)) {
        diags.push({ severity: 'error', file, message: 'this is a Git LFS pointer, not the event file (run `git lfs pull` to fetch it)' });
        result.corrupt = true;
        result.consumed = 0;
        return result;
      }
      const r = decodeRecords(buf, 0, filled, decoder, problems, base);
      result.records += r.records;
      result.consumed = base + r.next;
      if (r.stop === 'corrupt') {
        result.corrupt = true;
        const at = base + r.next;
        diags.push({
          severity: 'error',
          file,
          message:
            at === 0
              ? 'not a TensorBoard event file: no valid record at byte 0 (length checksum mismatch)'
              : `corrupt record at byte ${at} (length checksum mismatch): the rest of the file is not read`,
        });
        break;
      }
      if (r.stop === 'end' && eof) break;
      // Keep the unread tail, and read on; a record larger than the buffer makes it grow.
      const tail = filled - r.next;
      if (eof) {
        result.incomplete = tail > 0;
        break;
      }
      if (r.next === 0 && tail === buf.length) {
        // Not one whole record in the buffer: a record larger than the buffer, or one being written.
        const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        const need = filled >= 12 ? 12 + dv.getUint32(0, true) + 4 : 12;
        if (base + need > fs.fstatSync(fd).size) {
          result.incomplete = true;
          break;
        }
        const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      } else {
        buf.copy(buf, 0, r.next, filled);
      }
      filled = tail;
      base += r.next;
    }
    let reported = 0;
    for (const p of problems) {
      if (reported++ >= MAX_PROBLEMS_REPORTED) break;
      diags.push({
        severity: 'error',
        file,
        message:
          p.kind === 'data-crc'
            ? `record at byte ${p.offset} fails its data checksum: skipped`
            : `record at byte ${p.offset} is not a valid TensorBoard event (${p.message}): skipped`,
      });
    }
    if (problems.length > MAX_PROBLEMS_REPORTED) {
      diags.push({ severity: 'error', file, message: `${problems.length - MAX_PROBLEMS_REPORTED} more damaged records skipped` });
    }
    return result;
  } finally {
    fs.closeSync(fd);
  }
}

/** `events.out.tfevents.<time>.<host>[.<pid>.<uid>][suffix]`: the file name prefix of event files. */
export const EVENT_FILE_PREFIX = 'events.out.tfevents.';

export function isEventFileName(name: string): boolean {
  return name.startsWith(EVENT_FILE_PREFIX);
}

/** The writer's start time in the name (seconds), for ordering the files of one run. */
export function eventFileTime(name: string): number {
  const m = /^events\.out\.tfevents\.(\d+(?:\.\d+)?)/.exec(name);
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

/** Orders the event files of one folder as TensorBoard does: by the timestamp in their names. */
export function sortEventFiles(names: string[]): string[] {
  return names.sort((a, b) => eventFileTime(a) - eventFileTime(b) || (a < b ? -1 : a > b ? 1 : 0));
}
