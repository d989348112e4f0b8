// Writes zip files byte by byte, including the ones no zip library will write: names that escape
// the folder, symbolic-link entries, duplicate names, sizes that lie (a 10 GB declared size from a
// few bytes: a zip bomb without writing 10 GB). Layout per APPNOTE.TXT 4.3: local headers with the
// data, the central directory, the end-of-central-directory record; ZIP64 extra fields when a size
// does not fit 32 bits.
import * as zlib from 'node:zlib';

export interface CraftEntry {
  name: string;
  data?: Buffer | string;
  /** 0 stored, 8 deflated (default). */
  method?: 0 | 8;
  /** Uncompressed size written in the headers (default: the real one). */
  declaredSize?: number;
  /** Unix mode with the file type bits (default 0o100644; 0o120777 is a symbolic link). */
  mode?: number;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

export function craftZip(entries: readonly CraftEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '');
    const method = e.method ?? 8;
    const body = method === 8 ? zlib.deflateRawSync(data) : data;
    const usize = e.declaredSize ?? data.length;
    const csize = body.length;
    const zip64 = usize > 0xfffffffe || csize > 0xfffffffe;
    const name = Buffer.from(e.name, 'utf8');
    const extra = zip64 ? Buffer.concat([u16(0x0001), u16(16), u64(usize), u64(csize)]) : Buffer.alloc(0);
    const crc = zlib.crc32(data);
    const common = Buffer.concat([
      u16(zip64 ? 45 : 20), // version needed
      u16(0x0800), // UTF-8 names
      u16(method),
      u16(0), // time
      u16(0x21), // date: 1980-01-01
      u32(crc),
      u32(zip64 ? 0xffffffff : csize),
      u32(zip64 ? 0xffffffff : usize),
      u16(name.length),
      u16(extra.length),
    ]);
    const local = Buffer.concat([u32(0x04034b50), common, name, extra]);
    const mode = e.mode ?? 0o100644;
    central.push(
      Buffer.concat([
        u32(0x02014b50),
        u16((3 << 8) | 63), // made by Unix: external attributes carry the mode
        common,
        u16(0), // comment length
        u16(0), // disk
        u16(0), // internal attributes
        u32((mode << 16) >>> 0),
        u32(offset),
        name,
        extra,
      ]),
    );
    parts.push(local, body);
    offset += local.length + body.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(offset), u16(0)]);
  return Buffer.concat([...parts, cd, eocd]);
}
