// MLflow's SQLite tracking backend (`mlflow.db`, the default since MLflow 3.7), read directly with
// sql.js: experiments, runs, params, tags, metric histories, dataset and model inputs, logged
// models and the model registry. FORMATS.md §1.12.
//
// The file is never opened for writing: its bytes (and those of its `-wal`, folded in by
// walMerge) are copied into an in-memory database. Re-reading is incremental: an unchanged file is
// not opened at all, and of a changed one only the runs whose signature changed are read again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlValue, Statement } from 'sql.js';
import { type Series } from '../../store/seriesCodec';
import { loadSqlJs } from '../../store/sqljs';
import { checkImage } from '../../store/sqliteImage';
import { encodeMetrics, statOrUndefined } from '../readers';
import type {
  DatasetData,
  Detection,
  DetectedRoot,
  Diagnostic,
  DirectoryView,
  EncodedMetric,
  ExperimentData,
  LoggedModelData,
  ReadContext,
  RunInput,
  RunRecord,
  RunUpdate,
  SourceAdapter,
  SourceModelData,
  SourceModelVersionData,
  SourceReadResult,
} from '../types';
import { loggedModelStatus, parseStatus } from './common';
import { listArtifacts, resolveArtifactDir } from './fileStore';
import { mergeWal } from './walMerge';

const DB_FILE = /mlflow.*\.(db|sqlite|sqlite3)$/i;
/** Below this many runs to read, a table scan per run is cheaper than building an index. */
const INDEX_THRESHOLD = 8;
const READ_ATTEMPTS = 3;

type Fingerprint = [number, number];

interface SourceState {
  /** [size, mtimeMs] of the database and of its -wal (null when absent). */
  db: Fingerprint | null;
  wal: Fingerprint | null;
  experiments: string[];
  /** Source diagnostics, repeated while the files are unchanged. */
  diag: Diagnostic[];
}

interface RunState {
  /** Status, times, names and row counts of the run, computed in SQL; see signatureQuery. */
  sig: string;
}

function fingerprint(st: fs.Stats | undefined): Fingerprint | null {
  return st ? [st.size, st.mtimeMs] : null;
}

function sameFingerprint(a: Fingerprint | null | undefined, b: Fingerprint | null): boolean {
  if (!a || !b) return (a ?? null) === b;
  return a[0] === b[0] && a[1] === b[1];
}

function str(v: SqlValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v);
}

function num(v: SqlValue | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
}

function each(db: Database, sql: string, params: SqlValue[], fn: (row: SqlValue[]) => void): void {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    while (stmt.step()) fn(stmt.get());
  } finally {
    stmt.free();
  }
}

function eachPrepared(stmt: Statement, params: SqlValue[], fn: (row: SqlValue[]) => void): void {
  stmt.bind(params);
  try {
    while (stmt.step()) fn(stmt.get());
  } finally {
    stmt.reset();
  }
}

/** Tables and their columns: MLflow's schema grew over 60 migrations, so nothing is assumed. */
class Schema {
  private readonly tables = new Map<string, Set<string>>();

  constructor(private readonly db: Database) {
    each(db, "SELECT name FROM sqlite_master WHERE type = 'table'", [], ([name]) => {
      this.tables.set(String(name), new Set());
    });
  }

  has(table: string): boolean {
    return this.tables.has(table);
  }

  col(table: string, column: string): boolean {
    const cols = this.tables.get(table);
    if (!cols) return false;
    if (cols.size === 0) each(this.db, 'SELECT name FROM pragma_table_info(?)', [table], ([c]) => cols.add(String(c)));
    return cols.has(column);
  }

  /** The column, or a NULL (or a constant) in its place on schemas that predate it. */
  pick(table: string, column: string, alias: string, fallback = 'NULL'): string {
    return this.col(table, column) ? `${alias}.${column}` : fallback;
  }

