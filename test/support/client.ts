import WebSocket from 'ws';
import type { ServerMessage } from '../../shared/protocol/signaling.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.ts';

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

type ByType<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/**
 * A real WebSocket client for tests: queues what the server sends so a test can await the next
 * message of a type, and records the close code.
 */
export class TestClient {
  readonly texts: ServerMessage[] = [];
  readonly binaries: Uint8Array[] = [];
  readonly closed: Promise<CloseInfo>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) this.binaries.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      else this.texts.push(JSON.parse(buf.toString()) as ServerMessage);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      }),
    );
  }

  /** Opens a connection; rejects with the HTTP status when the upgrade is refused. */
  static connect(
    baseUrl: string,
    options: {
      origin?: string;
      version?: string | null;
      autoPong?: boolean;
      headers?: Record<string, string>;
      /** Source address, e.g. 127.0.0.2: on Linux every 127.x address is loopback. */
      localAddress?: string;
      /** More of the URL's query, e.g. `lobby=7Q` (what a balancer may hash on). */
      query?: string;
    } = {},
  ): Promise<TestClient> {
    const v = options.version === undefined ? String(PROTOCOL_VERSION) : options.version;
    const query = [v === null ? undefined : `v=${v}`, options.query].filter(Boolean).join('&');
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws${query === '' ? '' : `?${query}`}`;
    const ws = new WebSocket(url, {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      autoPong: options.autoPong ?? true,
      rejectUnauthorized: false,
    });
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) =>
        reject(new UpgradeRefused(res.statusCode ?? 0)),
      );
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendBinary(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  /** The next text message (of `type`, if given), skipping none: earlier ones of other types stay queued. */
  async next<T extends ServerMessage['type']>(type: T, timeoutMs = 2000): Promise<ByType<T>> {
    return this.waitFor(
      () => {
        const i = this.texts.findIndex((m) => m.type === type);
        return i < 0 ? undefined : (this.texts.splice(i, 1)[0] as ByType<T>);
      },
      `a "${type}" message`,
      timeoutMs,
    );
  }

  /** The next binary frame. */
  async nextBinary(timeoutMs = 2000): Promise<Uint8Array> {
    return this.waitFor(() => this.binaries.shift(), 'a binary frame', timeoutMs);
  }

  /** Waits for the connection to close. */
  async closeInfo(timeoutMs = 3000): Promise<CloseInfo> {
    return withTimeout(this.closed, timeoutMs, 'the connection to close');
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the TCP connection without a close handshake, as a crashed tab would. */
  terminate(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private waitFor<T>(pick: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return withTimeout(
      new Promise<T>((resolve) => {
        const attempt = () => {
          const found = pick();
          if (found !== undefined) resolve(found);
          else this.waiters.push(attempt);
        };
        attempt();
      }),
      timeoutMs,
      what,
    );
  }
}

export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
        ms,
      );
    }),
  ]);
}
