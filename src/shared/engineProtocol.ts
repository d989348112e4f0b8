// The one message protocol between the extension host and an engine worker (one worker per
// workspace folder, running src/core: store, ingest, watch). The host never touches the
// database: sql.js work, scans and file watching stay off the editor's event loop.
import type { ComparedRunData } from '../core/compare/collect';
import type { GateResult } from '../core/registry/policy';
import type { HistoryEntry, VersionRow } from '../core/registry/registry';
import type { DecommissionReason, Stage } from '../core/registry/names';
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

// ---- model registry (Models view, model panel) -------------------------------------------------

export interface ModelFileItem {
  path: string;
  sha256: string;
  size: number;
}

export interface ModelPackageItem {
  /** Absolute path of the zip. */
  file: string;
  sha256: string;
  size: number;
  created: number;
  /** When every hash was last checked and matched; null: never verified. */
  verifiedAt: number | null;
  /** The zip is still there with the size it was recorded with. */
  present: boolean;
}

export interface ModelVersionItem
  extends Pick<VersionRow, 'version' | 'stage' | 'stageReason' | 'stageTime' | 'registered' | 'actor' | 'sourcePath' | 'run' | 'digest'> {
  bytes: number;
  /** Last values of the linked run's metrics (null: NaN or infinite). */
  metrics: Record<string, number | null>;
  aliases: string[];
  files: ModelFileItem[];
  packages: ModelPackageItem[];
}

export interface ModelItem {
  name: string;
  description: string | null;
  created: number;
  updated: number;
  aliases: Record<string, number>;
  versions: ModelVersionItem[];
}

/** A model of a registry MLCycle only reads (MLflow's model registry, a repository's GTO tags). */
export interface SourceModelItem {
  source: string;
  kind: string;
  name: string;
  description: string | null;
  versions: { version: number; label: string; stage: string | null; status: string | null; deleted: boolean; runId: string | null; aliases: string[]; created: number | null }[];
}

export interface ModelsSnapshot {
  models: ModelItem[];
  sources: SourceModelItem[];
  /** The journal's damaged lines and the policy file's problems. */
  problems: string[];
  /** Registry writes are refused (Restricted Mode). */
  readOnly: boolean;
}

export interface ModelDetail {
  model: ModelItem;
  history: HistoryEntry[];
  /** The MODEL_CARD.md a package of the newest version would carry (generated, text). */
  modelCard: string | null;
}

/** What `verifyPackageFile` found: the manifest's model and version when it could be read. */
export interface PackageFileCheck {
  file: string;
  ok: boolean;
  model: string | null;
  version: number | null;
  /** Files checked. */
  files: number;
  missing: string[];
  extra: string[];
  altered: string[];
  /** Unsafe entries, an unreadable manifest, a damaged zip. */
  problems: string[];
  /** Every mismatch in words, as `mlcycle verify` prints it (hashes and sizes of altered files). */
  lines: string[];
}

/** Structured failures of requests: the host shows each gate, and tells a cancel from an error. */
export type EngineErrorData =
  | { kind: 'gates'; model: string; version: number; stage: Stage; gates: GateResult[] }
  | { kind: 'cancelled' }
  | { kind: 'readOnly' };

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
  /** Every model of the folder's registry, with versions, files and packages, and the read-only source registries. */
  models: { params: Record<string, never>; result: ModelsSnapshot };
  modelDetail: { params: { model: string }; result: ModelDetail | null };
  /** Snapshots a file or folder as a new version (progress events; cancellable). `run` undefined: found from the store. */
  register: { params: { model: string; path: string; run?: { source: string; id: string } | null; description?: string }; result: { version: number; run: { source: string; id: string; name: string | null } | null; warnings: string[] } };
  setStage: {
    params: { model: string; version: number; stage: Stage; reason?: string; reasonKind?: DecommissionReason };
    result: { version: number; stage: Stage; demoted: number[]; gates: GateResult[]; warnings: string[] };
  };
  setAlias: { params: { model: string; version: number; alias: string }; result: { previous: number | null } };
  /** Builds a verified package when missing, then archives (progress events; cancellable). */
  archive: { params: { model: string; version: number; reason?: string }; result: { package: string; built: boolean; warnings: string[] } };
  buildPackage: { params: { model: string; version: number }; result: { file: string; sha256: string; size: number; files: number; warnings: string[] } };
  /** Verifies a package of the version (the newest one, or `file`). */
  verifyPackage: { params: { model: string; version: number; file?: string }; result: { file: string; ok: boolean; problems: string[] } };
  /** Verifies any package zip (one picked on disk): each missing, extra and altered file named. Changes no stage; a known package's verification is recorded. */
  verifyPackageFile: { params: { file: string }; result: PackageFileCheck };
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
  /** What the host needs beyond the message (each failed gate; a cancel). */
  errorData?: EngineErrorData;
}

/** Sent outside the request queue: aborts a running (or still queued) request that takes a signal. */
export interface CancelMessage {
  kind: 'cancel';
  id: number;
}

export type EngineEvent =
  | { kind: 'event'; type: 'changed'; reason: 'scan' | 'watch' | 'reconcile' | 'start'; runIds: string[] }
  | { kind: 'event'; type: 'progress'; source: string; runsRead: number }
  /** Progress of one long request (register, build, verify, archive), by its id. */
  | { kind: 'event'; type: 'taskProgress'; request: number; done: number; total: number }
  | { kind: 'event'; type: 'notice'; level: 'info' | 'warning' | 'error'; message: string }
  | { kind: 'event'; type: 'log'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; message: string };

export type WorkerMessage = ResponseMessage | EngineEvent;

export function isResponse(m: WorkerMessage): m is ResponseMessage {
  return m.kind === 'response';
}
