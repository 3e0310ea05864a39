#!/usr/bin/env node
import { main } from './main.js';

void main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  interactive: process.stderr.isTTY === true && !process.env.CI,
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code;
});
