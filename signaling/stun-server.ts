import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { err, ok, type Result } from '../shared/result.ts';
import type { Logger } from './log.ts';
import { type StunLimits, StunResponder, type StunStats } from './stun-responder.ts';

/** The built-in STUN server, bound and answering. */
export interface StunServer {
  readonly port: number;
  /** `dual`: one IPv6 socket that also takes IPv4; `ipv4`/`ipv6`: that family only. */
  readonly stack: 'dual' | 'ipv4' | 'ipv6';
  readonly stats: StunStats;
  close(): Promise<void>;
}

export interface StunBindError {
  /** The errno code (`EADDRINUSE`, `EACCES`, …). */
  readonly code: string;
  readonly message: string;
}

/** Errors that mean "this machine has no IPv6": fall back to an IPv4 socket. */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT', 'EINVAL']);

/**
 * Binds the STUN server on UDP `port` of `host` (dual-stack for `0.0.0.0` and `::`: IPv6 with
 * IPv4-mapped addresses, falling back to IPv4 alone where IPv6 is missing) and answers through a
 * `StunResponder`. A bind failure is a value for start-up to report.
 */
export async function startStunServer(
  host: string,
  port: number,
  limits: StunLimits & { readonly sweepIntervalMs: number },
  log: Logger,
  now: () => number = Date.now,
): Promise<Result<StunServer, StunBindError>> {
  let bound: Result<Socket, StunBindError>;
  let stack: StunServer['stack'];
  if (host === '0.0.0.0' || host === '::') {
    bound = await bind('udp6', '::', port, false);
    stack = 'dual';
    if (!bound.ok && NO_IPV6.has(bound.error.code)) {
      bound = await bind('udp4', '0.0.0.0', port, false);
      stack = 'ipv4';
    }
  } else {
    stack = host.includes(':') ? 'ipv6' : 'ipv4';
    bound = await bind(stack === 'ipv6' ? 'udp6' : 'udp4', host, port, true);
  }
  if (!bound.ok) return bound;
  const socket = bound.value;
  const responder = new StunResponder(limits);
  let sendErrors = 0;

  socket.on('message', (datagram, from) => {
    let reply: Uint8Array | undefined;
    try {
      reply = responder.answer(datagram, from.address, from.port, now());
    } catch (error) {
      // The responder never throws on input; a bug must not take the process down either.
      log.error({ err: error }, 'stun handler failed');
      return;
    }
    if (reply) socket.send(reply, from.port, from.address);
  });
  // Send failures (an unreachable or spoofed address) arrive here; they are not worth a log line each.
  socket.on('error', (error) => {
    sendErrors++;
    if (sendErrors === 1 || sendErrors % 10_000 === 0) {
      log.warn({ err: error, sendErrors }, 'stun socket error');
    }
  });
  const sweeper = setInterval(() => responder.sweep(now()), limits.sweepIntervalMs);
  sweeper.unref();

  return ok({
    port: socket.address().port,
    stack,
    stats: responder.stats,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweeper);
        socket.close(() => resolve());
      }),
  });
}

function bind(
  type: SocketType,
  address: string,
  port: number,
  ipv6Only: boolean,
): Promise<Result<Socket, StunBindError>> {
  return new Promise((resolve) => {
    const socket = createSocket(type === 'udp6' ? { type, ipv6Only } : { type });
    const failed = (error: NodeJS.ErrnoException) => {
      try {
        socket.close();
      } catch {
        // Never bound: nothing to close.
      }
      resolve(err({ code: error.code ?? 'EUNKNOWN', message: error.message }));
    };
    socket.once('error', failed);
    // Exclusive: a second server on the same port must fail, not share the datagrams.
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', failed);
      resolve(ok(socket));
    });
  });
}
