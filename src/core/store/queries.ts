// Typed reads of the store, shared by the CLI, the extension host and the panels.
import type { Database, SqlValue } from 'sql.js';
import type { RunStatus, Severity } from '../ingest/types';
import { decodeRunSeries, type Series } from './seriesCodec';
import type { SeriesFiles } from './seriesFiles';

export interface MetricSummary {
  last: number;
  min: number | null;
  max: number | null;
  lastStep: number;
  lastTime: number | null;
  count: number;
}

export interface RunSummary {
  /** Row id, stable while the run stays in the store. */
  uid: number;
  /** The id the source gives the run (MLflow's run id). */
  id: string;
  name: string | null;
  experiment: string | null;
  experimentId: string | null;
  source: { kind: string; path: string };
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  deleted: boolean;
  parentId: string | null;
  user: string | null;
  /** Run folder relative to the workspace, when it has one. */
  path: string | null;
  artifactUri: string | null;
  /** Folder the artifact paths are relative to (relative to the workspace), when not `path`. */
  artifactDir: string | null;
  /** Where the run's code came from, when known. */
  git: { commit: string | null; branch: string | null; dirty: boolean | null; remote: string | null };
  params: Record<string, string>;
  metrics: Record<string, MetricSummary>;
  tags: Record<string, string>;
}

export interface ArtifactRow {
  path: string;
  kind: string;
  size: number | null;
}

export interface RunInputRow {
  kind: string;
  refId: string;
  context: string | null;
  name: string | null;
  digest: string | null;
}

export interface RunDetail extends RunSummary {
  histories: Record<string, Series>;
  /** The series file was missing or damaged: a scan with `full` reads the run again. */
  historiesMissing: boolean;
  artifacts: ArtifactRow[];
  inputs: RunInputRow[];
  diagnostics: DiagnosticRow[];
}

export interface DiagnosticRow {
  severity: Severity;
  file: string;
  line: number | null;
  message: string;
}

export interface ExperimentRow {
  source: { kind: string; path: string };
  id: string;
  name: string;
  deleted: boolean;
  runs: number;
  tags: Record<string, string>;
  created: number | null;
}

export function listExperiments(db: Database): ExperimentRow[] {
  return rows(
    db,
    `SELECT s.kind, s.path, e.native_id, e.name, e.deleted, (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id), e.tags, e.created
     FROM experiments e JOIN sources s ON s.id = e.source_id ORDER BY s.path, e.name COLLATE NOCASE`,
  ).map(([kind, p, id, name, deleted, runs, tags, created]) => ({
    source: { kind: String(kind), path: String(p) },
    id: String(id),
    name: String(name),
    deleted: deleted === 1,
    runs: Number(runs),
    tags: tags ? (JSON.parse(String(tags)) as Record<string, string>) : {},
    created: num(created),
  }));
}

export interface SourceRow {
  kind: string;
  path: string;
  runs: number;
  experiments: number;
  scannedAt: number | null;
}

export interface RunFilter {
  includeDeleted?: boolean;
  /** Only runs of these row ids. */
  uids?: readonly number[];
  /** Only runs with these ids (as their source gives them). */
  ids?: readonly string[];
}

function rows(db: Database, sql: string, params: SqlValue[] = []): SqlValue[][] {
  return db.exec(sql, params)[0]?.values ?? [];
}

