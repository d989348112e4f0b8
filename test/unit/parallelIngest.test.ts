// Many runs are parsed in worker threads; the result must be exactly what one thread reads.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { generateMlruns, SMALL_WORKLOAD } from '../../bench/lib/mlrunsGenerator';
import { listRuns, readHistories } from '../../src/core/store/queries';
import { Workspace } from '../../src/core/workspace';
import { tempDir } from '../helpers/temp';

async function snapshot(folder: string, workers: number, storeName: string): Promise<unknown> {
  const ws = await Workspace.open(folder, { workers, storePath: path.join(folder, '.mlcycle', storeName) });
  try {
    const summary = await ws.ingestor.scan();
    assert.equal(summary.sources[0]!.runsRead, SMALL_WORKLOAD.runs);
    const runs = ws.store.read((db) => listRuns(db, { includeDeleted: true })).map(({ uid: _uid, ...r }) => r);
    const histories = runs.map((r) => readHistories(ws.store.series, r));
    return { runs, histories };
  } finally {
    ws.close();
  }
}

describe('parallel ingest', () => {
  it('reads 200 runs in worker threads exactly as on one thread', async () => {
    const folder = tempDir();
    generateMlruns(path.join(folder, 'mlruns'), SMALL_WORKLOAD);
    const threaded = await snapshot(folder, 2, 'threaded.db');
    const single = await snapshot(folder, 0, 'single.db');
    assert.deepEqual(threaded, single);
  });
});
