// A second process touching the same store, for the concurrency and crash tests.
// Usage: node -r tsx/cjs test/helpers/storeChild.ts <mode> <dbPath> [args]
//   commit <dbPath> <tag> <count>   commits <count> user actions (rows in a scratch table)
//   churn  <dbPath>                  saves a growing database in a loop until killed
//   scan   <folder>                  scans the folder into its default store
import { Store } from '../../src/core/store/store';
import { Workspace } from '../../src/core/workspace';

async function main(): Promise<void> {
  const [mode, target, ...rest] = process.argv.slice(2);
  if (!mode || !target) throw new Error('usage: storeChild <mode> <path> [args]');
  if (mode === 'commit') {
    const [tag, countText] = rest;
    const store = await Store.open(target);
    const count = Number(countText);
    for (let i = 0; i < count; i++) {
      store.commit((db) => {
        db.run('CREATE TABLE IF NOT EXISTS scratch (tag TEXT, n INTEGER)');
        db.run('INSERT INTO scratch VALUES (?, ?)', [tag!, i]);
      });
    }
    store.close();
  } else if (mode === 'churn') {
    const store = await Store.open(target);
    const blob = new Uint8Array(4 * 1024 * 1024).fill(7);
    for (let i = 0; ; i++) {
      store.commit((db) => {
        db.run('CREATE TABLE IF NOT EXISTS ballast (n INTEGER, b BLOB)');
        db.run('INSERT INTO ballast VALUES (?, ?)', [i, blob]);
      });
      if (i === 0) process.stdout.write('saved\n'); // the parent kills us from now on
    }
  } else if (mode === 'scan') {
    const ws = await Workspace.open(target);
    await ws.ingestor.scan();
    ws.close();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error).stack ?? err) + '\n');
  process.exitCode = 1;
});
