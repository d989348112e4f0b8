// A git repository's GTO tags as a read-only model registry (no runs): what a team shares through
// its git server, seen after a `git fetch --tags`. Tags written by MLCycle (git_tags in the policy)
// and by GTO itself are read alike; src/core/registry/gitTags.ts has the format and the rules.
//
// The source is the repository's `.git` (stored as `.git`, `sub/.git`), not its working tree: the
// store keeps one source per path, and the working tree is often a source already (a DVC project).
//
// Discovery only stats and lists files (`.git/packed-refs`, `.git/refs/tags`), and a repository
// becomes a source only when a tag name there matches GTO's pattern, so an ordinary repository adds
// nothing. Reading starts one git process (`for-each-ref`), and only when the tags' files changed
// since the last read. In an untrusted workspace (`ctx.git` not true) no git process is started.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGtoRegistry, GTO_TAG_RE, readGitTags, type GtoModelView } from '../../registry/gitTags';
import type { Detection, DetectedRoot, DirectoryView, ReadContext, SourceAdapter, SourceModelData, SourceModelVersionData, SourceReadResult } from '../types';

export const GTO_KIND = 'gto';

interface GtoState {
  /** Sizes and times of the files holding tags: unchanged means the tags are unchanged. */
  fp: string;
  /** Hash of git's listing of the tags, from the last read. */
  hash: string;
}

/** Packed refs bigger than this are not searched during discovery: the repository is taken. */
const MAX_PACKED_REFS = 16 * 1024 * 1024;

/** The folder holding a repository's refs: `.git`, or for a worktree or submodule its common dir. */
export function commonGitDir(marker: string): string | null {
  try {
    const st = fs.statSync(marker);
    if (st.isDirectory()) return fs.existsSync(path.join(marker, 'HEAD')) ? marker : null;
    if (!st.isFile()) return null;
    const first = fs.readFileSync(marker, 'utf8').split('\n')[0] ?? '';
    if (!first.startsWith('gitdir:')) return null;
    const gitdir = path.resolve(path.dirname(marker), first.slice('gitdir:'.length).trim());
    let common = gitdir;
    try {
      common = path.resolve(gitdir, fs.readFileSync(path.join(gitdir, 'commondir'), 'utf8').trim());
    } catch {
      // a submodule's gitdir holds its own refs
    }
    return fs.existsSync(path.join(common, 'HEAD')) ? common : null;
  } catch {
    return null;
  }
}

/** Names of loose tags (relative to refs/tags, '/' separated) and the folders holding them. */
function looseTags(common: string): { names: string[]; dirs: string[] } {
  const names: string[] = [];
  const dirs: string[] = [];
  const walk = (dir: string, prefix: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    dirs.push(dir);
    for (const e of entries) {
      if (e.isDirectory() && depth < 16) walk(path.join(dir, e.name), `${prefix}${e.name}/`, depth + 1);
      else if (e.isFile() && !e.name.endsWith('.lock')) names.push(prefix + e.name);
    }
  };
  walk(path.join(common, 'refs', 'tags'), '', 0);
  return { names, dirs };
}

/** Whether some tag name of the repository is a GTO tag (lightweight or not: git would be needed to tell). */
function mayHoldGtoTags(common: string): boolean {
  // The reftable backend keeps refs in binary tables: only git can list them.
  if (fs.existsSync(path.join(common, 'reftable'))) return true;
  if (looseTags(common).names.some((n) => GTO_TAG_RE.test(n))) return true;
  try {
    const file = path.join(common, 'packed-refs');
    if (fs.statSync(file).size > MAX_PACKED_REFS) return true;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const at = line.indexOf(' refs/tags/');
      if (at !== -1 && !line.startsWith('#') && !line.startsWith('^') && GTO_TAG_RE.test(line.slice(at + ' refs/tags/'.length).trimEnd())) return true;
    }
  } catch {
    // no packed refs
  }
  return false;
}

/** Changes whenever a tag is added, moved or removed: git writes tags by renaming files into place. */
function fingerprint(common: string): { fp: string; watch: string[] } {
  const parts: string[] = [];
  const stamp = (p: string): void => {
    try {
      const st = fs.statSync(p);
      parts.push(`${p}:${st.size}:${st.mtimeMs}`);
    } catch {
      parts.push(`${p}:-`);
    }
  };
  stamp(path.join(common, 'packed-refs'));
  stamp(path.join(common, 'reftable', 'tables.list'));
  const { dirs } = looseTags(common);
  for (const d of dirs) stamp(d);
  return { fp: parts.join('|'), watch: [common, ...dirs] };
}

