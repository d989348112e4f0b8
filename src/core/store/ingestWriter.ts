// Writes what adapters read into the database. Runs are addressed by (source path, native id), never
// by rowid, so a batch can be applied to any copy of the database. Statements are prepared per
// batch: sql.js frees every prepared statement when the database is exported.
import type { Database, Statement, SqlValue } from 'sql.js';
import type {
  Diagnostic,
  ExperimentUpdate,
  LineageEdge,
  LineageNode,
  KnownRun,
  RunStatus,
  RunUpdate,
  SourceModelData,
  SourceModelVersionData,
  SourceReadResult,
} from '../ingest/types';
import { toStorePath } from '../util/paths';
import { decodeRunSeries, encodeRunSeries, summarize, type Series, type SeriesSummary } from './seriesCodec';
import type { SeriesFiles } from './seriesFiles';

export function runScope(sourcePath: string, nativeId: string): string {
  return `run:${sourcePath}:${nativeId}`;
}

export function sourceScope(sourcePath: string): string {
  return `source:${sourcePath}`;
}

export const DISCOVERY_SCOPE = 'discovery';

function concatSeries(head: Series, tail: Series): Series {
  return {
    steps: head.steps.concat(tail.steps),
    times: head.times && tail.times ? head.times.concat(tail.times) : null,
    values: head.values.concat(tail.values),
  };
}

function json(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && Object.keys(value as object).length === 0) return null;
  return JSON.stringify(value);
}

export function ensureSource(db: Database, kind: string, sourcePath: string): number {
  db.run('INSERT INTO sources (kind, path) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET kind = excluded.kind WHERE kind IS NOT excluded.kind', [
    kind,
    sourcePath,
  ]);
  const id = db.exec('SELECT id FROM sources WHERE path = ?', [sourcePath])[0]?.values[0]?.[0];
  return Number(id);
}

export function knownRuns(db: Database, sourcePath: string): Map<string, KnownRun> {
  const out = new Map<string, KnownRun>();
  const stmt = db.prepare('SELECT r.native_id, r.status, r.state FROM runs r JOIN sources s ON s.id = r.source_id WHERE s.path = ?');
  try {
    stmt.bind([sourcePath]);
    while (stmt.step()) {
      const [id, status, state] = stmt.get() as [string, string, string | null];
      out.set(id, { nativeId: id, status: status as RunStatus, state: state ? JSON.parse(state) : undefined });
    }
  } finally {
    stmt.free();
  }
  return out;
}

export function sourceState(db: Database, sourcePath: string): unknown {
  const v = db.exec('SELECT state FROM sources WHERE path = ?', [sourcePath])[0]?.values[0]?.[0];
  return typeof v === 'string' ? JSON.parse(v) : undefined;
}

/** Replaces the diagnostics of a scope; leaves the rows alone when they are the same. */
export function replaceDiagnostics(db: Database, scope: string, diagnostics: Diagnostic[], workspace: string): void {
  const current = (db.exec('SELECT severity, file, line, message FROM diagnostics WHERE scope = ? ORDER BY id', [scope])[0]?.values ?? []).map((r) =>
    JSON.stringify(r),
  );
  const next = diagnostics.map((d) => JSON.stringify([d.severity, toStorePath(workspace, d.file), d.line ?? null, d.message]));
  if (current.length === next.length && current.every((c, i) => c === next[i])) return;
  db.run('DELETE FROM diagnostics WHERE scope = ?', [scope]);
  if (diagnostics.length === 0) return;
  const stmt = db.prepare('INSERT INTO diagnostics (scope, severity, file, line, message) VALUES (?, ?, ?, ?, ?)');
  try {
    for (const d of diagnostics) stmt.run([scope, d.severity, toStorePath(workspace, d.file), d.line ?? null, d.message]);
  } finally {
    stmt.free();
  }
}

/** Applies one batch of a source's updates. Create, use, then close() inside one mutation. */
export class SourceWriter {
  private readonly statements: Statement[] = [];
  private readonly sourceId: number;
  private readonly experimentRowids = new Map<string, number | null>();
  private readonly st: Record<
    | 'runUpsert'
    | 'runId'
    | 'expId'
    | 'paramsDel'
    | 'paramIns'
    | 'tagsDel'
    | 'tagIns'
    | 'metricUpsert'
    | 'metricDel'
    | 'metricKeys'
    | 'artifactsDel'
    | 'artifactIns'
    | 'inputsDel'
    | 'inputIns',
    Statement
  >;

