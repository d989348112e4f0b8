// The workspace the real-VS-Code tests open: a tiny MLflow file store (FORMATS.md §1.2–1.4) with experiment 0
// and two finished runs, each with a param and a metric. Shared by the in-host suite (bundled into it), the UI
// driver and the integration test that checks the fixture with the core ingestor alone.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FixtureRun {
  id: string;
  name: string;
  params: Record<string, string>;
  /** metric key -> [timestamp, value, step] lines */
  metrics: Record<string, [number, number, number][]>;
  start: number;
}

export const FIXTURE_EXPERIMENT = { id: '0', name: 'Default' } as const;

export const FIXTURE_RUNS: readonly FixtureRun[] = [
  {
    id: '5f0e3c1d2b4a49e8a7c6d5e4f3a2b1a1',
    name: 'baseline-lr',
    params: { lr: '0.001' },
    metrics: { loss: [[1721450907301, 0.69, 0], [1721450908402, 0.51, 1]] },
    start: 1721450907221,
  },
  {
    id: '9a8b7c6d5e4f40312a2b3c4d5e6f7a8b',
    name: 'wider-net',
    params: { lr: '0.01' },
    metrics: { loss: [[1721451007301, 0.64, 0], [1721451008402, 0.42, 1], [1721451009511, 0.37, 2]] },
    start: 1721451007221,
  },
];

/** A run the UI scenario adds on disk before it runs "Scan Workspace", to see the command's effect. */
export const LATE_RUN: FixtureRun = {
  id: 'c0ffee00c0ffee00c0ffee00c0ffee01',
  name: 'late-run',
  params: { lr: '0.1' },
  metrics: { loss: [[1721452007301, 0.9, 0]] },
  start: 1721452007221,
};

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Writes one run folder under `mlruns/0/` (PyYAML safe_dump style, keys sorted, status 3 = FINISHED). */
export function writeRun(workspace: string, run: FixtureRun): string {
  const dir = path.join(workspace, 'mlruns', FIXTURE_EXPERIMENT.id, run.id);
  const last = Math.max(run.start, ...Object.values(run.metrics).flat().map(([t]) => t));
  write(
    path.join(dir, 'meta.yaml'),
    [
      `artifact_uri: file://${dir}/artifacts`,
      `end_time: ${last + 10}`,
      `entry_point_name: ''`,
      `experiment_id: '${FIXTURE_EXPERIMENT.id}'`,
      `lifecycle_stage: active`,
      `run_id: ${run.id}`,
      `run_name: ${run.name}`,
      `run_uuid: ${run.id}`,
      `source_name: ''`,
      `source_type: 4`,
      `source_version: ''`,
      `start_time: ${run.start}`,
      `status: 3`,
      `tags: []`,
      `user_id: tester`,
      '',
    ].join('\n'),
  );
  for (const [key, value] of Object.entries(run.params)) write(path.join(dir, 'params', key), value);
  for (const [key, points] of Object.entries(run.metrics)) {
    write(path.join(dir, 'metrics', key), points.map(([t, v, s]) => `${t} ${v} ${s}\n`).join(''));
  }
  return dir;
}

/** Fills `workspace` (an empty folder) with the fixture; returns it. */
export function writeFixtureWorkspace(workspace: string): string {
  const exp = path.join(workspace, 'mlruns', FIXTURE_EXPERIMENT.id);
  write(
    path.join(exp, 'meta.yaml'),
    [
      `artifact_location: file://${exp}`,
      `creation_time: 1721450907000`,
      `experiment_id: '${FIXTURE_EXPERIMENT.id}'`,
      `last_update_time: 1721450907000`,
      `lifecycle_stage: active`,
      `name: ${FIXTURE_EXPERIMENT.name}`,
      '',
    ].join('\n'),
  );
  for (const run of FIXTURE_RUNS) writeRun(workspace, run);
  write(path.join(workspace, 'README.md'), '# MLCycle e2e fixture\n\nA tiny MLflow file store in `mlruns/`.\n');
  return workspace;
}
