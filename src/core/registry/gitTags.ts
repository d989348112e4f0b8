// Team sharing through git: registry actions written as annotated tags in GTO's format, and every
// GTO-format tag of a repository read back as a read-only registry. GTO (iterative/gto) keeps a
// model registry in git tags alone, so a team's git server becomes the shared registry and CI can
// deploy on a tag push. Its tags (gto/tag.py, gto/constants.py):
//
//   name@v1.2.3[#N]       register a version         name@v1.2.3![#N]   deregister it
//   name#stage[#N]        assign a stage              name#stage![#N]    unassign it
//   name@deprecated[#N]   deprecate the artifact      name@created[#N]   (parsed, never written)
//
// `#N` is a counter: 1 + the largest counter among the artifact's tags. `path/to:name` is written
// `path/to=name`. MLCycle writes `M@vN.0.0` on registration and `M#stage#K` on every stage change
// (the demotion of a superseded production version included), with GTO's default messages.
// Aliases are not tagged: GTO has no aliases, and a `M#champion#K` stage tag would make GTO treat
// the alias as a stage. The journal stays the truth: a tag or push that fails is reported, and the
// registry action stands.
//
// Security: git runs with fixed arguments (tag names checked against GTO's pattern, hashes checked
// as hex) and with the repository's programs switched off: no fsmonitor, no hooks (a ref update
// runs the reference-transaction hook, a push the pre-push hook), no tag signing program. Only a
// push talks to a remote; it never prompts (GIT_TERMINAL_PROMPT=0, no controlling terminal for
// ssh) and is killed after a timeout. Callers write tags only in trusted workspaces.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import type { JournalEvent } from './journal';

export type GitTagsMode = 'off' | 'local' | 'push';

export const GIT_TAGS_MODES: readonly GitTagsMode[] = ['off', 'local', 'push'];

export function isGitTagsMode(v: unknown): v is GitTagsMode {
  return typeof v === 'string' && (GIT_TAGS_MODES as readonly string[]).includes(v);
}

/** The mode in force: `MLCYCLE_GIT_TAGS` when it names one, else the team's policy, else off. */
export function resolveGitTagsMode(fromPolicy: GitTagsMode | undefined, env: NodeJS.ProcessEnv = process.env): GitTagsMode {
  const fromEnv = env['MLCYCLE_GIT_TAGS']?.trim().toLowerCase();
  if (isGitTagsMode(fromEnv)) return fromEnv;
  return fromPolicy ?? 'off';
}

// ---- GTO's names -------------------------------------------------------------------------------

// gto/constants.py, translated to JavaScript (character classes reordered so `-` is literal).
const NAME = '[a-zA-Z0-9](?:[a-zA-Z0-9_/-]*[a-zA-Z0-9])?';
const DIRNAME = '[a-zA-Z0-9_./-]+';
const SEMVER =
  '(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)' +
  '(?:-(?:(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?' +
  '(?:\\+(?:[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?';
const FULLNAME_IN_TAG = `(?:${DIRNAME}=)?${NAME}`;

/** GTO's `tag_re`: every tag GTO writes or reads. */
export const GTO_TAG_RE = new RegExp(
  `^(?<artifact>${FULLNAME_IN_TAG})(?:(?:#(?<stage>${NAME})|@(?<version>v${SEMVER}))(?<cancel>!?)|@(?:(?<deprecated>deprecated)|(?<created>created)))(?:#(?<counter>[0-9]+))?$`,
);
const FULLNAME_RE = new RegExp(`^(?:${DIRNAME}:)?${NAME}$`);
const STAGE_RE = new RegExp(`^${NAME}$`);
const SEMVER_RE = new RegExp(`^v${SEMVER}$`);

export type GtoAction = 'register' | 'deregister' | 'assign' | 'unassign' | 'deprecate' | 'create';

export interface ParsedGtoTag {
  tag: string;
  /** The artifact's name as GTO shows it (`=` in the tag read back as `:`). */
  artifact: string;
  action: GtoAction;
  version: string | null;
  stage: string | null;
  counter: number | null;
}

