// The deployment resources of a model: inference code, requirements, configuration, a Dockerfile.
// Declared as globs relative to the workspace folder, in `mlcycle.yaml` at its root:
//
//   models:
//     churn:
//       resources: ["serve/*.py", "requirements.txt", "Dockerfile", "!serve/test_*.py"]
//
// or passed by the caller (the extension's settings). A glob starting with "!" excludes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { isInside, toStorePath } from '../util/paths';
import { isMapping, parseYamlText } from '../util/yamlFlat';

export const CONFIG_FILES = ['mlcycle.yaml', 'mlcycle.yml'];

export class PackageConfigError extends Error {}

export interface ResourceFile {
  /** Path relative to the workspace, '/' separated: also its path in the package. */
  rel: string;
  abs: string;
  size: number;
  executable: boolean;
}

export interface ExpandedResources {
  matches: { glob: string; files: ResourceFile[] }[];
  /** Globs that matched no file. */
  missing: string[];
}

/** Folders never searched for resources: version control, dependencies, MLCycle's own store. */
const SKIPPED = new Set(['.git', '.hg', '.svn', 'node_modules', '.mlcycle', '__pycache__']);

/** The resource globs `mlcycle.yaml` declares for a model (none when there is no file). */
export function declaredResources(workspace: string, model: string): { globs: string[]; file: string | null } {
  for (const name of CONFIG_FILES) {
    const file = path.join(workspace, name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const { value, error } = parseYamlText(text);
    if (error) throw new PackageConfigError(`${name}${error.line ? `:${error.line}` : ''}: invalid YAML: ${error.message}`);
    if (value === null || value === undefined) return { globs: [], file };
    const models = isMapping(value) ? value['models'] : undefined;
    if (models === undefined || models === null) return { globs: [], file };
    if (!isMapping(models)) throw new PackageConfigError(`${name}: "models" must map model names to their settings`);
    const entry = models[model];
    if (entry === undefined || entry === null) return { globs: [], file };
    const resources = isMapping(entry) ? entry['resources'] : undefined;
    if (resources === undefined || resources === null) return { globs: [], file };
    if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string' || r.trim() === '')) {
      throw new PackageConfigError(`${name}: models.${model}.resources must be a list of globs (strings)`);
    }
    return { globs: resources as string[], file };
  }
  return { globs: [], file: null };
}

/** Why a glob is refused, or undefined. */
function badGlob(glob: string): string | undefined {
  const g = glob.startsWith('!') ? glob.slice(1) : glob;
  if (g.includes('\\')) return `resource glob "${glob}" uses backslashes: write paths with "/"`;
  if (path.isAbsolute(g) || /^[A-Za-z]:/.test(g)) return `resource glob "${glob}" is absolute: write it relative to the workspace folder`;
  if (g.split('/').includes('..')) return `resource glob "${glob}" leaves the workspace folder`;
  return undefined;
}

/**
 * Finds the files of each glob. Only the glob's fixed base folder is searched, and no deeper than
 * the glob can reach, so "*.txt" never walks a folder of 10,000 runs.
 */
export function expandResources(workspace: string, globs: readonly string[]): ExpandedResources {
  const realWorkspace = fs.realpathSync(workspace);
  const include = globs.filter((g) => !g.startsWith('!'));
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1));
  for (const g of globs) {
    const bad = badGlob(g);
    if (bad) throw new PackageConfigError(bad);
  }
  const excluded = exclude.length > 0 ? picomatch(exclude) : () => false;
  const out: ExpandedResources = { matches: [], missing: [] };
  for (const glob of include) {
    const clean = glob.replace(/^\.\//, '');
    const scan = picomatch.scan(clean);
    const files = new Map<string, ResourceFile>();
    const add = (abs: string): void => {
      const rel = toStorePath(workspace, abs);
      if (excluded(rel) || files.has(rel)) return;
      const file = resourceFile(abs, rel, realWorkspace);
      if (file) files.set(rel, file);
    };
    if (!scan.isGlob) {
      const abs = path.join(workspace, ...clean.split('/').filter(Boolean));
      const st = statOrUndefined(abs);
      if (st?.isDirectory()) walk(abs, Infinity, () => true, add);
      else if (st) add(abs);
    } else {
      const base = path.join(workspace, ...scan.base.split('/').filter(Boolean));
      const depth = clean.includes('**') ? Infinity : scan.glob.split('/').length;
      const isMatch = picomatch(clean);
      if (statOrUndefined(base)?.isDirectory()) walk(base, depth, (abs) => isMatch(toStorePath(workspace, abs)), add);
    }
    const list = [...files.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    if (list.length === 0) out.missing.push(glob);
    out.matches.push({ glob, files: list });
  }
  return out;
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function walk(dir: string, depth: number, match: (abs: string) => boolean, add: (abs: string) => void): void {
  if (depth <= 0) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    // Folders are not followed through links (no loops); linked files are, and checked below.
    if (e.isDirectory()) {
      if (!SKIPPED.has(e.name)) walk(abs, depth - 1, match, add);
    } else if ((e.isFile() || e.isSymbolicLink()) && match(abs)) add(abs);
  }
}

/** A regular file inside the workspace (links resolved and checked), or undefined. */
function resourceFile(abs: string, rel: string, realWorkspace: string): ResourceFile | undefined {
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    throw new PackageConfigError(`resource ${rel} is a broken symbolic link`);
  }
  if (!isInside(realWorkspace, real)) throw new PackageConfigError(`resource ${rel} resolves to ${real}, outside the workspace folder`);
  const st = fs.statSync(real);
  if (!st.isFile()) return undefined;
  return { rel, abs: real, size: st.size, executable: (st.mode & 0o111) !== 0 };
}
