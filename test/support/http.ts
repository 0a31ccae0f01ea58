import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { withTimeout } from './client.ts';

export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body exactly as it came over the wire: never decompressed. */
  readonly body: Buffer;
}

/**
 * One HTTP(S) request with full control of the headers. Unlike `fetch`, it sends no
 * `accept-encoding` of its own and does not decompress, so a test sees what the server sent.
 */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpReply> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return withTimeout(
    new Promise<HttpReply>((resolve, reject) => {
      const req = send(
        u,
        {
          method: options.method ?? 'GET',
          headers: options.headers ?? {},
          rejectUnauthorized: false,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    }),
    options.timeoutMs ?? 5000,
    `${options.method ?? 'GET'} ${url}`,
  );
}

/**
 * Writes `raw` to a plain TCP connection and collects what comes back until `done` says the
 * reply is complete: for checking bytes an HTTP client library would hide (a HEAD body, say).
 */
export function rawExchange(
  port: number,
  raw: string,
  done: (received: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (done(received)) resolve(received);
      });
      socket.on('close', () =>
        reject(new Error(`connection closed after ${JSON.stringify(received)}`)),
      );
      socket.write(raw);
    }),
    timeoutMs,
    'a raw HTTP reply',
  ).finally(() => socket.destroy());
}
