/**
 * Every WebSocket close code the server uses, with the reason text it sends. Clients decide from
 * the code alone whether to reconnect (see `shouldReconnect`).
 */
export const CloseCode = {
  /** Normal end after the player left. */
  NORMAL: 1000,
  /** Server is shutting down or restarting: reconnect and resume. */
  GOING_AWAY: 1001,
  /**
   * A message over `MAX_FRAME_BYTES`. One over twice that is cut off by uWebSockets.js without a
   * close frame (the client sees 1006).
   */
  MESSAGE_TOO_BIG: 1009,
  /** An exception at the server's socket edge; only this connection is closed. */
  INTERNAL_ERROR: 4000,
  /** The `?v=` on the URL is missing or not the server's protocol version: reload the page. */
  PROTOCOL_MISMATCH: 4001,
  /** Too many invalid messages (see `maxStrikes`). */
  TOO_MANY_BAD_MESSAGES: 4002,
  /** More messages per second than this connection may send. */
  RATE_LIMITED: 4003,
  /** More messages per second than all connections from this address may send together. */
  ADDRESS_RATE_LIMITED: 4004,
  /** The receiver did not read fast enough: its send buffer passed the hard limit. */
  SLOW_RECEIVER: 4005,
  /** No pong or message within the heartbeat timeout. */
  HEARTBEAT_TIMEOUT: 4006,
  /** Connected but never created, joined or resumed a lobby in time. */
  HELLO_TIMEOUT: 4007,
  /** The host removed this player from the lobby. */
  KICKED: 4008,
  /** The lobby ended: its host left or did not come back within the grace period. */
  LOBBY_CLOSED: 4009,
  /** Another connection resumed this seat. */
  REPLACED: 4010,
  /**
   * This connection sent one other player more than it can take: relay frames past the pair's
   * budget while that player was behind, or signals past the signal rate. The sender is cut off,
   * never the receiver.
   */
  FLOODING_PEER: 4011,
  /** The host turned spectating off: every spectator is sent away. */
  SPECTATING_OFF: 4012,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * HTTP statuses for refused WebSocket upgrades (the socket never opens, so there is no close
 * code; a browser sees only a failed connection, a script client sees the status).
 */
export const UpgradeRefusal = {
  ORIGIN_NOT_ALLOWED: 403,
  TOO_MANY_CONNECTIONS: 429,
  /** The server is at `--max-connections` (or shutting down). */
  SHUTTING_DOWN: 503,
  SERVER_BUSY: 503,
  /** A `Host` that is not one of the server's names (DNS rebinding). */
  MISDIRECTED: 421,
} as const;

/** Whether a client should reconnect (and resume its seat) after the socket closed with `code`. */
export function shouldReconnect(code: number): boolean {
  switch (code) {
    case CloseCode.NORMAL:
    case CloseCode.PROTOCOL_MISMATCH:
    case CloseCode.TOO_MANY_BAD_MESSAGES:
    case CloseCode.KICKED:
    case CloseCode.LOBBY_CLOSED:
    case CloseCode.REPLACED:
    case CloseCode.SPECTATING_OFF:
      return false;
    default:
      return true;
  }
}
