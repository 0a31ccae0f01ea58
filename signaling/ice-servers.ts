import type { IceServer } from '../shared/protocol/signaling.ts';
import type { Config } from './config.ts';
import { type TurnSetup, turnIceServer } from './turn.ts';

/** What decides the ICE servers a browser is handed. */
export interface IceSetup {
  /** UDP port of the built-in STUN server; 0 when it is off. */
  readonly stunPort: number;
  /** `--public-url`, or '' to use the origin the browser itself used. */
  readonly publicUrl: string;
  readonly turn: TurnSetup | undefined;
  /** `--ice-servers`: whatever else the operator adds, last. */
  readonly extra: readonly IceServer[];
}

/**
 * The `iceServers` of a welcome, in order: our STUN (at the host the page was loaded from, which
 * the browser can evidently reach, or the public URL's host), a TURN entry with a credential
 * minted for this peer, then the operator's own entries. Config checks keep the total within
 * `WIRE_LIMITS.ICE_SERVERS`.
 */
export function iceServersFor(
  setup: IceSetup,
  peer: { readonly baseUrl: string; readonly id: number },
  nowMs: number,
): IceServer[] {
  const servers: IceServer[] = [];
  const stun =
    setup.stunPort === 0 ? undefined : stunUrl(setup.publicUrl || peer.baseUrl, setup.stunPort);
  if (stun !== undefined) servers.push({ urls: stun });
  if (setup.turn !== undefined) servers.push(turnIceServer(setup.turn, peer.id, nowMs));
  servers.push(...setup.extra);
  return servers;
}

/**
 * `stun:<host>:<port>` for the host of `origin` (an IPv6 literal keeps its brackets, as RFC 7064
 * wants); `undefined` when `origin` is not a URL.
 */
export function stunUrl(origin: string, port: number): string | undefined {
  let host: string;
  try {
    host = new URL(origin).hostname;
  } catch {
    return undefined;
  }
  return host === '' ? undefined : `stun:${host}:${port}`;
}

/** The ICE setup a configuration describes, with the STUN port actually bound (0: none). */
export function iceSetup(config: Config, stunPort: number): IceSetup {
  return {
    stunPort,
    publicUrl: config.publicUrl,
    turn:
      config.turnUrls.length === 0
        ? undefined
        : { urls: config.turnUrls, secret: config.turnSecret, ttlSeconds: config.turnTtl },
    extra: config.iceServers,
  };
}