  /** Whether some index of the table starts with the column. */
  indexedBy(table: string, column: string): boolean {
    let found = false;
    each(this.db, 'SELECT name FROM pragma_index_list(?)', [table], ([index]) => {
      if (found) return;
      each(this.db, 'SELECT name FROM pragma_index_info(?) WHERE seqno = 0', [String(index)], ([c]) => {
        if (c === column) found = true;
      });
    });
    return found;
  }
}

interface Snapshot {
  image: Uint8Array;
  db: Fingerprint;
  wal: Fingerprint | null;
  /** The files changed while they were read: what was read may be torn. */
  unstable: boolean;
}

/** Reads the database and its WAL, again if either changed meanwhile (a checkpoint, a commit). */
function readSnapshot(file: string, diags: Diagnostic[]): Snapshot | string {
  const walFile = `${file}-wal`;
  for (let attempt = 1; ; attempt++) {
    const before = [fingerprint(statOrUndefined(file)), fingerprint(statOrUndefined(walFile))] as const;
    let db: Uint8Array;
    try {
      db = fs.readFileSync(file);
    } catch (err) {
      return `cannot read the MLflow database: ${(err as Error).message}`;
    }
    let wal: Uint8Array | undefined;
    let walError: string | undefined;
    try {
      wal = fs.readFileSync(walFile);
    } catch (err) {
      // No WAL is the normal state of a checkpointed or rollback-journal database.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') walError = (err as Error).message;
    }
    const after = [fingerprint(statOrUndefined(file)), fingerprint(statOrUndefined(walFile))] as const;
    const stable = sameFingerprint(before[0], after[0]) && sameFingerprint(before[1], after[1]);
    if (!stable && attempt < READ_ATTEMPTS) continue;
    if (walError) diags.push({ severity: 'warning', file: walFile, message: `cannot read the WAL file, recent commits may be missing: ${walError}` });
    const merged = mergeWal(db, wal, { reuse: true }); // db is our own copy of the file
    if (merged.problem) diags.push({ severity: 'info', file: walFile, message: `the WAL file was ignored (${merged.problem})` });
    return { image: merged.image, db: after[0] ?? [db.length, 0], wal: after[1], unstable: !stable };
  }
}

/**
 * The per-run signature: what changes when MLflow writes anything about a run. Metric rows are only
 * counted (from an index, without touching the rows); the newest timestamp comes from
 * latest_metrics, the one row per key MLflow updates on every logged point.
 */
function signatureQuery(s: Schema): string {
  const tagChecksum = `length(key) + 13 * ifnull(unicode(substr(key, -1)), 0) + 3 * ifnull(length(value), 0)
      + 5 * ifnull(unicode(value), 0) + 7 * ifnull(unicode(substr(value, -1)), 0)
      + 11 * ifnull(unicode(substr(value, length(value) / 2 + 1)), 0)`;
  const latest = s.has('latest_metrics')
    ? `LEFT JOIN (SELECT run_uuid, max(timestamp) AS t FROM latest_metrics GROUP BY run_uuid) l ON l.run_uuid = r.run_uuid`
    : `LEFT JOIN (SELECT run_uuid, max(timestamp) AS t FROM metrics GROUP BY run_uuid) l ON l.run_uuid = r.run_uuid`;
  const inputs = s.has('inputs')
    ? `LEFT JOIN (SELECT CASE WHEN destination_type = 'RUN' THEN destination_id ELSE source_id END AS run_uuid, count(*) AS n
         FROM inputs WHERE destination_type = 'RUN' OR source_type = 'RUN_INPUT' GROUP BY 1) i ON i.run_uuid = r.run_uuid`
    : '';
  return `SELECT r.run_uuid, ${s.pick('runs', 'name', 'r')}, r.status, r.start_time, r.end_time, r.lifecycle_stage,
      ${s.pick('runs', 'user_id', 'r')}, r.artifact_uri, r.experiment_id, e.lifecycle_stage,
      m.n, l.t, p.n, t.n, t.c, ${inputs ? 'i.n' : 'NULL'}
    FROM runs r
    LEFT JOIN experiments e ON e.experiment_id = r.experiment_id
    LEFT JOIN (SELECT run_uuid, count(*) AS n FROM metrics GROUP BY run_uuid) m ON m.run_uuid = r.run_uuid
    ${latest}
    LEFT JOIN (SELECT run_uuid, count(*) AS n FROM params GROUP BY run_uuid) p ON p.run_uuid = r.run_uuid
    LEFT JOIN (SELECT run_uuid, count(*) AS n, total(${tagChecksum}) AS c FROM tags GROUP BY run_uuid) t ON t.run_uuid = r.run_uuid
    ${inputs}
    ORDER BY r.run_uuid`;
}

