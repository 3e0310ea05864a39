import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';

/**
 * The HTTP(S) dispatcher of stow's clients: idle timeouts on connect, headers and body, and an
 * optional private CA trusted in addition to (not instead of) the default roots.
 */
export function createDispatcher(options: { timeoutMs: number; ca?: string | Buffer | undefined }): Agent {
  return new Agent({
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: {
      timeout: options.timeoutMs,
      ...(options.ca ? { ca: [...rootCertificates, options.ca.toString()] } : {}),
    },
  });
}
