// The one ingest interface every source format implements (DESIGN.md §4): detect roots while the
// workspace is walked, read a root into normalized runs, report diagnostics. Adapters never touch
// the database; they hand normalized, already-encoded data to a sink.
import type { Series, SeriesSummary } from '../store/seriesCodec';
import type { WorkerPool } from './workerPool';

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED' | 'UNKNOWN';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  /** Absolute path of the file (or folder) concerned. */
  file: string;
  /** 1-based line, where there is one. */
  line?: number;
  message: string;
}

/** A metric history ready for the store: its summary and the encoded blob. */
export interface EncodedMetric {
  key: string;
  summary: SeriesSummary;
  blob: Uint8Array;
}

export interface ExperimentData {
  nativeId: string;
  name: string;
  deleted: boolean;
  artifactLocation: string | null;
  created: number | null;
  updated: number | null;
  tags: Record<string, string>;
}

export interface ArtifactEntry {
  /** Path relative to the run's artifact folder (RunRecord.artifactDir, else its path), '/' separated. */
  path: string;
  kind: 'file' | 'dir' | 'model';
  size: number | null;
}

export interface RunInput {
  kind: 'dataset' | 'model';
  refId: string;
  context: string | null;
}

export interface RunRecord {
  /**
   * The run's id within its source: the tool's own id where it has one (MLflow's run id),
   * otherwise the run folder's path relative to the source root ('/' separated, '.' for the root).
   */
  nativeId: string;
  experimentNativeId: string | null;
  name: string | null;
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  deleted: boolean;
  parentId: string | null;
  user: string | null;
  /** Absolute folder of the run on disk, when it has one. */
  path: string | null;
  artifactUri: string | null;
  /** Absolute folder that the run's artifact paths are relative to (default: `path`). */
  artifactDir?: string | null;
}

/**
 * One run read (or re-read) from its source. Collections that are undefined were not re-read and
 * stay as stored; defined ones replace what was stored.
 */
export interface RunUpdate {
  run: RunRecord;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** Replaces the named metrics (others stay). */
  metrics?: EncodedMetric[];
  /** When true, metrics not in `metrics` (nor appended to) are removed. */
  metricsComplete?: boolean;
  /** Points appended to stored metrics (tail of a growing file). */
  appendMetrics?: { key: string; series: Series }[];
  artifacts?: ArtifactEntry[];
  inputs?: RunInput[];
  /** The adapter's fingerprints for this run, handed back on the next read. */
  state: unknown;
  /** Replaces this run's diagnostics. */
  diagnostics: Diagnostic[];
}

export interface DatasetData {
  nativeId: string;
  name: string | null;
  digest: string | null;
  sourceType: string | null;
  location: string | null;
  schema: string | null;
  profile: string | null;
}