interface RunRow {
  id: string;
  name: string | null;
  status: SqlValue;
  startTime: number | null;
  endTime: number | null;
  lifecycle: string | null;
  user: string | null;
  artifactUri: string | null;
  experimentId: string | null;
  experimentLifecycle: string | null;
  sig: string;
}

function runRow(row: SqlValue[]): RunRow {
  return {
    id: String(row[0]),
    name: str(row[1]),
    status: row[2] ?? null,
    startTime: num(row[3]),
    endTime: num(row[4]),
    lifecycle: str(row[5]),
    user: str(row[6]),
    artifactUri: str(row[7]),
    experimentId: str(row[8]),
    experimentLifecycle: str(row[9]),
    // Everything but the run id; NULL and '' differ.
    sig: row
      .slice(1)
      .map((v) => (v === null ? '\u2205' : str(v)))
      .join('|'),
  };
}

/** Prepared per-run reads, freed by close(). */
class RunReader {
  private readonly params: Statement;
  private readonly tags: Statement;
  private readonly metrics: Statement;
  private readonly datasetInputs: Statement | undefined;
  private readonly modelInputs: Statement | undefined;

  constructor(db: Database, s: Schema) {
    this.params = db.prepare('SELECT key, value FROM params WHERE run_uuid = ?');
    this.tags = db.prepare('SELECT key, value FROM tags WHERE run_uuid = ?');
    const step = s.pick('metrics', 'step', 'm', '0');
    const isNan = s.pick('metrics', 'is_nan', 'm', '0');
    this.metrics = db.prepare(
      `SELECT m.key, ${step}, m.timestamp, m.value, ${isNan} FROM metrics m WHERE m.run_uuid = ? ORDER BY m.key, ${step}, m.timestamp`,
    );
    if (s.has('inputs')) {
      const context = s.has('input_tags')
        ? "(SELECT t.value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context')"
        : 'NULL';
      this.datasetInputs = db.prepare(
        `SELECT i.source_id, ${context} FROM inputs i WHERE i.destination_type = 'RUN' AND i.destination_id = ? AND i.source_type = 'DATASET'`,
      );
      // MLflow 3 records a model consumed by a run as RUN_INPUT → MODEL_INPUT; the file-store
      // importer writes MODEL → RUN.
      this.modelInputs = db.prepare(
        `SELECT destination_id FROM inputs WHERE source_type = 'RUN_INPUT' AND source_id = ? AND destination_type = 'MODEL_INPUT'
         UNION SELECT source_id FROM inputs WHERE source_type = 'MODEL' AND destination_type = 'RUN' AND destination_id = ?`,
      );
    }
  }

  close(): void {
    for (const s of [this.params, this.tags, this.metrics, this.datasetInputs, this.modelInputs]) s?.free();
  }

