// `mlcycle`: the same core as the extension, for terminals and CI.
// Exit codes: 0 success, 1 the command failed, 2 usage error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { buildTables, comparisonCsv } from '../core/compare/compare';
import type { ScanSummary } from '../core/ingest/engine';
import { findRuns, getRun, listDiagnostics, listRuns, listSourceModels, type RunSummary } from '../core/store/queries';
import { jsonNumber } from '../core/util/numbers';
import { FolderWatcher } from '../core/watch/folderWatcher';
import { Watcher } from '../core/watch/watcher';
import { Workspace } from '../core/workspace';
import { DECOMMISSION_REASONS, isStage, type DecommissionReason } from '../core/registry/names';
import { Cancelled } from '../core/registry/objects';
import { describeGitTags, type GitTagsReport } from '../core/registry/gitTags';
import { GateRefusal, RegistryError, type Registry, type VersionRow } from '../core/registry/registry';
import { PackageError } from '../core/package/build';
import { Packages } from '../core/package/packages';
import { PackageConfigError } from '../core/package/resources';
import { restorePackage, RestoreError } from '../core/package/restore';
import { describeMismatches, verifyPackage } from '../core/package/verify';
import { humanBytes, UnsafeZipError } from '../core/package/zipRead';
import { duration, formatNumber, isoTime, shortTime, table } from './format';

export const VERSION = '0.1.0';

export class UsageError extends Error {}
export class CommandError extends Error {}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  columns?: number;
}

interface CommandSpec {
  /** Most positional arguments accepted. */
  maxPositionals: number;
  summary: string;
  usage: string;
  details: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run: (args: ParsedArgs, io: Io) => Promise<void>;
}

interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  store: { type: 'string' },
} as const;

const STORE_HELP = '  --store FILE       database file (default: DIR/.mlcycle/mlcycle.db)\n  -h, --help         show this help';

function folderArg(args: ParsedArgs, io: Io, index: number): string {
  const dir = path.resolve(io.cwd, args.positionals[index] ?? '.');
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new CommandError(`folder not found: ${dir}`);
  }
  if (!st.isDirectory()) throw new CommandError(`not a folder: ${dir}`);
  return dir;
}

async function openWorkspace(dir: string, args: ParsedArgs, io: Io): Promise<Workspace> {
  const storePath = typeof args.values['store'] === 'string' ? path.resolve(io.cwd, args.values['store']) : undefined;
  return Workspace.open(dir, {
    ...(storePath ? { storePath } : {}),
    onNotice: (n) => io.err(`mlcycle: ${n.level}: ${n.message}`),
  });
}

function excludeArg(args: ParsedArgs): string[] | undefined {
  const v = args.values['exclude'];
  return Array.isArray(v) && v.length > 0 ? v : undefined;
}

async function withScan<T>(args: ParsedArgs, io: Io, dirIndex: number, fn: (ws: Workspace, summary: ScanSummary | undefined) => T | Promise<T>): Promise<T> {
  const dir = folderArg(args, io, dirIndex);
  const ws = await openWorkspace(dir, args, io);
  try {
    const exclude = excludeArg(args);
    const summary =
      args.values['scan'] === false
        ? undefined
        : await ws.ingestor.scan({ full: args.values['full'] === true, ...(exclude ? { exclude } : {}) });
    return await fn(ws, summary);
  } finally {
    ws.close();
  }
}

function runToJson(r: RunSummary): Record<string, unknown> {
  const metrics: Record<string, unknown> = {};
  for (const [k, m] of Object.entries(r.metrics)) {
    metrics[k] = { last: jsonNumber(m.last), min: jsonNumber(m.min), max: jsonNumber(m.max), lastStep: m.lastStep, count: m.count };
  }
  return {
    id: r.id,
    name: r.name,
    experiment: r.experiment,
    source: r.source,
    status: r.status,
    startTime: isoTime(r.startTime),
    endTime: isoTime(r.endTime),
    params: r.params,
    metrics,
    tags: r.tags,
    parentId: r.parentId,
    deleted: r.deleted,
    path: r.path,
    git: r.git,
  };
}

function keyMetrics(r: RunSummary, max = 3): string {
  return Object.entries(r.metrics)
    .slice(0, max)
    .map(([k, m]) => `${k}=${formatNumber(m.last)}`)
    .join(' ');
}

