import type { Command } from '../command.js';

/**
 * One entry of the command registry: the name is known up front; the command module (its summary,
 * `--help` text and `run`) is imported only when that command is asked for. Command modules keep
 * their heavy dependencies behind `await import()` inside `run`, so even loading one is cheap, and
 * `stow --version` loads none: start-up time matters for `stow hash` in pipelines.
 */
export interface CommandEntry {
  readonly name: string;
  load(): Promise<Command>;
}

/** Every command of `stow`, in the order `stow --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'reconcile', load: async () => (await import('./reconcile.js')).reconcileCommand },
  { name: 'hash', load: async () => (await import('./hash.js')).hashCommand },
  { name: 'decrypt', load: async () => (await import('./decrypt.js')).decryptCommand },
  { name: 'validate', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'daemon', load: async () => (await import('./daemon.js')).daemonCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'history', load: async () => (await import('./history.js')).historyCommand },
  { name: 'install-systemd', load: async () => (await import('./install-systemd.js')).installSystemdCommand },
  { name: 'suggest-image', load: async () => (await import('./suggest-image.js')).suggestImageCommand },
  { name: 'trigger', load: async () => (await import('./trigger.js')).triggerCommand },
];
