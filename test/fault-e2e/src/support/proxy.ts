import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Endpoint = { readonly path: string } | { readonly host: string; readonly port: number };

export interface ProxyHooks {
  /**
   * Called with each HTTP request line a client sends, before it is forwarded (it may block: the
   * request waits). Returns how many response bytes to pass before cutting both connections
   * (undefined: pass everything).
   */
  readonly onRequest?: (requestLine: string) => number | undefined;
}

/**
 * A byte-forwarding proxy placed in front of the Docker socket or the registry, to make them fail on
 * cue: `down()` refuses new connections (the socket file goes away), `up()` serves again, and the hooks
 * see each request line (HTTP/1.1, one request at a time per connection) and can cut a response midway.
 */
export class FaultProxy {
  readonly requests: string[] = [];
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  constructor(
    readonly listen: Endpoint,
    readonly target: Endpoint,
    readonly hooks: ProxyHooks = {},
  ) {}

  /** `unix:///path` or `host:port`, as daemon.yaml or an image reference wants it. */
  get address(): string {
    if ('path' in this.listen) return `unix://${this.listen.path}`;
    return `${this.listen.host}:${this.#port || this.listen.port}`;
  }

  up(): Promise<void> {
    if (this.#server) return Promise.resolve();
    if ('path' in this.listen) rmSync(this.listen.path, { force: true });
    const server = createServer((client) => this.#forward(client));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      if ('path' in this.listen) server.listen(this.listen.path, () => resolve());
      else
        server.listen(this.#port || this.listen.port, this.listen.host, () => {
          const bound = server.address();
          // Port 0 once means a free port, and the same one after down() and up() again.
          this.#port = typeof bound === 'object' && bound ? bound.port : 0;
          resolve();
        });
    });
  }

  /** Stops listening and drops every open connection. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if ('path' in this.listen) rmSync(this.listen.path, { force: true });
  }

  #forward(client: Socket): void {
    const upstream = connect('path' in this.target ? { path: this.target.path } : this.target);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    let budget: number | undefined;
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      const line = /^(GET|HEAD|POST|PUT|DELETE|PATCH) \S+ HTTP\/1\.[01]/.exec(
        chunk.toString('latin1', 0, 2048),
      );
      if (line) {
        this.requests.push(line[0]);
        budget = this.hooks.onRequest?.(line[0]);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (budget === undefined) {
        client.write(chunk);
        return;
      }
      client.write(chunk.subarray(0, budget));
      budget -= Math.min(budget, chunk.length);
      if (budget === 0) close();
    });
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  }
}
