import { describe, expect, it } from 'vitest';
import { demultiplexLogs, engineMessage, healthOfStatus, toPlannerError } from './dockerode-engine.js';

/** Shapes of dockerode / docker-modem failures, as they arrive. */
const httpError = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), {
    statusCode,
    reason: 'no such container',
    json: { message },
  });

describe('toPlannerError', () => {
  it.each([
    [
      'a 409 on create is a name conflict',
      httpError(409, 'Conflict. The container name "/web" is already in use'),
      'CREATE_FAILED',
      'NAME_CONFLICT',
      /creating web: Conflict\. The container name/,
    ],
    [
      'a 404 reads e.json.message, not the reason',
      httpError(404, 'No such image: x:1'),
      'CREATE_FAILED',
      'CREATE_FAILED',
      /creating web: No such image: x:1$/,
    ],
    [
      'an abort is a timeout',
      Object.assign(new Error('This operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }),
      'START_FAILED',
      'ENGINE_TIMEOUT',
      /did not answer in time/,
    ],
    [
      'a TimeoutError is a timeout',
      new DOMException('timed out', 'TimeoutError'),
      'ENGINE_ERROR',
      'ENGINE_TIMEOUT',
      /did not answer in time/,
    ],
    [
      'a refused socket is unreachable',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'ENGINE_ERROR',
      'ENGINE_UNREACHABLE',
      /unreachable \(ECONNREFUSED\)/,
    ],
    [
      'a missing socket is unreachable',
      Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }),
      'ENGINE_ERROR',
      'ENGINE_UNREACHABLE',
      /unreachable/,
    ],
    [
      'a 500 keeps the given code',
      httpError(500, 'driver failed'),
      'START_FAILED',
      'START_FAILED',
      /creating web: driver failed/,
    ],
  ])('%s', (_name, error, given, code, message) => {
    const mapped = toPlannerError(error, given as 'CREATE_FAILED', 'creating web', { container: 'web' });
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(message);
    expect(mapped.container).toBe('web');
    expect(mapped.cause).toBe(error);
  });

  it('engineMessage falls back to the error message', () => {
    expect(engineMessage(new Error('boom'))).toBe('boom');
  });
});

describe('healthOfStatus', () => {
  it('reads the health the list call puts in its Status text', () => {
    expect(healthOfStatus('Up 2 minutes (healthy)')).toEqual({ health: 'healthy' });
    expect(healthOfStatus('Up 1 second (health: starting)')).toEqual({ health: 'starting' });
    expect(healthOfStatus('Up 5 minutes (unhealthy)')).toEqual({ health: 'unhealthy' });
    expect(healthOfStatus('Up 5 minutes')).toEqual({});
    expect(healthOfStatus('Exited (1) 3 seconds ago')).toEqual({});
    expect(healthOfStatus(undefined)).toEqual({});
  });
});

describe('demultiplexLogs', () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it('joins stdout and stderr frames in the order written', () => {
    expect(demultiplexLogs(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n'), frame(1, '')]))).toBe('a\nb\n');
  });

  it('returns the raw text of a TTY container (no frame headers) and of a cut-off stream', () => {
    expect(demultiplexLogs(Buffer.from('plain tty output\n'))).toBe('plain tty output\n');
    const cut = frame(1, 'complete\n').subarray(0, 12);
    expect(demultiplexLogs(cut)).toBe(cut.toString('utf8'));
  });
});