function detect(view: DirectoryView): Detection | undefined {
  if (!view.dirs.includes('.git') && !view.files.includes('.git')) return undefined;
  const marker = path.join(view.path, '.git');
  const common = commonGitDir(marker);
  if (common === null || !mayHoldGtoTags(common)) return undefined;
  return { roots: [{ kind: GTO_KIND, path: marker }] };
}

/** The registry view as the store's read-only registries hold it (`source_models`, `source_model_versions`). */
export function toSourceRegistry(models: readonly GtoModelView[]): { models: SourceModelData[]; versions: SourceModelVersionData[] } {
  const out: { models: SourceModelData[]; versions: SourceModelVersionData[] } = { models: [], versions: [] };
  for (const m of models) {
    out.models.push({
      name: m.name,
      description: null,
      created: m.created,
      updated: m.updated,
      tags: m.deprecated
        ? {
            'gto.deprecated': 'true',
            ...(m.deprecated.tagger ? { 'gto.deprecated_by': m.deprecated.tagger } : {}),
            ...(m.deprecated.time !== null ? { 'gto.deprecated_at': new Date(m.deprecated.time).toISOString() } : {}),
          }
        : {},
      aliases: {},
    });
    for (const v of m.versions) {
      const tags: Record<string, string> = { 'gto.version': v.label, 'gto.commit': v.commit };
      if (v.registrationTag) tags['gto.tag'] = v.registrationTag;
      if (v.registeredBy) tags['gto.registered_by'] = v.registeredBy;
      if (v.stages.length > 0) tags['gto.stages'] = v.stages.join(',');
      tags['gto.history'] = JSON.stringify(
        v.events.map((e) => ({
          tag: e.tag,
          action: e.action,
          ...(e.stage ? { stage: e.stage } : {}),
          by: e.tagger,
          at: e.time === null ? null : new Date(e.time).toISOString(),
        })),
      );
      out.versions.push({
        modelName: m.name,
        version: v.number,
        stage: v.stage,
        status: v.deregistered ? 'deregistered' : m.deprecated ? 'deprecated' : v.registered ? 'registered' : 'unregistered',
        deleted: v.deregistered,
        runNativeId: null,
        modelId: null,
        sourceUri: null,
        storageLocation: null,
        description: null,
        created: v.created,
        updated: v.updated,
        tags,
        aliases: [],
      });
    }
  }
  return out;
}

async function read(root: DetectedRoot, ctx: ReadContext): Promise<SourceReadResult> {
  const empty = { presentExperimentIds: [], presentRunIds: [], diagnostics: [] };
  if (ctx.git !== true) {
    // Untrusted workspace: git is never started; whatever was read while trusted is dropped.
    ctx.sink.registry([], []);
    return { ...empty, watch: [], state: undefined };
  }
  const common = commonGitDir(root.path);
  if (common === null) return { ...empty, diagnostics: [{ severity: 'warning', file: root.path, message: 'not a git repository any more' }], watch: [], state: undefined };
  const { fp, watch } = fingerprint(common);
  const previous = ctx.sourceState as GtoState | undefined;
  if (!ctx.full && previous?.fp === fp) return { ...empty, watch, state: previous };
  const listed = await readGitTags(path.dirname(root.path));
  if ('error' in listed) {
    return { ...empty, diagnostics: [{ severity: 'warning', file: root.path, message: `cannot list the git tags: ${listed.error}` }], watch, state: undefined };
  }
  // Stamps that moved without the tags changing (git gc packing them, say): nothing to rewrite.
  if (ctx.full || previous?.hash !== listed.hash) {
    const registry = toSourceRegistry(buildGtoRegistry(listed.records));
    ctx.sink.registry(registry.models, registry.versions);
  }
  return { ...empty, watch, state: { fp, hash: listed.hash } satisfies GtoState };
}

export const gtoAdapter: SourceAdapter = {
  kind: GTO_KIND,
  label: 'git tags (GTO)',
  detect,
  read,
};
