// The MLflow SQLite adapter (`mlflow.db`) on real databases written by the real SQLite engine
// (python3's sqlite3, MLflow's own DDL: test/helpers/mlflowDb.ts), scanned through the real
// engine into a real store. WAL states are produced the way MLflow leaves them: commits not yet
// checkpointed, and a writer killed in the middle of a transaction.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DirectoryView } from '../../src/core/ingest/types';
import { mlflowSqliteStore } from '../../src/core/ingest/mlflow/sqliteStore';
import { mergeWal } from '../../src/core/ingest/mlflow/walMerge';
import type { ScanOptions, ScanSummary } from '../../src/core/ingest/engine';
import { getRun, listDiagnostics, listRuns, listSourceModels, type RunSummary } from '../../src/core/store/queries';
import { loadSqlJs } from '../../src/core/store/sqljs';
import { Workspace } from '../../src/core/workspace';
import {
  CHILD,
  createStandardDb,
  DATASET_ID,
  experimentOps,
  FAILED_DELETED,
  IN_DELETED_EXPERIMENT,
  KILLED,
  LEGACY_DDL,
  LOSS,
  metricOps,
  MODEL_ID,
  PARENT,
  runId,
  runOps,
  sqliteQuery,
  T0,
  walFrames,
  writeAndClose,
  writeKeepingWal,
  writeUncommitted,
  type Op,
} from '../helpers/mlflowDb';
import { tempDir, writeFile } from '../helpers/temp';

const opened: Workspace[] = [];
afterEach(() => {
  for (const ws of opened.splice(0)) ws.close();
});

async function scan(folder: string, options: ScanOptions = {}): Promise<{ ws: Workspace; summary: ScanSummary; runs: RunSummary[] }> {
  const ws = await Workspace.open(folder);
  opened.push(ws);
  const summary = await ws.ingestor.scan(options);
  return { ws, summary, runs: ws.store.read((db) => listRuns(db, { includeDeleted: true })) };
}

async function rescan(ws: Workspace, options: ScanOptions = {}): Promise<{ summary: ScanSummary; runs: RunSummary[] }> {
  const summary = await ws.ingestor.scan(options);
  return { summary, runs: ws.store.read((db) => listRuns(db, { includeDeleted: true })) };
}

function byId(runs: RunSummary[], id: string): RunSummary {
  const r = runs.find((x) => x.id === id);
  if (!r) throw new Error(`run ${id} not found among ${runs.map((x) => x.id).join(', ')}`);
  return r;
}

function sqliteSource(summary: ScanSummary): ScanSummary['sources'][number] {
  const s = summary.sources.find((x) => x.kind === 'mlflow-sqlite');
  if (!s) throw new Error(`no mlflow-sqlite source in ${JSON.stringify(summary.sources)}`);
  return s;
}

/** A workspace holding the standard fixture in `mlflow.db`, checkpointed (no WAL). */
function standardWorkspace(): { folder: string; file: string } {
  const folder = tempDir();
  const file = path.join(folder, 'mlflow.db');
  createStandardDb(file);
  return { folder, file };
}

/** A minimal MLflow file store with one finished run, as MLflow 2.x writes it. */
const FILE_RUN = 'fe'.repeat(16);
function writeMlruns(folder: string): void {
  const exp = path.join(folder, 'mlruns', '0');
  writeFile(path.join(exp, 'meta.yaml'), `artifact_location: file://${exp}\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n`);
  const run = path.join(exp, FILE_RUN);
  writeFile(
    path.join(run, 'meta.yaml'),
    `artifact_uri: file://${run}/artifacts\nend_time: ${T0 + 50}\nentry_point_name: ''\nexperiment_id: '0'\nlifecycle_stage: active\n` +
      `run_id: ${FILE_RUN}\nrun_name: file-run\nrun_uuid: ${FILE_RUN}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n` +
      `start_time: ${T0}\nstatus: 3\ntags: []\nuser_id: bob\n`,
  );
  writeFile(path.join(run, 'params', 'lr'), '0.01');
  writeFile(path.join(run, 'metrics', 'loss'), `${T0 + 10} 0.3 0\n${T0 + 20} 0.2 1\n`);
}

