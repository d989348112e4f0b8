// Temporary folders for tests: real files on disk, removed after each test file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

export function tempDir(prefix = 'mlcycle-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Copies a folder (the corpus is read-only and must never receive a .mlcycle store). */
export function copyTree(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  // The corpus is read-only on disk; make the copy writable so tests can modify it.
  const chmod = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) chmod(path.join(p, n));
  };
  chmod(to);
  return to;
}

export function writeFile(file: string, content: string | Uint8Array): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

after(cleanupTempDirs);