const commands: Record<string, CommandSpec> = {
  scan: {
    maxPositionals: 1,
    summary: 'find every experiment store under DIR and bring the store up to date',
    usage: 'mlcycle scan [DIR] [--full] [--exclude GLOB]... [--json]',
    details:
      '  --full             re-read every file, ignoring fingerprints\n' +
      '  --exclude GLOB     skip folders matching GLOB (relative to DIR; repeatable)\n' +
      '  --json             print the summary as JSON\n' +
      '  --all-diagnostics  list every diagnostic (default: the first 20)',
    options: {
      full: { type: 'boolean' },
      exclude: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'all-diagnostics': { type: 'boolean' },
    },
    run: async (args, io) => {
      await withScan(args, io, 0, (ws, summary) => {
        const diagnostics = ws.store.read((db) => listDiagnostics(db));
        const registries = ws.store.read((db) => listSourceModels(db));
        if (args.values['json']) {
          io.out(JSON.stringify({ folder: ws.folder, ...summary, registeredModels: registries.length, diagnostics }, null, 2));
          return;
        }
        const s = summary!;
        io.out(`Scanned ${ws.folder} in ${(s.durationMs / 1000).toFixed(2)} s: ${s.sources.length} source${s.sources.length === 1 ? '' : 's'} found.`);
        if (s.sources.length > 0) {
          io.out(
            table(
              [{ header: 'KIND' }, { header: 'SOURCE' }, { header: 'RUNS', align: 'right' }, { header: 'READ', align: 'right' }, { header: 'DIAGNOSTICS', align: 'right' }],
              s.sources.map((src) => [src.kind, src.path, String(src.runs), String(src.runsRead), String(src.diagnostics)]),
            ),
          );
        } else {
          io.out('No experiment outputs found (MLflow mlruns/ folders and mlflow.db files are read).');
        }
        if (registries.length > 0) {
          const versions = registries.reduce((n, m) => n + m.versions.length, 0);
          io.out(`Model registries: ${registries.length} registered model${registries.length === 1 ? '' : 's'}, ${versions} version${versions === 1 ? '' : 's'}.`);
        }
        if (diagnostics.length > 0) {
          const limit = args.values['all-diagnostics'] ? diagnostics.length : 20;
          io.out(`\n${diagnostics.length} diagnostic${diagnostics.length === 1 ? '' : 's'}:`);
          for (const d of diagnostics.slice(0, limit)) io.out(`  ${d.severity.padEnd(7)} ${d.file}${d.line ? `:${d.line}` : ''}  ${d.message}`);
          if (diagnostics.length > limit) io.out(`  … ${diagnostics.length - limit} more (--all-diagnostics lists them)`);
        }
      });
    },
  },
  runs: {
    maxPositionals: 1,
    summary: 'list the runs found under DIR, newest first',
    usage: 'mlcycle runs [DIR] [--json] [--deleted] [--no-scan]',
    details:
      '  --json             print an array of run objects\n' +
      '  --deleted          include runs deleted in their tool\n' +
      '  --no-scan          list what the store holds without scanning first',
    options: {
      json: { type: 'boolean' },
      deleted: { type: 'boolean' },
      scan: { type: 'boolean', default: true },
      'no-scan': { type: 'boolean' },
      exclude: { type: 'string', multiple: true },
    },
    run: async (args, io) => {
      if (args.values['no-scan']) args.values['scan'] = false;
      await withScan(args, io, 0, (ws) => {
        const runs = ws.store.read((db) => listRuns(db, { includeDeleted: args.values['deleted'] === true }));
        if (args.values['json']) {
          io.out(JSON.stringify(runs.map(runToJson), null, 2));
          return;
        }
        if (runs.length === 0) {
          io.out('No runs found.');
          return;
        }
        io.out(
          table(
            [
              { header: 'ID', max: 12 },
              { header: 'NAME', max: 28 },
              { header: 'EXPERIMENT', max: 20 },
              { header: 'STATUS' },
              { header: 'STARTED' },
              { header: 'TIME', align: 'right' },
              { header: 'METRICS', max: 60 },
            ],
            runs.map((r) => [
              r.id.slice(0, 12),
              r.name ?? '',
              r.experiment ?? '',
              r.deleted ? `${r.status} (deleted)` : r.status,
              shortTime(r.startTime),
              duration(r.startTime, r.endTime),
              keyMetrics(r),
            ]),
          ),
        );
        io.out(`${runs.length} run${runs.length === 1 ? '' : 's'}.`);
      });
    },
  },
  show: {
    maxPositionals: 2,
    summary: 'print one run with its params, tags, artifacts and full metric histories',
    usage: 'mlcycle show RUN_ID [DIR] [--json] [--no-scan]',
    details:
      '  RUN_ID             the run id, a prefix of at least 4 characters, or the run name\n' +
      '  --json             print the run as JSON, histories as {step, timestamp, value} points\n' +
      '  --no-scan          read the store without scanning first',
    options: { json: { type: 'boolean' }, scan: { type: 'boolean', default: true }, 'no-scan': { type: 'boolean' } },
    run: async (args, io) => {
      if (args.values['no-scan']) args.values['scan'] = false;
      const wanted = args.positionals[0];
      if (!wanted) throw new UsageError('show needs a RUN_ID');
      await withScan(args, io, 1, (ws) => {
        const matches = ws.store.read((db) => findRuns(db, wanted));
        if (matches.length === 0) throw new CommandError(`no run matches "${wanted}" under ${ws.folder}`);
        if (matches.length > 1) {
          throw new CommandError(
            `"${wanted}" matches ${matches.length} runs; give more of the id:\n` + matches.map((m) => `  ${m.id}  (${m.source})`).join('\n'),
          );
        }
        const run = ws.store.read((db) => getRun(db, matches[0]!.uid, ws.store.series))!;
        if (args.values['json']) {
          const base = runToJson(run);
          const metrics = base['metrics'] as Record<string, Record<string, unknown>>;
          for (const [k, h] of Object.entries(run.histories)) {
            const m = metrics[k];
            if (!m) continue;
            m['history'] = h.values.map((v, i) => ({ step: h.steps[i], timestamp: h.times ? isoTime(h.times[i]!) : null, value: jsonNumber(v) }));
          }
          io.out(JSON.stringify({ ...base, artifacts: run.artifacts, inputs: run.inputs, diagnostics: run.diagnostics }, null, 2));
          return;
        }
        const lines: string[] = [];
        lines.push(`Run ${run.id}${run.name ? `  "${run.name}"` : ''}`);
        lines.push(`  experiment  ${run.experiment ?? '-'}`);
        lines.push(`  source      ${run.source.kind}  ${run.source.path}`);
        lines.push(`  status      ${run.status}${run.deleted ? ' (deleted)' : ''}`);
        lines.push(`  started     ${isoTime(run.startTime) ?? '-'}`);
        lines.push(`  ended       ${isoTime(run.endTime) ?? '-'}${run.endTime ? `  (${duration(run.startTime, run.endTime)})` : ''}`);
        if (run.parentId) lines.push(`  parent      ${run.parentId}`);
        if (run.user) lines.push(`  user        ${run.user}`);
        if (run.git.commit) {
          lines.push(`  git commit  ${run.git.commit}${run.git.dirty ? ' (with uncommitted changes)' : ''}${run.git.branch ? `  on ${run.git.branch}` : ''}`);
          if (run.git.remote) lines.push(`  git remote  ${run.git.remote}`);
        }
        if (run.path) lines.push(`  folder      ${run.path}`);
        const section = (title: string, entries: [string, string][]): void => {
          if (entries.length === 0) return;
          lines.push('', `${title}:`);
          lines.push(table([{ header: 'KEY', max: 50 }, { header: 'VALUE', max: 100 }], entries).replace(/^/gm, '  '));
        };
        section('Params', Object.entries(run.params));
        const metricRows = Object.entries(run.metrics).map(([k, m]) => [
          k,
          formatNumber(m.last),
          formatNumber(m.min),
          formatNumber(m.max),
          String(m.lastStep),
          String(m.count),
        ]);
        if (metricRows.length > 0) {
          lines.push('', 'Metrics:');
          lines.push(
            table(
              [
                { header: 'KEY', max: 50 },
                { header: 'LAST', align: 'right' },
                { header: 'MIN', align: 'right' },
                { header: 'MAX', align: 'right' },
                { header: 'STEP', align: 'right' },
                { header: 'POINTS', align: 'right' },
              ],
              metricRows,
            ).replace(/^/gm, '  '),
          );
        }
        section('Tags', Object.entries(run.tags));
        if (run.artifacts.length > 0) {
          lines.push('', 'Artifacts:');
          for (const a of run.artifacts) lines.push(`  ${a.kind.padEnd(5)} ${a.path}${a.size !== null ? `  (${a.size} bytes)` : ''}`);
        }
        if (run.inputs.length > 0) {
          lines.push('', 'Inputs:');
          for (const i of run.inputs) lines.push(`  ${i.kind.padEnd(7)} ${i.name ?? i.refId}${i.digest ? `  digest ${i.digest}` : ''}${i.context ? `  (${i.context})` : ''}`);
        }
        for (const [k, h] of Object.entries(run.histories)) {
          lines.push('', `History of ${k} (${h.values.length} point${h.values.length === 1 ? '' : 's'}):`);
          lines.push(
            table(
              [{ header: 'STEP', align: 'right' }, { header: 'TIME' }, { header: 'VALUE', align: 'right' }],
              h.values.map((v, i) => [String(h.steps[i]), h.times ? (isoTime(h.times[i]!) ?? '') : '', formatNumber(v)]),
            ).replace(/^/gm, '  '),
          );
        }
        if (run.diagnostics.length > 0) {
          lines.push('', 'Diagnostics:');
          for (const d of run.diagnostics) lines.push(`  ${d.severity.padEnd(7)} ${d.file}${d.line ? `:${d.line}` : ''}  ${d.message}`);
        }
        io.out(lines.join('\n'));
      });
    },
  },
  compare: {
    maxPositionals: 100,
    summary: 'compare runs side by side: params that differ, each metric with the best run',
    usage: 'mlcycle compare RUN RUN... [--dir DIR] [--json | --csv] [--all-params] [--no-scan]',
    details:
      '  RUN                a run id, id prefix (4+ characters), name or folder; two or more\n' +
      '  --dir DIR          the workspace folder (default: the current folder)\n' +
      '  --json             print {runs, params, metrics} as JSON\n' +
      '  --csv              print the comparison as CSV (one column per run)\n' +
      '  --all-params       list every param, not only those that differ\n' +
      '  --no-scan          read the store without scanning first',
    options: {
      dir: { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      'all-params': { type: 'boolean' },
      scan: { type: 'boolean', default: true },
      'no-scan': { type: 'boolean' },
    },
    run: async (args, io) => {
      if (args.values['no-scan']) args.values['scan'] = false;
      const wanted = args.positionals;
      if (wanted.length < 2) throw new UsageError('compare needs at least two runs');
      if (args.values['json'] && args.values['csv']) throw new UsageError('--json and --csv cannot be combined');
      const dirArgs: ParsedArgs = { values: args.values, positionals: [typeof args.values['dir'] === 'string' ? args.values['dir'] : '.'] };
      await withScan(dirArgs, io, 0, (ws) => {
        const runs = wanted.map((w) => {
          const matches = ws.store.read((db) => findRuns(db, w));
          if (matches.length === 0) throw new CommandError(`no run matches "${w}" under ${ws.folder}`);
          if (matches.length > 1) throw new CommandError(`"${w}" matches ${matches.length} runs: ${matches.map((m) => m.id).join(', ')}`);
          return ws.store.read((db) => listRuns(db, { uids: [matches[0]!.uid], includeDeleted: true }))[0]!;
        });
        const { params, metrics } = buildTables(runs);
        const labels = runs.map((r) => r.name ?? r.id);
        if (args.values['csv']) {
          io.out(comparisonCsv(labels, params, metrics).trimEnd());
          return;
        }
        if (args.values['json']) {
          io.out(
            JSON.stringify(
              {
                runs: runs.map((r) => ({ id: r.id, name: r.name, experiment: r.experiment, source: r.source, status: r.status })),
                params: params.map((p) => ({ key: p.key, differs: p.differs, values: p.values })),
                metrics: metrics.map((m) => ({
                  key: m.key,
                  direction: m.direction,
                  best: m.best === null ? null : runs[m.best]!.id,
                  cells: m.cells.map((c) =>
                    c ? { last: c.lastNonFinite ?? c.last, min: c.min, max: c.max, lastStep: c.lastStep, count: c.count } : null,
                  ),
                })),
              },
              null,
              2,
            ),
          );
          return;
        }
        const shown = args.values['all-params'] ? params : params.filter((p) => p.differs);
        const lines: string[] = [];
        const columns = [{ header: '', max: 40 }, ...labels.map((l) => ({ header: l, max: 24 }))];
        lines.push(`Params${args.values['all-params'] ? '' : ' that differ'} (${shown.length} of ${params.length}):`);
        lines.push(shown.length ? table(columns, shown.map((p) => [p.key, ...p.values.map((v) => v ?? '—')])).replace(/^/gm, '  ') : '  (none)');
        lines.push('', 'Metrics (last value; * marks the best run, by the direction shown):');
        lines.push(
          table(
            [{ header: '', max: 40 }, { header: 'BETTER' }, ...labels.map((l) => ({ header: l, max: 24, align: 'right' as const }))],
            metrics.map((m) => [
              m.key,
              m.direction === 'min' ? 'lower' : 'higher',
              ...m.cells.map((c, i) => (c ? `${c.lastNonFinite ?? formatNumber(c.last)}${m.best === i ? ' *' : ''}` : '—')),
            ]),
          ).replace(/^/gm, '  '),
        );
        io.out(lines.join('\n'));
      });
    },
  },
  watch: {
    maxPositionals: 1,
    summary: 'scan DIR, then keep the store up to date while runs write their files (Ctrl+C stops)',
    usage: 'mlcycle watch [DIR] [--json] [--exclude GLOB]...',
    details:
      '  --json             print one JSON object per update (runs as in `runs --json`)\n' +
      '  --exclude GLOB     skip folders matching GLOB (relative to DIR; repeatable)',
    options: { json: { type: 'boolean' }, exclude: { type: 'string', multiple: true } },
    run: async (args, io) => {
      const dir = folderArg(args, io, 0);
      const ws = await openWorkspace(dir, args, io);
      const json = args.values['json'] === true;
      const watcher = new Watcher(ws.ingestor, new FolderWatcher(), {
        onError: (err) => io.err(`mlcycle watch: ${err.message}`),
        onUpdate: (u) => {
          const ids = new Set(u.sources.flatMap((s) => s.changedRuns ?? []));
          if (u.reason !== 'start' && ids.size === 0) return;
          const runs = ws.store.read((db) => listRuns(db, { includeDeleted: true, ids: [...ids] }));
          if (json) {
            io.out(JSON.stringify({ time: new Date().toISOString(), reason: u.reason, durationMs: Math.round(u.durationMs), folders: u.folders, runs: runs.map(runToJson) }));
            return;
          }
          const stamp = new Date().toISOString().slice(11, 23);
          if (u.reason === 'start') {
            const total = u.sources.reduce((n, s) => n + s.runs, 0);
            io.out(`${stamp}  watching ${ws.folder}: ${u.sources.length} source${u.sources.length === 1 ? '' : 's'}, ${total} runs, ${u.folders} folders watched (Ctrl+C stops)`);
            return;
          }
          for (const r of runs) {
            io.out(`${stamp}  ${r.source.path}  ${r.name ?? r.id}  ${r.status}${r.deleted ? ' (deleted)' : ''}  ${keyMetrics(r)}`);
          }
        },
      });
      await watcher.start();
      // Watches and timers do not hold the process open (the extension host must be able to
      // quit); the command does, until it is stopped.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      clearInterval(keepAlive);
      watcher.stop();
      ws.close();
    },
  },
  models: {
    maxPositionals: 1,
    summary: "list registered models and their versions: MLCycle's registry, MLflow's and a repository's GTO git tags (read-only)",
    usage: 'mlcycle models [DIR] [--json] [--no-scan]',
    details: '  --json             print an array of models with their versions\n  --no-scan          read the store without scanning first',
    options: { json: { type: 'boolean' }, scan: { type: 'boolean', default: true }, 'no-scan': { type: 'boolean' } },
    run: async (args, io) => {
      if (args.values['no-scan']) args.values['scan'] = false;
      await withScan(args, io, 0, (ws) => {
        const own = ws.registry().models();
        const mlflow = ws.store.read((db) => listSourceModels(db));
        /** GTO's versions are semver (`v1.2.3`): shown as in the tag, not as the stored number. */
        const label = (v: { version: number; tags: Record<string, string> }): string => {
          const tagged = v.tags['gto.version'];
          return tagged === undefined ? String(v.version) : /^[0-9a-f]{40,64}$/.test(tagged) ? tagged.slice(0, 7) : tagged;
        };
        if (args.values['json']) {
          io.out(
            JSON.stringify(
              [
                ...own.map((m) => ({ name: m.name, source: 'mlcycle', readOnly: false, description: m.description, aliases: m.aliases, versions: m.versions.map(versionToJson) })),
                ...mlflow.map((m) => ({
                  name: m.name,
                  source: m.source,
                  kind: m.kind,
                  readOnly: true,
                  description: m.description,
                  aliases: m.aliases,
                  versions: m.versions.map((v) => ({ ...v, created: isoTime(v.created) })),
                })),
              ],
              null,
              2,
            ),
          );
          return;
        }
        if (own.length === 0 && mlflow.length === 0) {
          io.out('No registered models found. Register one with: mlcycle register NAME PATH');
          return;
        }
        const rows: string[][] = [];
        for (const m of own) {
          for (const v of m.versions) rows.push([m.name, `v${v.version}`, v.stage, v.aliases.join(','), v.run?.name ?? v.run?.id ?? '', 'mlcycle', age(v.registered)]);
        }
        for (const m of mlflow) {
          const source = m.kind === 'gto' ? `${m.source} (git tags)` : m.source;
          for (const v of m.versions) {
            const stage = v.deleted ? (v.status === 'deregistered' ? 'deregistered' : 'deleted') : (v.stage ?? '');
            rows.push([m.name, label(v), v.status === 'deprecated' ? `${stage} (deprecated)`.trim() : stage, v.aliases.join(','), v.runId ?? '', source, age(v.created)]);
          }
          if (m.versions.length === 0) rows.push([m.name, '', '', '', '', source, '']);
        }
        io.out(
          table(
            [{ header: 'MODEL', max: 32 }, { header: 'VERSION', align: 'right' }, { header: 'STAGE' }, { header: 'ALIASES' }, { header: 'RUN', max: 32 }, { header: 'SOURCE' }, { header: 'REGISTERED' }],
            rows,
          ),
        );
      });
    },
  },
  register: {
    maxPositionals: 2,
    summary: "register a model version: snapshot a file or folder into the store's objects, linked to the run that produced it",
    usage: 'mlcycle register NAME PATH [--run RUN_ID] [--description TEXT] [--dir DIR] [--json]',
    details:
      '  NAME               model name: letters, digits, ".", "_" and "-"\n' +
      '  PATH               the model file or folder (inside the workspace folder)\n' +
      '  --run RUN_ID       the run that produced it (default: found from the runs MLCycle tracks)\n' +
      '  --description TEXT the model\'s description (first version only)\n' +
      '  --dir DIR          the workspace folder (default: the current folder)\n' +
      '  --json             print the new version as JSON',
    options: { run: { type: 'string' }, description: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [name, target] = args.positionals;
      if (!name || !target) throw new UsageError('register needs NAME and PATH');
      await withRegistry(args, io, async (ws, registry) => {
        let run: { source: string; id: string } | undefined;
        if (typeof args.values['run'] === 'string') {
          const matches = ws.store.read((db) => findRuns(db, args.values['run'] as string));
          if (matches.length !== 1) throw new CommandError(matches.length === 0 ? `no run matches "${String(args.values['run'])}"` : `"${String(args.values['run'])}" matches ${matches.length} runs`);
          run = { source: matches[0]!.source, id: matches[0]!.id };
        }
        const abs = path.resolve(io.cwd, target);
        const started = Date.now();
        let shown = 0;
        const v = await registry.register({
          model: name,
          path: abs,
          ...(run ? { run } : {}),
          ...(typeof args.values['description'] === 'string' ? { description: args.values['description'] } : {}),
          onProgress: (done, total) => {
            // Big files: a line every 10 % so CI logs show it is moving.
            const pct = total === 0 ? 100 : Math.floor((done / total) * 10) * 10;
            if (total > 256 * 1024 * 1024 && pct > shown && !args.values['json']) {
              shown = pct;
              io.err(`  ${pct}% of ${Math.round(total / 1048576)} MiB`);
            }
          },
        });
        if (args.values['json']) io.out(JSON.stringify({ ...versionToJson(v), gitTags: v.gitTags }, null, 2));
        else {
          io.out(`Registered ${name} v${v.version} (candidate): ${v.sourcePath}, ${v.bytes} bytes, sha256 ${v.digest.slice(0, 12)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          io.out(v.run ? `  produced by run ${v.run.name ?? v.run.id} (${v.run.source})` : '  no tracked run produced it (use --run to link one)');
        }
        printGitTags(io, v.gitTags, args.values['json'] === true);
      });
    },
  },
  promote: {
    maxPositionals: 3,
    summary: 'move a model version to a stage (staging, production, …) under the policy of .mlcycle/policy.yaml',
    usage: 'mlcycle promote NAME VERSION STAGE [--reason TEXT] [--dir DIR] [--json]',
    details:
      '  VERSION            the version number (3 or v3)\n' +
      '  STAGE              staging, production, decommissioned or archived\n' +
      '  --reason TEXT      why (required by some policies, and to decommission)\n' +
      '  Exit code 1 when a gate of the policy refuses; each failed gate is named with its numbers.',
    options: { reason: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [name, versionText, stage] = args.positionals;
      if (!name || !versionText || !stage) throw new UsageError('promote needs NAME, VERSION and STAGE');
      await moveStage(args, io, name, versionText, stage, typeof args.values['reason'] === 'string' ? args.values['reason'] : null);
    },
  },
  decommission: {
    maxPositionals: 2,
    summary: 'retire a model version, with a reason',
    usage: 'mlcycle decommission NAME VERSION --reason better-model|better-features|process-changed|other [--text TEXT] [--dir DIR] [--json]',
    details:
      '  --reason KIND      better-model, better-features, process-changed, or other (with --text)\n' +
      '  --text TEXT        more words (required with other)',
    options: { reason: { type: 'string' }, text: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [name, versionText] = args.positionals;
      if (!name || !versionText) throw new UsageError('decommission needs NAME and VERSION');
      const kind = args.values['reason'];
      if (typeof kind !== 'string' || !(kind in DECOMMISSION_REASONS) || kind === 'superseded') {
        throw new UsageError('--reason must be better-model, better-features, process-changed or other');
      }
      await moveStage(args, io, name, versionText, 'decommissioned', typeof args.values['text'] === 'string' ? args.values['text'] : null, kind as DecommissionReason);
    },
  },
  archive: {
    maxPositionals: 2,
    summary: 'freeze a decommissioned (or never deployed) model version, keeping its package (built and verified) under .mlcycle/packages',
    usage: 'mlcycle archive NAME VERSION [--reason TEXT] [--dir DIR] [--json]',
    details: '  --reason TEXT      why (if the policy asks for one)',
    options: { reason: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [name, versionText] = args.positionals;
      if (!name || !versionText) throw new UsageError('archive needs NAME and VERSION');
      await archiveVersion(args, io, name, versionText, typeof args.values['reason'] === 'string' ? args.values['reason'] : null);
    },
  },
  alias: {
    maxPositionals: 3,
    summary: 'point an alias (champion, challenger, …) at a model version, or remove it',
    usage: 'mlcycle alias NAME ALIAS VERSION [--dir DIR] [--json]\n       mlcycle alias NAME ALIAS --remove [--dir DIR]',
    details: '  --remove           remove the alias',
    options: { remove: { type: 'boolean' }, dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [name, alias, versionText] = args.positionals;
      if (!name || !alias || (!versionText && !args.values['remove'])) throw new UsageError('alias needs NAME, ALIAS and VERSION (or --remove)');
      await withRegistry(args, io, async (_ws, registry) => {
        if (args.values['remove']) {
          registry.removeAlias(name, alias);
          // Aliases are not GTO stages: never tagged, so gitTags is always null here.
          io.out(args.values['json'] ? JSON.stringify({ model: name, alias, removed: true, gitTags: null }) : `Removed alias ${alias} of ${name}.`);
          return;
        }
        const v = registry.setAlias(name, alias, parseVersion(versionText!));
        io.out(args.values['json'] ? JSON.stringify({ ...versionToJson(v), gitTags: null }, null, 2) : `${name}@${alias} → v${v.version}`);
      });
    },
  },
  history: {
    maxPositionals: 1,
    summary: 'the audit trail of a model (or of every model): who did what, when, and why',
    usage: 'mlcycle history [NAME] [--dir DIR] [--json]',
    details: '  --json             print the events as JSON',
    options: { dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [name] = args.positionals;
      await withRegistry(args, io, async (_ws, registry) => {
        if (name && !registry.model(name)) throw new CommandError(`no model named ${name}`);
        const events = registry.history(name);
        if (args.values['json']) {
          io.out(JSON.stringify(events, null, 2));
          return;
        }
        if (events.length === 0) {
          io.out('No registry events yet.');
          return;
        }
        io.out(table([{ header: 'TIME' }, { header: 'MODEL', max: 30 }, { header: 'WHO', max: 40 }, { header: 'WHAT', max: 100 }], events.map((e) => [e.time.replace('T', ' ').slice(0, 19), e.model, e.actor, e.detail])));
      });
    },
  },
  package: {
    maxPositionals: 2,
    summary: 'build the deployment package of a model version: a zip of its files, resources, environment, manifest.json and MODEL_CARD.md',
    usage: 'mlcycle package NAME VERSION [--out FILE] [--resource GLOB]... [--card FILE] [--allow-missing-resources] [--no-verify] [--dir DIR] [--json]',
    details:
      '  --out FILE         the zip to write (default: .mlcycle/packages/NAME/vN/NAME-vN.zip)\n' +
      '  --resource GLOB    a deployment resource to include, relative to the workspace (repeatable;\n' +
      '                     adds to models.NAME.resources of mlcycle.yaml)\n' +
      '  --card FILE        use this MODEL_CARD.md (an edited card) instead of generating one\n' +
      '  --allow-missing-resources  a glob matching no file is a warning, not an error\n' +
      '  --no-verify        do not read the zip back to verify it (the promotion gate needs a verified package)\n' +
      '  --dir DIR          the workspace folder (default: the current folder)\n' +
      '  --json             print the package (path, sha256, size, manifest) as JSON\n' +
      '  Ctrl+C cancels; nothing is left under the final name.',
    options: {
      out: { type: 'string' },
      resource: { type: 'string', multiple: true },
      card: { type: 'string' },
      'allow-missing-resources': { type: 'boolean' },
      'no-verify': { type: 'boolean' },
      dir: { type: 'string' },
      json: { type: 'boolean' },
    },
    run: async (args, io) => {
      const [name, versionText] = args.positionals;
      if (!name || !versionText) throw new UsageError('package needs NAME and VERSION');
      const version = parseVersion(versionText);
      let card: string | undefined;
      if (typeof args.values['card'] === 'string') {
        try {
          card = fs.readFileSync(path.resolve(io.cwd, args.values['card']), 'utf8');
        } catch (err) {
          throw new CommandError(`cannot read the model card ${args.values['card']}: ${(err as Error).message}`);
        }
      }
      const resources = Array.isArray(args.values['resource']) ? args.values['resource'] : [];
      await withRegistry(args, io, async (_ws, registry) => {
        const packages = new Packages(registry);
        const json = args.values['json'] === true;
        const built = await packageErrors(() =>
          withCancel((signal) =>
            packages.build(name, version, {
              ...(typeof args.values['out'] === 'string' ? { out: path.resolve(io.cwd, args.values['out']) } : {}),
              ...(resources.length ? { resources } : {}),
              ...(card !== undefined ? { modelCard: card } : {}),
              allowMissingResources: args.values['allow-missing-resources'] === true,
              signal,
              onProgress: progressPrinter(io, json, 'packaging'),
            }),
          ),
        );
        const verified = args.values['no-verify'] ? undefined : await packageErrors(() => withCancel((signal) => packages.verify(built.path, { signal, onProgress: progressPrinter(io, json, 'verifying') })));
        if (verified && !verified.ok) throw new CommandError(`the package just built does not verify:\n${describeMismatches(verified).map((l) => `  ${l}`).join('\n')}`);
        if (json) {
          io.out(JSON.stringify({ path: built.path, sha256: built.sha256, size: built.size, verified: verified !== undefined, manifest: built.manifest }, null, 2));
          return;
        }
        const m = built.manifest;
        io.out(
          `Built ${name} v${version}: ${path.relative(io.cwd, built.path) || built.path} (${m.files.length} files, ${humanBytes(built.size)}, sha256 ${built.sha256.slice(0, 12)}) in ${(built.durationMs / 1000).toFixed(1)} s${verified ? ', verified' : ''}`,
        );
        if (m.mlflow.mlmodel) io.out(`  MLflow model in ${m.mlflow.modelDir}/ (MLmodel ${m.mlflow.mlmodel}: ${m.mlflow.flavors.join(', ')})`);
        if (m.environment.length) io.out(`  environment: ${m.environment.join(', ')}`);
        for (const r of m.resources) io.out(`  resource ${r.glob}: ${r.files.length} file${r.files.length === 1 ? '' : 's'}`);
        for (const w of m.warnings) io.err(`warning: ${w}`);
      });
    },
  },
  verify: {
    maxPositionals: 1,
    summary: 'check every file of a package against its manifest.json; names each missing, extra or altered file (exit 1 on any)',
    usage: 'mlcycle verify PACKAGE [--dir DIR] [--json]',
    details:
      '  PACKAGE            the zip\n' +
      '  --dir DIR          the workspace whose store records the package (default: found from the\n' +
      '                     path .../.mlcycle/packages/..., else the current folder)\n' +
      '  --json             print the result as JSON',
    options: { dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [pkg] = args.positionals;
      if (!pkg) throw new UsageError('verify needs PACKAGE');
      const file = path.resolve(io.cwd, pkg);
      if (!fs.existsSync(file)) throw new CommandError(`no such package: ${file}`);
      const json = args.values['json'] === true;
      const folder = typeof args.values['dir'] === 'string' ? path.resolve(io.cwd, args.values['dir']) : workspaceOfPackage(file, io.cwd);
      let ws: Workspace | undefined;
      try {
        if (folder) ws = await openWorkspace(folder, args, io);
        const onProgress = progressPrinter(io, json, 'verifying');
        const result = await packageErrors(() => withCancel((signal) => (ws ? new Packages(ws.registry()).verify(file, { signal, onProgress }) : verifyPackage(file, { signal, onProgress }))));
        if (json) io.out(JSON.stringify(result, null, 2));
        const m = result.manifest;
        if (!result.ok) {
          throw new CommandError(`${pkg} does not match its manifest:\n${describeMismatches(result).map((l) => `  ${l}`).join('\n')}`);
        }
        if (!json) io.out(`${pkg}: ${m!.model} v${m!.version}, ${result.files} files, ${humanBytes(result.bytes)}: every sha256 matches manifest.json (${(result.durationMs / 1000).toFixed(1)} s)`);
      } finally {
        ws?.close();
      }
    },
  },
  restore: {
    maxPositionals: 3,
    summary: "extract a package into a folder, checking every hash; or restore a registered version's package in one step",
    usage: 'mlcycle restore PACKAGE DIR [--json]\n       mlcycle restore NAME VERSION DIR [--dir WORKSPACE] [--json]',
    details:
      '  PACKAGE DIR        extract the zip into DIR (new or empty); entries that would escape DIR,\n' +
      '                     links, duplicates and zip bombs are refused, and a failure leaves DIR untouched\n' +
      "  NAME VERSION DIR   re-load an old version in one step: from its kept package (see mlcycle archive),\n" +
      "                     which needs neither the run nor the workspace files; built from the registry's\n" +
      '                     objects when no package is kept\n' +
      '  --dir WORKSPACE    the workspace folder for NAME VERSION (default: the current folder)\n' +
      '  --json             print the result as JSON',
    options: { dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const json = args.values['json'] === true;
      const report = (r: { dir: string; files: number; bytes: number; manifest: { model: string; version: number } }, pkg: string, built: boolean): void => {
        if (json) io.out(JSON.stringify({ dir: r.dir, model: r.manifest.model, version: r.manifest.version, files: r.files, bytes: r.bytes, package: pkg, built }, null, 2));
        else io.out(`Restored ${r.manifest.model} v${r.manifest.version} into ${r.dir}: ${r.files} files, ${humanBytes(r.bytes)}, every sha256 checked${built ? ' (package built from the registry first)' : ''} (from ${pkg})`);
      };
      if (args.positionals.length === 2) {
        const [pkg, dir] = args.positionals as [string, string];
        const file = path.resolve(io.cwd, pkg);
        const r = await packageErrors(() => withCancel((signal) => restorePackage(file, path.resolve(io.cwd, dir), { signal, onProgress: progressPrinter(io, json, 'restoring') })));
        report(r, file, false);
        return;
      }
      if (args.positionals.length !== 3) throw new UsageError('restore needs PACKAGE DIR, or NAME VERSION DIR');
      const [name, versionText, dir] = args.positionals as [string, string, string];
      const version = parseVersion(versionText);
      await withRegistry(args, io, async (_ws, registry) => {
        const r = await packageErrors(() =>
          withCancel((signal) => new Packages(registry).restoreVersion(name, version, path.resolve(io.cwd, dir), { signal, onProgress: progressPrinter(io, json, 'restoring') })),
        );
        report(r, r.package, r.built);
      });
    },
  },
  packages: {
    maxPositionals: 2,
    summary: 'list the packages built in this workspace, with their verification state',
    usage: 'mlcycle packages [NAME [VERSION]] [--dir DIR] [--json]',
    details: '  --json             print the packages as JSON',
    options: { dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [name, versionText] = args.positionals;
      const folder = path.resolve(io.cwd, typeof args.values['dir'] === 'string' ? args.values['dir'] : '.');
      if (!fs.existsSync(folder)) throw new CommandError(`folder not found: ${folder}`);
      const ws = await openWorkspace(folder, args, io);
      try {
        const rows = new Packages(ws.registry()).list(name, versionText ? parseVersion(versionText) : undefined);
        const present = (f: string): boolean => fs.existsSync(f);
        if (args.values['json']) {
          io.out(JSON.stringify(rows.map((r) => ({ ...r, created: isoTime(r.created), verifiedAt: isoTime(r.verifiedAt), present: present(r.file) })), null, 2));
          return;
        }
        if (rows.length === 0) {
          io.out('No packages built yet. Build one with: mlcycle package NAME VERSION');
          return;
        }
        io.out(
          table(
            [{ header: 'MODEL', max: 32 }, { header: 'VERSION', align: 'right' }, { header: 'PACKAGE', max: 80 }, { header: 'SIZE', align: 'right' }, { header: 'VERIFIED' }, { header: 'SHA256' }],
            rows.map((r) => [r.model, `v${r.version}`, r.path, humanBytes(r.size), present(r.file) ? (r.verifiedAt ? age(r.verifiedAt) : 'never') : 'file missing', r.sha256.slice(0, 12)]),
          ),
        );
      } finally {
        ws.close();
      }
    },
  },
};

function parseVersion(text: string): number {
  const n = Number(text.replace(/^v/i, ''));
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${text}" is not a version number (3 or v3)`);
  return n;
}

function versionToJson(v: VersionRow): Record<string, unknown> {
  const metrics: Record<string, unknown> = {};
  for (const [k, m] of Object.entries(v.metrics)) metrics[k] = { last: jsonNumber(m.last), min: jsonNumber(m.min), max: jsonNumber(m.max), lastStep: m.lastStep, count: m.count };
  return {
    model: v.model,
    version: v.version,
    stage: v.stage,
    stageReason: v.stageReason,
    aliases: v.aliases,
    registered: isoTime(v.registered),
    registeredBy: v.actor,
    sourcePath: v.sourcePath,
    run: v.run,
    gitCommit: v.gitCommit,
    digest: v.digest,
    bytes: v.bytes,
    metrics,
    params: v.params,
  };
}

function age(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

/** Opens the folder of --dir (default: the current folder), scans, and hands over its registry. */
async function withRegistry(args: ParsedArgs, io: Io, fn: (ws: Workspace, registry: Registry) => Promise<void>): Promise<void> {
  const dirArgs: ParsedArgs = { values: { ...args.values, scan: true }, positionals: [typeof args.values['dir'] === 'string' ? args.values['dir'] : '.'] };
  await withScan(dirArgs, io, 0, async (ws) => {
    try {
      await fn(ws, ws.registry());
    } catch (err) {
      if (err instanceof GateRefusal && args.values['json']) {
        io.out(JSON.stringify({ refused: true, model: err.model, version: err.version, stage: err.stage, gates: err.gates }, null, 2));
        throw new CommandError(err.message);
      }
      if (err instanceof RegistryError) throw new CommandError(err.message);
      if (err instanceof Cancelled) throw new CommandError('cancelled');
      throw err;
    }
  });
}

async function moveStage(args: ParsedArgs, io: Io, name: string, versionText: string, stage: string, reason: string | null, reasonKind?: DecommissionReason): Promise<void> {
  if (!isStage(stage) || stage === 'candidate') throw new UsageError(`"${stage}" is not a stage to move to: staging, production, decommissioned or archived`);
  if (stage === 'archived') return archiveVersion(args, io, name, versionText, reason); // an archived version keeps its package
  const version = parseVersion(versionText);
  await withRegistry(args, io, async (_ws, registry) => {
    const r = await registry.setStage({ model: name, version, stage, reason, ...(reasonKind ? { reasonKind } : {}) });
    if (args.values['json']) {
      io.out(JSON.stringify({ ...versionToJson(r.version), gates: r.gates, demoted: r.demoted, gitTags: r.gitTags }, null, 2));
      printGitTags(io, r.gitTags, true);
      return;
    }
    io.out(`${name} v${version} → ${stage}${r.version.stageReason ? ` (${r.version.stageReason})` : ''}`);
    for (const g of r.gates) io.out(`  ✓ ${g.gate}: ${g.detail}`);
    for (const d of r.demoted) io.out(`  ${name} v${d} → decommissioned (superseded by v${version})`);
    printGitTags(io, r.gitTags, false);
  });
}

/**
 * One line for the tags written (not with --json: the output's gitTags field has them), and a
 * `warning:` line on stderr for each thing that failed; the registry action stands either way.
 */
function printGitTags(io: Io, report: GitTagsReport | null, json: boolean): void {
  const line = describeGitTags(report);
  if (line && !json) io.out(line);
  for (const w of report?.warnings ?? []) io.err(`warning: ${w}`);
}

/** Archives a version with its package: built if missing, verified, kept under .mlcycle/packages. */
async function archiveVersion(args: ParsedArgs, io: Io, name: string, versionText: string, reason: string | null): Promise<void> {
  const version = parseVersion(versionText);
  const json = args.values['json'] === true;
  await withRegistry(args, io, async (_ws, registry) => {
    const r = await packageErrors(() => withCancel((signal) => new Packages(registry).archive(name, version, { reason, signal, onProgress: progressPrinter(io, json, 'packaging') })));
    const pkg = { path: r.package.file, sha256: r.package.sha256, size: r.package.size, built: r.built, verifiedAt: isoTime(r.package.verifiedAt) };
    if (json) {
      io.out(JSON.stringify({ ...versionToJson(r.version), gates: r.stage.gates, gitTags: r.stage.gitTags, package: pkg }, null, 2));
      printGitTags(io, r.stage.gitTags, true);
      return;
    }
    io.out(`${name} v${version} → archived${r.version.stageReason ? ` (${r.version.stageReason})` : ''}`);
    for (const g of r.stage.gates) io.out(`  ✓ ${g.gate}: ${g.detail}`);
    io.out(`  package ${r.built ? 'built' : 'kept'} and verified: ${path.relative(io.cwd, r.package.file) || r.package.file} (${humanBytes(r.package.size)}, sha256 ${r.package.sha256.slice(0, 12)})`);
    io.out(`  restore it any time with: mlcycle restore ${name} ${version} DIR`);
    printGitTags(io, r.stage.gitTags, false);
  });
}

/** Runs fn with an AbortSignal that Ctrl+C fires (a build or restore then cleans up and stops). */
async function withCancel<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** Package errors are the command failing (exit 1), with their message. */
async function packageErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Cancelled) throw new CommandError('cancelled: nothing was left behind');
    if (err instanceof PackageError || err instanceof PackageConfigError || err instanceof RestoreError || err instanceof UnsafeZipError) throw new CommandError(err.message);
    if (err instanceof Error && /^(no such package|cannot read |.* is not a readable zip)/.test(err.message)) throw new CommandError(err.message);
    // A full disk (or quota, or file size limit) is the command failing, not a crash: say so plainly.
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
      throw new CommandError(`${(err as Error).message}: no room to write it; nothing was left under the final name (free some space and run again)`);
    }
    throw err;
  }
}

/** A progress line on stderr every 10 % for big jobs (so CI logs show they move). */
function progressPrinter(io: Io, quiet: boolean, what: string): (done: number, total: number) => void {
  let shown = 0;
  return (done, total) => {
    if (quiet || total < 256 * 1024 * 1024) return;
    const pct = Math.floor((done / total) * 10) * 10;
    if (pct > shown) {
      shown = pct;
      io.err(`  ${what}: ${pct}% of ${humanBytes(total)}`);
    }
  };
}

/** The workspace a package belongs to: the folder holding `.mlcycle/packages/…`, else the current one if it has a store. */
function workspaceOfPackage(file: string, cwd: string): string | undefined {
  const parts = path.resolve(file).split(path.sep);
  const i = parts.lastIndexOf('.mlcycle');
  if (i > 0 && parts[i + 1] === 'packages') return parts.slice(0, i).join(path.sep) || path.sep;
  return fs.existsSync(Workspace.defaultStorePath(cwd)) ? cwd : undefined;
}

function commandHelp(spec: CommandSpec): string {
  return `${spec.usage}\n\n${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.\n\nOptions:\n${spec.details}\n${STORE_HELP}\n`;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return (
    `mlcycle ${VERSION}: the ML model life cycle, from the files your training code already writes.\n\n` +
    'Usage: mlcycle <command> [options]\n\nCommands:\n' +
    Object.entries(commands)
      .map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`)
      .join('\n') +
    '\n\nRun "mlcycle <command> --help" for its options. Exit codes: 0 success, 1 failure, 2 usage error.\n'
  );
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(VERSION);
    return 0;
  }
  const spec = commands[name];
  if (!spec) {
    io.err(`mlcycle: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args: rest, options: { ...COMMON_OPTIONS, ...spec.options }, allowPositionals: true, strict: true }) as ParsedArgs;
  } catch (err) {
    io.err(`mlcycle ${name}: ${(err as Error).message}\n\n${commandHelp(spec)}`);
    return 2;
  }
  if (parsed.values['help']) {
    io.out(commandHelp(spec));
    return 0;
  }
  if (parsed.positionals.length > spec.maxPositionals) {
    io.err(`mlcycle ${name}: unexpected argument "${parsed.positionals[spec.maxPositionals]}"\n\n${commandHelp(spec)}`);
    return 2;
  }
  try {
    await spec.run(parsed, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`mlcycle ${name}: ${err.message}\n\n${commandHelp(spec)}`);
      return 2;
    }
    if (err instanceof CommandError) {
      io.err(`mlcycle ${name}: ${err.message}`);
      return 1;
    }
    io.err(`mlcycle ${name}: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
