// Cheap sanity checks of a SQLite file image, before handing it to sql.js (which would accept a
// truncated file and fail later, page by page).

/** Why a database image cannot be used, or undefined when it looks sound. */
export function checkImage(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'the file is empty';
  if (bytes.length < 100) return `the file is truncated (${bytes.length} bytes, smaller than a SQLite header)`;
  const magic = Buffer.from(bytes.subarray(0, 16)).toString('latin1');
  if (magic !== 'SQLite format 3\0') return 'the file is not a SQLite database (bad header)';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = dv.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return `the header has an invalid page size (${rawPageSize})`;
  const changeCounter = dv.getUint32(24);
  const pageCount = dv.getUint32(28);
  const validFor = dv.getUint32(92);
  if (validFor === changeCounter && pageCount > 0 && bytes.length < pageCount * pageSize) {
    return `the file is truncated (${bytes.length} bytes, the header says ${pageCount * pageSize})`;
  }
  return undefined;
}
