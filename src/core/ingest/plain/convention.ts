// The plain convention for hand-written scripts: a folder with metrics.json and/or params.yaml
// (or params.json) next to model files. One run per folder, its metrics single points at step 0
// (nested keys joined with '/'), its params flattened with '.', its model files as artifacts.
//
// Consulted last: folders other adapters claim are never offered to it, and it refuses folders
// that belong to DVC (dvc.yaml, dvc.lock: params.yaml and metrics.json are DVC's conventions too)
// or hold an MLflow model (MLmodel).
import * as path from 'node:path';
import type { Series } from '../../store/seriesCodec';
import { encodeMetrics, listDir, readJsonFile, readTextFile, statOrUndefined } from '../readers';
import { isMapping, parseYamlText } from '../../util/yamlFlat';
import type { ArtifactEntry, Detection, DetectedRoot, Diagnostic, DirectoryView, ReadContext, RunUpdate, SourceAdapter, SourceReadResult } from '../types';
import { flattenMetrics, flattenParams, rawYamlScalars } from '../common/flatten';

const KIND = 'plain';
export const MODEL_FILE = /\.(pkl|joblib|onnx|pt|safetensors|h5|keras)$/i;
const METRICS = 'metrics.json';
const PARAMS = ['params.yaml', 'params.yml', 'params.json'];
/** Files and folders that make the folder another tool's. */
const FOREIGN_FILES = ['dvc.yaml', 'dvc.lock', 'MLmodel'];
const FOREIGN_DIRS = ['.dvc', 'dvclive'];
/** A hand-written metrics or params file is a few KB; a huge one is refused before parsing. */
const MAX_BYTES = 8 * 1024 * 1024;

function detect(dir: DirectoryView): Detection | undefined {
  const files = new Set(dir.files);
  if (!files.has(METRICS) && !PARAMS.some((p) => files.has(p))) return undefined;
  if (!dir.files.some((f) => MODEL_FILE.test(f))) return undefined;
  if (FOREIGN_FILES.some((f) => files.has(f)) || FOREIGN_DIRS.some((d) => dir.dirs.includes(d))) return undefined;
  return { roots: [{ kind: KIND, path: dir.path }] };
}

interface RunState {
  /** name → [size, mtime] of every file looked at. */
  f: Record<string, [number, number]>;
}

function readParams(file: string, diags: Diagnostic[]): Record<string, string> {
  if (file.endsWith('.json')) {
    const value = readJsonFile(file, diags, MAX_BYTES);
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      diags.push({ severity: 'error', file, message: 'expected a JSON object of parameter names to values' });
      return {};
    }
    return flattenParams(value as Record<string, unknown>);
  }
  const text = readTextFile(file, diags, MAX_BYTES);
  if (text === undefined) return {};
  if (text.trim() === '') {
    diags.push({ severity: 'warning', file, message: 'the file is empty' });
    return {};
  }
  const { value, error } = parseYamlText(text);
  if (error) {
    diags.push({ severity: 'error', file, ...(error.line ? { line: error.line } : {}), message: `invalid YAML: ${error.message}` });
    return {};
  }
  if (!isMapping(value)) {
    diags.push({ severity: 'error', file, message: 'expected a YAML mapping of parameter names to values' });
    return {};
  }
  return flattenParams(value as Record<string, unknown>, {}, '', rawYamlScalars(text));
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const dir = root.path;
  const diags: Diagnostic[] = [];
  const listing = listDir(dir, diags);
  if (!listing) return { presentExperimentIds: [], presentRunIds: [], diagnostics: diags, state: undefined };
  const watched = listing.files.filter((n) => n === METRICS || PARAMS.includes(n) || MODEL_FILE.test(n)).sort();
  const f: RunState['f'] = {};
  for (const n of watched) {
    const s = statOrUndefined(path.join(dir, n));
    if (s?.isFile()) f[n] = [s.size, s.mtimeMs];
  }
  const known = ctx.known.get('.');
  const previous = known?.state as RunState | null | undefined;
  if (!ctx.full && previous && JSON.stringify(previous.f) === JSON.stringify(f)) {
    return { presentExperimentIds: [], presentRunIds: ['.'], diagnostics: [], state: undefined };
  }

  const series = new Map<string, Series>();
  if (f[METRICS]) {
    const value = readJsonFile(path.join(dir, METRICS), diags, MAX_BYTES);
    if (value !== undefined) {
      if (typeof value !== 'object' || value === null) diags.push({ severity: 'error', file: path.join(dir, METRICS), message: 'expected a JSON object of metric names to values' });
      else for (const [key, v] of flattenMetrics(value)) series.set(key, { steps: [0], times: null, values: [v] });
    }
  }
  const params: Record<string, string> = {};
  for (const p of PARAMS) if (f[p]) Object.assign(params, readParams(path.join(dir, p), diags));

  const artifacts: ArtifactEntry[] = Object.keys(f)
    .filter((n) => MODEL_FILE.test(n))
    .map((n) => ({ path: n, kind: 'model' as const, size: f[n]![0] }));
  // No recorded times: the oldest and newest of the files are the run's start and end (mtimes).
  const mtimes = Object.values(f).map((x) => x[1]);
  const update: RunUpdate = {
    run: {
      nativeId: '.',
      experimentNativeId: null,
      name: path.basename(dir),
      // These files are written when the script is done; a folder is complete as it stands.
      status: 'FINISHED',
      startTime: mtimes.length > 0 ? Math.round(Math.min(...mtimes)) : null,
      endTime: mtimes.length > 0 ? Math.round(Math.max(...mtimes)) : null,
      deleted: false,
      parentId: null,
      user: null,
      path: dir,
      artifactUri: null,
    },
    params,
    tags: {},
    metrics: encodeMetrics(series),
    metricsComplete: true,
    artifacts,
    state: { f } satisfies RunState,
    diagnostics: diags,
  };
  ctx.sink.run(update);
  return { presentExperimentIds: [], presentRunIds: ['.'], diagnostics: [], state: undefined };
}

export const plainAdapter: SourceAdapter = {
  kind: KIND,
  label: 'metrics.json / params next to a model',
  detect,
  read,
};
