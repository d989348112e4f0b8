// Builds real MLflow tracking databases (`mlflow.db`) with the real SQLite engine, through Debian's
// python3 and its built-in sqlite3 module: no mlflow package needed, nothing mocked. Also leaves
// committed transactions in the `-wal` file (no checkpoint) and produces WAL files that hold an
// uncommitted transaction, the two states sql.js cannot see on its own.
//
// The DDL and row statements live in tools/lib/mlflowDb.ts (the demo uses them too).
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import { ALEMBIC_REVISION, LEGACY_ALEMBIC_REVISION, LEGACY_DDL, MLFLOW_DDL, experimentOps, metricOps, runId, runOps, type MetricPoint, type Op, type RunSpec, type SqlParam } from '../../tools/lib/mlflowDb';

export { ALEMBIC_REVISION, LEGACY_ALEMBIC_REVISION, LEGACY_DDL, MLFLOW_DDL, experimentOps, metricOps, runId, runOps, type MetricPoint, type Op, type RunSpec, type SqlParam };

// Debian's interpreter directly: a version-manager shim in PATH can cost a second per call.
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/**
 * The python side. Reads a JSON job on stdin; every statement of `commit` runs in one transaction.
 * Modes: `close` closes the connection (SQLite checkpoints and removes the WAL); `keep-wal` exits
 * without closing (os._exit, as a crash would), so the commit stays in the -wal file only;
 * `uncommitted` then BEGINs `pending` with a one-page cache, so its dirty pages spill into the WAL
 * as non-commit frames, reports the WAL growth and SIGKILLs itself mid-transaction.
 */
const PYTHON_WRITER = String.raw`
import json, os, signal, sqlite3, sys
job = json.load(sys.stdin)
path = job['path']
con = sqlite3.connect(path, isolation_level=None)
if job.get('wal', True):
    mode = con.execute('PRAGMA journal_mode=WAL').fetchone()[0]
    assert mode == 'wal', mode
if job['mode'] != 'close':
    con.execute('PRAGMA wal_autocheckpoint=0')
if job.get('ddl'):
    con.executescript('BEGIN;' + job['ddl'] + 'COMMIT;')
if job.get('commit'):
    con.execute('BEGIN')
    for sql, params in job['commit']:
        con.execute(sql, params)
    con.execute('COMMIT')
wal = path + '-wal'
size = lambda: os.path.getsize(wal) if os.path.exists(wal) else 0
if job['mode'] == 'close':
    con.close()
    print(json.dumps({'wal': size()}))
elif job['mode'] == 'keep-wal':
    print(json.dumps({'wal': size()}))
    sys.stdout.flush()
    os._exit(0)
else:
    after_commit = size()
    con.execute('PRAGMA cache_size=1')
    con.execute('BEGIN')
    for sql, params in job['pending']:
        con.execute(sql, params)
    print(json.dumps({'walAfterCommit': after_commit, 'wal': size()}))
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)
`;

/** Reads a WAL on its own terms (salts and cumulative checksums), independently of MLCycle's code. */
const PYTHON_WAL_FRAMES = String.raw`
import json, struct, sys
data = open(sys.argv[1], 'rb').read()
out = {'committed': 0, 'pending': 0, 'valid': False}
if len(data) >= 32:
    magic, version, page_size, seq, salt1, salt2, c1, c2 = struct.unpack('>8I', data[:32])
    fmt = '>' if magic == 0x377f0683 else '<'
    def cksum(buf, s0, s1):
        for i in range(0, len(buf), 8):
            x0, x1 = struct.unpack(fmt + '2I', buf[i:i + 8])
            s0 = (s0 + x0 + s1) & 0xffffffff
            s1 = (s1 + x1 + s0) & 0xffffffff
        return s0, s1
    s = cksum(data[:24], 0, 0)
    if magic in (0x377f0682, 0x377f0683) and s == (c1, c2):
        out['valid'] = True
        off, since_commit = 32, 0
        while off + 24 + page_size <= len(data):
            pgno, commit, fs1, fs2, f1, f2 = struct.unpack('>6I', data[off:off + 24])
            if (fs1, fs2) != (salt1, salt2):
                break
            s = cksum(data[off:off + 8], *s)
            s = cksum(data[off + 24:off + 24 + page_size], *s)
            if s != (f1, f2):
                break
            since_commit += 1
            if commit:
                out['committed'] += since_commit
                since_commit = 0
            off += 24 + page_size
        out['pending'] = since_commit
print(json.dumps(out))
`;

