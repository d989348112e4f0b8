// TensorBoard: one event file of 1,000,000 scalars (PyTorch's add_scalar layout, 44 MB), read
// by MLCycle against floors measured in the same run (issue 3).
//   npx tsx bench/tensorboard.ts [--count N] [--repeat N]
// Floors: the bytes read alone; the records framed and CRC-checked; the same file decoded and
// parsed by our reader with nothing kept (the read floor the ingest is compared with). Peer: the
// reference reader of shared/recipes/formats/tfevents.js (when ../shared is there), same work.
// Then MLCycle's cold scan of the folder into a store, and a rescan with no change.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { maskedCrc32c, readEventFile } from '../src/core/ingest/tensorboard/events';
import type { Diagnostic } from '../src/core/ingest/types';
import { Workspace } from '../src/core/workspace';
import { writeScalarEventFile } from '../tools/lib/tfeventsWriter';

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const count = Number(args[args.indexOf('--count') + 1] ?? 0) || 1_000_000;
const repeat = Number(args.includes('--repeat') ? args[args.indexOf('--repeat') + 1] : 3);
const dir = path.join(ROOT, '.bench', `tensorboard-${count}`);
const runDir = path.join(dir, 'workspace', 'runs', 'exp1');
const file = path.join(runDir, 'events.out.tfevents.1700000000.bench.4242.0');

function timed<T>(fn: () => T): { ms: number; cpuMs: number; value: T } {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = fn();
  const c = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (c.user + c.system) / 1000, value };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const c = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (c.user + c.system) / 1000, value };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function best<T>(n: number, fn: () => { ms: number; cpuMs: number; value: T }): { ms: number; cpuMs: number; value: T } {
  const runs = Array.from({ length: n }, fn);
  const m = median(runs.map((r) => r.ms));
  return runs.find((r) => r.ms === m)!;
}

async function main(): Promise<void> {
  if (!fs.existsSync(file)) {
    console.log(`writing ${count} scalars to ${path.relative(ROOT, file)} …`);
    writeScalarEventFile(file, { count, tags: ['train/loss', 'train/acc', 'lr', 'grad_norm'] });
  }
  const size = fs.statSync(file).size;
  console.log(`event file: ${(size / 1048576).toFixed(1)} MiB, ${count} scalars; median of ${repeat}\n`);

  const readOnly = best(repeat, () => timed(() => fs.readFileSync(file).length));
  const framed = best(repeat, () =>
    timed(() => {
      const b = fs.readFileSync(file);
      let p = 0;
      let records = 0;
      while (p + 12 <= b.length) {
        const len = b.readUInt32LE(p);
        if (b.readUInt32LE(p + 8) !== maskedCrc32c(b, p, p + 8)) throw new Error('bad length crc');
        if (b.readUInt32LE(p + 12 + len) !== maskedCrc32c(b, p + 12, p + 12 + len)) throw new Error('bad data crc');
        p += 12 + len + 4;
        records++;
      }
      return records;
    }),
  );
  const decoded = best(repeat, () =>
    timed(() => {
      let n = 0;
      let sum = 0;
      const diags: Diagnostic[] = [];
      readEventFile(file, 0, { scalar: (_t, _s, _w, v) => ((n += 1), (sum += v)) }, diags);
      if (diags.length) throw new Error(diags[0]!.message);
      return { n, sum };
    }),
  );

  let peer: { ms: number; value: number } | undefined;
  const recipe = path.resolve(ROOT, '..', 'shared', 'recipes', 'formats', 'tfevents.js');
  if (fs.existsSync(recipe)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ref = require(recipe) as { readRecords(b: Uint8Array, o?: number): { records: Uint8Array[] }; parseEvent(r: Uint8Array): { kind: string }[] };
    peer = best(repeat, () =>
      timed(() => {
        const { records } = ref.readRecords(fs.readFileSync(file));
        let n = 0;
        for (const r of records) for (const item of ref.parseEvent(r)) if (item.kind === 'scalar') n++;
        return n;
      }),
    );
  }

  const colds: { ms: number; cpuMs: number }[] = [];
  let rescanMs = 0;
  let points = 0;
  for (let i = 0; i < repeat; i++) {
    fs.rmSync(path.join(dir, 'workspace', '.mlcycle'), { recursive: true, force: true });
    const ws = await Workspace.open(path.join(dir, 'workspace'));
    const cold = await timedAsync(() => ws.ingestor.scan());
    colds.push(cold);
    points = Number(ws.store.read((db) => db.exec('SELECT sum(count) FROM metrics')[0]?.values[0]?.[0] ?? 0));
    const again = await timedAsync(() => ws.ingestor.scan());
    rescanMs = again.ms;
    ws.close();
  }
  const cold = colds.find((c) => c.ms === median(colds.map((x) => x.ms)))!;
  if (decoded.value.n !== count || points !== count) throw new Error(`expected ${count} scalars, decoded ${decoded.value.n}, stored ${points}`);

  const rate = (ms: number): string => `${((count / ms) * 1000 / 1e6).toFixed(2)} M scalars/s`;
  const rows: [string, number, number | undefined, string][] = [
    ['floor: read the bytes', readOnly.ms, readOnly.cpuMs, `${((size / 1048576) / (readOnly.ms / 1000)).toFixed(0)} MiB/s`],
    ['floor: frame + CRC-32C every record', framed.ms, framed.cpuMs, rate(framed.ms)],
    ['read floor: decode + parse, keep nothing', decoded.ms, decoded.cpuMs, rate(decoded.ms)],
    ...(peer ? [['peer: shared/recipes tfevents.js, same work', peer.ms, undefined, rate(peer.ms)] as [string, number, undefined, string]] : []),
    ['MLCycle cold scan into the store', cold.ms, cold.cpuMs, `${rate(cold.ms)}; ${(cold.ms / decoded.ms).toFixed(2)}× the read floor`],
    ['MLCycle rescan, no change', rescanMs, undefined, 'nothing re-read'],
  ];
  console.log('| measurement | wall | CPU | rate |\n|---|---:|---:|---|');
  for (const [what, ms, cpu, note] of rows) console.log(`| ${what} | ${(ms / 1000).toFixed(3)} s | ${cpu === undefined ? '' : `${(cpu / 1000).toFixed(3)} s`} | ${note} |`);
  fs.writeFileSync(path.join(ROOT, '.bench', 'results-tensorboard.json'), JSON.stringify({ count, size, readOnly, framed, decoded, peer, cold, rescanMs }, null, 2));
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
