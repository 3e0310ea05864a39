import type net from 'node:net';
import tls from 'node:tls';

/** A TLS connection to `url` that has finished its handshake (trusting only `ca`) and sends nothing. */
export function tlsSocket(url: string, ca: string | Buffer): Promise<tls.TLSSocket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ca });
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the TLS handshake finished')));
  });
}

/** Settles with everything the server sent once the server has closed `socket`. */
export function closedBy(socket: net.Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  socket.on('error', () => {});
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(received);
    else socket.once('close', () => resolve(received));
  });
}
