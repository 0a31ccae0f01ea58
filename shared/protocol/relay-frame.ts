import { err, ok, type Result } from '../result.ts';

/**
 * Binary frames of the data relay (the fallback when two peers cannot connect directly).
 *
 *   byte 0     RELAY_FRAME_VERSION
 *   byte 1     flags (bit 0: droppable — the server may drop it when the receiver lags;
 *              bit 1: control — session bookkeeping such as pings and acks, not game data;
 *              only counted apart in the server's metrics)
 *   bytes 2-3  peer id, big-endian: the target when a client sends, the sender when the server
 *              delivers. The server overwrites it in place, so a sender cannot pose as another.
 *   bytes 4-   payload, opaque to the server
 */
export const RELAY_FRAME_VERSION = 1;
export const RELAY_HEADER_BYTES = 4;
export const RelayFlag = { DROPPABLE: 1, CONTROL: 2 } as const;
const KNOWN_FLAGS = RelayFlag.DROPPABLE | RelayFlag.CONTROL;

export interface RelayHeader {
  readonly peer: number;
  readonly droppable: boolean;
  readonly control: boolean;
}

export type RelayFrameError = 'too_short' | 'bad_version' | 'bad_flags';

/** Builds a frame for `peer` (the target, when a client sends). */
export function encodeRelayFrame(
  peer: number,
  payload: Uint8Array,
  droppable = false,
  control = false,
): Uint8Array {
  const frame = new Uint8Array(RELAY_HEADER_BYTES + payload.length);
  frame[0] = RELAY_FRAME_VERSION;
  frame[1] = (droppable ? RelayFlag.DROPPABLE : 0) | (control ? RelayFlag.CONTROL : 0);
  frame[2] = peer >> 8;
  frame[3] = peer & 0xff;
  frame.set(payload, RELAY_HEADER_BYTES);
  return frame;
}

/** Reads and checks the header of a received frame. */
export function readRelayHeader(frame: Uint8Array): Result<RelayHeader, RelayFrameError> {
  if (frame.length < RELAY_HEADER_BYTES) return err('too_short');
  if (frame[0] !== RELAY_FRAME_VERSION) return err('bad_version');
  const flags = frame[1] ?? 0;
  if ((flags & ~KNOWN_FLAGS) !== 0) return err('bad_flags');
  return ok({
    peer: ((frame[2] ?? 0) << 8) | (frame[3] ?? 0),
    droppable: (flags & RelayFlag.DROPPABLE) !== 0,
    control: (flags & RelayFlag.CONTROL) !== 0,
  });
}

/** Overwrites the peer field in place with the server-known sender id. */
export function stampRelaySender(frame: Uint8Array, sender: number): void {
  frame[2] = sender >> 8;
  frame[3] = sender & 0xff;
}

/** The payload of a frame, without copying. */
export function relayPayload(frame: Uint8Array): Uint8Array {
  return frame.subarray(RELAY_HEADER_BYTES);
}
