// Writes MLflow file-store folders exactly as MLflow 2.x/3.x lays them out (FORMATS.md §1.1–1.9),
// for the demo workspace and for tests. PyYAML's safe_dump style: keys sorted, strings that would
// read as numbers quoted, `null` for None.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type YamlScalar = string | number | boolean | null | [] | Record<string, never>;

/** Formats a value as PyYAML's safe_dump would in a flat mapping. */
function yamlScalar(v: YamlScalar): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object') return '{}';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const readsAsOtherType =
    /^[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?$/.test(v) || /^(null|true|false|yes|no|on|off|~)$/i.test(v);
  if (v === '' || readsAsOtherType || /^[-?:,[\]{}#&*!|>'"%@`\s]/.test(v) || /: | #/.test(v) || /\s$/.test(v)) {
    return `'${v.replace(/'/g, "''")}'`;
  }
  return v;
}

export function flatYaml(map: Record<string, YamlScalar>): string {
  return (
    Object.keys(map)
      .sort()
      .map((k) => `${k}: ${yamlScalar(map[k]!)}`)
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

/** Python's str(float): `nan`, `inf`, `-inf`, and otherwise the shortest round-trip repr. */
export function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  const s = String(v);
  return s.includes('e') ? s.replace(/e([+-])(\d)$/, 'e$10$2') : s;
}

export function metricLines(points: MetricPoint[]): string {
  return points.map((p) => `${p.timestamp} ${pythonFloat(p.value)} ${p.step}\n`).join('');
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
