import * as fs from 'node:fs';

/** Makes a rename into `dir` durable. Some file systems (and Windows) refuse fsync on a folder; the rename is still atomic. */
export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // see above
  }
}
