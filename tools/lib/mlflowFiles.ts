// Writes MLflow file-store folders exactly as MLflow 2.x/3.x lays them out (FORMATS.md §1.1–1.9),
// for the demo workspace and for tests. PyYAML's safe_dump style: keys sorted, strings that would
// read as numbers quoted, `null` for None.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Python 3's `repr(float)` (also `str(float)`): the shortest round-trip digits — the same digits
 * as JavaScript's `String(x)` — laid out Python's way: fixed notation when the decimal exponent is
 * in [-4, 16), always with a fractional part (`400.0`), otherwise `1e-05` / `1.5e+16` style.
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
    return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  const m = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
}

/** The values MLflow's flat meta.yaml files hold; `[]` is the legacy `tags: []`. */
export type YamlScalar = string | number | boolean | null | readonly never[];

/** PyYAML safe_dump of one scalar in a block mapping (the subset MLflow's meta.yaml files use). */
export function pyyamlScalar(v: YamlScalar): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pythonFloatRepr(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v !== 'string') return '[]';
  const s = v;
  // Strings that would resolve to another type (int, float, bool, null) are single-quoted, as are
  // empty strings and strings starting with an indicator or ending in a space.
  const resolvesToOther =
    /^[-+]?(0|[1-9][0-9_]*)$/.test(s) ||
    /^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$/.test(s) ||
    /^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/.test(s);
  if (s === '' || resolvesToOther || /^[-?:,[\]{}#&*!|>'"%@`\s]/.test(s) || /: | #|\s$/.test(s)) {
    return `'${s.replace(/'/g, "''")}'`;
  }
  return s;
}

export function flatYaml(map: Record<string, YamlScalar>): string {
  return (
    Object.keys(map)
      .sort()
      .map((k) => `${k}: ${pyyamlScalar(map[k]!)}`)
      .join('\n') + '\n'
  );
}

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Writes `<dir>/<key>` files (nested for keys with '/'), raw values without a newline. */
function writeKeyValues(dir: string, values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) write(path.join(dir, ...k.split('/')), v);
}

export interface ExperimentSpec {
  id: string;
  name: string;
  creationTime?: number;
  deleted?: boolean;
  tags?: Record<string, string>;
}

export function writeExperiment(mlruns: string, exp: ExperimentSpec): string {
  const dir = path.join(mlruns, exp.id);
  const time = exp.creationTime ?? 1_700_000_000_000;
  write(
    path.join(dir, 'meta.yaml'),
    flatYaml({
      artifact_location: `file://${dir}`,
      creation_time: time,
      experiment_id: exp.id,
      last_update_time: time,
      lifecycle_stage: exp.deleted ? 'deleted' : 'active',
      name: exp.name,
    }),
  );
  if (exp.tags) writeKeyValues(path.join(dir, 'tags'), exp.tags);
  return dir;
}

export const RUN_STATUS = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;

export interface MetricPoint {
  timestamp: number;
  value: number;
  step: number;
}

export interface RunSpec {
  experimentId: string;
  runId: string;
  name: string;
  status?: keyof typeof RUN_STATUS;
  startTime: number;
  endTime?: number | null;
  deleted?: boolean;
  user?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  metrics?: Record<string, MetricPoint[]>;
  parentRunId?: string;
}

export function metricLines(points: MetricPoint[]): string {
  return points.map((p) => `${p.timestamp} ${pythonFloatRepr(p.value)} ${p.step}\n`).join('');
}

export function writeRun(mlruns: string, run: RunSpec): string {
  const dir = path.join(mlruns, run.experimentId, run.runId);
  write(
    path.join(dir, 'meta.yaml'),
    flatYaml({
      artifact_uri: `file://${dir}/artifacts`,
      end_time: run.endTime ?? null,
      entry_point_name: '',
      experiment_id: run.experimentId,
      lifecycle_stage: run.deleted ? 'deleted' : 'active',
      run_id: run.runId,
      run_name: run.name,
      run_uuid: run.runId,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: run.startTime,
      status: RUN_STATUS[run.status ?? 'FINISHED'],
      tags: [],
      user_id: run.user ?? 'alice',
    }),
  );
  writeKeyValues(path.join(dir, 'params'), run.params ?? {});
  const tags: Record<string, string> = { 'mlflow.runName': run.name, 'mlflow.user': run.user ?? 'alice', ...(run.tags ?? {}) };
  if (run.parentRunId) tags['mlflow.parentRunId'] = run.parentRunId;
  writeKeyValues(path.join(dir, 'tags'), tags);
  fs.mkdirSync(path.join(dir, 'metrics'), { recursive: true });
  for (const [k, points] of Object.entries(run.metrics ?? {})) write(path.join(dir, 'metrics', ...k.split('/')), metricLines(points));
  fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
  return dir;
}

/** Rewrites a run's meta.yaml with a final status, as MLflow's end_run does. */
export function endRun(runDir: string, status: keyof typeof RUN_STATUS, endTime: number): void {
  const file = path.join(runDir, 'meta.yaml');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(
    file,
    text.replace(/^end_time: .*$/m, `end_time: ${endTime}`).replace(/^status: .*$/m, `status: ${RUN_STATUS[status]}`),
  );
}

export function appendMetric(runDir: string, key: string, points: MetricPoint[]): void {
  const file = path.join(runDir, 'metrics', ...key.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, metricLines(points));
}

export interface ModelVersionSpec {
  version: number;
  runId: string;
  source: string;
  stage?: 'None' | 'Staging' | 'Production' | 'Archived';
  creationTime?: number;
}

/** A registered model in `mlruns/models/<name>/`, with versions and aliases (MLflow ≥ 2.9). */
export function writeRegisteredModel(
  mlruns: string,
  name: string,
  versions: ModelVersionSpec[],
  aliases: Record<string, number> = {},
  description = '',
): void {
  const dir = path.join(mlruns, 'models', name);
  const time = versions[0]?.creationTime ?? 1_700_000_100_000;
  write(
    path.join(dir, 'meta.yaml'),
    flatYaml({ creation_timestamp: time, description, last_updated_timestamp: time, name }),
  );
  for (const [alias, version] of Object.entries(aliases)) write(path.join(dir, 'aliases', alias), String(version));
  for (const v of versions) {
    write(
      path.join(dir, `version-${v.version}`, 'meta.yaml'),
      flatYaml({
        aliases: [],
        creation_timestamp: v.creationTime ?? time,
        current_stage: v.stage ?? 'None',
        description: '',
        last_updated_timestamp: v.creationTime ?? time,
        name,
        run_id: v.runId,
        run_link: '',
        source: v.source,
        status: 'READY',
        status_message: null,
        user_id: null,
        version: v.version,
      }),
    );
  }
}
