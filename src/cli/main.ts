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
import { GateRefusal, RegistryError, type Registry, type VersionRow } from '../core/registry/registry';
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
    summary: "list registered models and their versions: MLCycle's registry, and MLflow's (read-only)",
    usage: 'mlcycle models [DIR] [--json] [--no-scan]',
    details: '  --json             print an array of models with their versions\n  --no-scan          read the store without scanning first',
    options: { json: { type: 'boolean' }, scan: { type: 'boolean', default: true }, 'no-scan': { type: 'boolean' } },
    run: async (args, io) => {
      if (args.values['no-scan']) args.values['scan'] = false;
      await withScan(args, io, 0, (ws) => {
        const own = ws.registry().models();
        const mlflow = ws.store.read((db) => listSourceModels(db));
        if (args.values['json']) {
          io.out(
            JSON.stringify(
              [
                ...own.map((m) => ({ name: m.name, source: 'mlcycle', readOnly: false, description: m.description, aliases: m.aliases, versions: m.versions.map(versionToJson) })),
                ...mlflow.map((m) => ({
                  name: m.name,
                  source: m.source,
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
          for (const v of m.versions) rows.push([m.name, String(v.version), v.deleted ? 'deleted' : (v.stage ?? ''), v.aliases.join(','), v.runId ?? '', m.source, age(v.created)]);
          if (m.versions.length === 0) rows.push([m.name, '', '', '', '', m.source, '']);
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
        if (args.values['json']) io.out(JSON.stringify(versionToJson(v), null, 2));
        else {
          io.out(`Registered ${name} v${v.version} (candidate): ${v.sourcePath}, ${v.bytes} bytes, sha256 ${v.digest.slice(0, 12)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          io.out(v.run ? `  produced by run ${v.run.name ?? v.run.id} (${v.run.source})` : '  no tracked run produced it (use --run to link one)');
        }
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
    summary: 'freeze a decommissioned (or never deployed) model version',
    usage: 'mlcycle archive NAME VERSION [--reason TEXT] [--dir DIR] [--json]',
    details: '  --reason TEXT      why (if the policy asks for one)',
    options: { reason: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
    run: async (args, io) => {
      const [name, versionText] = args.positionals;
      if (!name || !versionText) throw new UsageError('archive needs NAME and VERSION');
      await moveStage(args, io, name, versionText, 'archived', typeof args.values['reason'] === 'string' ? args.values['reason'] : null);
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
          io.out(args.values['json'] ? JSON.stringify({ model: name, alias, removed: true }) : `Removed alias ${alias} of ${name}.`);
          return;
        }
        const v = registry.setAlias(name, alias, parseVersion(versionText!));
        io.out(args.values['json'] ? JSON.stringify(versionToJson(v), null, 2) : `${name}@${alias} → v${v.version}`);
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
  const version = parseVersion(versionText);
  await withRegistry(args, io, async (_ws, registry) => {
    const r = await registry.setStage({ model: name, version, stage, reason, ...(reasonKind ? { reasonKind } : {}) });
    if (args.values['json']) {
      io.out(JSON.stringify({ ...versionToJson(r.version), gates: r.gates, demoted: r.demoted }, null, 2));
      return;
    }
    io.out(`${name} v${version} → ${stage}${r.version.stageReason ? ` (${r.version.stageReason})` : ''}`);
    for (const g of r.gates) io.out(`  ✓ ${g.gate}: ${g.detail}`);
    for (const d of r.demoted) io.out(`  ${name} v${d} → decommissioned (superseded by v${version})`);
  });
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
