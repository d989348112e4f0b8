// The model registry of a workspace folder: register versions (files snapshotted by hash), move
// them through the life cycle under the policy, set aliases; every change an event of the journal.
//
// Every write runs under the journal's lock: catch up with what other processes appended, check
// the request against that state and the policy, append and fsync the events, then mirror them
// in the database. Two writers (the extension and the CLI) are serialized, and each decides on
// the current state, so "one version in production" holds whatever their timing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import type { MetricSummary } from '../store/queries';
import type { Store } from '../store/store';
import { isInside, toStorePath } from '../util/paths';
import { resolveGitTagsMode, type GitTagger, type GitTagsReport } from './gitTags';
import { Journal, type JournalEvent, type JournalLine } from './journal';
import { DECOMMISSION_REASONS, invalidName, invalidTransition, isStage, type DecommissionReason, type Stage } from './names';
import { ObjectStore, type Snapshot, type SnapshotOptions } from './objects';
import { evaluateGates, readPolicy, type GateResult, type PolicyRead } from './policy';

export class RegistryError extends Error {}

/** A promotion the policy refused: each failed gate, with its numbers. */
export class GateRefusal extends RegistryError {
  constructor(
    readonly model: string,
    readonly version: number,
    readonly stage: Stage,
    readonly gates: GateResult[],
  ) {
    super(
      `v${version} of ${model} cannot enter ${stage}:\n` +
        gates
          .filter((g) => !g.ok)
          .map((g) => `  ✗ ${g.gate}: ${g.detail}`)
          .join('\n'),
    );
  }
}

export interface ModelRow {
  name: string;
  description: string | null;
  created: number;
  updated: number;
  versions: VersionRow[];
  aliases: Record<string, number>;
}

export interface VersionRow {
  model: string;
  version: number;
  stage: Stage;
  stageReason: string | null;
  stageTime: number;
  registered: number;
  actor: string | null;
  sourcePath: string | null;
  run: { source: string; id: string; name: string | null } | null;
  gitCommit: string | null;
  digest: string;
  bytes: number;
  metrics: Record<string, MetricSummary>;
  params: Record<string, string>;
  aliases: string[];
}

export interface HistoryEntry {
  time: string;
  actor: string;
  type: JournalEvent['type'];
  model: string;
  version: number | null;
  from?: string;
  to?: string;
  reason?: string;
  alias?: string;
  detail: string;
}

export interface RegisterRequest {
  model: string;
  /** File or folder to register (absolute, or relative to the workspace folder). */
  path: string;
  /** The run that produced it; found from the store's artifacts and run folders when omitted. */
  run?: { source: string; id: string } | null;
  description?: string;
  signal?: AbortSignal;
  onProgress?: SnapshotOptions['onProgress'];
}

export interface StageRequest {
  model: string;
  version: number;
  stage: Stage;
  reason?: string | null;
  /** For decommissioning: why (better model, better features, the process changed, other). */
  reasonKind?: DecommissionReason;
}

export interface RegistryEnvironment {
  /** `Name <email>` of whoever acts (git config, else the OS user). */
  actor: () => string;
  /** Whether tracked files have no uncommitted changes (null: unknown or git off). */
  gitClean?: () => Promise<boolean | null>;
  /** Whether a verified package exists for a version (issue 7 builds them). */
  packageVerified?: (model: string, version: number) => boolean | null;
  /** Called after events were appended (notifications). */
  onEvents?: (events: JournalEvent[]) => void;
  /**
   * Writes GTO tags for registrations and stage changes when the policy's `git_tags` (or
   * MLCYCLE_GIT_TAGS) asks for it. Absent in untrusted workspaces: no tag, no git process.
   */
  gitTags?: GitTagger;
}

/** A registered version, with what became of its git tag (null: tags off, or not asked for). */
export type RegisteredVersion = VersionRow & { gitTags: GitTagsReport | null };

