// Loads sql.js (SQLite compiled to WebAssembly) once per process, on first use, so activation
// never pays for the WebAssembly compile until a store is actually opened.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

/** Where sql-wasm.wasm lives: next to the bundle in dist/, or in node_modules when run from source. */
export function findSqlWasm(): string {
  const candidates = [path.join(__dirname, 'sql-wasm.wasm'), path.join(__dirname, '..', 'sql-wasm.wasm')];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return createRequire(__filename).resolve('sql.js/dist/sql-wasm.wasm');
}

export function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= (async () => {
    const wasmBinary = await fs.promises.readFile(findSqlWasm());
    const bytes = wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength);
    return initSqlJs({ wasmBinary: bytes as ArrayBuffer });
  })();
  return loading;
}
