// Entry point of the `mlcycle` executable (bundled to dist/cli.js).
import { main } from './main';

main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
  cwd: process.cwd(),
  ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mlcycle: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
