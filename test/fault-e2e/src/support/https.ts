import { request } from 'node:https';

/** One HTTPS request to the daemon, trusting only its self-signed certificate. */
export function httpsJson(
  url: string,
  ca: string,
  method: 'GET' | 'POST' = 'GET',
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: { accept: 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        } catch (error) {
          reject(
            new Error(`${method} ${url}: not JSON (${res.statusCode}): ${text.slice(0, 200)}`, {
              cause: error,
            }),
          );
        }
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url}: no answer within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET http://127.0.0.1:PORT/ as a user of the deployed service: the body, or the error. */
export async function httpGetText(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
    return `${res.status} ${await res.text()}`;
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}
