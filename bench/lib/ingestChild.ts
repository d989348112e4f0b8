// One measurement of the ingest benchmark, in its own process so that its peak RSS is its own.
// Started by bench/ingest.ts with fork(); replies with one message (a PhaseResult) and exits.
//
//   argv: <phase> <workspace folder>     phase: baseline | walk | stat | floor | cold | rescan | save
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cpuMsSince, readFloor, statFloor, walkFloor, type FloorResult } from './floors';

export type Phase = 'baseline' | 'walk' | 'stat' | 'floor' | 'cold' | 'rescan' | 'save';

export interface MemoryFigures {
  /** process.resourceUsage().maxRSS, in MiB: the peak of the whole process. */
  peakRssMiB: number;
  /** RSS and heap when the work was done (before closing the store). */
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  /** RSS after a full GC, with the store still open (what the core keeps). */
  rssAfterGcMiB?: number;
}

export interface StoreCounts {
  runs: number;
  experiments: number;
  params: number;
  tags: number;
  metricSeries: number;
  points: number;
  diagnostics: number;
  firstDiagnostics: string[];
  /** What the database is made of. */
  composition: { pageSize: number; pages: number; freePages: number; seriesBlobBytes: number; seriesBytesPerPoint: number };
}

export interface ColdResult {
  openMs: number;
  scanMs: number;
  closeMs: number;
  totalMs: number;
  /** CPU time (user + system) of open + scan + close. */
  cpuMs: number;
  dbBytes: number;
  /** Everything under .mlcycle/ (the database and any files kept beside it, such as series files). */
  storeBytes: number;
  storeFiles: number;
  runsRead: number;
  counts: StoreCounts;
  notices: string[];
  /** [ms since the scan started, runs read] at each batch: shows whether throughput holds up. */
  progress: [number, number][];
}

export interface RescanResult {
  openMs: number;
  /** The first scan after opening: what a restart of the editor pays. */
  scanMs: number;
  scanCpuMs: number;
  /** Further scans in the same process (a periodic reconciliation). */
  againMs: number[];
  runsRead: number;
  /** Whether the scan rewrote the database file although nothing changed. */
  savedDuringScan: boolean;
  dbBytes: number;
}

export interface SaveResult {
  openMs: number;
  /** Store.mutate(trivial) + Store.flush(): lock, export(), temp file, fsync, rename. */
  saveMs: number[];
  /** Parts of one save, measured separately. */
  exportMs: number;
  writeMs: number;
  dbBytes: number;
}

export interface PhaseResult {
  phase: Phase;
  memory: MemoryFigures;
  /** CPU time of the whole child (user + system), less sensitive than wall time to other load. */
  cpu?: { userMs: number; systemMs: number };
  /** 1-minute load average when the child started and when it ended (2 CPUs: > 2 means contention). */
  load?: [number, number];
  floor?: FloorResult;
  cold?: ColdResult;
  rescan?: RescanResult;
  save?: SaveResult;
}

const MiB = 1024 * 1024;
const round1 = (x: number): number => Math.round(x * 10) / 10;

function memory(extra: Partial<MemoryFigures> = {}): MemoryFigures {
  const m = process.memoryUsage();
  return {
    peakRssMiB: round1(process.resourceUsage().maxRSS / 1024),
    rssMiB: round1(m.rss / MiB),
    heapUsedMiB: round1(m.heapUsed / MiB),
    externalMiB: round1(m.external / MiB),
    arrayBuffersMiB: round1(m.arrayBuffers / MiB),
    ...extra,
  };
}

