import type { Command } from '../command.js';
import { daemonCommand } from './daemon.js';
import { decryptCommand } from './decrypt.js';
import { hashCommand } from './hash.js';
import { installSystemdCommand } from './install-systemd.js';
import { reconcileCommand } from './reconcile.js';
import { statusCommand } from './status.js';
import { suggestImageCommand } from './suggest-image.js';
import { triggerCommand } from './trigger.js';
import { validateCommand } from './validate.js';

/** Every command of `stow`, in the order `stow --help` lists them. */
export const COMMANDS: readonly Command[] = [
  reconcileCommand,
  hashCommand,
  decryptCommand,
  validateCommand,
  daemonCommand,
  statusCommand,
  installSystemdCommand,
  suggestImageCommand,
  triggerCommand,
];