  read(r: RunRow, dbFile: string, workspace: string): RunUpdate {
    const diags: Diagnostic[] = [];
    const params: Record<string, string> = {};
    eachPrepared(this.params, [r.id], ([k, v]) => {
      params[String(k)] = str(v) ?? '';
    });
    const tags: Record<string, string> = {};
    eachPrepared(this.tags, [r.id], ([k, v]) => {
      tags[String(k)] = str(v) ?? '';
    });

    const histories = new Map<string, Series>();
    eachPrepared(this.metrics, [r.id], ([k, step, timestamp, value, isNan]) => {
      const name = String(k);
      let series = histories.get(name);
      if (!series) histories.set(name, (series = { steps: [], times: [], values: [] }));
      series.steps.push(Number(step ?? 0));
      series.times!.push(Number(timestamp ?? 0));
      series.values.push(Number(isNan) === 1 || value === null ? NaN : Number(value));
    });
    const metrics: EncodedMetric[] = encodeMetrics(histories);

    const inputs: RunInput[] = [];
    if (this.datasetInputs) {
      eachPrepared(this.datasetInputs, [r.id], ([source, context]) => {
        inputs.push({ kind: 'dataset', refId: String(source), context: str(context) });
      });
    }
    if (this.modelInputs) {
      eachPrepared(this.modelInputs, [r.id, r.id], ([model]) => {
        inputs.push({ kind: 'model', refId: String(model), context: null });
      });
    }

    const run: RunRecord = {
      nativeId: r.id,
      experimentNativeId: r.experimentId,
      name: r.name || tags['mlflow.runName'] || null,
      status: parseStatus(str(r.status)),
      startTime: r.startTime,
      endTime: r.endTime,
      deleted: r.lifecycle === 'deleted' || r.experimentLifecycle === 'deleted',
      parentId: tags['mlflow.parentRunId'] || null,
      user: r.user || tags['mlflow.user'] || null,
      path: null, // the run lives in the database, not in a folder
      artifactUri: r.artifactUri,
    };
    const state: RunState = { sig: r.sig };
    const update: RunUpdate = { run, params, tags, metrics, metricsComplete: true, inputs, state, diagnostics: diags };
    // Local artifacts sit in `mlruns/<exp>/<run>/artifacts` next to the database by default.
    const dbDir = path.dirname(dbFile);
    const expId = r.experimentId ?? '0';
    const artifactDir = resolveArtifactDir(r.artifactUri, path.join(dbDir, 'mlruns'), path.join(dbDir, 'mlruns', expId, r.id), expId, r.id, workspace);
    run.artifactDir = artifactDir ?? null;
    update.artifacts = artifactDir ? listArtifacts(artifactDir, diags, workspace) : [];
    return update;
  }
}

function readExperiments(db: Database, s: Schema): { experiment: ExperimentData; datasets: DatasetData[]; loggedModels: LoggedModelData[] }[] {
  const tagsByExp = new Map<string, Record<string, string>>();
  if (s.has('experiment_tags')) {
    each(db, 'SELECT experiment_id, key, value FROM experiment_tags', [], ([e, k, v]) => {
      const id = String(e);
      const tags = tagsByExp.get(id) ?? {};
      tags[String(k)] = str(v) ?? '';
      tagsByExp.set(id, tags);
    });
  }
  const datasetsByExp = new Map<string, DatasetData[]>();
  if (s.has('datasets')) {
    each(
      db,
      `SELECT d.dataset_uuid, d.experiment_id, d.name, d.digest, d.dataset_source_type, d.dataset_source,
         ${s.pick('datasets', 'dataset_schema', 'd')}, ${s.pick('datasets', 'dataset_profile', 'd')}
       FROM datasets d ORDER BY d.name, d.digest`,
      [],
      (row) => {
        const id = String(row[1]);
        const list = datasetsByExp.get(id) ?? [];
        list.push({
          nativeId: String(row[0]),
          name: str(row[2]),
          digest: str(row[3]),
          sourceType: str(row[4]),
          location: str(row[5]),
          schema: str(row[6]),
          profile: str(row[7]),
        });
        datasetsByExp.set(id, list);
      },
    );
  }
  const modelsByExp = readLoggedModels(db, s);

  const out: { experiment: ExperimentData; datasets: DatasetData[]; loggedModels: LoggedModelData[] }[] = [];
  each(
    db,
    `SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage,
       ${s.pick('experiments', 'creation_time', 'e')}, ${s.pick('experiments', 'last_update_time', 'e')}
     FROM experiments e ORDER BY e.experiment_id`,
    [],
    (row) => {
      const id = String(row[0]);
      out.push({
        experiment: {
          nativeId: id,
          name: str(row[1]) ?? (id === '0' ? 'Default' : id),
          deleted: str(row[3]) === 'deleted',
          artifactLocation: str(row[2]),
          created: num(row[4]),
          updated: num(row[5]),
          tags: tagsByExp.get(id) ?? {},
        },
        datasets: datasetsByExp.get(id) ?? [],
        loggedModels: modelsByExp.get(id) ?? [],
      });
    },
  );
  return out;
}

