// Adds up the vitest JSON reports of every workspace package into one closing line, so a reader (or
// CI) sees the whole suite's count at the end: "Tests: N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const workspaces = ['packages', 'apps', 'test'].flatMap((group) =>
  existsSync(path.join(root, group))
    ? readdirSync(path.join(root, group)).map((name) => path.join(root, group, name))
    : [],
);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of workspaces) {
  const report = path.join(dir, '.vitest-report.json');
  if (!existsSync(report)) continue;
  const {
    numPassedTests = 0,
    numFailedTests = 0,
    numPendingTests = 0,
    numTodoTests = 0,
  } = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`  ${path.relative(root, dir).padEnd(28)} ${numPassedTests} passed, ${numFailedTests} failed`);
  passed += numPassedTests;
  failed += numFailedTests;
  skipped += numPendingTests + numTodoTests;
}
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
