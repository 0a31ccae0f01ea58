import { createHmac } from 'node:crypto';
import type { IceServer } from '../shared/protocol/signaling.ts';

/** A TURN server we hand out short-lived credentials for. */
export interface TurnSetup {
  readonly urls: readonly string[];
  /** Shared with the TURN server (coturn's `static-auth-secret`); never leaves this process. */
  readonly secret: string;
  readonly ttlSeconds: number;
}

export interface TurnCredential {
  readonly username: string;
  readonly credential: string;
}

/**
 * A credential in the TURN REST API scheme that coturn checks with `use-auth-secret`: the user
 * name is `<expiry in unix seconds>:<peer id>` and the password is base64(HMAC-SHA1(secret,
 * user name)). The TURN server recomputes the HMAC and refuses it after the expiry, so it needs
 * no per-user state and a leaked credential is worth little. `nowMs` is the caller's clock.
 */
export function mintTurnCredential(
  secret: string,
  peerId: number | string,
  ttlSeconds: number,
  nowMs: number,
): TurnCredential {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${peerId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The ICE server entry for one peer: every TURN URL under one fresh credential. */
export function turnIceServer(turn: TurnSetup, peerId: number, nowMs: number): IceServer {
  return {
    urls: [...turn.urls],
    ...mintTurnCredential(turn.secret, peerId, turn.ttlSeconds, nowMs),
  };
}