function json<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export class Registry {
  readonly journal: Journal;
  readonly objects: ObjectStore;
  readonly policyFile: string;

  constructor(
    readonly store: Store,
    readonly workspace: string,
    readonly env: RegistryEnvironment,
  ) {
    const dir = path.dirname(store.dbPath);
    this.journal = new Journal(path.join(dir, 'registry.jsonl'));
    this.objects = new ObjectStore(path.join(dir, 'objects'));
    this.policyFile = path.join(dir, 'policy.yaml');
  }

  policy(): PolicyRead {
    return readPolicy(this.policyFile);
  }

  // ---- reading -------------------------------------------------------------------------------

  /** Brings the database up to date with the journal (other processes' actions). */
  sync(): void {
    this.store.reloadIfChanged();
    const applied = this.store.read((db) => db.exec('SELECT offset, line FROM registry_journal')[0]?.values[0]) as [number, number] | undefined;
    const size = this.journal.size();
    let offset = applied ? Number(applied[0]) : 0;
    let line = applied ? Number(applied[1]) : 0;
    const rebuild = offset > size; // the journal was replaced: mirror it again from the start
    if (!rebuild && offset === size) return;
    if (rebuild) {
      offset = 0;
      line = 0;
    }
    const read = this.journal.read(offset, line + 1);
    const lines = read.lines;
    const endLine = line + countLines(this.journal.file, offset, read.end);
    this.store.mutate((db) => {
      if (rebuild) for (const t of ['models', 'model_versions', 'version_files', 'model_aliases', 'registry_events']) db.run(`DELETE FROM ${t}`);
      for (const l of lines) applyEvent(db, l);
      db.run('INSERT OR REPLACE INTO registry_journal (id, offset, line) VALUES (1, ?, ?)', [read.end, endLine]);
      replaceRegistryDiagnostics(db, this.workspace, read.diagnostics, rebuild || offset === 0);
    });
    this.store.flush();
  }

  models(): ModelRow[] {
    this.sync();
    return this.store.read((db) => listModels(db));
  }

  model(name: string): ModelRow | undefined {
    return this.models().find((m) => m.name === name);
  }

  history(model?: string): HistoryEntry[] {
    this.sync();
    return this.store.read((db) => listHistory(db, model));
  }

  // ---- writing -------------------------------------------------------------------------------

  /** Snapshots the files (outside the lock: it may take minutes), then records the version. */
  async register(req: RegisterRequest): Promise<RegisteredVersion> {
    const bad = invalidName('model', req.model);
    if (bad) throw new RegistryError(bad);
    const abs = path.resolve(this.workspace, req.path);
    if (!isInside(this.workspace, abs)) throw new RegistryError(`${req.path} is outside the workspace folder ${this.workspace}`);
    let snapshot: Snapshot;
    try {
      snapshot = await this.objects.snapshot(abs, this.workspace, {
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
    } catch (err) {
      if ((err as Error).message === 'cancelled') throw err;
      throw new RegistryError((err as Error).message);
    }
    const rel = toStorePath(this.workspace, abs);
    const run = req.run === undefined ? this.findProducingRun(abs) : req.run;
    const runInfo = run ? this.runInfo(run) : null;
    if (run && !runInfo) throw new RegistryError(`run ${run.id} is not in the store (scan first, or check the id)`);
    const actor = this.env.actor();
    const { events, result } = this.write(() => {
      const current = this.store.read((db) => db.exec('SELECT max(version) FROM model_versions WHERE model = ?', [req.model])[0]?.values[0]?.[0]);
      const version = (current === null || current === undefined ? 0 : Number(current)) + 1;
      const events: Omit<JournalEvent, 'v' | 'id' | 'time'>[] = [
        {
          actor,
          type: 'register',
          model: req.model,
          version,
          data: {
            files: snapshot.files,
            digest: snapshot.digest,
            bytes: snapshot.bytes,
            sourcePath: rel,
            run: runInfo ? { source: runInfo.source, id: runInfo.id, name: runInfo.name } : null,
            gitCommit: runInfo?.gitCommit ?? null,
            metrics: runInfo?.metrics ?? {},
            params: runInfo?.params ?? {},
            ...(req.description ? { description: req.description } : {}),
          },
        },
      ];
      return { events, result: version };
    });
    const gitTags = await this.tagGit(events);
    return { ...this.model(req.model)!.versions.find((v) => v.version === result)!, gitTags };
  }

  /**
   * Moves a version to a stage, checking the life-cycle rules and the policy's gates. Entering
   * production moves the current production version to decommissioned ("superseded by vN").
   */
  async setStage(req: StageRequest): Promise<{ version: VersionRow; gates: GateResult[]; demoted: number[]; gitTags: GitTagsReport | null }> {
    const gitClean = this.env.gitClean ? await this.env.gitClean() : null;
    const actor = this.env.actor();
    const { events, result } = this.write(() => {
      const model = this.store.read((db) => listModels(db, req.model))[0];
      if (!model) throw new RegistryError(`no model named ${req.model}`);
      const v = model.versions.find((x) => x.version === req.version);
      if (!v) throw new RegistryError(`${req.model} has no version ${req.version} (it has ${model.versions.map((x) => `v${x.version}`).join(', ') || 'none'})`);
      const bad = invalidTransition(v.stage, req.stage);
      if (bad) throw new RegistryError(`v${req.version} of ${req.model}: ${bad}`);
      let reason = req.reason?.trim() || null;
      if (req.stage === 'decommissioned') {
        if (!req.reasonKind && !reason) throw new RegistryError('decommissioning needs a reason: better model, better features, the modelled process changed, or other with a text');
        if (req.reasonKind === 'other' && !reason) throw new RegistryError('"other" needs a text saying why');
        if (req.reasonKind && req.reasonKind !== 'other') reason = reason ? `${DECOMMISSION_REASONS[req.reasonKind]}: ${reason}` : DECOMMISSION_REASONS[req.reasonKind];
      }
      const production = model.versions.find((x) => x.stage === 'production' && x.version !== req.version) ?? null;
      const last = (m: Record<string, MetricSummary>): Record<string, number | null> =>
        Object.fromEntries(Object.entries(m).map(([k, s]) => [k, Number.isFinite(s.last) ? s.last : null]));
      const gates = evaluateGates(this.policy().policy[req.stage], {
        version: req.version,
        metrics: last(v.metrics),
        production: production ? { version: production.version, metrics: last(production.metrics) } : null,
        reason,
        packageVerified: this.env.packageVerified?.(req.model, req.version) ?? null,
        gitClean,
      });
      if (gates.some((g) => !g.ok)) throw new GateRefusal(req.model, req.version, req.stage, gates);
      const events: Omit<JournalEvent, 'v' | 'id' | 'time'>[] = [];
      const demoted: number[] = [];
      if (req.stage === 'production') {
        for (const p of model.versions.filter((x) => x.stage === 'production' && x.version !== req.version)) {
          events.push({
            actor,
            type: 'stage',
            model: req.model,
            version: p.version,
            data: { from: 'production', to: 'decommissioned', reason: `superseded by v${req.version}`, reasonKind: 'superseded' },
          });
          demoted.push(p.version);
        }
      }
      events.push({
        actor,
        type: 'stage',
        model: req.model,
        version: req.version,
        data: { from: v.stage, to: req.stage, reason, ...(req.reasonKind ? { reasonKind: req.reasonKind } : {}), gates },
      });
      return { events, result: { gates, demoted } };
    });
    const gitTags = await this.tagGit(events);
    const version = this.model(req.model)!.versions.find((x) => x.version === req.version)!;
    return { version, ...result, gitTags };
  }

  setAlias(model: string, alias: string, version: number): VersionRow {
    const bad = invalidName('alias', alias);
    if (bad) throw new RegistryError(bad);
    const actor = this.env.actor();
    this.write(() => {
      const m = this.store.read((db) => listModels(db, model))[0];
      if (!m) throw new RegistryError(`no model named ${model}`);
      const v = m.versions.find((x) => x.version === version);
      if (!v) throw new RegistryError(`${model} has no version ${version}`);
      if (v.stage === 'archived') throw new RegistryError(`v${version} is archived: an alias would point at a frozen version`);
      return { events: [{ actor, type: 'alias' as const, model, version, data: { alias, previous: m.aliases[alias] ?? null } }], result: null };
    });
    return this.model(model)!.versions.find((x) => x.version === version)!;
  }

  removeAlias(model: string, alias: string): void {
    const actor = this.env.actor();
    this.write(() => {
      const m = this.store.read((db) => listModels(db, model))[0];
      if (!m) throw new RegistryError(`no model named ${model}`);
      const version = m.aliases[alias];
      if (version === undefined) throw new RegistryError(`${model} has no alias ${alias}`);
      return { events: [{ actor, type: 'unalias' as const, model, version, data: { alias } }], result: null };
    });
  }

  describe(model: string, description: string): void {
    const actor = this.env.actor();
    this.write(() => {
      if (!this.store.read((db) => listModels(db, model))[0]) throw new RegistryError(`no model named ${model}`);
      return { events: [{ actor, type: 'describe' as const, model, data: { description } }], result: null };
    });
  }

  /**
   * GTO tags for events already in the journal. Outside the lock (a push may take seconds), and
   * never throwing: the action is done whatever git says, and what failed is in the report.
   */
  private async tagGit(events: JournalEvent[]): Promise<GitTagsReport | null> {
    if (!this.env.gitTags || events.length === 0) return null;
    const mode = resolveGitTagsMode(this.policy().gitTags);
    if (mode === 'off') return null;
    try {
      const versionCommit = (model: string, version: number): string | null => {
        const c = this.store.read((db) => db.exec('SELECT git_commit FROM model_versions WHERE model = ? AND version = ?', [model, version])[0]?.values[0]?.[0]);
        return typeof c === 'string' ? c : null;
      };
      return await this.env.gitTags(events, { mode, versionCommit });
    } catch (err) {
      return { mode, tags: [], push: null, warnings: [`git tags not written: ${(err as Error).message}`] };
    }
  }

  /** Under the journal's lock: catch up, decide, append + fsync, mirror in the database. */
  private write<T>(decide: () => { events: Omit<JournalEvent, 'v' | 'id' | 'time'>[]; result: T }): { events: JournalEvent[]; result: T } {
    const out = this.journal.transact(() => {
      this.sync();
      return decide();
    });
    this.sync();
    if (out.events.length > 0) this.env.onEvents?.(out.events);
    return out;
  }

  // ---- runs ------------------------------------------------------------------------------------

  /** The run whose artifacts or folder hold `abs`: the most specific one. */
  findProducingRun(abs: string): { source: string; id: string } | null {
    const rel = toStorePath(this.workspace, abs);
    const rows = this.store.read(
      (db) =>
        db.exec(
          `SELECT s.path, r.native_id, coalesce(r.artifact_dir, r.path) AS base, r.path FROM runs r JOIN sources s ON s.id = r.source_id
           WHERE r.path IS NOT NULL OR r.artifact_dir IS NOT NULL`,
        )[0]?.values ?? [],
    );
    let best: { source: string; id: string; depth: number } | null = null;
    for (const [source, id, base, runPath] of rows) {
      for (const folder of [base, runPath]) {
        if (typeof folder !== 'string') continue;
        if (rel === folder || rel.startsWith(folder + '/')) {
          const depth = folder.length;
          if (!best || depth > best.depth) best = { source: String(source), id: String(id), depth };
        }
      }
    }
    return best ? { source: best.source, id: best.id } : null;
  }

  private runInfo(run: { source: string; id: string }):
    | { source: string; id: string; name: string | null; gitCommit: string | null; metrics: Record<string, MetricSummary>; params: Record<string, string> }
    | null {
    return this.store.read((db) => {
      const r = db.exec(
        'SELECT r.id, r.name, r.git_commit FROM runs r JOIN sources s ON s.id = r.source_id WHERE s.path = ? AND r.native_id = ?',
        [run.source, run.id],
      )[0]?.values[0];
      if (!r) return null;
      const uid = Number(r[0]);
      const metrics: Record<string, MetricSummary> = {};
      for (const [key, count, last, lastStep, lastTime, min, max] of db.exec('SELECT key, count, last, last_step, last_time, min, max FROM metrics WHERE run_id = ?', [uid])[0]?.values ?? []) {
        metrics[String(key)] = {
          count: Number(count),
          last: last === null ? NaN : Number(last),
          lastStep: Number(lastStep),
          lastTime: lastTime === null ? null : Number(lastTime),
          min: min === null ? null : Number(min),
          max: max === null ? null : Number(max),
        };
      }
      const params: Record<string, string> = {};
      for (const [k, v] of db.exec('SELECT key, value FROM params WHERE run_id = ?', [uid])[0]?.values ?? []) params[String(k)] = String(v);
      return { source: run.source, id: run.id, name: r[1] === null ? null : String(r[1]), gitCommit: r[2] === null ? null : String(r[2]), metrics, params };
    });
  }
}

function countLines(file: string, from: number, to: number): number {
  if (to <= from) return 0;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    let n = 0;
    for (const b of buf) if (b === 10) n++;
    return n;
  } finally {
    fs.closeSync(fd);
  }
}

const REGISTRY_SCOPE = 'registry';

function replaceRegistryDiagnostics(db: Database, workspace: string, diags: { severity: string; file: string; line?: number; message: string }[], fromStart: boolean): void {
  if (fromStart) db.run('DELETE FROM diagnostics WHERE scope = ?', [REGISTRY_SCOPE]);
  for (const d of diags) {
    db.run('INSERT INTO diagnostics (scope, severity, file, line, message) VALUES (?, ?, ?, ?, ?)', [REGISTRY_SCOPE, d.severity, toStorePath(workspace, d.file), d.line ?? null, d.message]);
  }
}

/** Mirrors one journal event in the tables (idempotent: an event id is applied once). */
function applyEvent(db: Database, { event: e, line }: JournalLine): void {
  const time = Date.parse(e.time) || 0;
  db.run('INSERT OR IGNORE INTO registry_events (id, line, time, actor, type, model, version, data) VALUES (?,?,?,?,?,?,?,?)', [
    e.id,
    line,
    time,
    e.actor,
    e.type,
    e.model,
    e.version ?? null,
    JSON.stringify(e.data),
  ]);
  if (db.getRowsModified() === 0) return; // seen before
  const d = e.data;
  switch (e.type) {
    case 'register': {
      db.run('INSERT OR IGNORE INTO models (name, description, created, updated) VALUES (?, ?, ?, ?)', [e.model, typeof d['description'] === 'string' ? d['description'] : null, time, time]);
      db.run('UPDATE models SET updated = ? WHERE name = ?', [time, e.model]);
      const run = d['run'] as { source: string; id: string; name: string | null } | null;
      db.run(
        `INSERT OR REPLACE INTO model_versions (model, version, stage, stage_reason, stage_time, registered, actor, source_path, run_source, run_id, run_name,
           git_commit, digest, bytes, metrics, params) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
        [
          e.model,
          e.version ?? 0,
          'candidate',
          null,
          time,
          time,
          e.actor,
          (d['sourcePath'] as string | undefined) ?? null,
          run?.source ?? null,
          run?.id ?? null,
          run?.name ?? null,
          (d['gitCommit'] as string | null | undefined) ?? null,
          String(d['digest'] ?? ''),
          Number(d['bytes'] ?? 0),
          JSON.stringify(d['metrics'] ?? {}, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)),
          JSON.stringify(d['params'] ?? {}),
        ],
      );
      for (const f of (d['files'] as { path: string; sha256: string; size: number }[] | undefined) ?? []) {
        db.run('INSERT OR REPLACE INTO version_files (model, version, path, sha256, size) VALUES (?,?,?,?,?)', [e.model, e.version ?? 0, f.path, f.sha256, f.size]);
      }
      break;
    }
    case 'stage':
      if (typeof d['to'] === 'string' && isStage(d['to'])) {
        db.run('UPDATE model_versions SET stage = ?, stage_reason = ?, stage_time = ? WHERE model = ? AND version = ?', [
          d['to'],
          typeof d['reason'] === 'string' ? d['reason'] : null,
          time,
          e.model,
          e.version ?? 0,
        ]);
        db.run('UPDATE models SET updated = ? WHERE name = ?', [time, e.model]);
      }
      break;
    case 'alias':
      db.run('INSERT OR REPLACE INTO model_aliases (model, alias, version) VALUES (?, ?, ?)', [e.model, String(d['alias']), e.version ?? 0]);
      break;
    case 'unalias':
      db.run('DELETE FROM model_aliases WHERE model = ? AND alias = ?', [e.model, String(d['alias'])]);
      break;
    case 'describe':
      db.run('UPDATE models SET description = ?, updated = ? WHERE name = ?', [String(d['description'] ?? ''), time, e.model]);
      break;
  }
}

function reviveMetrics(text: unknown): Record<string, MetricSummary> {
  const raw = json<Record<string, Record<string, unknown>>>(text, {});
  const num = (v: unknown): number => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v));
  const out: Record<string, MetricSummary> = {};
  for (const [k, m] of Object.entries(raw)) {
    out[k] = {
      count: Number(m['count'] ?? 0),
      last: num(m['last']),
      lastStep: Number(m['lastStep'] ?? 0),
      lastTime: m['lastTime'] === null || m['lastTime'] === undefined ? null : Number(m['lastTime']),
      min: m['min'] === null || m['min'] === undefined ? null : num(m['min']),
      max: m['max'] === null || m['max'] === undefined ? null : num(m['max']),
    };
  }
  return out;
}

export function listModels(db: Database, only?: string): ModelRow[] {
  const where = only === undefined ? '' : 'WHERE name = ?';
  const args = only === undefined ? [] : [only];
  const models = (db.exec(`SELECT name, description, created, updated FROM models ${where} ORDER BY name`, args)[0]?.values ?? []).map(
    ([name, description, created, updated]): ModelRow => ({
      name: String(name),
      description: description === null ? null : String(description),
      created: Number(created),
      updated: Number(updated),
      versions: [],
      aliases: {},
    }),
  );
  const byName = new Map(models.map((m) => [m.name, m]));
  for (const [model, alias, version] of db.exec(`SELECT model, alias, version FROM model_aliases ${only === undefined ? '' : 'WHERE model = ?'}`, args)[0]?.values ?? []) {
    const m = byName.get(String(model));
    if (m) m.aliases[String(alias)] = Number(version);
  }
  for (const r of db.exec(
    `SELECT model, version, stage, stage_reason, stage_time, registered, actor, source_path, run_source, run_id, run_name, git_commit, digest, bytes, metrics, params
     FROM model_versions ${only === undefined ? '' : 'WHERE model = ?'} ORDER BY model, version`,
    args,
  )[0]?.values ?? []) {
    const m = byName.get(String(r[0]));
    if (!m) continue;
    const version = Number(r[1]);
    m.versions.push({
      model: m.name,
      version,
      stage: String(r[2]) as Stage,
      stageReason: r[3] === null ? null : String(r[3]),
      stageTime: Number(r[4]),
      registered: Number(r[5]),
      actor: r[6] === null ? null : String(r[6]),
      sourcePath: r[7] === null ? null : String(r[7]),
      run: r[8] === null || r[9] === null ? null : { source: String(r[8]), id: String(r[9]), name: r[10] === null ? null : String(r[10]) },
      gitCommit: r[11] === null ? null : String(r[11]),
      digest: String(r[12]),
      bytes: Number(r[13]),
      metrics: reviveMetrics(r[14]),
      params: json<Record<string, string>>(r[15], {}),
      aliases: Object.entries(m.aliases)
        .filter(([, v]) => v === version)
        .map(([a]) => a)
        .sort(),
    });
  }
  return models;
}

export function listHistory(db: Database, model?: string): HistoryEntry[] {
  const rows = db.exec(
    `SELECT time, actor, type, model, version, data FROM registry_events ${model === undefined ? '' : 'WHERE model = ?'} ORDER BY seq`,
    model === undefined ? [] : [model],
  )[0]?.values ?? [];
  return rows.map(([time, actor, type, m, version, data]) => {
    const d = json<Record<string, unknown>>(data, {});
    const v = version === null ? null : Number(version);
    const entry: HistoryEntry = {
      time: new Date(Number(time)).toISOString(),
      actor: String(actor ?? ''),
      type: String(type) as JournalEvent['type'],
      model: String(m),
      version: v,
      detail: '',
    };
    switch (entry.type) {
      case 'register': {
        const run = d['run'] as { id: string; name: string | null } | null;
        entry.to = 'candidate';
        entry.detail = `registered v${v} from ${String(d['sourcePath'] ?? '?')}${run ? ` (run ${run.name ?? run.id})` : ''}`;
        break;
      }
      case 'stage':
        entry.from = String(d['from']);
        entry.to = String(d['to']);
        if (typeof d['reason'] === 'string') entry.reason = d['reason'];
        entry.detail = `v${v}: ${entry.from} → ${entry.to}${entry.reason ? ` (${entry.reason})` : ''}`;
        break;
      case 'alias':
        entry.alias = String(d['alias']);
        entry.detail = `alias ${entry.alias} → v${v}${d['previous'] !== null && d['previous'] !== undefined ? ` (was v${String(d['previous'])})` : ''}`;
        break;
      case 'unalias':
        entry.alias = String(d['alias']);
        entry.detail = `alias ${entry.alias} removed (was v${v})`;
        break;
      case 'describe':
        entry.detail = 'description changed';
        break;
    }
    return entry;
  });
}
