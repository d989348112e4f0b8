// The fixture workspace of the real-VS-Code tests (test/vscode/fixture.ts), read by the core alone: if this fails,
// the fixture is wrong, not the extension host.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { listRuns } from '../../src/core/store/queries';
import { Workspace } from '../../src/core/workspace';
import { tempDir } from '../helpers/temp';
import { FIXTURE_EXPERIMENT, FIXTURE_RUNS, LATE_RUN, writeFixtureWorkspace, writeRun } from '../vscode/fixture';

describe('the test/vscode fixture workspace', function () {
  it('scans into the two runs the in-host and UI tests expect, then a third', async function () {
    const folder = writeFixtureWorkspace(path.join(tempDir(), 'workspace'));
    const ws = await Workspace.open(folder, { saveDelayMs: 0 });
    try {
      await ws.ingestor.scan();
      let runs = ws.store.read((db) => listRuns(db));
      assert.deepEqual(runs.map((r) => r.name).sort(), FIXTURE_RUNS.map((r) => r.name).sort());
      for (const expected of FIXTURE_RUNS) {
        const run = runs.find((r) => r.id === expected.id);
        assert.ok(run);
        assert.equal(run.status, 'FINISHED');
        assert.equal(run.experimentId, FIXTURE_EXPERIMENT.id);
        assert.equal(run.experiment, FIXTURE_EXPERIMENT.name);
        assert.deepEqual(run.params, expected.params);
        const points = expected.metrics['loss']!;
        assert.equal(run.metrics['loss']?.last, points[points.length - 1]![1]);
      }
      writeRun(folder, LATE_RUN);
      await ws.ingestor.scan();
      runs = ws.store.read((db) => listRuns(db));
      assert.equal(runs.length, FIXTURE_RUNS.length + 1);
    } finally {
      ws.close();
    }
  });
});