/** Parses a tag name the way GTO's `parse_name` does; null when it is not a GTO tag. */
export function parseGtoTag(tag: string): ParsedGtoTag | null {
  const m = GTO_TAG_RE.exec(tag);
  const g = m?.groups;
  if (!g) return null;
  const cancel = g['cancel'] === '!';
  const action: GtoAction = g['deprecated']
    ? 'deprecate'
    : g['created']
      ? 'create'
      : g['version']
        ? cancel
          ? 'deregister'
          : 'register'
        : cancel
          ? 'unassign'
          : 'assign';
  return {
    tag,
    artifact: (g['artifact'] ?? '').replace(/=/g, ':'),
    action,
    version: g['version'] ?? null,
    stage: g['stage'] ?? null,
    counter: g['counter'] === undefined ? null : Number(g['counter']),
  };
}

/**
 * Why a model name cannot be a GTO artifact, or undefined when it can. MLCycle allows `.` in names
 * (`churn.v2`); GTO's name pattern does not, and a renamed tag (`churn-v2`) would read back as
 * another model, so such a model gets no tags (reported, never silently).
 */
export function gtoNameProblem(model: string): string | undefined {
  if (FULLNAME_RE.test(model)) return undefined;
  return model.includes('.')
    ? `the model name "${model}" contains ".", which GTO's tag names do not allow: no git tag written (a name like "${model.replace(/\./g, '-')}" can be shared through git)`
    : `the model name "${model}" is not a valid GTO artifact name: no git tag written`;
}

/** MLCycle's integer versions as GTO's semver: N ↔ vN.0.0. */
export function gtoVersion(n: number): string {
  return `v${n}.0.0`;
}

/** The MLCycle version of a GTO version, when it is one MLCycle writes (vN.0.0); else null. */
export function mlcycleVersion(semver: string): number | null {
  const m = /^v([1-9]\d*)\.0\.0$/.exec(semver);
  return m ? Number(m[1]) : null;
}

function artifactInTag(model: string): string {
  return model.replace(/:/g, '=');
}

export function registerTagName(model: string, version: number): string {
  return `${artifactInTag(model)}@${gtoVersion(version)}`;
}

export function stageTagName(model: string, stage: string, counter: number): string {
  return `${artifactInTag(model)}#${stage}#${counter}`;
}

/** GTO's counter rule: 1 + the largest counter among the artifact's tags (0 when none has one). */
export function nextCounter(model: string, tagNames: Iterable<string>): number {
  let max = 0;
  for (const t of tagNames) {
    const p = parseGtoTag(t);
    if (p && p.artifact === model && p.counter !== null && p.counter > max) max = p.counter;
  }
  return max + 1;
}

/** GTO's default messages (gto/registry.py). */
export function registerMessage(model: string, version: number): string {
  return `Registering artifact ${model} version ${gtoVersion(version)}`;
}

export function assignMessage(model: string, stage: string, version: number): string {
  return `Assigning stage ${stage} to artifact ${model} version ${gtoVersion(version)}`;
}

// ---- running git -------------------------------------------------------------------------------

/** Switches off what a repository's config could make git run: fsmonitor, hooks, a signing program. */
const SAFE_CONFIG = ['-c', 'core.fsmonitor=false', '-c', `core.hooksPath=${os.devNull}`, '-c', 'tag.gpgSign=false', '--no-optional-locks'];

/** Variables that point git at another repository (set when running inside a git hook, say). */
const REDIRECTING_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_PREFIX'];

export interface GitRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why git did not run or finish (missing binary, timeout). */
  error?: string;
}

export interface GitRunOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  binary?: string;
}

