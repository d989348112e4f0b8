// The in-host suites: each is a folder of test/vscode/suite/ run in its own code-server, on its own workspace,
// because a workspace (and whether it is trusted, or multi-root) is fixed for the life of an extension host.
// prepare() writes the workspace before the server starts and says what the tests are told about it
// (MLCYCLE_E2E_INFO, JSON); check(), when there is one, runs after the server stopped.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURE_RUNS, writeFixtureWorkspace, writeRun } from './fixture';
import { ROOT, type ServerOptions } from './harness';
import { listing, listingChanges } from './listing';
import { gitSpy, writeDemoRepo } from './workspaces';

export interface PreparedSuite {
  /** Folder or `.code-workspace` file the workbench opens. */
  open: string;
  info: Record<string, unknown>;
  server?: Pick<ServerOptions, 'workspaceTrust' | 'env' | 'userSettings'>;
  /** After the server has stopped: problems found, empty when none. */
  check?: () => string[];
}

export interface InHostSuite {
  /** Folder of test/vscode/suite/ with the suite's *.test.ts files. */
  name: string;
  title: string;
  prepare(dir: string): Promise<PreparedSuite>;
}

/**
 * The git spy first on the PATH of the extension host. VSCODE_CLI=1 makes the server skip resolving the user's
 * login-shell environment for the extension host, which would replace this PATH with the shell's.
 */
function spyEnv(bin: string): Record<string, string> {
  return { PATH: `${bin}:${process.env['PATH'] ?? ''}`, VSCODE_CLI: '1' };
}

/**
 * Registers a run's model.pkl of the demo workspace as `model` v1 with this checkout's CLI (dist/cli.js), then
 * drops the store it filled (its runs carry git fields): the registry lives on in .mlcycle/registry.jsonl and
 * .mlcycle/objects/, and the extension's store is rebuilt from them.
 */
function registerDemoModel(folder: string, model: string): { model: string; file: string } {
  const mlruns = path.join(folder, 'mlruns');
  const file = fs
    .readdirSync(mlruns)
    .flatMap((exp) => (fs.statSync(path.join(mlruns, exp)).isDirectory() ? fs.readdirSync(path.join(mlruns, exp)).map((run) => path.join(mlruns, exp, run, 'artifacts', 'model', 'model.pkl')) : []))
    .find((f) => fs.existsSync(f));
  if (!file) throw new Error(`no model.pkl under ${mlruns}`);
  execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'register', model, file, '--dir', folder], { cwd: folder, stdio: 'pipe' });
  for (const f of fs.readdirSync(path.join(folder, '.mlcycle'))) if (f.startsWith('mlcycle.db')) fs.rmSync(path.join(folder, '.mlcycle', f), { recursive: true, force: true });
  return { model, file };
}

export const SUITES: InHostSuite[] = [
  {
    name: 'lazy',
    title: 'a folder without any known output: MLCycle stays asleep until a command runs',
    prepare: async (dir) => {
      const ws = path.join(dir, 'workspace');
      fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
      fs.writeFileSync(path.join(ws, 'README.md'), '# Not an ML project yet\n');
      fs.writeFileSync(path.join(ws, 'src', 'train.py'), 'print("hello")\n');
      return { open: ws, info: { folder: ws } };
    },
  },
  {
    name: 'fixture',
    title: 'the tiny MLflow fixture (two runs)',
    prepare: async (dir) => {
      const ws = writeFixtureWorkspace(path.join(dir, 'workspace'));
      return { open: ws, info: { folder: ws, runs: FIXTURE_RUNS.length } };
    },
  },
  {
    name: 'demo',
    title: 'the demo workspace of `npm start` (every format, live runs, a malformed file), a trusted git repository',
    prepare: async (dir) => {
      const demo = await writeDemoRepo(path.join(dir, 'workspace'));
      const gitLog = path.join(dir, 'git-calls.log');
      const bin = gitSpy(dir, gitLog);
      return { open: demo.folder, info: { ...demo, gitLog }, server: { env: spyEnv(bin) } };
    },
  },
  {
    name: 'multiroot',
    title: 'a .code-workspace with two folders',
    prepare: async (dir) => {
      const first = writeFixtureWorkspace(path.join(dir, 'alpha'));
      const demo = await writeDemoRepo(path.join(dir, 'beta'));
      // A third folder the tests add to the workspace while it is open.
      const third = path.join(dir, 'gamma');
      writeRun(third, { id: 'abcdef0123456789abcdef0123456789', name: 'gamma-run', params: { lr: '0.2' }, metrics: { loss: [[1721453007301, 0.5, 0]] }, start: 1721453007221 });
      fs.writeFileSync(
        path.join(third, 'mlruns', '0', 'meta.yaml'),
        `artifact_location: file://${third}/mlruns/0\ncreation_time: 1721450907000\nexperiment_id: '0'\nlast_update_time: 1721450907000\nlifecycle_stage: active\nname: Default\n`,
      );
      const file = path.join(dir, 'two-folders.code-workspace');
      fs.writeFileSync(file, JSON.stringify({ folders: [{ path: 'alpha' }, { path: 'beta' }], settings: {} }, null, 2) + '\n');
      return { open: file, info: { workspaceFile: file, folders: [first, demo.folder], third, demo, fixtureRuns: FIXTURE_RUNS.length } };
    },
  },
  {
    name: 'untrusted',
    title: 'the demo workspace in Restricted Mode (workspace trust on, folder never trusted)',
    prepare: async (dir) => {
      const demo = await writeDemoRepo(path.join(dir, 'workspace'));
      // A store location in the workspace settings: a restricted setting, to be ignored in Restricted Mode.
      const elsewhere = path.join(dir, 'elsewhere');
      fs.mkdirSync(path.join(demo.folder, '.vscode'), { recursive: true });
      fs.writeFileSync(path.join(demo.folder, '.vscode', 'settings.json'), JSON.stringify({ 'mlcycle.storeLocation': elsewhere }, null, 2) + '\n');
      // A model registered before (by the CLI, trusted): Restricted Mode must list it and refuse to change it.
      const registered = registerDemoModel(demo.folder, 'churn');
      const gitLog = path.join(dir, 'git-calls.log');
      const bin = gitSpy(dir, gitLog);
      const before = listing(demo.folder);
      const listingFile = path.join(dir, 'listing-before.json');
      fs.writeFileSync(listingFile, JSON.stringify(before));
      return {
        open: demo.folder,
        info: { ...demo, gitLog, listingFile, elsewhere, registered },
        server: { workspaceTrust: true, env: spyEnv(bin) },
        check: () => {
          // Once more after the server is gone: nothing was written outside .mlcycle/ up to the very end.
          const problems = listingChanges(before, listing(demo.folder), ['.mlcycle']).map((c) => `the workspace changed outside .mlcycle/: ${c}`);
          if (fs.existsSync(elsewhere)) problems.push(`the restricted store location ${elsewhere} was created`);
          const calls = fs.readFileSync(gitLog, 'utf8').trim();
          if (calls) problems.push(`git was started in Restricted Mode:\n${calls}`);
          return problems;
        },
      };
    },
  },
];