export interface LoggedModelData {
  nativeId: string;
  experimentNativeId: string | null;
  name: string | null;
  runNativeId: string | null;
  status: string | null;
  deleted: boolean;
  location: string | null;
  created: number | null;
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

export interface SourceModelData {
  name: string;
  description: string | null;
  created: number | null;
  updated: number | null;
  tags: Record<string, string>;
  aliases: Record<string, number>;
}

export interface SourceModelVersionData {
  modelName: string;
  version: number;
  stage: string | null;
  status: string | null;
  deleted: boolean;
  runNativeId: string | null;
  modelId: string | null;
  sourceUri: string | null;
  storageLocation: string | null;
  description: string | null;
  created: number | null;
  updated: number | null;
  tags: Record<string, string>;
  aliases: string[];
}

/** What an adapter knows about a run from the previous read. */
export interface KnownRun {
  nativeId: string;
  status: RunStatus;
  state: unknown;
}

export interface ReadContext {
  /** Absolute workspace folder; nothing outside it is followed. */
  workspace: string;
  /** Runs of this source already in the store, by native id. */
  known: ReadonlyMap<string, KnownRun>;
  /** The source's own state from the previous read (undefined on the first). */
  sourceState: unknown;
  /** Re-read everything, ignoring fingerprints. */
  full: boolean;
  /**
   * Paths a file watcher saw change. An adapter may read only what they touch and return a
   * `partial` result; one that ignores them reads the source as usual.
   */
  hints?: readonly string[];
  sink: IngestSink;
  /** Worker threads for parsing many files; adapters read in-thread without it. */
  pool?: WorkerPool;
  /** Stops a long read early (the result is then partial and not applied as a whole). */
  signal?: AbortSignal;
  /**
   * Whether the adapter may start git (the Ingestor's `git`: false in untrusted workspaces, where
   * a repository's config could make git run its programs). Absent counts as false.
   */
  git?: boolean;
}

/**
 * A node of the lineage graph. `file` and `dir` keys are absolute paths (stored relative to the
 * workspace); `run` keys are native run ids of the same source; other kinds use keys of their
 * own within the source (a DVC stage is `<dvc.yaml path relative to the source>:<stage name>`),
 * stored prefixed with the source's path.
 */
export interface LineageNode {
  kind: 'file' | 'dir' | 'stage' | 'run' | 'dataset' | 'model' | 'param';
  key: string;
  /** Content hash where the format records one (`md5:…`, `sha256:…`). */
  hash?: string;
}

export interface LineageEdge {
  from: LineageNode;
  to: LineageNode;
  /** What the edge says: `dep` (input of a stage), `out` (output of a stage), `produced`, `input`, `param`. */
  relation: string;
  meta?: Record<string, unknown>;
}

/** An experiment read (or re-read); defined collections replace the stored ones. */
export interface ExperimentUpdate {
  experiment: ExperimentData;
  datasets?: DatasetData[];
  loggedModels?: LoggedModelData[];
}

/** Receives what an adapter reads, as it reads it (so 10,000 runs never sit in memory at once). */
export interface IngestSink {
  experiment(update: ExperimentUpdate): void;
  run(update: RunUpdate): void;
  /** Replaces the source's registry (registered models and their versions). */
  registry(models: SourceModelData[], versions: SourceModelVersionData[]): void;
  /** Replaces the source's lineage edges. */
  lineage(edges: LineageEdge[]): void;
}

export interface SourceReadResult {
  /**
   * Only the hinted parts were read: nothing is removed but `removedRunIds`, and the source's
   * diagnostics stay as they were.
   */
  partial?: boolean;
  removedRunIds?: string[];
  /**
   * Folders to watch for this source besides the folders of its live runs (which are always
   * watched). Default: the root and every folder below it.
   */
  watch?: string[];
  /** Every experiment the source holds now (native ids); others of the source are removed. */
  presentExperimentIds: string[];
  /** Every run the source holds now (native ids); runs of the source not listed are removed. */
  presentRunIds: string[];
  /** Source-level diagnostics (replacing the previous ones). */
  diagnostics: Diagnostic[];
  state: unknown;
}

export interface DetectedRoot {
  kind: string;
  /** Absolute path of the root (a folder, or a file such as mlflow.db). */
  path: string;
}

export interface DirectoryView {
  /** Absolute path. */
  path: string;
  /** Child names that are folders. */
  dirs: readonly string[];
  /** Child names that are files. */
  files: readonly string[];
}

export interface Detection {
  roots: DetectedRoot[];
  /** Child folders discovery must not descend into (already owned by a root). */
  skip?: readonly string[];
  /**
   * The folder's files belong to these roots: adapters later in the order are not asked about
   * this folder (an Ultralytics run folder also holds TensorBoard event files, for instance).
   */
  exclusive?: boolean;
}

export interface SourceAdapter {
  readonly kind: string;
  /** Human name for messages and the UI. */
  readonly label: string;
  /** Looks at one folder during discovery; cheap (may stat a few children). */
  detect(dir: DirectoryView): Detection | undefined;
  read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult>;
}
