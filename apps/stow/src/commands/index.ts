import type { Command } from '../command.js';
import { decryptCommand } from './decrypt.js';
import { hashCommand } from './hash.js';
import { reconcileCommand } from './reconcile.js';
import { validateCommand } from './validate.js';

/** Every command of `stow`, in the order `stow --help` lists them. */
export const COMMANDS: readonly Command[] = [reconcileCommand, hashCommand, decryptCommand, validateCommand];
