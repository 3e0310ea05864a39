// `node --import <this file> cli.js ...`: appends the URL of every module the process resolves
// through the ESM loader, one per line, to the file named by STOW_TRACE_FILE. The start-up test
// reads it to check that a command loads only the packages it needs.
import { register } from 'node:module';

register('./trace-imports-hooks.mjs', import.meta.url, { data: { file: process.env.STOW_TRACE_FILE } });