/** MLflow 3 logged models, by experiment, each with its params, tags and latest metric values. */
function readLoggedModels(db: Database, s: Schema): Map<string, LoggedModelData[]> {
  const byExp = new Map<string, LoggedModelData[]>();
  if (!s.has('logged_models')) return byExp;
  const byId = new Map<string, LoggedModelData>();
  each(
    db,
    `SELECT model_id, experiment_id, name, source_run_id, status, lifecycle_stage, artifact_location, creation_timestamp_ms
     FROM logged_models ORDER BY creation_timestamp_ms, model_id`,
    [],
    (row) => {
      const status = row[4];
      const model: LoggedModelData = {
        nativeId: String(row[0]),
        experimentNativeId: str(row[1]),
        name: str(row[2]),
        runNativeId: str(row[3]),
        status: loggedModelStatus(status),
        deleted: str(row[5]) === 'deleted',
        location: str(row[6]),
        created: num(row[7]),
        params: {},
        metrics: {},
        tags: {},
      };
      byId.set(model.nativeId, model);
      const exp = model.experimentNativeId ?? '';
      const list = byExp.get(exp) ?? [];
      list.push(model);
      byExp.set(exp, list);
    },
  );
  if (s.has('logged_model_params')) {
    each(db, 'SELECT model_id, param_key, param_value FROM logged_model_params', [], ([m, k, v]) => {
      const model = byId.get(String(m));
      if (model) model.params[String(k)] = str(v) ?? '';
    });
  }
  if (s.has('logged_model_tags')) {
    each(db, 'SELECT model_id, tag_key, tag_value FROM logged_model_tags', [], ([m, k, v]) => {
      const model = byId.get(String(m));
      if (model) model.tags[String(k)] = str(v) ?? '';
    });
  }
  if (s.has('logged_model_metrics')) {
    // The latest value per metric, in MLflow's order (timestamp, then step); a NULL value is NaN.
    each(
      db,
      'SELECT model_id, metric_name, metric_value FROM logged_model_metrics ORDER BY model_id, metric_name, metric_timestamp_ms, metric_step',
      [],
      ([m, k, v]) => {
        const model = byId.get(String(m));
        if (model) model.metrics[String(k)] = v === null ? NaN : Number(v);
      },
    );
  }
  return byExp;
}

/** Registered models live in workspaces since MLflow 3.10; names of other workspaces are qualified. */
function modelName(name: SqlValue, workspace: SqlValue): string {
  const ws = str(workspace);
  return ws && ws !== 'default' ? `${ws}/${String(name)}` : String(name);
}

