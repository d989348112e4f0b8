// MLflow's `MLmodel` file (FORMATS.md §1.10): read from a registered MLflow model (flavors,
// signature, input example), or written for a plain scikit-learn pickle or joblib file so that
// `mlflow.pyfunc.load_model(<package>/model)` can load it.
//
// How MLflow loads what we write (mlflow/pyfunc/__init__.py `load_model`, mlflow/sklearn):
// - python_function: the `code` folder (if any) goes on sys.path, then
//   `importlib.import_module(loader_module)._load_pyfunc(data_path)` where data_path is
//   `<model dir>/<data>` when `data` is set, else the model dir itself.
// - mlflow.sklearn's `_load_pyfunc(model_dir)` reads `model_path` from python_function and
//   `serialization_format` (pickle or cloudpickle; skops since 3.x) from the sklearn flavor, then
//   `pickle.load`s the file. So a plain pickle gets both flavors with serialization_format pickle.
// - A joblib file is not a plain pickle (joblib.dump writes numpy arrays after the pickle
//   stream; pickle.load fails on them), and the sklearn flavor knows no joblib format. It gets the
//   python_function flavor only, with a four-line loader module in `code/` that calls
//   joblib.load (joblib ships with scikit-learn). Declaring the sklearn flavor for it would make
//   `mlflow.sklearn.load_model` fail, so it is left out.
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { isMapping, parseYamlText } from '../util/yamlFlat';

export const MLMODEL = 'MLmodel';
export const JOBLIB_LOADER_MODULE = 'mlcycle_joblib_loader';
export const ENV_FILES = ['requirements.txt', 'conda.yaml', 'python_env.yaml'] as const;

export interface MLmodelInfo {
  flavors: string[];
  signature: Record<string, unknown> | null;
  inputExample: { path: string; type: string | null } | null;
  runId: string | null;
}

