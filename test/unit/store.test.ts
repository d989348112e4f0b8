// The store on a real sql.js database on disk: migrations, atomic saves, repair of damaged files,
// and two processes writing one store.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSqlJs } from '../../src/core/store/sqljs';
import { SCHEMA_VERSION, MIGRATIONS, migrate, schemaVersion } from '../../src/core/store/schema';
import { Store, type StoreNotice } from '../../src/core/store/store';
import { writeExperiment, writeRun } from '../../tools/lib/mlflowFiles';
import { scanFolder } from '../helpers/scan';
import { tempDir } from '../helpers/temp';

const CHILD = path.resolve(__dirname, '..', 'helpers', 'storeChild.ts');

function child(args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['-r', 'tsx/cjs', CHILD, ...args], { encoding: 'utf8' });
}

async function openStore(dbPath: string): Promise<{ store: Store; notices: StoreNotice[] }> {
  const notices: StoreNotice[] = [];
  const store = await Store.open(dbPath, { onNotice: (n) => notices.push(n) });
  return { store, notices };
}

function tableNames(store: Store): string[] {
  return store.read((db) => db.exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")[0]!.values.map((r) => String(r[0])));
}

function smallWorkspace(): string {
  const folder = tempDir();
  const mlruns = path.join(folder, 'mlruns');
  writeExperiment(mlruns, { id: '0', name: 'Default' });
  writeRun(mlruns, { experimentId: '0', runId: 'f'.repeat(32), name: 'one', startTime: 1, endTime: 2, params: { a: '1' } });
  return folder;
}

describe('store', () => {
  it('creates the database with every migration, and .mlcycle/.gitignore', async () => {
    const folder = tempDir();
    const dbPath = path.join(folder, '.mlcycle', 'mlcycle.db');
    const { store } = await openStore(dbPath);
    assert.equal(store.read(schemaVersion), SCHEMA_VERSION);
    assert.ok(tableNames(store).includes('runs'));
    store.commit((db) => db.run("INSERT INTO sources (kind, path) VALUES ('mlflow', 'x')"));
    store.close();
    assert.ok(fs.statSync(dbPath).size > 0);
    assert.match(fs.readFileSync(path.join(folder, '.mlcycle', '.gitignore'), 'utf8'), /mlcycle\.db\*/);
    const again = await openStore(dbPath);
    assert.equal(again.store.read((db) => db.exec('SELECT path FROM sources')[0]!.values[0]![0]), 'x');
    assert.deepEqual(again.notices, []);
    again.store.close();
  });

  it('migrates from every earlier schema version', async () => {
    const SQL = await loadSqlJs();
    for (let from = 0; from < SCHEMA_VERSION; from++) {
      const db = new SQL.Database();
      for (const m of MIGRATIONS.filter((x) => x.version <= from)) {
        db.exec(m.sql);
        db.exec(`PRAGMA user_version = ${m.version}`);
      }
      assert.equal(migrate(db), SCHEMA_VERSION);
      assert.equal(schemaVersion(db), SCHEMA_VERSION);
      db.close();
    }
  });

  for (const [label, damage] of [
    ['an empty file', (): Uint8Array => new Uint8Array(0)],
    ['random bytes', (): Uint8Array => new Uint8Array(8192).map((_, i) => (i * 7919) % 251)],
    ['a file left half-written', (valid: Uint8Array): Uint8Array => valid.subarray(0, Math.floor(valid.length / 2))],
    ['a corrupted page', (valid: Uint8Array): Uint8Array => {
      const bad = Uint8Array.from(valid);
      bad.fill(0xee, 4096, 8192);
      return bad;
    }],
  ] as const) {
    it(`moves aside and rebuilds ${label}, with a clear message`, async () => {
      const folder = smallWorkspace();
      const first = await scanFolder(folder);
      assert.equal(first.runs.length, 1);
      first.ws.close();
      const dbPath = path.join(folder, '.mlcycle', 'mlcycle.db');
      const valid = fs.readFileSync(dbPath);
      fs.writeFileSync(dbPath, damage(valid));
      const second = await scanFolder(folder);
      assert.equal(second.notices.length, 1, JSON.stringify(second.notices));
      assert.equal(second.notices[0]!.level, 'warning');
      assert.match(second.notices[0]!.message, /could not be used: .+\. It was moved to mlcycle\.db\.corrupt-/);
      const aside = fs.readdirSync(path.join(folder, '.mlcycle')).filter((n) => n.startsWith('mlcycle.db.corrupt-'));
      assert.equal(aside.length, 1);
      // Rebuilt from the workspace files: nothing derived is lost.
      assert.equal(second.runs.length, 1);
      assert.equal(second.runs[0]!.params['a'], '1');
    });
  }

  it('moves aside a store written by a newer MLCycle', async () => {
    const folder = smallWorkspace();
    const dbPath = path.join(folder, '.mlcycle', 'mlcycle.db');
    const { store } = await openStore(dbPath);
    store.commit((db) => db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`));
    store.close();
    const { store: reopened, notices } = await openStore(dbPath);
    assert.match(notices[0]!.message, new RegExp(`newer MLCycle \\(schema ${SCHEMA_VERSION + 5}`));
    assert.ok(fs.readdirSync(path.dirname(dbPath)).some((n) => n.startsWith('mlcycle.db.newer-')));
    assert.equal(reopened.read(schemaVersion), SCHEMA_VERSION);
    reopened.close();
  });

  it('a process killed while saving leaves the previous whole database, and its temp file is cleaned up', async () => {
    const folder = tempDir();
    const dbPath = path.join(folder, 'mlcycle.db');
    const proc = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, 'churn', dbPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
    // Let it save a few growing versions, then kill it hard, most likely in the middle of a write.
    await new Promise((r) => setTimeout(r, 800));
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    const { store, notices } = await openStore(dbPath);
    assert.deepEqual(notices, []);
    const n = store.read((db) => Number(db.exec('SELECT count(*) FROM ballast')[0]!.values[0]![0]));
    assert.ok(n >= 1, `expected saved rows, found ${n}`);
    store.close();
    assert.deepEqual(
      fs.readdirSync(folder).filter((f) => f.includes('.tmp-')),
      [],
    );
  });

  it('two processes committing at once keep every action', async () => {
    const folder = tempDir();
    const dbPath = path.join(folder, 'mlcycle.db');
    const run = (tag: string): Promise<number> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, 'commit', dbPath, tag, '40'], { stdio: 'inherit' });
        p.once('exit', (code) => resolve(code ?? 1));
      });
    const codes = await Promise.all([run('A'), run('B')]);
    assert.deepEqual(codes, [0, 0]);
    const { store } = await openStore(dbPath);
    const rows = store.read((db) => db.exec('SELECT tag, count(*), count(DISTINCT n) FROM scratch GROUP BY tag ORDER BY tag')[0]!.values);
    assert.deepEqual(rows, [
      ['A', 40, 40],
      ['B', 40, 40],
    ]);
    store.close();
  });

  it('a scan in another process while this one holds unsaved scan results: both end up complete', async () => {
    const folder = smallWorkspace();
    const mine = await scanFolder(folder);
    writeRun(path.join(folder, 'mlruns'), { experimentId: '0', runId: 'e'.repeat(32), name: 'two', startTime: 3, endTime: 4 });
    assert.equal(child(['scan', folder]).status, 0);
    // Our store notices the other save, reloads, and shows both runs without losing anything.
    assert.equal(mine.ws.store.reloadIfChanged(), true);
    const { runs } = await (async () => {
      await mine.ws.ingestor.scan();
      return { runs: mine.ws.store.read((db) => db.exec('SELECT native_id FROM runs ORDER BY native_id')[0]!.values.flat()) };
    })();
    assert.deepEqual(runs, ['e'.repeat(32), 'f'.repeat(32)]);
  });
});
