// The ingest benchmark of DESIGN.md §9, on the reference workload (a 10,000-run MLflow file store).
//
//   npx tsx bench/ingest.ts [--runs N] [--small] [--keep] [--profile] [--repeat N]
//                           [--experiments N] [--params N] [--metrics N] [--steps N] [--tags N] [--seed N]
//
// Generates the workload into .bench/ (reused while its manifest matches the options), then, in
// this one run and each in a fresh child process (so each peak RSS is its own), measures:
// the floors (walk, stat, read+parse storing nothing), a cold ingest, a no-change rescan and one
// save. The page cache is left warm on purpose: budgets are ratios to floors measured the same way.
// Prints a table and writes .bench/results-ingest.json.
//
//   --keep     keep the ingested store (.bench/<workload>/.mlcycle/) after the run
//   --profile  also run a cold ingest and a rescan under --cpu-prof (not timed) and summarise them
//   --small    the small workload (200 runs) for a quick check
//   --repeat N cold ingests to run (the median counts)
//   --quiet L  before each measurement wait (≤ 3 min) for the 1-minute load average to drop below L
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatProfile, summarizeCpuProfile, type ProfileSummary } from './lib/cpuProfile';
import type { Phase, PhaseResult } from './lib/ingestChild';
import { expectedCounts, REFERENCE_WORKLOAD, SMALL_WORKLOAD, type MlrunsOptions } from './lib/mlrunsGenerator';
import { codeVersion, machine, median, mib, pass, s, table, waitForQuiet } from './lib/report';
import { BENCH_DIR, ensureWorkload, log, PROJECT } from './lib/workload';

const CHILD = path.join(__dirname, 'lib', 'ingestChild.ts');
const CHILD_TIMEOUT_MS = 30 * 60_000;

const BUDGET = {
  coldRatio: 1.5,
  rescanMs: 500,
  rssMiB: 400,
  dbMiB: 100,
  saveMs: 300,
};

interface Args {
  workload: MlrunsOptions;
  keep: boolean;
  profile: boolean;
  repeat: number;
  /** Before each measurement, wait (up to 3 min) for the 1-minute load average to drop below this. */
  quiet: number | undefined;
}

function parseArgs(argv: string[]): Args {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) values.set(a.slice(2, eq), a.slice(eq + 1));
    else if (['keep', 'profile', 'small', 'help'].includes(a.slice(2))) flags.add(a.slice(2));
    else values.set(a.slice(2), argv[++i] ?? '');
  }
  if (flags.has('help')) {
    console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
    process.exit(0);
  }
  const workload: MlrunsOptions = { ...(flags.has('small') ? SMALL_WORKLOAD : REFERENCE_WORKLOAD) };
  const numeric = (name: string, min: number): number | undefined => {
    const v = values.get(name);
    if (v === undefined) return undefined;
    values.delete(name);
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} needs an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  for (const key of ['runs', 'experiments', 'params', 'metrics', 'steps', 'tags', 'seed'] as const) {
    const n = numeric(key, key === 'seed' ? 0 : 1);
    if (n !== undefined) workload[key] = n;
  }
  const repeat = numeric('repeat', 1) ?? 1;
  const quietText = values.get('quiet');
  values.delete('quiet');
  const quiet = quietText === undefined ? undefined : Number(quietText);
  if (quiet !== undefined && !(quiet > 0)) throw new Error(`--quiet needs a load average > 0, got "${quietText}"`);
  if (values.size > 0) throw new Error(`unknown option --${[...values.keys()][0]}`);
  if (workload.experiments > workload.runs) workload.experiments = workload.runs;
  return { workload, keep: flags.has('keep'), profile: flags.has('profile'), repeat, quiet };
}

// ---------------------------------------------------------------------------------------------
// Children