/** What a registered MLflow model's MLmodel says; throws on unreadable YAML. */
export function readMLmodel(text: string): MLmodelInfo {
  const { value, error } = parseYamlText(text);
  if (error) throw new Error(`MLmodel${error.line ? `:${error.line}` : ''}: invalid YAML: ${error.message}`);
  const map = isMapping(value) ? value : {};
  const flavors = isMapping(map['flavors']) ? Object.keys(map['flavors']).sort() : [];
  let signature: Record<string, unknown> | null = null;
  const sig = map['signature'];
  if (isMapping(sig)) {
    // MLflow stores the schemas as JSON strings inside the YAML; the manifest keeps them parsed.
    signature = {};
    for (const [k, v] of Object.entries(sig)) signature[k] = typeof v === 'string' ? parseJsonOr(v) : v;
  }
  let inputExample: MLmodelInfo['inputExample'] = null;
  const ex = map['saved_input_example_info'];
  if (isMapping(ex) && typeof ex['artifact_path'] === 'string') {
    inputExample = { path: ex['artifact_path'], type: typeof ex['type'] === 'string' ? ex['type'] : null };
  }
  return { flavors, signature, inputExample, runId: typeof map['run_id'] === 'string' ? map['run_id'] : null };
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export type PickleFormat = 'pickle' | 'cloudpickle' | 'joblib';

/**
 * Tells a scikit-learn pickle or joblib file from its first bytes: a pickle stream (protocol 2+
 * starts with 0x80) naming `sklearn.` classes. joblib marks its numpy arrays with
 * `NumpyArrayWrapper`; cloudpickle references its own module. Compressed joblib files cannot be
 * looked into: undefined (no MLmodel is generated for them).
 */
export function sniffPickle(head: Buffer, fileName: string): { format: PickleFormat; sklearn: boolean } | undefined {
  if (head.length < 2 || head[0] !== 0x80 || head[1]! < 2 || head[1]! > 5) return undefined;
  const text = head.toString('latin1');
  const sklearn = text.includes('sklearn.');
  const joblib = text.includes('NumpyArrayWrapper') || text.includes('joblib.numpy_pickle') || /\.joblib$/i.test(fileName);
  const cloudpickle = text.includes('cloudpickle');
  return { format: joblib ? 'joblib' : cloudpickle ? 'cloudpickle' : 'pickle', sklearn };
}

/** scikit-learn and Python versions named by environment files, when they pin them. */
export function environmentVersions(texts: Partial<Record<(typeof ENV_FILES)[number], string>>): { sklearn: string | null; python: string | null } {
  let sklearn: string | null = null;
  let python: string | null = null;
  const req = texts['requirements.txt'];
  if (req) sklearn = /^\s*(?:scikit-learn|sklearn)\s*==\s*([0-9][\w.+-]*)/im.exec(req)?.[1] ?? null;
  const conda = texts['conda.yaml'];
  if (conda) {
    sklearn ??= /^\s*-\s*(?:scikit-learn|sklearn)\s*==?\s*([0-9][\w.+-]*)/im.exec(conda)?.[1] ?? null;
    python = /^\s*-\s*python\s*==?\s*([0-9][\w.]*)/im.exec(conda)?.[1] ?? null;
  }
  const env = texts['python_env.yaml'];
  if (env) {
    python = /^python:\s*['"]?([0-9][\w.]*)/im.exec(env)?.[1] ?? python;
    sklearn ??= /^\s*-\s*(?:scikit-learn|sklearn)\s*==\s*([0-9][\w.+-]*)/im.exec(env)?.[1] ?? null;
  }
  return { sklearn, python };
}

export interface GenerateRequest {
  /** The model file's path inside the MLflow model folder. */
  modelFile: string;
  format: PickleFormat;
  /** Environment files present next to MLmodel. */
  env: readonly string[];
  sklearnVersion: string | null;
  pythonVersion: string | null;
  modelSizeBytes: number;
  created: Date;
  /** Seeds a stable model_uuid (the same version gets the same uuid). */
  identity: string;
  metadata: Record<string, string | number>;
}

/** Python's `str(datetime)` in UTC, as MLflow writes utc_time_created. */
function pythonUtc(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '').replace(/\.(\d{3})$/, '.$1000');
}

export function generateMLmodel(req: GenerateRequest): string {
  const env: Record<string, string> = {};
  if (req.env.includes('conda.yaml')) env['conda'] = 'conda.yaml';
  if (req.env.includes('python_env.yaml')) env['virtualenv'] = 'python_env.yaml';
  const pyfunc: Record<string, unknown> = {};
  const flavors: Record<string, unknown> = { python_function: pyfunc };
  if (req.format === 'joblib') {
    pyfunc['code'] = 'code';
    pyfunc['data'] = req.modelFile;
    if (Object.keys(env).length > 0) pyfunc['env'] = env;
    pyfunc['loader_module'] = JOBLIB_LOADER_MODULE;
  } else {
    if (Object.keys(env).length > 0) pyfunc['env'] = env;
    pyfunc['loader_module'] = 'mlflow.sklearn';
    pyfunc['model_path'] = req.modelFile;
    pyfunc['predict_fn'] = 'predict';
    flavors['sklearn'] = {
      code: null,
      pickled_model: req.modelFile,
      serialization_format: req.format,
      ...(req.sklearnVersion ? { sklearn_version: req.sklearnVersion } : {}),
    };
  }
  if (req.pythonVersion) pyfunc['python_version'] = req.pythonVersion;
  const doc = {
    artifact_path: 'model',
    flavors,
    metadata: req.metadata,
    model_size_bytes: req.modelSizeBytes,
    model_uuid: createHash('sha256').update(req.identity).digest('hex').slice(0, 32),
    utc_time_created: pythonUtc(req.created),
  };
  // Keys sorted, block style and YAML 1.1 quoting, as PyYAML's safe_dump writes MLmodel files:
  // PyYAML reads YAML 1.1, where an unquoted `2026-01-01 10:00:00` is a datetime and `3.10` a float.
  return stringify(doc, { version: '1.1', sortMapEntries: true, lineWidth: 0, singleQuote: true });
}

/** The loader module of a joblib model (see the top of this file). */
export const JOBLIB_LOADER = `"""Generated by MLCycle: loads a scikit-learn model saved with joblib as an MLflow python_function.

MLflow's sklearn flavor reads pickle and cloudpickle files; joblib.dump stores numpy arrays after
the pickle stream, which only joblib.load reads. joblib ships with scikit-learn.
"""
import joblib


class _JoblibModelWrapper:
    def __init__(self, model):
        self.sklearn_model = model

    def get_raw_model(self):
        return self.sklearn_model

    def predict(self, data, params=None):
        return self.sklearn_model.predict(data)


def _load_pyfunc(path, model_config=None):
    return _JoblibModelWrapper(joblib.load(path))
`;
