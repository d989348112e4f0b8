// The model registry on real files: snapshots in the object store, every life-cycle transition,
// policy gates, aliases, the journal as the truth (rebuild, damaged lines, torn tails), and two
// processes acting at once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cancelled } from '../../src/core/registry/objects';
import { GateRefusal, RegistryError, type Registry } from '../../src/core/registry/registry';
import { Workspace } from '../../src/core/workspace';
import { writeExperiment, writeRun } from '../../tools/lib/mlflowFiles';
import { tempDir, writeFile } from '../helpers/temp';

const RUN_A = 'a'.repeat(32);
const RUN_B = 'b'.repeat(32);
const T0 = 1_760_000_000_000;
const CHILD = path.resolve(__dirname, '..', 'helpers', 'registryChild.ts');

const open: Workspace[] = [];
afterEach(() => {
  for (const ws of open.splice(0)) ws.close();
});

/** A workspace with two finished runs that each wrote a model, scanned. */
async function workspace(env: Parameters<Workspace['registry']>[0] = {}): Promise<{ folder: string; ws: Workspace; registry: Registry; modelA: string; modelB: string }> {
  const folder = tempDir();
  const mlruns = path.join(folder, 'mlruns');
  writeExperiment(mlruns, { id: '0', name: 'Default' });
  const runA = writeRun(mlruns, {
    experimentId: '0',
    runId: RUN_A,
    name: 'run-a',
    startTime: T0,
    endTime: T0 + 10,
    params: { lr: '0.1' },
    metrics: { accuracy: [{ timestamp: T0, value: 0.81, step: 0 }], val_loss: [{ timestamp: T0, value: 0.42, step: 0 }] },
  });
  const runB = writeRun(mlruns, {
    experimentId: '0',
    runId: RUN_B,
    name: 'run-b',
    startTime: T0 + 100,
    endTime: T0 + 110,
    params: { lr: '0.05' },
    metrics: { accuracy: [{ timestamp: T0, value: 0.87, step: 0 }], val_loss: [{ timestamp: T0, value: 0.31, step: 0 }] },
  });
  const modelA = writeFile(path.join(runA, 'artifacts', 'model', 'model.pkl'), 'weights of a');
  writeFile(path.join(runA, 'artifacts', 'model', 'MLmodel'), 'flavors: {}\n');
  const modelB = writeFile(path.join(runB, 'artifacts', 'model.pkl'), 'weights of b');
  const ws = await Workspace.open(folder, { git: false });
  open.push(ws);
  await ws.ingestor.scan();
  return { folder, ws, registry: ws.registry({ actor: () => 'Ada <ada@example.com>', ...env }), modelA, modelB };
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('registry', () => {
  it('registers a file and a folder: bytes snapshotted by hash, the producing run found, metrics kept', async () => {
    const { registry, modelA, modelB } = await workspace();
    const v1 = await registry.register({ model: 'churn', path: path.dirname(modelA) });
    assert.equal(v1.version, 1);
    assert.equal(v1.stage, 'candidate');
    assert.deepEqual(v1.run, { source: 'mlruns', id: RUN_A, name: 'run-a' });
    assert.equal(v1.metrics['accuracy']!.last, 0.81);
    assert.equal(v1.params['lr'], '0.1');
    assert.equal(v1.actor, 'Ada <ada@example.com>');
    const stored = registry.objects.pathOf(sha('weights of a'));
    assert.equal(fs.readFileSync(stored, 'utf8'), 'weights of a');
    // Retraining overwrites the file: the registered bytes do not change.
    fs.writeFileSync(modelA, 'weights of a, retrained');
    assert.equal(fs.readFileSync(stored, 'utf8'), 'weights of a');
    const v2 = await registry.register({ model: 'churn', path: modelB });
    assert.deepEqual([v2.version, v2.run?.id, v2.bytes], [2, RUN_B, 'weights of b'.length]);
    const again = await registry.register({ model: 'churn', path: modelB });
    assert.equal(again.digest, v2.digest); // same content, same digest; stored once
    assert.equal(fs.readdirSync(path.join(registry.objects.dir)).filter((d) => d !== 'tmp').length, 3);
  });

  it('refuses bad names, paths outside the workspace and links leading out of it', async () => {
    const { registry, modelA, folder } = await workspace();
    for (const bad of ['churn model', 'team/churn', '..', 'a..b', '-x', '']) {
      await assert.rejects(registry.register({ model: bad, path: modelA }), RegistryError, bad);
    }
    const outside = tempDir('mlcycle-outside-');
    writeFile(path.join(outside, 'secret.pkl'), 'not yours');
    await assert.rejects(registry.register({ model: 'm', path: path.join(outside, 'secret.pkl') }), /outside the workspace/);
    await assert.rejects(registry.register({ model: 'm', path: '../../etc/passwd' }), /outside the workspace/);
    const dir = path.join(folder, 'models', 'linked');
    fs.mkdirSync(dir, { recursive: true });
    writeFile(path.join(dir, 'model.pkl'), 'ok');
    fs.symlinkSync(path.join(outside, 'secret.pkl'), path.join(dir, 'extra.pkl'));
    await assert.rejects(registry.register({ model: 'm', path: dir }), /extra\.pkl is a symbolic link to .*outside the workspace/);
    fs.symlinkSync(path.join(outside, 'secret.pkl'), path.join(folder, 'direct.pkl'));
    await assert.rejects(registry.register({ model: 'm', path: path.join(folder, 'direct.pkl') }), /outside the workspace/);
    assert.deepEqual(registry.models(), []);
  });

  it('walks the life cycle; production demotes the previous one; forbidden moves are refused', async () => {
    const { registry, modelA, modelB } = await workspace();
    await registry.register({ model: 'churn', path: modelA });
    await registry.register({ model: 'churn', path: modelB });
    await registry.setStage({ model: 'churn', version: 1, stage: 'staging' });
    await registry.setStage({ model: 'churn', version: 1, stage: 'production' });
    const r = await registry.setStage({ model: 'churn', version: 2, stage: 'production' });
    assert.deepEqual(r.demoted, [1]);
    const [m] = registry.models();
    assert.deepEqual(
      m!.versions.map((v) => [v.version, v.stage, v.stageReason]),
      [
        [1, 'decommissioned', 'superseded by v2'],
        [2, 'production', null],
      ],
    );
    await assert.rejects(registry.setStage({ model: 'churn', version: 1, stage: 'production' }), /decommissioned version can only be archived/);
    await assert.rejects(registry.setStage({ model: 'churn', version: 2, stage: 'archived' }), /decommission the production version/);
    await assert.rejects(registry.setStage({ model: 'churn', version: 2, stage: 'candidate' }), /cannot go back to candidate/);
    await assert.rejects(registry.setStage({ model: 'churn', version: 9, stage: 'staging' }), /churn has no version 9 \(it has v1, v2\)/);
    await assert.rejects(registry.setStage({ model: 'nope', version: 1, stage: 'staging' }), /no model named nope/);
    await registry.setStage({ model: 'churn', version: 1, stage: 'archived' });
    await assert.rejects(registry.setStage({ model: 'churn', version: 1, stage: 'staging' }), /archived version is frozen/);
    const history = registry.history('churn').map((h) => h.detail);
    assert.deepEqual(history.slice(2), [
      'v1: candidate → staging',
      'v1: staging → production',
      'v1: production → decommissioned (superseded by v2)',
      'v2: candidate → production',
      'v1: decommissioned → archived',
    ]);
  });

  it('decommissioning asks for a reason: one of the kinds, or other with a text', async () => {
    const { registry, modelA } = await workspace();
    await registry.register({ model: 'churn', path: modelA });
    await assert.rejects(registry.setStage({ model: 'churn', version: 1, stage: 'decommissioned' }), /needs a reason/);
    await assert.rejects(registry.setStage({ model: 'churn', version: 1, stage: 'decommissioned', reasonKind: 'other' }), /"other" needs a text/);
    const r = await registry.setStage({ model: 'churn', version: 1, stage: 'decommissioned', reasonKind: 'process-changed', reason: 'new pricing since March' });
    assert.equal(r.version.stageReason, 'the modelled process changed: new pricing since March');
  });

  it('policy gates: thresholds, beating production, package, clean tree, reason; a refusal names each failed gate with its numbers', async () => {
    const { registry, modelA, modelB } = await workspace({ packageVerified: () => false, gitClean: async () => false });
    writeFile(
      registry.policyFile,
      'staging:\n  metrics:\n    accuracy: { min: 0.85 }\n    val_loss: { max: 0.5 }\nproduction:\n  beat_production: accuracy\n  package_verified: true\n  git_clean: true\n  reason: true\n',
    );
    await registry.register({ model: 'churn', path: modelA });
    await registry.register({ model: 'churn', path: modelB });
    const refusal = await registry.setStage({ model: 'churn', version: 1, stage: 'staging' }).then(
      () => assert.fail('should refuse'),
      (e: unknown) => e as GateRefusal,
    );
    assert.ok(refusal instanceof GateRefusal);
    assert.deepEqual(
      refusal.gates.map((g) => [g.gate, g.ok, g.detail]),
      [
        ['accuracy ≥ 0.85', false, 'accuracy is 0.81'],
        ['val_loss ≤ 0.5', true, 'val_loss is 0.42'],
      ],
    );
    assert.match(refusal.message, /v1 of churn cannot enter staging:\n {2}✗ accuracy ≥ 0\.85: accuracy is 0\.81/);
    await registry.setStage({ model: 'churn', version: 2, stage: 'staging' });
    const prod = await registry.setStage({ model: 'churn', version: 2, stage: 'production', reason: 'best' }).then(
      () => assert.fail('should refuse'),
      (e: unknown) => e as GateRefusal,
    );
    assert.deepEqual(
      prod.gates.filter((g) => !g.ok).map((g) => g.gate),
      ['package built and verified', 'git tree clean'],
    );
    assert.equal(registry.models()[0]!.versions[1]!.stage, 'staging'); // nothing moved
  });

  it('a version must beat the one in production', async () => {
    const { registry, modelA, modelB } = await workspace();
    writeFile(registry.policyFile, 'production:\n  beat_production: { metric: val_loss, margin: 0.05 }\n');
    await registry.register({ model: 'churn', path: modelB });
    await registry.register({ model: 'churn', path: modelA });
    await registry.setStage({ model: 'churn', version: 1, stage: 'production' }); // nothing to beat yet
    const refusal = await registry.setStage({ model: 'churn', version: 2, stage: 'production' }).catch((e: unknown) => e as GateRefusal);
    assert.ok(refusal instanceof GateRefusal);
    assert.equal(refusal.gates[0]!.detail, 'v2: 0.42, production v1: 0.31');
  });

  it('aliases point at one version each, move, and are removed; archived versions take none', async () => {
    const { registry, modelA, modelB } = await workspace();
    await registry.register({ model: 'churn', path: modelA });
    await registry.register({ model: 'churn', path: modelB });
    registry.setAlias('churn', 'champion', 1);
    registry.setAlias('churn', 'challenger', 2);
    registry.setAlias('churn', 'champion', 2);
    assert.deepEqual(registry.model('churn')!.aliases, { champion: 2, challenger: 2 });
    registry.removeAlias('churn', 'challenger');
    assert.deepEqual(registry.model('churn')!.aliases, { champion: 2 });
    assert.throws(() => registry.setAlias('churn', 'production', 1), /is a stage, not an alias/);
    assert.throws(() => registry.setAlias('churn', 'my champion', 1), /cannot contain spaces/);
    await registry.setStage({ model: 'churn', version: 1, stage: 'archived' });
    assert.throws(() => registry.setAlias('churn', 'old', 1), /archived/);
    assert.ok(registry.history('churn').some((h) => h.type === 'unalias' && /alias challenger removed \(was v2\)/.test(h.detail)));
  });

  it('the journal is the truth: a lost database is rebuilt from it with nothing lost', async () => {
    const { folder, ws, registry, modelA, modelB } = await workspace();
    await registry.register({ model: 'churn', path: modelA, description: 'predicts churn' });
    await registry.register({ model: 'churn', path: modelB });
    await registry.setStage({ model: 'churn', version: 2, stage: 'production', reason: 'better auc' });
    registry.setAlias('churn', 'champion', 2);
    const before = registry.models();
    ws.close();
    open.splice(open.indexOf(ws), 1);
    fs.rmSync(path.join(folder, '.mlcycle', 'mlcycle.db'));
    const again = await Workspace.open(folder, { git: false });
    open.push(again);
    assert.deepEqual(again.registry().models(), before);
  });

  it('a damaged line is reported and skipped; a line cut short by a killed writer is dropped by the next one', async () => {
    const { ws, registry, modelA } = await workspace();
    await registry.register({ model: 'churn', path: modelA });
    await registry.setStage({ model: 'churn', version: 1, stage: 'staging' });
    const lines = fs.readFileSync(registry.journal.file, 'utf8').split('\n');
    fs.writeFileSync(registry.journal.file, [lines[0], '{"v":1,"id":"broken', lines[1], ''].join('\n'));
    fs.rmSync(ws.store.dbPath); // rebuild from the damaged journal
    const rebuilt = await Workspace.open(path.dirname(path.dirname(ws.store.dbPath)), { git: false });
    open.push(rebuilt);
    const r = rebuilt.registry({ actor: () => 'Bob' });
    assert.equal(r.model('churn')!.versions[0]!.stage, 'staging');
    const diags = rebuilt.store.read((db) => db.exec("SELECT file, line, message FROM diagnostics WHERE scope = 'registry'")[0]?.values ?? []);
    assert.deepEqual(diags.map((d) => [d[0], d[1]]), [['.mlcycle/registry.jsonl', 2]]);
    assert.match(String(diags[0]![2]), /damaged registry event, skipped/);
    // A torn last line (no newline): never acknowledged, so the next writer removes it.
    fs.appendFileSync(r.journal.file, '{"v":1,"id":"torn","time":"2026-');
    await r.setStage({ model: 'churn', version: 1, stage: 'production' });
    const text = fs.readFileSync(r.journal.file, 'utf8');
    assert.ok(!text.includes('"torn"'));
    assert.ok(text.endsWith('\n'));
    assert.equal(r.model('churn')!.versions[0]!.stage, 'production');
  });

  it('registering a big file streams it, reports progress, and can be cancelled without leaving anything', async () => {
    const { registry, folder } = await workspace();
    const big = path.join(folder, 'big.bin');
    const fd = fs.openSync(big, 'w');
    const block = Buffer.alloc(1 << 20, 7);
    for (let i = 0; i < 64; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);
    const progress: number[] = [];
    const v = await registry.register({ model: 'big', path: big, onProgress: (done) => progress.push(done) });
    assert.equal(v.bytes, 64 << 20);
    assert.ok(progress.length >= 16 && progress.every((p, i) => i === 0 || p >= progress[i - 1]!), `${progress.length} progress calls`);
    fs.appendFileSync(big, 'changed');
    const controller = new AbortController();
    const attempt = registry.register({ model: 'big', path: big, signal: controller.signal, onProgress: (done) => done > 8 << 20 && controller.abort() });
    await assert.rejects(attempt, Cancelled);
    assert.deepEqual(fs.readdirSync(path.join(registry.objects.dir, 'tmp')), []);
    assert.equal(registry.model('big')!.versions.length, 1);
  });

  it('two processes promoting at once: every event kept, one version in production per model', async () => {
    const { folder, registry, modelA, modelB } = await workspace();
    const models = 12;
    for (let i = 0; i < models; i++) {
      await registry.register({ model: `model-${i}`, path: modelA });
      await registry.register({ model: `model-${i}`, path: modelB });
    }
    const run = (version: number): Promise<number> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, 'promote-all', folder, String(version), String(models)], { stdio: 'inherit' });
        p.once('exit', (code) => resolve(code ?? 1));
      });
    assert.deepEqual(await Promise.all([run(1), run(2)]), [0, 0]);
    for (const m of registry.models()) {
      assert.equal(m.versions.filter((v) => v.stage === 'production').length, 1, m.name);
      const events = registry.history(m.name).filter((e) => e.type === 'stage');
      // Both promotions were recorded; the one that came second demoted the first.
      assert.deepEqual(events.map((e) => e.to).sort(), ['decommissioned', 'production', 'production']);
      assert.match(events.find((e) => e.to === 'decommissioned')!.reason!, /^superseded by v[12]$/);
    }
  });

  it('a process killed while registering and promoting leaves no version lost or half-written', async () => {
    const { folder, registry, modelA } = await workspace();
    const events = (): number => (fs.existsSync(registry.journal.file) ? fs.readFileSync(registry.journal.file, 'utf8').split('\n').length - 1 : 0);
    for (let round = 0; round < 3; round++) {
      const p = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, 'churn', folder, modelA, '1000'], { stdio: 'ignore' });
      // Kill it once it is busy writing (at a different moment each round).
      const target = events() + 4 + round * 3;
      const deadline = Date.now() + 60_000;
      while (events() < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 37 * round));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
    }
    const m = registry.model('churn')!;
    assert.ok(m.versions.length >= 2, `${m.versions.length} versions`);
    assert.ok(m.versions.filter((v) => v.stage === 'production').length <= 1);
    // Every version that was registered is whole: its files are in the object store.
    for (const v of m.versions) assert.ok(fs.existsSync(registry.objects.pathOf(sha('weights of a'))), `v${v.version}`);
    const diags = registry.store.read((db) => db.exec("SELECT count(*) FROM diagnostics WHERE scope = 'registry'")[0]!.values[0]![0]);
    assert.equal(diags, 0);
    // Versions are numbered without gaps: no half-written event took a number.
    assert.deepEqual(m.versions.map((v) => v.version), m.versions.map((_, i) => i + 1));
  });
});
