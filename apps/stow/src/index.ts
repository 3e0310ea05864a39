export type { Command, CommandIo } from './command.js';
export { ExitCode } from './exit-codes.js';
export { main } from './main.js';
