// The shared corpus of real tool outputs (read-only). Tests copy what they scan into a temp folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyTree, tempDir } from './temp';

// ../shared next to the checkout, as on the team's machines and in CI; MLCYCLE_SHARED overrides.
export const CORPUS = path.join(process.env['MLCYCLE_SHARED'] ?? path.resolve(__dirname, '..', '..', '..', 'shared'), 'fixtures', 'corpus');

export function corpusPath(...parts: string[]): string {
  return path.join(CORPUS, ...parts);
}

/** A writable copy of a corpus folder (the whole corpus without arguments) inside a fresh temp workspace. */
export function corpusWorkspace(...parts: string[]): string {
  const ws = tempDir();
  copyTree(corpusPath(...parts), path.join(ws, parts.length > 0 ? path.basename(parts[parts.length - 1]!) : 'corpus'));
  return ws;
}

export function readCorpus(...parts: string[]): string {
  return fs.readFileSync(corpusPath(...parts), 'utf8');
}