/** Runs a query on a copy of the database (and of its WAL unless `mainOnly`), as SQLite sees it. */
const PYTHON_QUERY_COPY = String.raw`
import json, os, shutil, sqlite3, sys, tempfile
path, query, main_only = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
tmp = tempfile.mkdtemp()
copy = os.path.join(tmp, 'copy.db')
shutil.copyfile(path, copy)
if not main_only and os.path.exists(path + '-wal'):
    shutil.copyfile(path + '-wal', copy + '-wal')
con = sqlite3.connect(copy)
rows = con.execute(query).fetchall()
con.close()
shutil.rmtree(tmp)
print(json.dumps(rows))
`;

function python(args: string[], input?: string): string {
  const options: ExecFileSyncOptions = { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 };
  if (input !== undefined) options.input = input;
  return execFileSync(PYTHON, args, options) as string;
}

export interface WriteResult {
  /** Size of the -wal file when the writer stopped. */
  wal: number;
  walAfterCommit?: number;
}

export interface WriteJob {
  /** Schema to create first (in its own transaction). */
  ddl?: string;
  /** Statements committed in one transaction. */
  commit?: Op[];
  /** Journal mode WAL (MLflow's since PR #20014); false keeps SQLite's rollback journal. */
  wal?: boolean;
}

/** Commits the statements and closes the connection: everything ends up in the main file. */
export function writeAndClose(file: string, job: WriteJob): WriteResult {
  return JSON.parse(python(['-c', PYTHON_WRITER], JSON.stringify({ path: file, mode: 'close', ...job }))) as WriteResult;
}

/** Commits the statements and exits without a checkpoint: the commit lives in the -wal file only. */
export function writeKeepingWal(file: string, job: WriteJob): WriteResult {
  const result = JSON.parse(python(['-c', PYTHON_WRITER], JSON.stringify({ path: file, mode: 'keep-wal', ...job }))) as WriteResult;
  if (result.wal === 0) throw new Error('the writer left no WAL behind');
  return result;
}

/**
 * Commits `job.commit`, then opens a transaction with `pending` and is SIGKILLed before it commits,
 * once its pages have spilled into the WAL.
 */
export function writeUncommitted(file: string, job: WriteJob, pending: Op[]): WriteResult {
  let stdout = '';
  try {
    python(['-c', PYTHON_WRITER], JSON.stringify({ path: file, mode: 'uncommitted', ...job, pending }));
    throw new Error('the writer was expected to be killed');
  } catch (err) {
    const e = err as { signal?: string; stdout?: string };
    if (e.signal !== 'SIGKILL') throw err;
    stdout = e.stdout ?? '';
  }
  const result = JSON.parse(stdout) as WriteResult;
  if (!(result.wal > (result.walAfterCommit ?? 0))) {
    throw new Error(`the open transaction wrote nothing to the WAL (${JSON.stringify(result)}); make it larger`);
  }
  return result;
}

/** Frames of a WAL file as SQLite would validate them: up to the last commit, and after it. */
export function walFrames(walFile: string): { valid: boolean; committed: number; pending: number } {
  return JSON.parse(python(['-c', PYTHON_WAL_FRAMES, walFile])) as { valid: boolean; committed: number; pending: number };
}

/** What SQLite itself returns for a query, on a copy (so the fixture's WAL is left as it is). */
export function sqliteQuery(file: string, query: string, options: { mainOnly?: boolean } = {}): SqlParam[][] {
  return JSON.parse(python(['-c', PYTHON_QUERY_COPY, file, query, options.mainOnly ? '1' : '0'])) as SqlParam[][];
}

// ---------------------------------------------------------------------------------------------
// The standard fixture: what the tests assert, value for value.

export const T0 = 1760000000000;
export const PARENT = runId(0xa1);
export const CHILD = runId(0xa2);
export const FAILED_DELETED = runId(0xa3);
export const IN_DELETED_EXPERIMENT = runId(0xa4);
export const KILLED = runId(0xa5);
export const MODEL_ID = 'm-' + 'c341a2270e7b421f8333e76e6580b504';
export const DATASET_ID = '5f2ad3b0e0d84b3b9a1c7e0f10203040';
export const INPUT_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

export const LOSS = [0.9, 0.7, 0.55, 0.5, 0.52];