  constructor(
    private readonly db: Database,
    kind: string,
    private readonly sourcePath: string,
    private readonly workspace: string,
    private readonly series: SeriesFiles,
  ) {
    this.sourceId = ensureSource(db, kind, sourcePath);
    const p = (sql: string): Statement => {
      const s = db.prepare(sql);
      this.statements.push(s);
      return s;
    };
    this.st = {
      runUpsert: p(`INSERT INTO runs (source_id, native_id, experiment_id, name, status, start_time, end_time, deleted, parent_id, user, path, artifact_uri, state, artifact_dir)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                    ON CONFLICT (source_id, native_id) DO UPDATE SET experiment_id = excluded.experiment_id, name = excluded.name,
                      status = excluded.status, start_time = excluded.start_time, end_time = excluded.end_time, deleted = excluded.deleted,
                      parent_id = excluded.parent_id, user = excluded.user, path = excluded.path, artifact_uri = excluded.artifact_uri,
                      state = excluded.state, artifact_dir = excluded.artifact_dir`),
      runId: p('SELECT id FROM runs WHERE source_id = ? AND native_id = ?'),
      expId: p('SELECT id FROM experiments WHERE source_id = ? AND native_id = ?'),
      paramsDel: p('DELETE FROM params WHERE run_id = ?'),
      paramIns: p('INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?,?,?)'),
      tagsDel: p('DELETE FROM tags WHERE run_id = ?'),
      tagIns: p('INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?,?,?)'),
      metricUpsert: p(`INSERT INTO metrics (run_id, key, count, last, last_step, last_time, min, max) VALUES (?,?,?,?,?,?,?,?)
                       ON CONFLICT (run_id, key) DO UPDATE SET count = excluded.count, last = excluded.last, last_step = excluded.last_step,
                         last_time = excluded.last_time, min = excluded.min, max = excluded.max`),
      metricDel: p('DELETE FROM metrics WHERE run_id = ? AND key = ?'),
      metricKeys: p('SELECT key FROM metrics WHERE run_id = ?'),
      artifactsDel: p('DELETE FROM artifacts WHERE run_id = ?'),
      artifactIns: p('INSERT OR REPLACE INTO artifacts (run_id, path, kind, size) VALUES (?,?,?,?)'),
      inputsDel: p('DELETE FROM run_inputs WHERE run_id = ?'),
      inputIns: p('INSERT OR REPLACE INTO run_inputs (run_id, kind, ref_id, context) VALUES (?,?,?,?)'),
    };
  }

  close(): void {
    for (const s of this.statements) s.free();
    this.statements.length = 0;
  }

  private scalar(stmt: Statement, params: SqlValue[]): SqlValue | undefined {
    stmt.bind(params);
    try {
      return stmt.step() ? stmt.get()[0] : undefined;
    } finally {
      stmt.reset();
    }
  }

  private experimentRowid(nativeId: string | null): number | null {
    if (nativeId === null) return null;
    if (!this.experimentRowids.has(nativeId)) {
      const id = this.scalar(this.st.expId, [this.sourceId, nativeId]);
      this.experimentRowids.set(nativeId, id === undefined ? null : Number(id));
    }
    return this.experimentRowids.get(nativeId) ?? null;
  }