function readRegistry(db: Database, s: Schema): { models: SourceModelData[]; versions: SourceModelVersionData[] } {
  const models: SourceModelData[] = [];
  const versions: SourceModelVersionData[] = [];
  if (!s.has('registered_models')) return { models, versions };
  const ws = (table: string): string => s.pick(table, 'workspace', 'x');
  const byName = new Map<string, SourceModelData>();
  each(db, `SELECT x.name, x.description, x.creation_time, x.last_updated_time, ${ws('registered_models')} FROM registered_models x ORDER BY x.name`, [], (row) => {
    const m: SourceModelData = {
      name: modelName(row[0]!, row[4] ?? null),
      description: str(row[1]) || null,
      created: num(row[2]),
      updated: num(row[3]),
      tags: {},
      aliases: {},
    };
    byName.set(m.name, m);
    models.push(m);
  });
  if (s.has('registered_model_tags')) {
    each(db, `SELECT x.name, x.key, x.value, ${ws('registered_model_tags')} FROM registered_model_tags x`, [], ([n, k, v, w]) => {
      const m = byName.get(modelName(n!, w ?? null));
      if (m) m.tags[String(k)] = str(v) ?? '';
    });
  }
  if (s.has('registered_model_aliases')) {
    each(db, `SELECT x.name, x.alias, x.version, ${ws('registered_model_aliases')} FROM registered_model_aliases x`, [], ([n, a, v, w]) => {
      const m = byName.get(modelName(n!, w ?? null));
      const version = num(v);
      if (m && version !== null) m.aliases[String(a)] = version;
    });
  }
  if (!s.has('model_versions')) return { models, versions };
  const versionTags = new Map<string, Record<string, string>>();
  if (s.has('model_version_tags')) {
    each(db, `SELECT x.name, x.version, x.key, x.value, ${ws('model_version_tags')} FROM model_version_tags x`, [], ([n, v, k, val, w]) => {
      const id = `${modelName(n!, w ?? null)}\u0000${String(v)}`;
      const tags = versionTags.get(id) ?? {};
      tags[String(k)] = str(val) ?? '';
      versionTags.set(id, tags);
    });
  }
  const modelId = s.col('model_versions', 'model_id');
  each(
    db,
    `SELECT x.name, x.version, x.current_stage, x.status, x.run_id, x.source, ${s.pick('model_versions', 'storage_location', 'x')},
       x.description, x.creation_time, x.last_updated_time, ${modelId ? 'x.model_id' : 'NULL'}, ${ws('model_versions')}
     FROM model_versions x ORDER BY x.name, x.version`,
    [],
    (row) => {
      const name = modelName(row[0]!, row[11] ?? null);
      const version = Number(row[1]);
      const rawStage = str(row[2]);
      const source = str(row[5]);
      // MLflow 3 registers a logged model with source `models:/m-<id>`; the id is the model's.
      const fromSource = source ? /^models:\/(m-[0-9a-f]+)\/?$/i.exec(source)?.[1] : undefined;
      const aliases = byName.get(name)?.aliases ?? {};
      versions.push({
        modelName: name,
        version,
        stage: rawStage === 'Deleted_Internal' || rawStage === 'None' || rawStage === '' ? null : rawStage,
        status: str(row[3]),
        deleted: rawStage === 'Deleted_Internal',
        runNativeId: str(row[4]) || null,
        modelId: str(row[10]) || fromSource || null,
        sourceUri: source,
        storageLocation: str(row[6]),
        description: str(row[7]) || null,
        created: num(row[8]),
        updated: num(row[9]),
        tags: versionTags.get(`${name}\u0000${String(row[1])}`) ?? {},
        aliases: Object.entries(aliases)
          .filter(([, v]) => v === version)
          .map(([a]) => a)
          .sort(),
      });
    },
  );
  return { models, versions };
}

/** Gives the per-run reads an index on run_uuid where an old schema has none (in memory only). */
function ensureRunIndexes(db: Database, s: Schema): void {
  for (const table of ['metrics', 'params', 'tags']) {
    if (!s.indexedBy(table, 'run_uuid')) db.run(`CREATE INDEX mlcycle_${table}_run_uuid ON ${table} (run_uuid)`);
  }
}