export function standardRuns(): RunSpec[] {
  return [
    {
      id: PARENT,
      experimentId: 1,
      name: 'parent-run',
      status: 'FINISHED',
      start: T0 + 1000,
      end: T0 + 9000,
      params: { alpha: '0.5', layers: '3' },
      tags: { team: 'churn' },
      metrics: LOSS.map((value, step) => ({ key: 'loss', value, step, timestamp: T0 + 2000 + step * 100 })),
    },
    {
      id: CHILD,
      experimentId: 1,
      name: 'child-run',
      status: 'FINISHED',
      start: T0 + 2000,
      end: T0 + 3000,
      params: { alpha: '0.1' },
      tags: { 'mlflow.parentRunId': PARENT },
      metrics: [
        { key: 'acc', value: 0.5, step: 0, timestamp: T0 + 2100 },
        { key: 'acc', value: NaN, step: 1, timestamp: T0 + 2200 },
        { key: 'acc', value: 0.8, step: 2, timestamp: T0 + 2300 },
        { key: 'acc', value: NaN, step: 3, timestamp: T0 + 2400 },
      ],
    },
    { id: FAILED_DELETED, experimentId: 1, name: 'broken-run', status: 'FAILED', start: T0 + 4000, end: T0 + 4500, deleted: true },
    { id: IN_DELETED_EXPERIMENT, experimentId: 2, name: 'orphan-run', status: 'RUNNING', start: T0 + 5000, end: null },
    { id: KILLED, experimentId: 0, name: 'killed-run', status: 'KILLED', start: T0 + 6000, end: T0 + 6100 },
  ];
}

/** Experiments, runs, a dataset input, a logged model and a registered model with aliases. */
export function standardOps(): Op[] {
  const ops: Op[] = [
    ...experimentOps(0, 'Default'),
    ...experimentOps(1, 'churn', { created: T0 + 1, tags: { 'mlflow.note.content': 'churn models' } }),
    ...experimentOps(2, 'abandoned', { deleted: true }),
  ];
  for (const r of standardRuns()) ops.push(...runOps(r));
  ops.push(
    [
      `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile)
       VALUES (?,?,?,?,?,?,?,?)`,
      [DATASET_ID, 1, 'train', 'd41d8cd9', 'local', '{"uri": "/data/train.csv"}', '{"mlflow_colspec": []}', '{"num_rows": 1000}'],
    ],
    ['INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?,?,?,?,?,?)', [INPUT_ID, 'DATASET', DATASET_ID, 'RUN', CHILD, 0]],
    ['INSERT INTO input_tags (input_uuid, name, value) VALUES (?,?,?)', [INPUT_ID, 'mlflow.data.context', 'training']],
    [
      `INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status,
         lifecycle_stage, model_type, source_run_id, status_message) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      [MODEL_ID, 1, 'model', `mlflow-artifacts:/1/models/${MODEL_ID}/artifacts`, T0 + 8000, T0 + 8500, 2, 'active', null, PARENT, null],
    ],
    ['INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?,?,?,?)', [MODEL_ID, 1, 'max_depth', '5']],
    ['INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES (?,?,?,?)', [MODEL_ID, 1, 'mlflow.user', 'alice']],
    [
      'INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id) VALUES (?,?,?,?,?,?,?)',
      [MODEL_ID, 'accuracy', T0 + 8100, 0, 0.91, 1, PARENT],
    ],
    [
      'INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id) VALUES (?,?,?,?,?,?,?)',
      [MODEL_ID, 'accuracy', T0 + 8200, 1, 0.93, 1, PARENT],
    ],
    // The child run consumed the logged model (MLflow 3: RUN_INPUT → MODEL_INPUT).
    ['INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?,?,?,?,?,?)', ['f'.repeat(32), 'RUN_INPUT', CHILD, 'MODEL_INPUT', MODEL_ID, 0]],
    ['INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?,?,?,?)', ['churn-model', T0 + 9000, T0 + 9900, 'Predicts churn']],
    ['INSERT INTO registered_model_tags ("key", value, name) VALUES (?,?,?)', ['owner', 'ml-team', 'churn-model']],
    ...[
      [1, 'None', `models:/${MODEL_ID}`, PARENT],
      [2, 'Production', `runs:/${CHILD}/model`, CHILD],
      [3, 'Deleted_Internal', `runs:/${PARENT}/model`, PARENT],
    ].map(
      ([version, stage, source, run]): Op => [
        `INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status,
           status_message, run_link, storage_location) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
        ['churn-model', version!, T0 + 9000 + Number(version) * 100, T0 + 9000 + Number(version) * 100, '', null, stage!, source!, run!, 'READY', null, '', `/artifacts/${String(version)}`],
      ],
    ),
    ['INSERT INTO model_version_tags ("key", value, name, version) VALUES (?,?,?,?)', ['validated', 'true', 'churn-model', 2]],
    ['INSERT INTO registered_model_aliases (alias, version, name) VALUES (?,?,?)', ['champion', 2, 'churn-model']],
    ['INSERT INTO registered_model_aliases (alias, version, name) VALUES (?,?,?)', ['challenger', 1, 'churn-model']],
  );
  return ops;
}

/** Creates `file` with MLflow's schema and the standard fixture, fully checkpointed. */
export function createStandardDb(file: string): void {
  writeAndClose(file, { ddl: MLFLOW_DDL, commit: standardOps() });
}
