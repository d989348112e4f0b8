// `manifest.json`, the table of contents of a deployment package: what the model is, where it came
// from (run, params, metrics, git, data lineage), and every other file of the zip with its SHA-256
// and size, so that `verify` and `restore` can prove each byte.
import { version as packageJsonVersion } from '../../../package.json';

export const MANIFEST_NAME = 'manifest.json';
export const MODEL_CARD_NAME = 'MODEL_CARD.md';
/** Model files, the MLmodel file and environment files live under this folder: an MLflow model directory. */
export const MODEL_DIR = 'model';
export const MANIFEST_FORMAT = 'mlcycle-package';
export const MANIFEST_VERSION = 1;
export const TOOL = { name: 'mlcycle', version: packageJsonVersion } as const;

export type FileRole = 'model' | 'mlmodel' | 'code' | 'environment' | 'resource' | 'model-card';

export interface ManifestFile {
  /** Path inside the zip, '/' separated. */
  path: string;
  sha256: string;
  size: number;
  role: FileRole;
}

export interface ManifestMetric {
  last: number | string | null;
  min: number | string | null;
  max: number | string | null;
  step: number;
  count: number;
}

export interface ManifestLineageInput {
  kind: string;
  name: string | null;
  /** The dataset's digest as the tracking tool recorded it (MLflow: a short content hash). */
  digest: string | null;
  source: string | null;
  sourceType: string | null;
  context: string | null;
}

export interface ManifestLineageEdge {
  from: { kind: string; key: string; hash: string | null };
  to: { kind: string; key: string; hash: string | null };
  relation: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  model: string;
  version: number;
  stage: string;
  description: string | null;
  aliases: string[];
  created: string;
  tool: { name: string; version: string };
  registered: { time: string; by: string | null; sourcePath: string | null; digest: string; bytes: number };
  run: { source: string; id: string; name: string | null } | null;
  git: { commit: string | null; remote: string | null; branch: string | null; dirty: boolean | null };
  params: Record<string, string>;
  metrics: Record<string, ManifestMetric>;
  lineage: { inputs: ManifestLineageInput[]; edges: ManifestLineageEdge[] };
  mlflow: {
    /** The MLflow model directory inside the zip (`model`), or null when there is no MLmodel. */
    modelDir: string | null;
    /** `copied` from the registered files, `generated` by MLCycle, or null. */
    mlmodel: 'copied' | 'generated' | null;
    flavors: string[];
    signature: Record<string, unknown> | null;
    inputExample: { path: string; type: string | null; value: unknown } | null;
  };
  environment: string[];
  resources: { glob: string; files: string[] }[];
  warnings: string[];
  files: ManifestFile[];
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Why `value` is not a manifest this version can check, or undefined when it is. */
export function invalidManifest(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'manifest.json is not a JSON object';
  const m = value as Partial<Manifest>;
  if (m.format !== MANIFEST_FORMAT) return `manifest.json is not an MLCycle package manifest (format ${JSON.stringify(m.format)})`;
  if (typeof m.formatVersion !== 'number' || m.formatVersion > MANIFEST_VERSION) {
    return `manifest.json has format version ${String(m.formatVersion)}; this MLCycle reads up to ${MANIFEST_VERSION}`;
  }
  if (!Array.isArray(m.files)) return 'manifest.json has no files list';
  const seen = new Set<string>();
  for (const [i, f] of m.files.entries()) {
    const file = f as Partial<ManifestFile> | null;
    if (typeof file !== 'object' || file === null) return `manifest.json files[${i}] is not an object`;
    if (typeof file.path !== 'string' || file.path === '') return `manifest.json files[${i}] has no path`;
    if (typeof file.sha256 !== 'string' || !HEX64.test(file.sha256)) return `manifest.json lists ${file.path} with an invalid sha256`;
    if (typeof file.size !== 'number' || !Number.isSafeInteger(file.size) || file.size < 0) return `manifest.json lists ${file.path} with an invalid size`;
    if (file.path === MANIFEST_NAME) return 'manifest.json lists itself';
    if (seen.has(file.path)) return `manifest.json lists ${file.path} twice`;
    seen.add(file.path);
  }
  return undefined;
}

/** The manifest as written into the zip: stable key order, two-space indent, final newline. */
export function manifestText(m: Manifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}
