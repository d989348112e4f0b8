// Paths as the store keeps them: relative to the workspace folder, '/' separated, so a store can
// be moved with its workspace and reads the same on every OS.
import * as path from 'node:path';

export function toStorePath(workspace: string, absolute: string): string {
  const rel = path.relative(workspace, absolute);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

export function fromStorePath(workspace: string, stored: string): string {
  return stored === '.' ? workspace : path.join(workspace, ...stored.split('/'));
}

/** True when `candidate` is `root` or lies inside it (both absolute, already resolved). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