describe('MLflow SQLite store (mlflow.db)', () => {
  it('detects mlflow.db and similarly named SQLite files, not their -wal/-shm companions', () => {
    const view: DirectoryView = {
      path: '/p',
      dirs: ['mlruns'],
      files: ['mlflow.db', 'mlflow.db-wal', 'mlflow.db-shm', 'MLflow-prod.SQLITE3', 'old_mlflow.sqlite', 'other.db', 'mlflow.db.bak'],
    };
    assert.deepEqual(mlflowSqliteStore.detect(view), {
      roots: [
        { kind: 'mlflow-sqlite', path: path.join('/p', 'mlflow.db') },
        { kind: 'mlflow-sqlite', path: path.join('/p', 'MLflow-prod.SQLITE3') },
        { kind: 'mlflow-sqlite', path: path.join('/p', 'old_mlflow.sqlite') },
      ],
    });
    assert.equal(mlflowSqliteStore.detect({ path: '/p', dirs: [], files: ['notes.db'] }), undefined);
  });

  it('reads experiments, runs, params, metric histories with NaN, inputs, logged models and the registry', async () => {
    const { folder } = standardWorkspace();
    const { ws, summary, runs } = await scan(folder);
    const source = sqliteSource(summary);
    assert.deepEqual([source.path, source.runs, source.runsRead, source.error], ['mlflow.db', 5, 5, undefined]);
    assert.deepEqual(ws.store.read((db) => listDiagnostics(db)), []);

    assert.equal(runs.length, 5);
    assert.deepEqual(
      Object.fromEntries(runs.map((r) => [r.name, [r.status, r.deleted]])),
      {
        'parent-run': ['FINISHED', false],
        'child-run': ['FINISHED', false],
        'broken-run': ['FAILED', true], // lifecycle_stage 'deleted'
        'orphan-run': ['RUNNING', true], // its experiment is deleted
        'killed-run': ['KILLED', false],
      },
    );
    assert.equal(ws.store.read((db) => listRuns(db)).length, 3, 'deleted runs are hidden by default');
    assert.equal(byId(runs, FAILED_DELETED).deleted, true);
    assert.equal(byId(runs, IN_DELETED_EXPERIMENT).endTime, null);

    const parent = byId(runs, PARENT);
    assert.equal(parent.experiment, 'churn');
    assert.equal(parent.experimentId, '1');
    assert.equal(parent.user, 'alice');
    assert.equal(parent.startTime, T0 + 1000);
    assert.equal(parent.endTime, T0 + 9000);
    assert.deepEqual(parent.params, { alpha: '0.5', layers: '3' });
    assert.equal(parent.tags['team'], 'churn');
    assert.equal(parent.artifactUri, `mlflow-artifacts:/1/${PARENT}/artifacts`);
    // loss = 0.9, 0.7, 0.55, 0.5, 0.52 at steps 0..4
    assert.deepEqual(parent.metrics['loss'], { count: 5, last: 0.52, lastStep: 4, lastTime: T0 + 2400, min: 0.5, max: 0.9 });
    const parentDetail = ws.store.read((db) => getRun(db, parent.uid, ws.store.series))!;
    const loss = parentDetail.histories['loss']!;
    assert.deepEqual(loss.steps, [0, 1, 2, 3, 4]);
    assert.deepEqual(loss.values, LOSS);
    assert.equal(loss.values[loss.steps.indexOf(2)], 0.55);
    assert.deepEqual(loss.times, [0, 1, 2, 3, 4].map((s) => T0 + 2000 + s * 100));

    // Nested run; NaN points (is_nan = 1) stay NaN, min/max skip them, the last point is NaN.
    const child = byId(runs, CHILD);
    assert.equal(child.parentId, PARENT);
    assert.equal(child.params['alpha'], '0.1');
    const acc = child.metrics['acc']!;
    assert.equal(acc.count, 4);
    assert.equal(acc.min, 0.5);
    assert.equal(acc.max, 0.8);
    assert.equal(acc.lastStep, 3);
    assert.ok(Number.isNaN(acc.last));
    const childDetail = ws.store.read((db) => getRun(db, child.uid, ws.store.series))!;
    const accHistory = childDetail.histories['acc']!;
    assert.equal(accHistory.values[0], 0.5);
    assert.ok(Number.isNaN(accHistory.values[1]!));
    assert.equal(accHistory.values[2], 0.8);
    assert.deepEqual(childDetail.inputs, [
      { kind: 'dataset', refId: DATASET_ID, context: 'training', name: 'train', digest: 'd41d8cd9' },
      { kind: 'model', refId: MODEL_ID, context: null, name: null, digest: null },
    ]);

    // Experiments with their tags, dataset and logged model.
    const experiments = ws.store.read((db) => db.exec('SELECT native_id, name, deleted, created, tags FROM experiments ORDER BY native_id')[0]!.values);
    assert.deepEqual(experiments, [
      ['0', 'Default', 0, T0, null],
      ['1', 'churn', 0, T0 + 1, '{"mlflow.note.content":"churn models"}'],
      ['2', 'abandoned', 1, T0, null],
    ]);
    const datasets = ws.store.read((db) => db.exec('SELECT native_id, experiment, name, digest, source_type, location FROM datasets')[0]!.values);
    assert.deepEqual(datasets, [[DATASET_ID, '1', 'train', 'd41d8cd9', 'local', '{"uri": "/data/train.csv"}']]);
    const logged = ws.store.read(
      (db) => db.exec('SELECT native_id, experiment, name, run_native_id, status, deleted, created, params, metrics, tags FROM logged_models')[0]!.values,
    );
    assert.deepEqual(logged, [[MODEL_ID, '1', 'model', PARENT, 'READY', 0, T0 + 8000, '{"max_depth":"5"}', '{"accuracy":0.93}', '{"mlflow.user":"alice"}']]);

    // The registry: stage "None" is no stage, Deleted_Internal is deleted, aliases on their versions.
    const registry = ws.store.read((db) => listSourceModels(db));
    assert.equal(registry.length, 1);
    const model = registry[0]!;
    assert.deepEqual([model.source, model.name, model.description], ['mlflow.db', 'churn-model', 'Predicts churn']);
    assert.deepEqual(model.aliases, { champion: 2, challenger: 1 });
    assert.deepEqual(model.tags, { owner: 'ml-team' });
    assert.deepEqual(
      model.versions.map((v) => [v.version, v.stage, v.deleted, v.runId, v.modelId, v.aliases, v.tags]),
      [
        [1, null, false, PARENT, MODEL_ID, ['challenger'], {}],
        [2, 'Production', false, CHILD, null, ['champion'], { validated: 'true' }],
        [3, null, true, PARENT, null, [], {}],
      ],
    );
  });

  it('reads commits that live only in the -wal file (not checkpointed)', async () => {
    const { folder, file } = standardWorkspace();
    const walRun = runId(0xb1);
    writeKeepingWal(file, {
      commit: runOps({
        id: walRun,
        experimentId: 1,
        name: 'wal-only-run',
        status: 'FINISHED',
        start: T0 + 7000,
        end: T0 + 7500,
        params: { optimizer: 'adam' },
        metrics: [{ key: 'f1', value: 0.66, step: 7, timestamp: T0 + 7100 }],
      }),
    });
    // SQLite itself: the main file alone lacks the run, the WAL holds its commit.
    assert.deepEqual(sqliteQuery(file, `SELECT count(*) FROM runs WHERE run_uuid = '${walRun}'`, { mainOnly: true }), [[0]]);
    assert.deepEqual(sqliteQuery(file, `SELECT count(*) FROM runs WHERE run_uuid = '${walRun}'`), [[1]]);
    const frames = walFrames(`${file}-wal`);
    assert.ok(frames.valid && frames.committed > 0, JSON.stringify(frames));
    // sql.js on the main file alone would miss it too.
    const SQL = await loadSqlJs();
    const plain = new SQL.Database(fs.readFileSync(file));
    assert.deepEqual(plain.exec(`SELECT count(*) FROM runs WHERE run_uuid = '${walRun}'`)[0]!.values, [[0]]);
    plain.close();

    const { summary, runs } = await scan(folder);
    assert.equal(sqliteSource(summary).runs, 6);
    const r = byId(runs, walRun);
    assert.equal(r.name, 'wal-only-run');
    assert.equal(r.params['optimizer'], 'adam');
    assert.deepEqual([r.metrics['f1']!.last, r.metrics['f1']!.lastStep], [0.66, 7]);
    // The scan never touched the files.
    assert.deepEqual(sqliteQuery(file, `SELECT count(*) FROM runs WHERE run_uuid = '${walRun}'`, { mainOnly: true }), [[0]]);
  });

  it('never shows rows of a transaction left uncommitted in the WAL by a killed writer', async () => {
    const { folder, file } = standardWorkspace();
    const committed = runId(0xc1);
    const never = runId(0xdead);
    const pending: Op[] = [
      ...runOps({ id: never, experimentId: 1, name: 'never-committed', status: 'RUNNING', start: T0, end: null, params: { blob: 'x'.repeat(7000) } }),
      ...metricOps(
        never,
        Array.from({ length: 1500 }, (_, i) => ({ key: 'loss', value: i, step: i, timestamp: T0 + i })),
      ),
    ];
    writeUncommitted(file, { commit: runOps({ id: committed, experimentId: 1, name: 'committed-run', status: 'FINISHED', start: T0, end: T0 + 1 }) }, pending);
    const frames = walFrames(`${file}-wal`);
    assert.ok(frames.committed > 0, JSON.stringify(frames));
    assert.ok(frames.pending > 0, `the WAL holds frames beyond its last commit: ${JSON.stringify(frames)}`);
    // SQLite, recovering a copy, sees the commit and not the open transaction.
    assert.deepEqual(sqliteQuery(file, `SELECT name FROM runs WHERE run_uuid IN ('${committed}', '${never}')`), [['committed-run']]);
    assert.deepEqual(sqliteQuery(file, `SELECT count(*) FROM metrics WHERE run_uuid = '${never}'`), [[0]]);

    const { summary, runs } = await scan(folder);
    assert.equal(sqliteSource(summary).runs, 6);
    assert.equal(byId(runs, committed).name, 'committed-run');
    assert.equal(runs.some((r) => r.id === never), false);
  });

  it('ignores a WAL that holds no commit frame (only an open transaction)', async () => {
    const { folder, file } = standardWorkspace();
    const never = runId(0xbeef);
    writeUncommitted(file, {}, [
      ...runOps({ id: never, experimentId: 1, name: 'never-committed', status: 'RUNNING', start: T0, end: null, params: { blob: 'y'.repeat(7000) } }),
      ...metricOps(never, Array.from({ length: 1500 }, (_, i) => ({ key: 'loss', value: i, step: i, timestamp: T0 + i }))),
    ]);
    const frames = walFrames(`${file}-wal`);
    assert.deepEqual([frames.valid, frames.committed, frames.pending > 0], [true, 0, true], JSON.stringify(frames));
    const merged = mergeWal(fs.readFileSync(file), fs.readFileSync(`${file}-wal`));
    assert.deepEqual([merged.merged, merged.committedFrames, merged.pendingFrames, merged.problem], [false, 0, frames.pending, undefined]);

    const { ws, summary, runs } = await scan(folder);
    assert.equal(sqliteSource(summary).runs, 5);
    assert.equal(runs.some((r) => r.id === never), false);
    assert.deepEqual(ws.store.read((db) => listDiagnostics(db)), []);
  });

  it('folds exactly the frames SQLite counts as committed, and marks the image as a rollback-journal database', async () => {
    const { file } = standardWorkspace();
    writeKeepingWal(file, { commit: runOps({ id: runId(0xb2), experimentId: 0, name: 'w1', status: 'FINISHED', start: T0, end: T0 }) });
    writeKeepingWal(file, { commit: runOps({ id: runId(0xb3), experimentId: 0, name: 'w2', status: 'FINISHED', start: T0, end: T0 }) });
    const db = fs.readFileSync(file);
    assert.equal(db[18], 2, 'MLflow databases are in WAL mode');
    const frames = walFrames(`${file}-wal`);
    const merged = mergeWal(db, fs.readFileSync(`${file}-wal`));
    assert.deepEqual([merged.merged, merged.committedFrames, merged.pendingFrames], [true, frames.committed, 0]);
    assert.deepEqual([merged.image[18], merged.image[19]], [1, 1]);
    const SQL = await loadSqlJs();
    const image = new SQL.Database(merged.image);
    assert.deepEqual(image.exec("SELECT name FROM runs WHERE name LIKE 'w_' ORDER BY name")[0]!.values, [['w1'], ['w2']]);
    assert.deepEqual(image.exec('PRAGMA integrity_check')[0]!.values, [['ok']]);
    image.close();
    assert.deepEqual(db, fs.readFileSync(file), 'the input image is left as it was');
  });

  for (const [what, bytes, expected] of [
    ['an empty', Buffer.alloc(0), undefined],
    ['a short', Buffer.from('0123456789'), /too short/],
    ['a garbage', Buffer.alloc(8192, 0x5a), /no WAL signature/],
  ] as const) {
    it(`ignores ${what} -wal file${expected ? ', with an info diagnostic' : ' silently'}`, async () => {
      const { folder, file } = standardWorkspace();
      fs.writeFileSync(`${file}-wal`, bytes);
      const { ws, summary } = await scan(folder);
      assert.deepEqual([sqliteSource(summary).runs, sqliteSource(summary).runsRead], [5, 5]);
      const diagnostics = ws.store.read((db) => listDiagnostics(db));
      if (!expected) {
        assert.deepEqual(diagnostics, []);
        return;
      }
      assert.equal(diagnostics.length, 1);
      assert.equal(diagnostics[0]!.severity, 'info');
      assert.equal(diagnostics[0]!.file, 'mlflow.db-wal');
      assert.match(diagnostics[0]!.message, expected);
    });
  }

  const badInputs: [string, (file: string) => void, RegExp][] = [
    ['a 0-byte file', (file) => fs.writeFileSync(file, ''), /empty/],
    ['a file that is not SQLite', (file) => fs.writeFileSync(file, 'name,loss\nrun-1,0.5\n'.repeat(20)), /not a SQLite database/],
    [
      'a truncated file',
      (file) => {
        createStandardDb(file);
        fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
      },
      /truncated/,
    ],
    [
      'a file whose pages are damaged',
      (file) => {
        createStandardDb(file);
        const bytes = fs.readFileSync(file);
        bytes.fill(0x5a, 4096); // every page but the first (the schema) overwritten
        fs.writeFileSync(file, bytes);
      },
      /damaged|malformed/,
    ],
    [
      'a SQLite database that is not MLflow\u2019s',
      (file) => writeAndClose(file, { ddl: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);', commit: [['INSERT INTO notes (body) VALUES (?)', ['hi']]] }),
      /not an MLflow tracking database/,
    ],
  ];
  for (const [what, make, message] of badInputs) {
    it(`reports ${what} named mlflow.db, reads no runs from it, and still ingests mlruns/ beside it`, async () => {
      const folder = tempDir();
      writeMlruns(folder);
      make(path.join(folder, 'mlflow.db'));
      const { ws, summary, runs } = await scan(folder);
      const source = sqliteSource(summary);
      assert.deepEqual([source.runs, source.runsRead, source.error], [0, 0, undefined], 'a diagnostic, not an exception');
      const errors = ws.store.read((db) => listDiagnostics(db)).filter((d) => d.severity === 'error');
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.file, 'mlflow.db');
      assert.match(errors[0]!.message, message);
      // The file store next to it is unaffected.
      assert.deepEqual(
        runs.map((r) => [r.id, r.source.kind, r.name, r.params['lr'], r.metrics['loss']?.last]),
        [[FILE_RUN, 'mlflow', 'file-run', '0.01', 0.2]],
      );
      // Unchanged, the bad file is not read again and its error stays.
      const again = await rescan(ws);
      assert.equal(sqliteSource(again.summary).runsRead, 0);
      assert.equal(ws.store.read((db) => listDiagnostics(db)).filter((d) => d.severity === 'error').length, 1);
    });
  }

  it('re-reads nothing when the files are unchanged, and only the run that changed after a new commit', async () => {
    const { folder, file } = standardWorkspace();
    const { ws } = await scan(folder);

    const unchanged = await rescan(ws);
    assert.deepEqual([sqliteSource(unchanged.summary).runs, sqliteSource(unchanged.summary).runsRead], [5, 0]);
    assert.equal(unchanged.runs.length, 5, 'nothing is removed');
    assert.equal(ws.store.read((db) => listSourceModels(db)).length, 1);
    assert.equal(ws.store.read((db) => db.exec('SELECT count(*) FROM experiments')[0]!.values[0]![0]), 3);

    // MLflow logs one more point for the parent run (a new commit, left in the WAL).
    writeKeepingWal(file, { commit: metricOps(PARENT, [{ key: 'loss', value: 0.4, step: 5, timestamp: T0 + 2500 }]) });
    const appended = await rescan(ws);
    assert.equal(sqliteSource(appended.summary).runsRead, 1);
    const parent = byId(appended.runs, PARENT);
    assert.deepEqual([parent.metrics['loss']!.count, parent.metrics['loss']!.last, parent.metrics['loss']!.lastStep], [6, 0.4, 5]);
    assert.equal(byId(appended.runs, CHILD).metrics['acc']!.count, 4, 'other runs stay as they were');

    // A tag changed in place (same count) and a run finishing are both seen.
    writeKeepingWal(file, {
      commit: [
        ["UPDATE tags SET value = 'retention' WHERE run_uuid = ? AND \"key\" = 'team'", [PARENT]],
        ["UPDATE runs SET status = 'FINISHED', end_time = ? WHERE run_uuid = ?", [T0 + 5555, IN_DELETED_EXPERIMENT]],
      ],
    });
    const updated = await rescan(ws);
    assert.equal(sqliteSource(updated.summary).runsRead, 2);
    assert.equal(byId(updated.runs, PARENT).tags['team'], 'retention');
    assert.deepEqual([byId(updated.runs, IN_DELETED_EXPERIMENT).status, byId(updated.runs, IN_DELETED_EXPERIMENT).endTime], ['FINISHED', T0 + 5555]);

    // A change outside runs (an alias moved) reads no run but refreshes the registry; checkpointed this time.
    writeAndClose(file, { commit: [["UPDATE registered_model_aliases SET version = 1 WHERE alias = 'champion'", []]] });
    assert.equal(fs.existsSync(`${file}-wal`), false);
    const aliased = await rescan(ws);
    assert.equal(sqliteSource(aliased.summary).runsRead, 0);
    assert.deepEqual(ws.store.read((db) => listSourceModels(db))[0]!.aliases, { champion: 1, challenger: 1 });

    // A run removed from the database (mlflow gc) leaves the store.
    writeAndClose(file, { commit: ['tags', 'params', 'metrics', 'latest_metrics', 'runs'].map((t): Op => [`DELETE FROM ${t} WHERE run_uuid = ?`, [KILLED]]) });
    const removed = await rescan(ws);
    assert.equal(sqliteSource(removed.summary).runsRead, 0);
    assert.deepEqual(removed.runs.map((r) => r.id).sort(), [PARENT, CHILD, FAILED_DELETED, IN_DELETED_EXPERIMENT].sort());

    // A full scan reads every run again.
    const full = await rescan(ws, { full: true });
    assert.equal(sqliteSource(full.summary).runsRead, 4);
  });

  it('lists local artifacts: mlartifacts/ of `mlflow server`, and mlruns/ of a database copied from elsewhere', async () => {
    const { folder, file } = standardWorkspace();
    // PARENT's URI is mlflow-artifacts:/1/<run>/artifacts, served from ./mlartifacts.
    writeFile(path.join(folder, 'mlartifacts', '1', PARENT, 'artifacts', 'model', 'MLmodel'), 'flavors: {}\n');
    writeFile(path.join(folder, 'mlartifacts', '1', PARENT, 'artifacts', 'metrics.json'), '{}');
    // CHILD was logged on another machine; its artifacts were copied next to the database.
    writeAndClose(file, { commit: [['UPDATE runs SET artifact_uri = ? WHERE run_uuid = ?', [`/home/someone/proj/mlruns/1/${CHILD}/artifacts`, CHILD]]] });
    writeFile(path.join(folder, 'mlruns', '1', CHILD, 'artifacts', 'plot.png'), 'png');
    const { ws, runs, summary } = await scan(folder);
    assert.deepEqual(
      summary.sources.map((s) => s.kind),
      ['mlflow-sqlite'],
      'an mlruns/ holding only artifacts is not a file store',
    );
    const artifacts = (id: string): [string, string][] =>
      ws.store.read((db) => getRun(db, byId(runs, id).uid, ws.store.series)!.artifacts.map((a): [string, string] => [a.path, a.kind]));
    assert.deepEqual(artifacts(PARENT), [
      ['metrics.json', 'file'],
      ['model', 'model'],
      ['model/MLmodel', 'file'],
    ]);
    assert.deepEqual(artifacts(CHILD), [['plot.png', 'file']]);
    assert.deepEqual(artifacts(KILLED), []);
  });

  it('keeps registered models of other MLflow workspaces apart (same name, qualified by workspace)', async () => {
    const { folder, file } = standardWorkspace();
    writeAndClose(file, {
      commit: [
        ['INSERT INTO workspaces (name) VALUES (?)', ['team-b']],
        ['INSERT INTO registered_models (name, creation_time, last_updated_time, description, workspace) VALUES (?,?,?,?,?)', ['churn-model', T0, T0, 'B', 'team-b']],
        [
          'INSERT INTO model_versions (name, version, creation_time, current_stage, source, run_id, status, workspace) VALUES (?,?,?,?,?,?,?,?)',
          ['churn-model', 1, T0, 'Staging', `runs:/${KILLED}/model`, KILLED, 'READY', 'team-b'],
        ],
        ['INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES (?,?,?,?)', ['champion', 1, 'churn-model', 'team-b']],
      ],
    });
    const { ws } = await scan(folder);
    const registry = ws.store.read((db) => listSourceModels(db));
    assert.deepEqual(
      registry.map((m) => [m.name, m.description, m.aliases, m.versions.map((v) => [v.version, v.stage, v.runId, v.aliases])]),
      [
        [
          'churn-model',
          'Predicts churn',
          { champion: 2, challenger: 1 },
          [
            [1, null, PARENT, ['challenger']],
            [2, 'Production', CHILD, ['champion']],
            [3, null, PARENT, []],
          ],
        ],
        ['team-b/churn-model', 'B', { champion: 1 }, [[1, 'Staging', KILLED, ['champion']]]],
      ],
    );
  });

  it('reads an MLflow 1.28 database (no datasets, inputs, logged models, aliases or experiment times)', async () => {
    const folder = tempDir();
    const file = path.join(folder, 'sub', 'mlflow.db');
    fs.mkdirSync(path.dirname(file));
    const ops: Op[] = [...experimentOps(0, 'Default', { legacy: true }), ...experimentOps(7, 'legacy', { legacy: true, tags: { owner: 'ops' } })];
    const ids = Array.from({ length: 12 }, (_, i) => runId(0x100 + i));
    ids.forEach((id, i) =>
      ops.push(
        ...runOps({
          id,
          experimentId: 7,
          name: `legacy-${i}`,
          status: i === 11 ? 'RUNNING' : 'FINISHED',
          start: T0 + i * 1000,
          end: i === 11 ? null : T0 + i * 1000 + 500,
          params: { i: String(i) },
          metrics: [0, 1, 2].map((step) => ({ key: 'rmse', value: i + step / 10, step, timestamp: T0 + i * 1000 + step })),
        }),
      ),
    );
    ops.push(
      ['INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?,?,?,?)', ['legacy-model', T0, T0, null]],
      [
        'INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status) VALUES (?,?,?,?,?,?,?,?)',
        ['legacy-model', 1, T0, T0, 'Staging', `runs:/${ids[3]}/model`, ids[3]!, 'READY'],
      ],
    );
    writeAndClose(file, { ddl: LEGACY_DDL, commit: ops, wal: false });

    const { ws, summary, runs } = await scan(folder);
    assert.deepEqual([sqliteSource(summary).path, sqliteSource(summary).runs], ['sub/mlflow.db', 12]);
    assert.deepEqual(ws.store.read((db) => listDiagnostics(db)), []);
    const r5 = byId(runs, ids[5]!);
    assert.deepEqual([r5.name, r5.experiment, r5.params['i'], r5.metrics['rmse']!.last, r5.metrics['rmse']!.min], ['legacy-5', 'legacy', '5', 5.2, 5]);
    assert.equal(byId(runs, ids[11]!).status, 'RUNNING');
    assert.deepEqual(
      ws.store.read((db) => db.exec("SELECT created, tags FROM experiments WHERE native_id = '7'")[0]!.values),
      [[null, '{"owner":"ops"}']],
    );
    const registry = ws.store.read((db) => listSourceModels(db));
    assert.deepEqual(
      registry.map((m) => [m.name, m.aliases, m.versions.map((v) => [v.version, v.stage, v.runId, v.aliases])]),
      [['legacy-model', {}, [[1, 'Staging', ids[3], []]]]],
    );
  });
});
