// A second process acting on a workspace's registry, for the concurrency and crash tests.
//   promote-all <folder> <version> <models>  promote v<version> of model-0..model-<n-1> to production
//   churn <folder> <file> <rounds>           register <file> as a new version of "churn" and promote it, again and again
import { Workspace } from '../../src/core/workspace';

async function main(): Promise<void> {
  const [mode, folder, arg, countText] = process.argv.slice(2);
  const ws = await Workspace.open(folder!, { git: false, workers: 0 });
  const registry = ws.registry({ actor: () => `child ${process.pid}` });
  const count = Number(countText);
  if (mode === 'promote-all') {
    for (let i = 0; i < count; i++) await registry.setStage({ model: `model-${i}`, version: Number(arg), stage: 'production' });
  } else if (mode === 'churn') {
    for (let i = 0; i < count; i++) {
      const v = await registry.register({ model: 'churn', path: arg! });
      await registry.setStage({ model: 'churn', version: v.version, stage: 'production', reason: `round ${i}` });
    }
  } else throw new Error(`unknown mode ${mode}`);
  ws.close();
}

main().catch((err: unknown) => {
  process.stderr.write(String((err as Error).stack ?? err) + '\n');
  process.exitCode = 1;
});