/** Runs git with the safe settings; never throws, never prompts. */
export function runGit(cwd: string, args: readonly string[], options: GitRunOptions = {}): Promise<GitRunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env };
  for (const k of REDIRECTING_ENV) delete env[k];
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const done = (r: GitRunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(options.binary ?? 'git', [...SAFE_CONFIG, ...args], {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        // Its own session on POSIX: no controlling terminal, so ssh fails instead of asking for a
        // passphrase or a host key, and the whole group can be killed on timeout.
        detached: process.platform !== 'win32',
      });
    } catch (e) {
      resolve({ code: null, stdout: '', stderr: '', error: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
      done({ code: null, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), error: `timed out after ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s` });
    }, options.timeoutMs ?? 30_000);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => done({ code: null, stdout: '', stderr: Buffer.concat(err).toString('utf8'), error: e.message }));
    child.on('close', (code) => done({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function failure(r: GitRunResult): string {
  if (r.error) return r.error;
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^hint:/i.test(l));
  return lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines[0] ?? `git exited with code ${String(r.code)}`;
}

// ---- writing -----------------------------------------------------------------------------------

export interface WrittenTag {
  name: string;
  commit: string;
  message: string;
}

export interface GitTagsReport {
  mode: 'local' | 'push';
  /** Tags created, in the order written. */
  tags: WrittenTag[];
  /** In push mode, when tags were written: the remote and whether they reached it. */
  push: { remote: string; ok: boolean } | null;
  /** What could not be done; the registry action stands regardless (the journal is the truth). */
  warnings: string[];
}

export interface GitTagContext {
  mode: GitTagsMode;
  /** The commit a version's run started from (for a version whose registration was never tagged). */
  versionCommit: (model: string, version: number) => string | null;
}

/** Writes the tags of journal events; null when tags are off or no event calls for one. */
export type GitTagger = (events: readonly JournalEvent[], ctx: GitTagContext) => Promise<GitTagsReport | null>;

export interface GitTaggerOptions {
  /** Remote that `push` mode pushes to. Default `origin`. */
  remote?: string;
  /** A push silent for this long is killed (its tags stay local, reported). Default 60 s. */
  pushTimeoutMs?: number;
  /** Local git commands. Default 30 s. */
  timeoutMs?: number;
  binary?: string;
}

const HEX = /^[0-9a-f]{7,64}$/i;

/** `Name <email>` → the tagger git records, so tags name whoever acted, as the journal does. */
function taggerEnv(actor: string): Record<string, string> {
  const m = /^(.*?)\s*<([^<>]*)>\s*$/.exec(actor);
  const name = (m ? m[1] : actor)?.trim() ?? '';
  const email = m?.[2]?.trim() ?? '';
  const env: Record<string, string> = {};
  // git refuses some characters in identities; fall back to its own configuration then.
  if (name !== '' && !/[<>\n]/.test(name)) env['GIT_COMMITTER_NAME'] = name;
  if (email !== '' && !/[<>\n]/.test(email)) env['GIT_COMMITTER_EMAIL'] = email;
  return env;
}

export function createGitTagger(folder: string, options: GitTaggerOptions = {}): GitTagger {
  const remote = options.remote ?? 'origin';
  const run = (args: string[], extra: GitRunOptions = {}): Promise<GitRunResult> =>
    runGit(folder, args, { timeoutMs: options.timeoutMs ?? 30_000, ...(options.binary ? { binary: options.binary } : {}), ...extra });

  return async (events, ctx) => {
    if (ctx.mode === 'off') return null;
    const wanted = events.filter((e) => (e.type === 'register' || (e.type === 'stage' && typeof e.data['to'] === 'string')) && typeof e.version === 'number');
    if (wanted.length === 0) return null;
    const report: GitTagsReport = { mode: ctx.mode, tags: [], push: null, warnings: [] };
    const warnOnce = (w: string): void => {
      if (!report.warnings.includes(w)) report.warnings.push(w);
    };

    const inside = await run(['rev-parse', '--is-inside-work-tree']);
    if (inside.error !== undefined) {
      report.warnings.push(`no git tags written: git could not run (${inside.error})`);
      return report;
    }
    if (inside.code !== 0 || inside.stdout.trim() !== 'true') {
      report.warnings.push(`no git tags written: ${folder} is not in a git working tree (${failure(inside)})`);
      return report;
    }

    /** Tag name → the commit it points at (peeled). */
    let tags = new Map<string, string>();
    const loadTags = async (): Promise<boolean> => {
      const r = await run(['for-each-ref', '--format=%(refname)%00%(objectname)%00%(*objectname)', 'refs/tags']);
      if (r.code !== 0) {
        warnOnce(`no git tags written: cannot list the repository's tags (${failure(r)})`);
        return false;
      }
      tags = new Map();
      for (const line of r.stdout.split('\n')) {
        const [ref = '', object = '', peeled = ''] = line.split('\0');
        if (ref.startsWith('refs/tags/')) tags.set(ref.slice('refs/tags/'.length), peeled || object);
      }
      return true;
    };
    if (!(await loadTags())) return report;

    const resolveCommit = async (rev: string): Promise<string | null> => {
      const r = await run(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
      const out = r.stdout.trim();
      return r.code === 0 && /^[0-9a-f]{40,64}$/.test(out) ? out : null;
    };
    /** The registration tag of a version: `M@vN.0.0`, or GTO's `M@vN.0.0#K`. */
    const registration = (model: string, version: number): { name: string; commit: string } | null => {
      const plain = registerTagName(model, version);
      const direct = tags.get(plain);
      if (direct !== undefined) return { name: plain, commit: direct };
      for (const [name, commit] of tags) {
        const p = parseGtoTag(name);
        if (p && p.artifact === model && p.action === 'register' && p.version === gtoVersion(version)) return { name, commit };
      }
      return null;
    };
    /** Another version of the model registered on this commit: GTO tells versions apart by commit. */
    const holderOf = (model: string, commit: string): string | null => {
      for (const [name, c] of tags) {
        if (c !== commit) continue;
        const p = parseGtoTag(name);
        if (p && p.artifact === model && p.action === 'register') return name;
      }
      return null;
    };
    const createTag = async (name: string, commit: string, message: string, actor: string): Promise<{ ok: true } | { ok: false; exists: boolean; why: string }> => {
      const r = await run(['tag', '-a', '-m', message, name, commit], { env: taggerEnv(actor) });
      if (r.code === 0) {
        tags.set(name, commit);
        report.tags.push({ name, commit, message });
        return { ok: true };
      }
      return { ok: false, exists: /already exists/.test(r.stderr), why: failure(r) };
    };

    const tagRegistration = async (e: JournalEvent, model: string, version: number, commit: string): Promise<boolean> => {
      const name = registerTagName(model, version);
      const holder = holderOf(model, commit);
      if (holder !== null) {
        warnOnce(
          `not tagged ${name}: commit ${commit.slice(0, 7)} already carries ${holder}, and GTO tells the versions of a model apart by their commit (commit your changes between registrations to tag each version)`,
        );
        return false;
      }
      const made = await createTag(name, commit, registerMessage(model, version), e.actor);
      if (!made.ok) {
        if (made.exists) {
          await loadTags();
          const existing = tags.get(name);
          if (existing === commit) return true; // written by a concurrent writer: same tag, same commit
          warnOnce(`not tagged ${name}: the tag already exists on commit ${existing?.slice(0, 7) ?? '?'} (another clone registered v${version} of ${model}?)`);
        } else warnOnce(`tagging ${name} failed: ${made.why}`);
        return false;
      }
      return true;
    };

    for (const e of wanted) {
      const model = e.model;
      const version = e.version!;
      const bad = gtoNameProblem(model);
      if (bad) {
        warnOnce(bad);
        continue;
      }
      if (e.type === 'register') {
        const existing = registration(model, version);
        if (existing) {
          warnOnce(`not tagged ${registerTagName(model, version)}: ${existing.name} already exists on commit ${existing.commit.slice(0, 7)} (another clone registered v${version} of ${model}?)`);
          continue;
        }
        const recorded = e.data['gitCommit'];
        let commit = typeof recorded === 'string' && HEX.test(recorded) ? await resolveCommit(recorded) : null;
        commit ??= await resolveCommit('HEAD');
        if (commit === null) {
          warnOnce(`not tagged ${registerTagName(model, version)}: the repository has no commit yet`);
          continue;
        }
        await tagRegistration(e, model, version, commit);
        continue;
      }
      const stage = String(e.data['to']);
      if (!STAGE_RE.test(stage)) continue;
      let reg = registration(model, version);
      if (reg === null) {
        // Registered while tags were off: GTO's `assign` registers the version first; so do we,
        // on the commit its run started from. Without one, HEAD would be a guess: skip.
        const known = ctx.versionCommit(model, version);
        const commit = known !== null && HEX.test(known) ? await resolveCommit(known) : null;
        if (commit === null) {
          warnOnce(`not tagged ${model}#${stage}: v${version} of ${model} has no registration tag (registered while git tags were off) and no known commit`);
          continue;
        }
        if (!(await tagRegistration(e, model, version, commit))) continue;
        reg = registration(model, version);
        if (reg === null) continue;
      }
      // Another process may take the same counter between our listing and our tag: list again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const name = stageTagName(model, stage, nextCounter(model, tags.keys()));
        const made = await createTag(name, reg.commit, assignMessage(model, stage, version), e.actor);
        if (made.ok) break;
        if (!made.exists || attempt === 2 || !(await loadTags())) {
          warnOnce(`tagging ${name} failed: ${made.why}`);
          break;
        }
      }
    }

    if (ctx.mode === 'push' && report.tags.length > 0) {
      const refs = report.tags.map((t) => `refs/tags/${t.name}`);
      const r = await run(['push', '--no-verify', remote, ...refs], { timeoutMs: options.pushTimeoutMs ?? 60_000 });
      report.push = { remote, ok: r.code === 0 };
      if (r.code !== 0) {
        report.warnings.push(
          `pushing ${report.tags.map((t) => t.name).join(', ')} to ${remote} failed: ${failure(r)}. The tags are local; push them with: git push ${remote} ${report.tags.map((t) => t.name).join(' ')}`,
        );
      }
    }
    return report;
  };
}

/** One line for a terminal: `tagged a, b (pushed to origin)`; null when nothing was tagged. */
export function describeGitTags(report: GitTagsReport | null): string | null {
  if (!report || report.tags.length === 0) return null;
  const names = report.tags.map((t) => t.name).join(', ');
  return `tagged ${names}${report.push?.ok ? ` (pushed to ${report.push.remote})` : ''}`;
}

// ---- reading -----------------------------------------------------------------------------------

export interface GitTagRecord {
  /** Tag name (without refs/tags/). */
  name: string;
  annotated: boolean;
  /** The commit the tag points at (peeled); null when it points at something else. */
  commit: string | null;
  tagger: string | null;
  /** Tagger date, ms since the epoch. */
  time: number | null;
  message: string;
}

const FIELDS = ['%(refname)', '%(objecttype)', '%(objectname)', '%(*objectname)', '%(*objecttype)', '%(taggername)', '%(taggeremail)', '%(taggerdate:unix)', '%(contents:subject)'];
/** NUL between fields, \x01 before each record's newline (a subject may hold anything but NUL). */
const FOR_EACH_REF_FORMAT = FIELDS.join('%00') + '%01';

export function parseTagRecords(output: string): GitTagRecord[] {
  const out: GitTagRecord[] = [];
  for (const rec of output.split('\x01\n')) {
    const f = rec.replace(/^\n/, '').split('\0');
    if (f.length < FIELDS.length) continue;
    const [ref = '', type = '', object = '', peeled = '', peeledType = '', taggerName = '', taggerEmail = '', date = '', subject = ''] = f;
    if (!ref.startsWith('refs/tags/')) continue;
    const annotated = type === 'tag';
    const commit = annotated ? (peeledType === 'commit' ? peeled : null) : type === 'commit' ? object : null;
    const email = taggerEmail.replace(/^<|>$/g, '');
    out.push({
      name: ref.slice('refs/tags/'.length),
      annotated,
      commit,
      tagger: taggerName ? (email ? `${taggerName} <${email}>` : taggerName) : null,
      time: /^\d+$/.test(date) ? Number(date) * 1000 : null,
      message: subject,
    });
  }
  return out;
}

/** Every tag of the repository at `repo` with what GTO reads of it; one git process. */
export async function readGitTags(repo: string, options: GitRunOptions = {}): Promise<{ records: GitTagRecord[]; hash: string } | { error: string }> {
  const r = await runGit(repo, ['for-each-ref', `--format=${FOR_EACH_REF_FORMAT}`, 'refs/tags'], options);
  if (r.code !== 0) return { error: failure(r) };
  return { records: parseTagRecords(r.stdout), hash: createHash('sha1').update(r.stdout).digest('hex') };
}

export interface GtoEvent {
  tag: string;
  action: GtoAction;
  /** The version concerned (its label: `v1.2.3`, or the commit for a stage on an unregistered commit). */
  version: string | null;
  stage: string | null;
  counter: number | null;
  commit: string;
  time: number | null;
  tagger: string | null;
  message: string;
}

export interface GtoVersionView {
  /** As in the tag (`v1.2.3`); the commit hash for stages assigned to a commit no tag registers. */
  label: string;
  /** The MLCycle number: N of vN.0.0 when every version of the model is one, else its rank (1 = lowest). */
  number: number;
  commit: string;
  /** Its last registration event is a registration (false: deregistered, or never registered). */
  registered: boolean;
  deregistered: boolean;
  /** Current stage: of the stages it holds, the one assigned last; null when it holds none. */
  stage: string | null;
  /** Every stage it holds now. */
  stages: string[];
  created: number | null;
  updated: number | null;
  registeredBy: string | null;
  registrationTag: string | null;
  events: GtoEvent[];
}

export interface GtoModelView {
  name: string;
  /** The artifact's last event is its deprecation (a later event brings it back, as in GTO): that event. */
  deprecated: GtoEvent | null;
  created: number | null;
  updated: number | null;
  versions: GtoVersionView[];
  /** Every event of the artifact, oldest first. */
  events: GtoEvent[];
}

/**
 * MLCycle's end states hold any number of versions; GTO's stages (and MLCycle's others) hold one:
 * GTO shows one version per stage (VERSIONS_PER_STAGE = 1), `gto show --vs -1` all of them.
 */
const SHARED_STAGES = new Set(['decommissioned', 'archived']);

/** Later by counter when both have one, else by tagger date; then by name, so the order is total. */
function compareEvents(a: GtoEvent, b: GtoEvent): number {
  if (a.counter !== null && b.counter !== null && a.counter !== b.counter) return a.counter - b.counter;
  const ta = a.time ?? 0;
  const tb = b.time ?? 0;
  if (ta !== tb) return ta - tb;
  const ca = a.counter ?? -1;
  const cb = b.counter ?? -1;
  if (ca !== cb) return ca - cb;
  return a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0;
}

function semverParts(v: string): { nums: [number, number, number]; pre: string[] } | null {
  if (!SEMVER_RE.test(v)) return null;
  const core = v.slice(1).split('+')[0] ?? '';
  const dash = core.indexOf('-');
  const main = dash === -1 ? core : core.slice(0, dash);
  const pre = dash === -1 ? [] : core.slice(dash + 1).split('.');
  const [a = 0, b = 0, c = 0] = main.split('.').map(Number);
  return { nums: [a, b, c], pre };
}

/** Semver precedence; labels that are not semver (commits) sort after, alphabetically, as GTO sorts them. */
export function compareVersionLabels(a: string, b: string): number {
  const pa = semverParts(a);
  const pb = semverParts(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < 3; i++) if (pa.nums[i] !== pb.nums[i]) return pa.nums[i]! - pb.nums[i]!;
  if (pa.pre.length === 0 || pb.pre.length === 0) return pb.pre.length - pa.pre.length;
  for (let i = 0; i < Math.max(pa.pre.length, pb.pre.length); i++) {
    const x = pa.pre[i];
    const y = pb.pre[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The registry GTO's tags describe. Lightweight tags are left out, as GTO leaves them out. A stage
 * tag belongs to the version registered on its commit; when several are (tags written by hand),
 * the version named in its message decides, else the highest.
 */
export function buildGtoRegistry(records: readonly GitTagRecord[]): GtoModelView[] {
  const byArtifact = new Map<string, GtoEvent[]>();
  for (const r of records) {
    if (!r.annotated || r.commit === null) continue;
    const p = parseGtoTag(r.name);
    if (!p) continue;
    const list = byArtifact.get(p.artifact) ?? [];
    list.push({ tag: r.name, action: p.action, version: p.version, stage: p.stage, counter: p.counter, commit: r.commit, time: r.time, tagger: r.tagger, message: r.message });
    byArtifact.set(p.artifact, list);
  }
  const models: GtoModelView[] = [];
  for (const [name, raw] of byArtifact) {
    const events = [...raw].sort(compareEvents);
    const versions = new Map<string, { label: string; commit: string; events: GtoEvent[] }>();
    for (const e of events) {
      if ((e.action === 'register' || e.action === 'deregister') && e.version !== null) {
        const v = versions.get(e.version) ?? { label: e.version, commit: e.commit, events: [] };
        if (e.action === 'register' && !v.events.some((x) => x.action === 'register')) v.commit = e.commit;
        v.events.push(e);
        versions.set(e.version, v);
      }
    }
    for (const e of events) {
      if (e.action !== 'assign' && e.action !== 'unassign') continue;
      const onCommit = [...versions.values()].filter((v) => v.commit === e.commit && v.events.some((x) => x.action === 'register'));
      let target = onCommit.find((v) => new RegExp(`\\bversion '?${v.label.replace(/[.+]/g, '\\$&')}'?(\\s|$)`).test(e.message)) ?? onCommit.sort((a, b) => compareVersionLabels(b.label, a.label))[0];
      if (!target) {
        target = versions.get(e.commit) ?? { label: e.commit, commit: e.commit, events: [] };
        versions.set(e.commit, target);
      }
      target.events.push({ ...e, version: target.label });
    }

    const views: GtoVersionView[] = [];
    /** Per stage: the versions whose own last event for it is an assignment, with that event. */
    const active = new Map<string, { view: GtoVersionView; at: GtoEvent }[]>();
    for (const v of versions.values()) {
      v.events.sort(compareEvents);
      const direct = v.events.filter((e) => e.action === 'register' || e.action === 'deregister');
      const lastDirect = direct[direct.length - 1];
      const firstRegistration = direct.find((e) => e.action === 'register');
      const view: GtoVersionView = {
        label: v.label,
        number: 0,
        commit: v.commit,
        registered: lastDirect?.action === 'register',
        deregistered: lastDirect?.action === 'deregister',
        stage: null,
        stages: [],
        created: (firstRegistration ?? v.events[0])?.time ?? null,
        updated: v.events[v.events.length - 1]?.time ?? null,
        registeredBy: firstRegistration?.tagger ?? null,
        registrationTag: firstRegistration?.tag ?? null,
        events: v.events,
      };
      views.push(view);
      if (view.deregistered) continue; // GTO's stages list active versions only
      const lastByStage = new Map<string, GtoEvent>();
      for (const e of v.events) if (e.stage !== null) lastByStage.set(e.stage, e);
      for (const [stage, e] of lastByStage) {
        if (e.action !== 'assign') continue;
        const list = active.get(stage) ?? [];
        list.push({ view, at: e });
        active.set(stage, list);
      }
    }
    const held = new Map<GtoVersionView, GtoEvent[]>();
    for (const [stage, list] of active) {
      list.sort((a, b) => compareEvents(a.at, b.at));
      const holders = SHARED_STAGES.has(stage) ? list : list.slice(-1);
      for (const h of holders) held.set(h.view, [...(held.get(h.view) ?? []), h.at]);
    }
    for (const [view, at] of held) {
      at.sort(compareEvents);
      view.stages = at.map((e) => e.stage!);
      view.stage = at[at.length - 1]?.stage ?? null;
    }
    views.sort((a, b) => compareVersionLabels(a.label, b.label));
    const own = views.map((v) => mlcycleVersion(v.label));
    const mlcycleNumbers = own.every((n) => n !== null);
    views.forEach((v, i) => {
      v.number = mlcycleNumbers ? own[i]! : i + 1;
    });
    const lastEvent = events[events.length - 1];
    const times = events.map((e) => e.time).filter((t): t is number => t !== null);
    models.push({
      name,
      deprecated: lastEvent?.action === 'deprecate' ? lastEvent : null,
      created: times.length ? Math.min(...times) : null,
      updated: times.length ? Math.max(...times) : null,
      versions: views,
      events,
    });
  }
  return models.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