  experiment(update: ExperimentUpdate): void {
    const e = update.experiment;
    this.db.run(
      `INSERT INTO experiments (source_id, native_id, name, deleted, artifact_location, created, updated, tags) VALUES (?,?,?,?,?,?,?,?)
       ON CONFLICT (source_id, native_id) DO UPDATE SET name = excluded.name, deleted = excluded.deleted,
         artifact_location = excluded.artifact_location, created = excluded.created, updated = excluded.updated, tags = excluded.tags`,
      [this.sourceId, e.nativeId, e.name, e.deleted ? 1 : 0, e.artifactLocation, e.created, e.updated, json(e.tags)],
    );
    this.experimentRowids.delete(e.nativeId);
    if (update.datasets) {
      this.db.run('DELETE FROM datasets WHERE source_id = ? AND experiment = ?', [this.sourceId, e.nativeId]);
      for (const d of update.datasets) {
        this.db.run(
          'INSERT OR REPLACE INTO datasets (source_id, native_id, experiment, name, digest, source_type, location, schema, profile) VALUES (?,?,?,?,?,?,?,?,?)',
          [this.sourceId, d.nativeId, e.nativeId, d.name, d.digest, d.sourceType, d.location, d.schema, d.profile],
        );
      }
    }
    if (update.loggedModels) {
      this.db.run('DELETE FROM logged_models WHERE source_id = ? AND experiment = ?', [this.sourceId, e.nativeId]);
      for (const m of update.loggedModels) {
        this.db.run(
          `INSERT OR REPLACE INTO logged_models (source_id, native_id, experiment, name, run_native_id, status, deleted, location, created, params, metrics, tags)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
          [this.sourceId, m.nativeId, e.nativeId, m.name, m.runNativeId, m.status, m.deleted ? 1 : 0, m.location, m.created, json(m.params), json(m.metrics), json(m.tags)],
        );
      }
    }
  }

  run(update: RunUpdate): void {
    const r = update.run;
    this.st.runUpsert.run([
      this.sourceId,
      r.nativeId,
      this.experimentRowid(r.experimentNativeId),
      r.name,
      r.status,
      r.startTime,
      r.endTime,
      r.deleted ? 1 : 0,
      r.parentId,
      r.user,
      r.path === null ? null : toStorePath(this.workspace, r.path),
      r.artifactUri,
      update.state === undefined ? null : JSON.stringify(update.state),
      r.artifactDir ? toStorePath(this.workspace, r.artifactDir) : null,
    ]);
    const runId = Number(this.scalar(this.st.runId, [this.sourceId, r.nativeId]));
    if (update.params) {
      this.st.paramsDel.run([runId]);
      for (const [k, v] of Object.entries(update.params)) this.st.paramIns.run([runId, k, v]);
    }
    if (update.tags) {
      this.st.tagsDel.run([runId]);
      for (const [k, v] of Object.entries(update.tags)) this.st.tagIns.run([runId, k, v]);
    }
    if (!this.writeMetrics(runId, update)) {
      // The stored history this update appends to is gone: forget the fingerprints so that the
      // next scan reads the run whole.
      this.db.run('UPDATE runs SET state = NULL WHERE id = ?', [runId]);
    }
    if (update.artifacts) {
      this.st.artifactsDel.run([runId]);
      for (const a of update.artifacts) this.st.artifactIns.run([runId, a.path, a.kind, a.size]);
    }
    if (update.inputs) {
      this.st.inputsDel.run([runId]);
      for (const i of update.inputs) this.st.inputIns.run([runId, i.kind, i.refId, i.context]);
    }
    replaceDiagnostics(this.db, runScope(this.sourcePath, r.nativeId), update.diagnostics, this.workspace);
  }

  private putMetric(runId: number, key: string, s: SeriesSummary): void {
    this.st.metricUpsert.run([runId, key, s.count, Number.isNaN(s.last) ? null : s.last, s.lastStep, s.lastTime, s.min, s.max]);
  }

  private storedMetricKeys(runId: number): string[] {
    const keys: string[] = [];
    this.st.metricKeys.bind([runId]);
    while (this.st.metricKeys.step()) keys.push(String(this.st.metricKeys.get()[0]));
    this.st.metricKeys.reset();
    return keys;
  }

  /**
   * Summaries go to the metrics table, histories to the run's series file. Returns false when an
   * append found no stored history to append to.
   */
  private writeMetrics(runId: number, update: RunUpdate): boolean {
    if (!update.metrics && !update.appendMetrics) return true;
    const r = update.run;
    const appends = (update.appendMetrics ?? []).filter((a) => a.series.values.length > 0);
    const storedKeys = this.storedMetricKeys(runId);
    const kept = new Set([...(update.metrics ?? []).map((m) => m.key), ...(update.appendMetrics ?? []).map((a) => a.key)]);
    const removed = update.metricsComplete ? storedKeys.filter((k) => !kept.has(k)) : [];
    for (const key of removed) this.st.metricDel.run([runId, key]);

    // A whole new set of histories, encoded together by the adapter: stored as it is.
    if (update.metricsComplete && (update.appendMetrics ?? []).length === 0) {
      for (const m of update.metrics ?? []) this.putMetric(runId, m.key, m.summary);
      if ((update.metrics ?? []).length > 0 || storedKeys.length > 0) {
        this.series.write(this.sourcePath, r.nativeId, new Map((update.metrics ?? []).map((m) => [m.key, m.blob])));
      }
      return true;
    }
    if ((update.metrics ?? []).length === 0 && appends.length === 0 && removed.length === 0) return true;

    // Otherwise merge with the stored histories; series of one run may share their times, so
    // the run is decoded and encoded again as a whole.
    const storedBlobs = this.series.read(this.sourcePath, r.nativeId);
    let histories = new Map<string, Series>();
    let intact = storedBlobs !== undefined || storedKeys.length === 0;
    if (storedBlobs) {
      try {
        histories = decodeRunSeries(storedBlobs);
      } catch {
        intact = false;
      }
    }
    const fresh = decodeRunSeries(new Map((update.metrics ?? []).map((m) => [m.key, m.blob])));
    for (const m of update.metrics ?? []) {
      histories.set(m.key, fresh.get(m.key)!);
      this.putMetric(runId, m.key, m.summary);
    }
    for (const a of appends) {
      const head = histories.get(a.key);
      const series = head ? concatSeries(head, a.series) : a.series;
      histories.set(a.key, series);
      this.putMetric(runId, a.key, summarize(series)!);
    }
    for (const key of removed) histories.delete(key);
    if (update.metricsComplete) for (const key of [...histories.keys()]) if (!kept.has(key)) histories.delete(key);
    this.series.write(this.sourcePath, r.nativeId, encodeRunSeries(histories));
    return intact || appends.length === 0;
  }

  registry(models: SourceModelData[], versions: SourceModelVersionData[]): void {
    const signature = JSON.stringify([models, versions]);
    const stored = this.db.exec('SELECT registry FROM sources WHERE id = ?', [this.sourceId])[0]?.values[0]?.[0];
    if (stored === signature || (stored === null && models.length === 0 && versions.length === 0)) return;
    this.db.run('UPDATE sources SET registry = ? WHERE id = ?', [signature, this.sourceId]);
    this.db.run('DELETE FROM source_models WHERE source_id = ?', [this.sourceId]);
    this.db.run('DELETE FROM source_model_versions WHERE source_id = ?', [this.sourceId]);
    for (const m of models) {
      this.db.run('INSERT OR REPLACE INTO source_models (source_id, name, description, created, updated, tags, aliases) VALUES (?,?,?,?,?,?,?)', [
        this.sourceId,
        m.name,
        m.description,
        m.created,
        m.updated,
        json(m.tags),
        json(m.aliases),
      ]);
    }
    for (const v of versions) {
      this.db.run(
        `INSERT OR REPLACE INTO source_model_versions (source_id, model_name, version, stage, status, deleted, run_native_id, model_id, source_uri,
           storage_location, description, created, updated, tags, aliases) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
        [
          this.sourceId,
          v.modelName,
          v.version,
          v.stage,
          v.status,
          v.deleted ? 1 : 0,
          v.runNativeId,
          v.modelId,
          v.sourceUri,
          v.storageLocation,
          v.description,
          v.created,
          v.updated,
          json(v.tags),
          json(v.aliases.length ? v.aliases : null),
        ],
      );
    }
  }

  /** Replaces the source's lineage edges (nothing is written when they are the same). */
  lineage(edges: LineageEdge[]): void {
    // Files are keyed by their workspace path; everything else a source names (runs, stages,
    // params, its declared models) belongs to that source, so two projects never share a node.
    const nodeKey = (n: LineageNode): string =>
      n.kind === 'file' || n.kind === 'dir' ? toStorePath(this.workspace, n.key) : n.kind === 'run' ? `${this.sourcePath}#${n.key}` : `${this.sourcePath}:${n.key}`;
    const rowsOf = edges.map((e) => [
      e.from.kind,
      nodeKey(e.from),
      e.from.hash ?? null,
      e.to.kind,
      nodeKey(e.to),
      e.to.hash ?? null,
      e.relation,
      e.meta ? JSON.stringify(e.meta) : null,
    ]);
    const current = (
      this.db.exec(
        'SELECT from_kind, from_key, from_hash, to_kind, to_key, to_hash, relation, meta FROM lineage WHERE source_id = ? ORDER BY rowid',
        [this.sourceId],
      )[0]?.values ?? []
    ).map((r) => JSON.stringify(r));
    if (current.length === rowsOf.length && current.every((c, i) => c === JSON.stringify(rowsOf[i]))) return;
    this.db.run('DELETE FROM lineage WHERE source_id = ?', [this.sourceId]);
    const stmt = this.db.prepare(
      'INSERT INTO lineage (source_id, from_kind, from_key, from_hash, to_kind, to_key, to_hash, relation, meta) VALUES (?,?,?,?,?,?,?,?,?)',
    );
    try {
      for (const r of rowsOf) stmt.run([this.sourceId, ...r] as SqlValue[]);
    } finally {
      stmt.free();
    }
  }

  private removeRun(id: number, nativeId: string): void {
    this.removed.push(nativeId);
    this.db.run('DELETE FROM runs WHERE id = ?', [id]);
    this.series.remove(this.sourcePath, nativeId);
    this.db.run('DELETE FROM diagnostics WHERE scope = ?', [runScope(this.sourcePath, nativeId)]);
  }

  /** Native ids of the runs this writer removed (their files are gone). */
  readonly removed: string[] = [];

  /** Ends a read: removes what the source no longer holds, records its state. */
  finish(result: SourceReadResult): void {
    if (result.partial) {
      for (const nativeId of result.removedRunIds ?? []) {
        const id = this.db.exec('SELECT id FROM runs WHERE source_id = ? AND native_id = ?', [this.sourceId, nativeId])[0]?.values[0]?.[0];
        if (id !== undefined) this.removeRun(Number(id), nativeId);
      }
      return;
    }
    const presentRuns = new Set(result.presentRunIds);
    const runs = this.db.exec('SELECT id, native_id FROM runs WHERE source_id = ?', [this.sourceId])[0]?.values ?? [];
    for (const [id, nativeId] of runs) {
      if (!presentRuns.has(String(nativeId))) this.removeRun(Number(id), String(nativeId));
    }
    const presentExperiments = new Set(result.presentExperimentIds);
    const experiments = this.db.exec('SELECT id, native_id FROM experiments WHERE source_id = ?', [this.sourceId])[0]?.values ?? [];
    for (const [id, nativeId] of experiments) {
      if (presentExperiments.has(String(nativeId))) continue;
      this.db.run('DELETE FROM experiments WHERE id = ?', [id as number]);
      this.db.run('DELETE FROM datasets WHERE source_id = ? AND experiment = ?', [this.sourceId, String(nativeId)]);
      this.db.run('DELETE FROM logged_models WHERE source_id = ? AND experiment = ?', [this.sourceId, String(nativeId)]);
    }
    replaceDiagnostics(this.db, sourceScope(this.sourcePath), result.diagnostics, this.workspace);
    const state = result.state === undefined ? null : JSON.stringify(result.state);
    this.db.run('UPDATE sources SET state = ?, scanned_at = ? WHERE id = ? AND state IS NOT ?', [state, Date.now(), this.sourceId, state]);
  }
}

/** How many diagnostics the source and its runs have. */
export function countSourceDiagnostics(db: Database, sourcePath: string): number {
  const v = db.exec("SELECT count(*) FROM diagnostics WHERE scope = ? OR scope LIKE ? ESCAPE '\\'", [
    sourceScope(sourcePath),
    `run:${likeEscape(sourcePath)}:%`,
  ])[0]?.values[0]?.[0];
  return Number(v ?? 0);
}

/** Removes sources that discovery no longer finds, with everything read from them. */
export function removeSourcesExcept(db: Database, keep: Set<string>, series: SeriesFiles): string[] {
  const removed: string[] = [];
  const rows = db.exec('SELECT id, path FROM sources')[0]?.values ?? [];
  for (const [id, p] of rows) {
    if (keep.has(String(p))) continue;
    const runIds = db.exec('SELECT native_id FROM runs WHERE source_id = ?', [id as number])[0]?.values ?? [];
    for (const [nativeId] of runIds) series.remove(String(p), String(nativeId));
    db.run("DELETE FROM diagnostics WHERE scope = ? OR scope LIKE ? ESCAPE '\\'", [sourceScope(String(p)), `run:${likeEscape(String(p))}:%`]);
    db.run('DELETE FROM sources WHERE id = ?', [id as number]);
    removed.push(String(p));
  }
  return removed;
}

export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
