// The one message protocol between the extension host and an engine worker (one worker per
// workspace folder, running src/core: store, ingest, watch). The host never touches the
// database: sql.js work, scans and file watching stay off the editor's event loop.
import type { ComparedRunData } from '../core/compare/collect';
import type { ArtifactRow, DiagnosticRow, MetricSummary, RunDetail, RunListItem } from '../core/store/queries';

export interface EngineSettings {
  /** Folders (relative to the workspace folder) to scan; empty = all of it. */
  include: string[];
  /** Globs (relative to the folder) of folders not to scan. */
  exclude: string[];
  /** Source kinds turned off (`mlflow`, `tensorboard`, …). */
  disabledAdapters: string[];
  /** Keep the store up to date while runs write (file watching). */
  watch: boolean;
  /** Read git context (off in untrusted workspaces: no git process is started). */
  git: boolean;
}

export interface EngineInit extends EngineSettings {
  folder: string;
  /** Database file; default `<folder>/.mlcycle/mlcycle.db`. */
  storePath?: string;
}

/** What the Runs tree needs of a run: light enough to send 10,000 of them. */
export type TreeRun = RunListItem;

export interface TreeSource {
  kind: string;
  path: string;
  label: string;
  runs: number;
  diagnostics: number;
}

export interface RunsSnapshot {
  sources: TreeSource[];
  runs: TreeRun[];
  diagnostics: DiagnosticRow[];
  /** Sum of all runs and of running runs (status bar). */
  running: number;
}

export interface RequestMap {
  init: { params: EngineInit; result: { sources: number } };
  scan: { params: { full?: boolean }; result: { sources: number; runsRead: number; durationMs: number } };
  snapshot: { params: Record<string, never>; result: RunsSnapshot };
  getRun: { params: { uid: number; histories?: boolean }; result: RunDetail | null };
  metricSummaries: { params: { uid: number }; result: Record<string, MetricSummary> };
  artifacts: { params: { uid: number }; result: { root: string | null; items: ArtifactRow[] } };
  hashFile: { params: { path: string }; result: { sha256: string; size: number } };
  /** Runs for the Compare Runs panel, by (source path, native id): summaries and histories downsampled to `buckets` (0: summaries only); null when gone. */
  compareRuns: { params: { runs: { source: string; id: string }[]; buckets: number }; result: (ComparedRunData | null)[] };
  configure: { params: EngineSettings; result: null };
  dispose: { params: Record<string, never>; result: null };
}

export type RequestName = keyof RequestMap;

export interface RequestMessage<K extends RequestName = RequestName> {
  kind: 'request';
  id: number;
  method: K;
  params: RequestMap[K]['params'];
}

export interface ResponseMessage {
  kind: 'response';
  id: number;
  result?: unknown;
  error?: string;
}

export type EngineEvent =
  | { kind: 'event'; type: 'changed'; reason: 'scan' | 'watch' | 'reconcile' | 'start'; runIds: string[] }
  | { kind: 'event'; type: 'progress'; source: string; runsRead: number }
  | { kind: 'event'; type: 'notice'; level: 'info' | 'warning' | 'error'; message: string }
  | { kind: 'event'; type: 'log'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; message: string };

export type WorkerMessage = ResponseMessage | EngineEvent;

export function isResponse(m: WorkerMessage): m is ResponseMessage {
  return m.kind === 'response';
}
