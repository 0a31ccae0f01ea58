import { randomBytes } from 'node:crypto';
import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { once } from 'node:events';
import { decodeBindingSuccess, encodeBindingRequest } from '../../signaling/stun.ts';

/** A real UDP client for STUN tests: sends datagrams and queues what comes back. */
export class UdpClient {
  readonly received: Buffer[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('message', (msg) => {
      this.received.push(msg);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** A socket bound to `address` (port chosen by the system). */
  static async bind(type: SocketType, address: string): Promise<UdpClient> {
    const socket = createSocket(type === 'udp6' ? { type, ipv6Only: true } : { type });
    socket.bind(0, address);
    await once(socket, 'listening');
    return new UdpClient(socket);
  }

  get address(): { address: string; port: number } {
    return this.socket.address();
  }

  send(bytes: Uint8Array, port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(bytes, port, host, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** The next datagram, or `undefined` after `timeoutMs` of silence. */
  async next(timeoutMs = 1000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.shift();
  }

  /** Sends a Binding request and returns the request and the decoded answer, if any. */
  async bind(
    port: number,
    host: string,
    options: { fingerprint?: boolean; timeoutMs?: number } = {},
  ) {
    const request = encodeBindingRequest(randomBytes(12), options.fingerprint ?? true);
    await this.send(request, port, host);
    const reply = await this.next(options.timeoutMs ?? 1000);
    return {
      request,
      reply,
      decoded: reply === undefined ? undefined : decodeBindingSuccess(reply),
    };
  }

  close(): void {
    this.socket.close();
  }
}

/** Whether this machine can send UDP over IPv6 loopback (`::1`); a reason when it cannot. */
export async function ipv6LoopbackMissing(): Promise<string> {
  const socket = createSocket({ type: 'udp6', ipv6Only: true });
  try {
    socket.bind(0, '::1');
    await once(socket, 'listening');
    return '';
  } catch (error) {
    return `no IPv6 loopback here (${(error as Error).message})`;
  } finally {
    try {
      socket.close();
    } catch {
      // Never bound.
    }
  }
}
