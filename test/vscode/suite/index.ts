// The extensionTestsPath module: the extension host require()s it and awaits run(). Mocha runs every *.test.js
// of the suite named in MLCYCLE_E2E_SUITE (the folder next to it, compiled from test/vscode/suite/<suite>/), in
// name order. Its report lines carry a marker so the driver can pick them out of the workbench console and print
// them (test/vscode/runInHost.ts).
import Mocha from 'mocha';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { REPORT_MARK } from '../shared';

export function run(): Promise<void> {
  const print = (...args: unknown[]): void => console.log(REPORT_MARK + format(...args));
  Mocha.reporters.Base.consoleLog = print;
  const grep = process.env['MLCYCLE_E2E_GREP'];
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000, ...(grep ? { grep } : {}) });
  const suite = process.env['MLCYCLE_E2E_SUITE'];
  if (!suite) return Promise.reject(new Error('MLCYCLE_E2E_SUITE is not set (the driver passes it in extensionEnvironment)'));
  const dir = path.join(__dirname, suite);
  // Test files directly in suite/ (the layout before there were several suites) run with the fixture suite.
  const dirs = suite === 'fixture' ? [dir, __dirname] : [dir];
  for (const d of dirs) {
    for (const file of fs.readdirSync(d).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(d, file));
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const { passes = 0, pending = 0 } = runner.stats ?? {};
      print(`in-host: ${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
      if (failures > 0) reject(new Error(`${failures} in-host test(s) failed`));
      else if (passes === 0) reject(new Error('no in-host test ran'));
      else resolve();
    });
  });
}
