// Opens a workspace on a real folder, scans it with the real engine, and hands back the store's
// answers. Every test that does this closes the workspace afterwards.
import type { ScanOptions, ScanSummary } from '../../src/core/ingest/engine';
import { listDiagnostics, listRuns, listSourceModels, type DiagnosticRow, type RunSummary } from '../../src/core/store/queries';
import type { StoreNotice } from '../../src/core/store/store';
import { Workspace } from '../../src/core/workspace';

export interface ScanResult {
  ws: Workspace;
  summary: ScanSummary;
  runs: RunSummary[];
  diagnostics: DiagnosticRow[];
  notices: StoreNotice[];
}

const open: Workspace[] = [];

export async function scanFolder(folder: string, options: ScanOptions & { storePath?: string } = {}): Promise<ScanResult> {
  const notices: StoreNotice[] = [];
  const ws = await Workspace.open(folder, {
    onNotice: (n) => notices.push(n),
    ...(options.storePath ? { storePath: options.storePath } : {}),
  });
  open.push(ws);
  const summary = await ws.ingestor.scan(options);
  return {
    ws,
    summary,
    runs: ws.store.read((db) => listRuns(db, { includeDeleted: true })),
    diagnostics: ws.store.read((db) => listDiagnostics(db)),
    notices,
  };
}

/** Re-reads the store after a further scan of an open workspace. */
export async function rescan(ws: Workspace, options: ScanOptions = {}): Promise<Omit<ScanResult, 'notices' | 'ws'>> {
  const summary = await ws.ingestor.scan(options);
  return {
    summary,
    runs: ws.store.read((db) => listRuns(db, { includeDeleted: true })),
    diagnostics: ws.store.read((db) => listDiagnostics(db)),
  };
}

export function models(ws: Workspace): ReturnType<typeof listSourceModels> {
  return ws.store.read((db) => listSourceModels(db));
}

export function runById(runs: RunSummary[], id: string): RunSummary {
  const r = runs.find((x) => x.id === id);
  if (!r) throw new Error(`run ${id} not found among ${runs.length} runs`);
  return r;
}

export function closeAll(): void {
  for (const ws of open.splice(0)) ws.close();
}

afterEach(closeAll);