function num(v: SqlValue | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function str(v: SqlValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

const RUN_COLUMNS = `r.id, r.native_id, r.name, e.name, e.native_id, s.kind, s.path, r.status, r.start_time, r.end_time,
  r.deleted, r.parent_id, r.user, r.path, r.artifact_uri, r.artifact_dir, r.git_commit, r.git_branch, r.git_dirty, r.git_remote`;

function runFromRow(row: SqlValue[]): RunSummary {
  return {
    uid: Number(row[0]),
    id: String(row[1]),
    name: str(row[2]),
    experiment: str(row[3]),
    experimentId: str(row[4]),
    source: { kind: String(row[5]), path: String(row[6]) },
    status: String(row[7]) as RunStatus,
    startTime: num(row[8]),
    endTime: num(row[9]),
    deleted: row[10] === 1,
    parentId: str(row[11]),
    user: str(row[12]),
    path: str(row[13]),
    artifactUri: str(row[14]),
    artifactDir: str(row[15]),
    git: { commit: str(row[16]), branch: str(row[17]), dirty: row[18] === null || row[18] === undefined ? null : row[18] === 1, remote: str(row[19]) },
    params: {},
    metrics: {},
    tags: {},
  };
}

function metricFromRow(row: SqlValue[], offset: number): MetricSummary {
  const count = Number(row[offset]);
  const last = row[offset + 1];
  return {
    count,
    last: last === null ? NaN : Number(last),
    lastStep: Number(row[offset + 2]),
    lastTime: num(row[offset + 3]),
    min: num(row[offset + 4]),
    max: num(row[offset + 5]),
  };
}

/** Runs, newest first, each with its params, metric summaries and tags. */
export function listRuns(db: Database, filter: RunFilter = {}): RunSummary[] {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (!filter.includeDeleted) where.push('r.deleted = 0');
  if (filter.uids) {
    if (filter.uids.length === 0) return [];
    where.push(`r.id IN (${filter.uids.map(() => '?').join(',')})`);
    params.push(...filter.uids);
  }
  if (filter.ids) {
    if (filter.ids.length === 0) return [];
    where.push(`r.native_id IN (${filter.ids.map(() => '?').join(',')})`);
    params.push(...filter.ids);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const runs = rows(
    db,
    `SELECT ${RUN_COLUMNS} FROM runs r JOIN sources s ON s.id = r.source_id LEFT JOIN experiments e ON e.id = r.experiment_id
     ${clause} ORDER BY r.start_time IS NULL, r.start_time DESC, r.native_id`,
    params,
  ).map(runFromRow);
  const byUid = new Map(runs.map((r) => [r.uid, r]));
  if (runs.length === 0) return runs;
  const runClause = filter.uids || filter.ids || !filter.includeDeleted ? `WHERE run_id IN (SELECT r.id FROM runs r ${clause})` : '';
  for (const [runId, key, value] of rows(db, `SELECT run_id, key, value FROM params ${runClause}`, params)) {
    const r = byUid.get(Number(runId));
    if (r) r.params[String(key)] = String(value);
  }
  for (const [runId, key, value] of rows(db, `SELECT run_id, key, value FROM tags ${runClause}`, params)) {
    const r = byUid.get(Number(runId));
    if (r) r.tags[String(key)] = String(value);
  }
  for (const row of rows(db, `SELECT run_id, key, count, last, last_step, last_time, min, max FROM metrics ${runClause}`, params)) {
    const r = byUid.get(Number(row[0]));
    if (r) r.metrics[String(row[1])] = metricFromRow(row, 2);
  }
  return runs;
}

/** Finds runs by id, id prefix (at least 4 characters), exact name, or run folder (relative to the workspace). */
export function findRuns(db: Database, idOrPrefix: string): { uid: number; id: string; source: string }[] {
  const folder = idOrPrefix.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/$/, '');
  const exact = rows(
    db,
    'SELECT r.id, r.native_id, s.path FROM runs r JOIN sources s ON s.id = r.source_id WHERE r.native_id = ? OR r.path = ?',
    [idOrPrefix, folder],
  );
  const found =
    exact.length > 0
      ? exact
      : idOrPrefix.length >= 4
        ? rows(
            db,
            "SELECT r.id, r.native_id, s.path FROM runs r JOIN sources s ON s.id = r.source_id WHERE substr(r.native_id, 1, length(?)) = ? OR r.name = ?",
            [idOrPrefix, idOrPrefix, idOrPrefix],
          )
        : rows(db, 'SELECT r.id, r.native_id, s.path FROM runs r JOIN sources s ON s.id = r.source_id WHERE r.name = ?', [idOrPrefix]);
  return found.map(([uid, id, source]) => ({ uid: Number(uid), id: String(id), source: String(source) }));
}

/** Row ids of runs named by (source path, native id), in order; null for those not in the store. */
export function runUidsByKey(db: Database, keys: readonly { source: string; id: string }[]): (number | null)[] {
  const stmt = db.prepare('SELECT r.id FROM runs r JOIN sources s ON s.id = r.source_id WHERE s.path = ? AND r.native_id = ?');
  try {
    return keys.map((k) => {
      stmt.bind([k.source, k.id]);
      const uid = stmt.step() ? Number(stmt.get()[0]) : null;
      stmt.reset();
      return uid;
    });
  } finally {
    stmt.free();
  }
}

/** Full metric histories of one run, read from its series file, in key order. */
export function readHistories(series: SeriesFiles, run: Pick<RunSummary, 'source' | 'id' | 'metrics'>): Record<string, Series> | undefined {
  const blobs = series.read(run.source.path, run.id);
  if (!blobs) return Object.keys(run.metrics).length === 0 ? {} : undefined;
  let all: Map<string, Series>;
  try {
    all = decodeRunSeries(blobs);
  } catch {
    return undefined;
  }
  const out: Record<string, Series> = {};
  for (const key of Object.keys(run.metrics).sort()) {
    const s = all.get(key);
    if (s) out[key] = s;
  }
  return out;
}

export function getRun(db: Database, uid: number, series: SeriesFiles): RunDetail | undefined {
  const [summary] = listRuns(db, { uids: [uid], includeDeleted: true });
  if (!summary) return undefined;
  const read = readHistories(series, summary);
  const histories = read ?? {};
  const artifacts = rows(db, 'SELECT path, kind, size FROM artifacts WHERE run_id = ? ORDER BY path', [uid]).map(([p, kind, size]) => ({
    path: String(p),
    kind: String(kind),
    size: num(size),
  }));
  const inputs = rows(
    db,
    `SELECT i.kind, i.ref_id, i.context, d.name, d.digest FROM run_inputs i JOIN runs r ON r.id = i.run_id
     LEFT JOIN datasets d ON d.source_id = r.source_id AND d.native_id = i.ref_id WHERE i.run_id = ? ORDER BY i.kind, i.ref_id`,
    [uid],
  ).map(([kind, refId, context, name, digest]) => ({
    kind: String(kind),
    refId: String(refId),
    context: str(context),
    name: str(name),
    digest: str(digest),
  }));
  const diagnostics = listDiagnostics(db, `run:${summary.source.path}:${summary.id}`);
  return { ...summary, histories, historiesMissing: read === undefined, artifacts, inputs, diagnostics };
}

export function listDiagnostics(db: Database, scope?: string): DiagnosticRow[] {
  const sql = `SELECT severity, file, line, message FROM diagnostics ${scope ? 'WHERE scope = ?' : ''} ORDER BY file, line, id`;
  return rows(db, sql, scope ? [scope] : []).map(([severity, file, line, message]) => ({
    severity: String(severity) as Severity,
    file: String(file),
    line: num(line),
    message: String(message),
  }));
}

export function listSources(db: Database): SourceRow[] {
  return rows(
    db,
    `SELECT s.kind, s.path, (SELECT count(*) FROM runs r WHERE r.source_id = s.id),
            (SELECT count(*) FROM experiments e WHERE e.source_id = s.id), s.scanned_at
     FROM sources s ORDER BY s.path`,
  ).map(([kind, p, runs, experiments, scannedAt]) => ({
    kind: String(kind),
    path: String(p),
    runs: Number(runs),
    experiments: Number(experiments),
    scannedAt: num(scannedAt),
  }));
}

export interface SourceModelVersionRow {
  source: string;
  model: string;
  version: number;
  stage: string | null;
  status: string | null;
  deleted: boolean;
  runId: string | null;
  modelId: string | null;
  sourceUri: string | null;
  aliases: string[];
  tags: Record<string, string>;
  created: number | null;
}

export interface SourceModelRow {
  source: string;
  /** The source's kind: `mlflow-file`, `mlflow-sqlite`, `gto` (git tags), … */
  kind: string;
  name: string;
  description: string | null;
  aliases: Record<string, number>;
  tags: Record<string, string>;
  versions: SourceModelVersionRow[];
}

/** Model registries read from sources (MLflow's, a repository's GTO tags), with their versions. */
export function listSourceModels(db: Database): SourceModelRow[] {
  const models = rows(
    db,
    'SELECT s.path, m.name, m.description, m.aliases, m.tags, s.kind FROM source_models m JOIN sources s ON s.id = m.source_id ORDER BY s.path, m.name',
  ).map(([source, name, description, aliases, tags, kind]) => ({
    source: String(source),
    kind: String(kind),
    name: String(name),
    description: str(description),
    aliases: aliases ? (JSON.parse(String(aliases)) as Record<string, number>) : {},
    tags: tags ? (JSON.parse(String(tags)) as Record<string, string>) : {},
    versions: [] as SourceModelVersionRow[],
  }));
  const byKey = new Map(models.map((m) => [`${m.source}\u0000${m.name}`, m]));
  for (const row of rows(
    db,
    `SELECT s.path, v.model_name, v.version, v.stage, v.status, v.deleted, v.run_native_id, v.model_id, v.source_uri, v.aliases, v.tags, v.created
     FROM source_model_versions v JOIN sources s ON s.id = v.source_id ORDER BY s.path, v.model_name, v.version`,
  )) {
    const m = byKey.get(`${String(row[0])}\u0000${String(row[1])}`);
    m?.versions.push({
      source: String(row[0]),
      model: String(row[1]),
      version: Number(row[2]),
      stage: str(row[3]),
      status: str(row[4]),
      deleted: row[5] === 1,
      runId: str(row[6]),
      modelId: str(row[7]),
      sourceUri: str(row[8]),
      aliases: row[9] ? (JSON.parse(String(row[9])) as string[]) : [],
      tags: row[10] ? (JSON.parse(String(row[10])) as Record<string, string>) : {},
      created: num(row[11]),
    });
  }
  return models;
}

/** The light view of every run the sidebar shows: no params or tags, last metric values only. */
export interface RunListItem
  extends Pick<RunSummary, 'uid' | 'id' | 'name' | 'experiment' | 'experimentId' | 'source' | 'status' | 'startTime' | 'endTime' | 'deleted' | 'parentId' | 'path'> {
  metrics: Record<string, number | null>;
  gitCommit: string | null;
}

export function listRunItems(db: Database, filter: { includeDeleted?: boolean } = {}): RunListItem[] {
  const runs = rows(
    db,
    `SELECT ${RUN_COLUMNS} FROM runs r JOIN sources s ON s.id = r.source_id LEFT JOIN experiments e ON e.id = r.experiment_id
     ${filter.includeDeleted ? '' : 'WHERE r.deleted = 0'}
     ORDER BY r.start_time IS NULL, r.start_time DESC, r.native_id`,
  ).map((row): RunListItem => {
    const r = runFromRow(row);
    return {
      uid: r.uid,
      id: r.id,
      name: r.name,
      experiment: r.experiment,
      experimentId: r.experimentId,
      source: r.source,
      status: r.status,
      startTime: r.startTime,
      endTime: r.endTime,
      deleted: r.deleted,
      parentId: r.parentId,
      path: r.path,
      metrics: {},
      gitCommit: r.git.commit,
    };
  });
  const byUid = new Map(runs.map((r) => [r.uid, r]));
  for (const [runId, key, last] of rows(db, 'SELECT run_id, key, last FROM metrics')) {
    const r = byUid.get(Number(runId));
    if (r) r.metrics[String(key)] = num(last);
  }
  return runs;
}
