import assert from 'node:assert/strict';
import * as path from 'node:path';
import { defaultAdapters } from '../../src/core/ingest/adapters';
import { discover } from '../../src/core/ingest/discovery';
import { writeExperiment, writeRun } from '../../tools/lib/mlflowFiles';
import { tempDir, writeFile } from '../helpers/temp';

function store(at: string): void {
  writeExperiment(at, { id: '0', name: 'Default' });
  writeRun(at, { experimentId: '0', runId: 'a'.repeat(32), name: 'r', startTime: 1, endTime: 2 });
}

describe('discovery', () => {
  it('finds nested stores and skips dependencies, version control, virtual environments and user excludes', async () => {
    const ws = tempDir();
    store(path.join(ws, 'mlruns'));
    store(path.join(ws, 'projects', 'a', 'mlruns'));
    store(path.join(ws, 'experiments', 'old_runs')); // any name: found by its layout
    writeFile(path.join(ws, 'projects', 'b', 'mlflow.db'), 'SQLite format 3\0');
    store(path.join(ws, 'node_modules', 'pkg', 'mlruns'));
    store(path.join(ws, '.git', 'mlruns'));
    writeFile(path.join(ws, 'env312', 'pyvenv.cfg'), 'home = /usr/bin\n');
    store(path.join(ws, 'env312', 'lib', 'mlruns'));
    store(path.join(ws, 'scratch', 'mlruns'));
    const found = await discover(ws, defaultAdapters(), { exclude: ['scratch/**', 'scratch'] });
    assert.deepEqual(
      found.roots.map((r) => [r.kind, path.relative(ws, r.path)]),
      [
        ['mlflow', 'experiments/old_runs'],
        ['mlflow', 'mlruns'],
        ['mlflow', 'projects/a/mlruns'],
        ['mlflow-sqlite', 'projects/b/mlflow.db'],
      ],
    );
    // Experiment and run folders of a store are not walked by discovery (the adapter reads them).
    assert.ok(found.foldersVisited < 20, `${found.foldersVisited} folders visited`);
  });
});