function describe(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  if (/file is not a database|malformed|disk image/i.test(message)) return `the database is damaged or not SQLite (${message})`;
  return message;
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const file = root.path;
  const previous = ctx.sourceState as SourceState | undefined;
  const dbFp = fingerprint(statOrUndefined(file));
  const walFp = fingerprint(statOrUndefined(`${file}-wal`));
  if (!ctx.full && previous && dbFp && sameFingerprint(previous.db, dbFp) && sameFingerprint(previous.wal, walFp)) {
    return { presentExperimentIds: previous.experiments, presentRunIds: [...ctx.known.keys()], diagnostics: previous.diag, state: previous };
  }

  const diagnostics: Diagnostic[] = [];
  // A file that cannot be used holds no runs; its error is repeated until the file changes.
  const failed = (message: string, snapshot?: Snapshot): SourceReadResult => {
    diagnostics.push({ severity: 'error', file, message });
    ctx.sink.registry([], []);
    const state: SourceState = {
      db: snapshot && !snapshot.unstable ? snapshot.db : null,
      wal: snapshot && !snapshot.unstable ? snapshot.wal : null,
      experiments: [],
      diag: diagnostics,
    };
    return { presentExperimentIds: [], presentRunIds: [], diagnostics, state };
  };

  const snapshot = readSnapshot(file, diagnostics);
  if (typeof snapshot === 'string') return failed(snapshot);
  const problem = checkImage(snapshot.image);
  if (problem) return failed(`not a usable MLflow database: ${problem}`, snapshot);
  if (snapshot.image[18] === 2) {
    // Still marked WAL (nothing was merged): open it as a plain database, in our copy only.
    snapshot.image[18] = 1;
    snapshot.image[19] = 1;
  }

  const SQL = await loadSqlJs();
  let db: Database;
  try {
    db = new SQL.Database(snapshot.image);
  } catch (err) {
    return failed(`cannot open the MLflow database: ${describe(err)}`, snapshot);
  }
  try {
    const s = new Schema(db);
    if (!s.has('runs') || !s.has('experiments') || !s.col('runs', 'run_uuid')) {
      const what = s.has('alembic_version') ? 'has no MLflow tracking tables' : 'is a SQLite database but not an MLflow tracking database';
      return failed(`this file ${what} (no runs/experiments tables)`, snapshot);
    }

    // Everything that can fail on a damaged file is queried before anything reaches the sink.
    const runs: RunRow[] = [];
    each(db, signatureQuery(s), [], (row) => runs.push(runRow(row)));
    const experiments = readExperiments(db, s);
    const registry = readRegistry(db, s);

    const toRead = runs.filter((r) => {
      if (ctx.full) return true;
      const known = ctx.known.get(r.id);
      return (known?.state as RunState | undefined)?.sig !== r.sig;
    });
    if (toRead.length >= INDEX_THRESHOLD) ensureRunIndexes(db, s);

    for (const e of experiments) ctx.sink.experiment(e);
    const reader = new RunReader(db, s);
    try {
      for (const r of toRead) {
        if (ctx.signal?.aborted) break;
        ctx.sink.run(reader.read(r, file, ctx.workspace));
      }
    } finally {
      reader.close();
    }
    ctx.sink.registry(registry.models, registry.versions);

    const state: SourceState = {
      db: snapshot.unstable ? null : snapshot.db,
      wal: snapshot.unstable ? null : snapshot.wal,
      experiments: experiments.map((e) => e.experiment.nativeId),
      diag: diagnostics,
    };
    return {
      presentExperimentIds: state.experiments,
      presentRunIds: runs.map((r) => r.id),
      diagnostics,
      state,
    };
  } catch (err) {
    return failed(`cannot read the MLflow database: ${describe(err)}`, snapshot);
  } finally {
    db.close();
  }
}

function detect(dir: DirectoryView): Detection | undefined {
  const roots = dir.files.filter((f) => DB_FILE.test(f)).map((f) => ({ kind: 'mlflow-sqlite', path: path.join(dir.path, f) }));
  return roots.length > 0 ? { roots } : undefined;
}

export const mlflowSqliteStore: SourceAdapter = {
  kind: 'mlflow-sqlite',
  label: 'MLflow database',
  detect,
  read,
};
