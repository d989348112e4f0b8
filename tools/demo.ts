// `npm start`: writes the demo workspace and shows what MLCycle reads from it, with the CLI
// exactly as a user runs it. Pass a folder to write the demo elsewhere (default .demo/workspace).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { writeDemoWorkspace } from './lib/demoWorkspace';

const root = path.resolve(__dirname, '..');
const folder = path.resolve(process.argv[2] ?? path.join(root, '.demo', 'workspace'));
async function main(): Promise<void> {
const demo = await writeDemoWorkspace(folder);
console.log(`Demo workspace written to ${demo.folder} (${demo.runs} runs, one malformed file).\n`);

const cli = path.join(root, 'dist', 'cli.js');
for (const args of [['scan', folder], ['runs', folder, '--no-scan'], ['models', folder, '--no-scan']]) {
  console.log(`$ mlcycle ${args.map((a) => (a === folder ? path.relative(process.cwd(), folder) || '.' : a)).join(' ')}`);
  execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  console.log('');
}
}

void main();
