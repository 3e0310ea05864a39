import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A secret value (token, password) that prints as [REDACTED] everywhere: string conversion, JSON,
 * util.inspect and console.log. The value is read only through `reveal()`, on purpose and in one place.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