function gcRss(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  gc();
  return round1(process.memoryUsage().rss / MiB);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

type Core = typeof import('../../src/core/workspace');
type StoreModule = typeof import('../../src/core/store/store');
type Db = import('sql.js').Database;

function scalar(db: Db, sql: string): number {
  return Number(db.exec(sql)[0]?.values[0]?.[0] ?? 0);
}

/** For figures that depend on the schema of the day (series may move out of the database): -1 if the query fails. */
function scalarOr(db: Db, sql: string): number {
  try {
    return scalar(db, sql);
  } catch {
    return -1;
  }
}

function countStore(db: Db): StoreCounts {
  return {
    runs: scalar(db, 'SELECT count(*) FROM runs'),
    experiments: scalar(db, 'SELECT count(*) FROM experiments'),
    params: scalar(db, 'SELECT count(*) FROM params'),
    tags: scalar(db, 'SELECT count(*) FROM tags'),
    metricSeries: scalar(db, 'SELECT count(*) FROM metrics'),
    points: scalar(db, 'SELECT coalesce(sum(count), 0) FROM metrics'),
    diagnostics: scalar(db, 'SELECT count(*) FROM diagnostics'),
    firstDiagnostics: (db.exec('SELECT severity, file, message FROM diagnostics LIMIT 5')[0]?.values ?? []).map((r) => r.join(' | ')),
    composition: {
      pageSize: scalar(db, 'PRAGMA page_size'),
      pages: scalar(db, 'PRAGMA page_count'),
      freePages: scalar(db, 'PRAGMA freelist_count'),
      seriesBlobBytes: scalarOr(db, 'SELECT coalesce(sum(length(series)), 0) FROM metrics'),
      seriesBytesPerPoint:
        Math.round((scalarOr(db, 'SELECT coalesce(sum(length(series)), 0) FROM metrics') / Math.max(1, scalar(db, 'SELECT coalesce(sum(count), 0) FROM metrics'))) * 100) / 100,
    },
  };
}

function folderSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        bytes += fs.statSync(p).size;
        files++;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

function dbSize(core: Core, workspace: string): number {
  try {
    return fs.statSync(core.Workspace.defaultStorePath(workspace)).size;
  } catch {
    return 0;
  }
}

async function cold(workspace: string): Promise<PhaseResult> {
  const core: Core = await import('../../src/core/workspace');
  fs.rmSync(path.join(workspace, core.STORE_FOLDER), { recursive: true, force: true });
  const notices: string[] = [];
  const progress: [number, number][] = [];
  let scanStarted = 0;
  let lastReport = 0;

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ws = await core.Workspace.open(workspace, { onNotice: (n) => notices.push(`${n.level}: ${n.message}`) });
  const t1 = performance.now();
  scanStarted = t1;
  const summary = await ws.ingestor.scan({
    onProgress: (e) => {
      const at = performance.now() - scanStarted;
      progress.push([Math.round(at), e.runsRead]);
      if (at - lastReport > 10_000) {
        lastReport = at;
        process.stderr.write(`    … ${e.runsRead} runs read after ${(at / 1000).toFixed(1)} s\n`);
      }
    },
  });
  const t2 = performance.now();
  const scanCpuMs = cpuMsSince(cpu0);
  // Counting is not part of the ingest: it runs between the scan and the close, off the clock.
  const counts = ws.store.read(countStore);
  const mem = memory();
  const rssAfterGc = gcRss();
  const cpu3 = process.cpuUsage();
  const t3 = performance.now();
  ws.close();
  const t4 = performance.now();
  const closeCpuMs = cpuMsSince(cpu3);
  return {
    phase: 'cold',
    memory: { ...mem, ...(rssAfterGc !== undefined ? { rssAfterGcMiB: rssAfterGc } : {}), peakRssMiB: memory().peakRssMiB },
    cold: {
      openMs: t1 - t0,
      scanMs: t2 - t1,
      closeMs: t4 - t3,
      totalMs: t2 - t0 + (t4 - t3),
      cpuMs: scanCpuMs + closeCpuMs,
      dbBytes: dbSize(core, workspace),
      ...((f) => ({ storeBytes: f.bytes, storeFiles: f.files }))(folderSize(path.join(workspace, core.STORE_FOLDER))),
      runsRead: summary.sources.reduce((a, s) => a + s.runsRead, 0),
      counts,
      notices,
      progress,
    },
  };
}

async function rescan(workspace: string): Promise<PhaseResult> {
  const core: Core = await import('../../src/core/workspace');
  const dbPath = core.Workspace.defaultStorePath(workspace);
  const mtimeBefore = fs.statSync(dbPath).mtimeMs;
  const t0 = performance.now();
  const ws = await core.Workspace.open(workspace);
  const t1 = performance.now();
  const cpu1 = process.cpuUsage();
  const summary = await ws.ingestor.scan();
  const t2 = performance.now();
  const scanCpuMs = cpuMsSince(cpu1);
  const savedDuringScan = fs.statSync(dbPath).mtimeMs !== mtimeBefore;
  const againMs: number[] = [];
  for (let i = 0; i < 2; i++) {
    const a = performance.now();
    await ws.ingestor.scan();
    againMs.push(performance.now() - a);
  }
  const mem = memory();
  const rssAfterGc = gcRss();
  ws.close();
  return {
    phase: 'rescan',
    memory: { ...mem, ...(rssAfterGc !== undefined ? { rssAfterGcMiB: rssAfterGc } : {}), peakRssMiB: memory().peakRssMiB },
    rescan: {
      openMs: t1 - t0,
      scanMs: t2 - t1,
      scanCpuMs,
      againMs,
      runsRead: summary.sources.reduce((a, s) => a + s.runsRead, 0),
      savedDuringScan,
      dbBytes: dbSize(core, workspace),
    },
  };
}

async function save(workspace: string): Promise<PhaseResult> {
  const core: Core = await import('../../src/core/workspace');
  const storeModule: StoreModule = await import('../../src/core/store/store');
  const t0 = performance.now();
  const ws = await core.Workspace.open(workspace);
  const t1 = performance.now();
  const saveMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = performance.now();
    ws.store.mutate((db) => db.run('UPDATE sources SET scanned_at = ?', [Date.now()]));
    ws.store.flush();
    saveMs.push(performance.now() - a);
  }
  // The two halves of a save, apart: export() copies the WebAssembly database out, then the bytes
  // go to a temporary file with fsync and rename.
  const a = performance.now();
  const bytes = ws.store.db.export();
  storeModule.applyPragmas(ws.store.db);
  const b = performance.now();
  const tmp = path.join(workspace, core.STORE_FOLDER, 'bench-save-copy.db');
  storeModule.writeAtomically(tmp, bytes);
  const c = performance.now();
  fs.rmSync(tmp, { force: true });
  const mem = memory();
  ws.close();
  return {
    phase: 'save',
    memory: mem,
    save: { openMs: t1 - t0, saveMs, exportMs: b - a, writeMs: c - b, dbBytes: bytes.length },
  };
}