function runChild(phase: Phase, workspace: string, extraExecArgv: string[] = []): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [phase, workspace], {
      // process.execArgv carries tsx's loader; --expose-gc lets the child report RSS after a GC.
      execArgv: [...process.execArgv, '--expose-gc', ...extraExecArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: PhaseResult | undefined;
    const timer = setTimeout(() => {
      log(`  ${phase}: no answer after ${CHILD_TIMEOUT_MS / 60_000} min, stopping it`);
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('message', (m) => {
      result = m as PhaseResult;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`the ${phase} child exited (${signal ?? code}) without a result`));
    });
  });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const code = codeVersion();
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const { workspace, manifest, reused } = ensureWorkload(args.workload);
  const expected = expectedCounts(args.workload);
  const isReference = JSON.stringify({ ...args.workload, seed: 0 }) === JSON.stringify({ ...REFERENCE_WORKLOAD, seed: 0 });
  log(`workload ${path.relative(PROJECT, workspace)} (${reused ? 'reused' : 'generated'}): ${manifest.summary.files} files, ${manifest.summary.folders} folders, ${manifest.summary.points} points`);

  const step = async (label: string, phase: Phase, extra: string[] = []): Promise<PhaseResult> => {
    log(`- ${label} …`);
    if (args.quiet !== undefined) await waitForQuiet(args.quiet);
    const r = await runChild(phase, workspace, extra);
    const ms = r.floor?.ms ?? r.cold?.totalMs ?? r.rescan?.scanMs ?? (r.save ? median(r.save.saveMs) : undefined);
    log(`  ${ms !== undefined ? s(ms) + ', ' : ''}peak RSS ${r.memory.peakRssMiB} MiB`);
    return r;
  };

  const baseline = await step('baseline child (node + tsx + core modules + sql.js)', 'baseline');
  await step('warm-up read (fills the page cache; not reported)', 'floor');
  const walk = await step('walk floor', 'walk');
  const stat = await step('stat floor', 'stat');
  const floors = [await step('read floor #1', 'floor'), await step('read floor #2', 'floor')];
  const colds: PhaseResult[] = [];
  for (let i = 0; i < args.repeat; i++) colds.push(await step(`cold ingest #${i + 1}`, 'cold'));
  const rescan = await step('no-change rescan', 'rescan');
  const save = await step('save', 'save');

  const profiles: ProfileSummary[] = [];
  if (args.profile) {
    const dir = path.join(BENCH_DIR, 'profiles');
    fs.mkdirSync(dir, { recursive: true });
    for (const phase of ['cold', 'rescan'] as const) {
      // Every thread writes its own profile (tsx's loader runs in a worker): keep the main
      // thread's, named CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile by default.
      const phaseDir = path.join(dir, `${phase}-${started.toISOString().replace(/[:.]/g, '-')}`);
      fs.mkdirSync(phaseDir, { recursive: true });
      await step(`${phase} under --cpu-prof (not timed)`, phase, ['--cpu-prof', `--cpu-prof-dir=${phaseDir}`]);
      const main = fs.readdirSync(phaseDir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
      if (main) profiles.push(summarizeCpuProfile(path.join(phaseDir, main), PROJECT));
      else log(`  no main-thread profile in ${phaseDir}`);
    }
  }

  // ------------------------------------------------------------------ figures
  const floorMs = Math.min(...floors.map((f) => f.floor!.ms));
  const cold = colds.map((c) => c.cold!);
  const coldMs = median(cold.map((c) => c.totalMs));
  const coldPeak = Math.max(...colds.map((c) => c.memory.peakRssMiB));
  const c0 = cold[0]!;
  const counts = c0.counts;
  const saveMs = median(save.save!.saveMs);
  const dbMiB = mib(c0.dbBytes);
  const storeMiB = mib(c0.storeBytes);
  const verified =
    counts.runs === expected.runs &&
    counts.points === expected.points &&
    counts.experiments === expected.experiments &&
    counts.params === args.workload.runs * args.workload.params &&
    counts.tags === args.workload.runs * args.workload.tags &&
    counts.metricSeries === args.workload.runs * args.workload.metrics &&
    floors.every((f) => f.floor!.runs === expected.runs && f.floor!.points === expected.points);

  const budgets = [
    { what: 'cold ingest', measured: `${s(coldMs)} = ${(coldMs / floorMs).toFixed(2)}× floor (CPU ${(median(cold.map((c) => c.cpuMs)) / Math.min(...floors.map((f) => f.floor!.cpuMs))).toFixed(2)}×)`, budget: `≤ ${BUDGET.coldRatio}× floor (≤ ${s(BUDGET.coldRatio * floorMs)})`, ok: coldMs <= BUDGET.coldRatio * floorMs },
    { what: 'no-change rescan (scan alone)', measured: `${s(rescan.rescan!.scanMs)} (walk floor ${s(walk.floor!.ms)})`, budget: `≤ ${s(BUDGET.rescanMs)}`, ok: rescan.rescan!.scanMs <= BUDGET.rescanMs },
    { what: 'peak RSS of the ingest process', measured: `${coldPeak.toFixed(0)} MiB`, budget: `≤ ${BUDGET.rssMiB} MiB`, ok: coldPeak <= BUDGET.rssMiB },
    {
      // Judged on the whole store folder: series kept beside the database count too.
      what: 'database (all of .mlcycle/)',
      measured: `${storeMiB.toFixed(1)} MiB in ${c0.storeFiles} files (mlcycle.db ${dbMiB.toFixed(1)} MiB)`,
      budget: `≤ ${BUDGET.dbMiB} MiB`,
      ok: storeMiB <= BUDGET.dbMiB,
    },
    { what: 'one save (median of 5)', measured: `${s(saveMs)} (max ${s(Math.max(...save.save!.saveMs))})`, budget: `≤ ${s(BUDGET.saveMs)}`, ok: saveMs <= BUDGET.saveMs },
  ];

  const floorCpuMs = Math.min(...floors.map((f) => f.floor!.cpuMs));
  const load = (r: PhaseResult): string => (r.load ? `${r.load[0]}→${r.load[1]}` : '');
  const row = (name: string, r: PhaseResult, wallMs: number | undefined, cpuMs: number | undefined, notes: string): string[] => [
    name,
    wallMs === undefined ? '' : s(wallMs),
    cpuMs === undefined ? '' : s(cpuMs),
    wallMs === undefined ? '' : (wallMs / floorMs).toFixed(2),
    cpuMs === undefined ? '' : (cpuMs / floorCpuMs).toFixed(2),
    `${r.memory.peakRssMiB.toFixed(0)} MiB`,
    load(r),
    notes,
  ];
  const measurements: string[][] = [
    ['measurement', 'wall', 'CPU', 'wall ÷ floor', 'CPU ÷ floor CPU', 'peak RSS', 'load 1m', 'notes'],
    row('baseline child', baseline, undefined, undefined, 'node + tsx + core modules + sql.js loaded, no work'),
    row('walk floor (readdir of every folder)', walk, walk.floor!.ms, walk.floor!.cpuMs, `${walk.floor!.folders} folders, ${walk.floor!.files} files`),
    row('stat floor (walk + stat of every file)', stat, stat.floor!.ms, stat.floor!.cpuMs, `${(stat.floor!.bytes / 1e6).toFixed(0)} MB in files`),
    ...floors.map((f, i) => row(`read floor #${i + 1} (read + parse, store nothing)`, f, f.floor!.ms, f.floor!.cpuMs, `${f.floor!.runs} runs, ${f.floor!.points} points`)),
    ...cold.map((c, i) =>
      row(
        `cold ingest #${i + 1} (open + scan + close)`,
        colds[i]!,
        c.totalMs,
        c.cpuMs,
        `open ${s(c.openMs)}, scan ${s(c.scanMs)}, close ${s(c.closeMs)}; RSS at end ${colds[i]!.memory.rssMiB.toFixed(0)} MiB, after GC ${colds[i]!.memory.rssAfterGcMiB?.toFixed(0) ?? '?'} MiB`,
      ),
    ),
    row(
      'no-change rescan (scan alone)',
      rescan,
      rescan.rescan!.scanMs,
      rescan.rescan!.scanCpuMs,
      `open before it ${s(rescan.rescan!.openMs)}; ${rescan.rescan!.runsRead} runs re-read; ${rescan.rescan!.savedDuringScan ? 'rewrote the database' : 'no save'}; ` +
        `2nd/3rd scan ${rescan.rescan!.againMs.map(s).join(', ')}; RSS after GC ${rescan.memory.rssAfterGcMiB?.toFixed(0) ?? '?'} MiB`,
    ),
    row(
      'save (mutate + flush), median of 5',
      save,
      saveMs,
      undefined,
      `export ${s(save.save!.exportMs)} + temp file/fsync/rename ${s(save.save!.writeMs)}; all: ${save.save!.saveMs.map((x) => x.toFixed(0)).join(', ')} ms`,
    ),
  ];
  measurements[measurements.length - 1]![3] = ''; // a save has no floor

  const out: string[] = [];
  out.push('');
  out.push(`MLCycle ingest benchmark — ${started.toISOString()}`);
  const m = machine();
  out.push(`machine: ${m['nproc']} CPUs (${m['cpu']}), ${m['memoryGiB']} GiB, node ${m['node']}, ${m['platform']}, fs ${m['rootFs']}, sql.js ${m['sqlJs']}`);
  out.push(`code: commit ${code.commit}${code.srcChanged ? ' with uncommitted changes in src/' : ''}, src/ hash ${code.srcHash}`);
  out.push(
    `workload: ${args.workload.runs} runs × (${args.workload.params} params, ${args.workload.metrics} metrics × ${args.workload.steps} steps, ${args.workload.tags} tags) in ${args.workload.experiments} experiments — ` +
      `${manifest.summary.files} files, ${manifest.summary.folders} folders, ${manifest.summary.points} points${isReference ? ' (the reference workload)' : ' (NOT the reference workload)'}`,
  );
  out.push('');
  out.push(table(measurements));
  out.push('');
  out.push(table([['budget (DESIGN.md §9)', 'measured', 'budget', 'result'], ...budgets.map((b) => [b.what, b.measured, b.budget, pass(b.ok)])]));
  out.push('');
  out.push(
    `verification: store holds ${counts.runs} runs, ${counts.points} points (SELECT sum(count) FROM metrics), ${counts.params} params, ${counts.tags} tags, ` +
      `${counts.metricSeries} series, ${counts.diagnostics} diagnostics — expected ${expected.runs} runs, ${expected.points} points: ${verified ? 'OK' : 'MISMATCH'}`,
  );
  const comp = counts.composition;
  out.push(
    `database: ${comp.pages} pages × ${comp.pageSize} B (${comp.freePages} free) = ${mib(comp.pages * comp.pageSize).toFixed(1)} MiB; ` +
      (comp.seriesBlobBytes >= 0
        ? `series blobs in it ${mib(comp.seriesBlobBytes).toFixed(1)} MiB (${comp.seriesBytesPerPoint} B/point), everything else ${mib(comp.pages * comp.pageSize - comp.seriesBlobBytes).toFixed(1)} MiB`
        : 'series are not in it') +
      `; whole .mlcycle/: ${mib(c0.storeBytes).toFixed(1)} MiB in ${c0.storeFiles} files (${(c0.storeBytes / Math.max(1, counts.points)).toFixed(2)} B/point)`,
  );
  for (const d of counts.firstDiagnostics) out.push(`  diagnostic: ${d}`);
  for (const n of c0.notices) out.push(`  store notice: ${n}`);
  const prog = c0.progress;
  if (prog.length >= 8) {
    const rate = (a: [number, number], b: [number, number]): string => (((b[1] - a[1]) / Math.max(1, b[0] - a[0])) * 1000).toFixed(0);
    const q = Math.floor(prog.length / 4);
    out.push(`ingest throughput (runs/s) by quarter of the scan: ${[0, 1, 2, 3].map((i) => rate(prog[i * q]!, prog[Math.min(prog.length - 1, (i + 1) * q)]!)).join(', ')}`);
  }
  for (const p of profiles) out.push('', formatProfile(p));
  console.log(out.join('\n'));

  const resultFile = path.join(BENCH_DIR, 'results-ingest.json');
  const json = {
    startedAt: started.toISOString(),
    machine: m,
    code,
    workload: { options: args.workload, reference: isReference, summary: manifest.summary, reused, generationMs: manifest.generationMs },
    budgets: budgets.map((b) => ({ what: b.what, measured: b.measured, budget: b.budget, pass: b.ok })),
    figures: {
      floorMs,
      floorCpuMs: Math.min(...floors.map((f) => f.floor!.cpuMs)),
      walkMs: walk.floor!.ms,
      statMs: stat.floor!.ms,
      coldMs,
      coldRatio: coldMs / floorMs,
      coldCpuMs: median(cold.map((c) => c.cpuMs)),
      coldPeakRssMiB: coldPeak,
      rescanOpenMs: rescan.rescan!.openMs,
      rescanScanMs: rescan.rescan!.scanMs,
      rescanPeakRssMiB: rescan.memory.peakRssMiB,
      dbBytes: c0.dbBytes,
      storeBytes: c0.storeBytes,
      saveMedianMs: saveMs,
    },
    verified,
    children: { baseline, walk, stat, floors, colds, rescan, save },
    profiles,
  };
  fs.writeFileSync(resultFile, JSON.stringify(json, null, 2) + '\n');
  // A dated copy too, so that runs can be compared later.
  const history = path.join(BENCH_DIR, 'results', `ingest-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(history), { recursive: true });
  fs.copyFileSync(resultFile, history);
  log(`\nresults written to ${path.relative(PROJECT, resultFile)} (and ${path.relative(PROJECT, history)})`);
  if (!args.keep) fs.rmSync(path.join(workspace, '.mlcycle'), { recursive: true, force: true });
  if (!verified) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