async function baseline(): Promise<PhaseResult> {
  // Node + the TypeScript loader + the core's modules + sql.js compiled: what every child pays.
  await import('../../src/core/workspace');
  const { loadSqlJs } = await import('../../src/core/store/sqljs');
  await loadSqlJs();
  return { phase: 'baseline', memory: memory() };
}

export async function runPhase(phase: Phase, workspace: string): Promise<PhaseResult> {
  const mlruns = path.join(workspace, 'mlruns');
  switch (phase) {
    case 'baseline':
      return baseline();
    case 'walk':
      return { phase, floor: walkFloor(mlruns), memory: memory() };
    case 'stat':
      return { phase, floor: statFloor(mlruns), memory: memory() };
    case 'floor':
      return { phase, floor: readFloor(mlruns), memory: memory() };
    case 'cold':
      return cold(workspace);
    case 'rescan':
      return rescan(workspace);
    case 'save':
      return save(workspace);
  }
}

export { median };

if (require.main === module) {
  const [phase, workspace] = process.argv.slice(2) as [Phase, string];
  const loadBefore = os.loadavg()[0]!;
  runPhase(phase, workspace).then(
    (r) => {
      const u = process.resourceUsage();
      const result: PhaseResult = {
        ...r,
        cpu: { userMs: Math.round(u.userCPUTime / 1000), systemMs: Math.round(u.systemCPUTime / 1000) },
        load: [round1(loadBefore), round1(os.loadavg()[0]!)],
      };
      process.send?.(result, () => process.exit(0));
      if (!process.send) {
        console.log(JSON.stringify(result, null, 2));
        process.exit(0);
      }
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
