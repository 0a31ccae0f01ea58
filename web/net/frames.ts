import { err, ok, type Result } from '../../shared/result.ts';

/**
 * What a session puts on a transport. Seven-byte header, big-endian:
 *
 *   byte 0     kind
 *   bytes 1-2  the receiving session's instance as the sender knows it (0: not known yet).
 *              A page that reloads is a new instance, so frames meant for its previous life
 *              are recognised and dropped
 *   bytes 3-6  RELIABLE / UNRELIABLE: sequence number; ACK: next sequence expected;
 *              PING / PONG: ping id
 *   bytes 7-   RELIABLE / UNRELIABLE: payload; PING: the sender's own instance (2 bytes)
 */
export const FrameKind = { RELIABLE: 1, UNRELIABLE: 2, ACK: 3, PING: 4, PONG: 5 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];
export const FRAME_HEADER_BYTES = 7;
const PING_BYTES = FRAME_HEADER_BYTES + 2;

export interface Frame {
  readonly kind: FrameKind;
  readonly to: number;
  readonly n: number;
  readonly payload: Uint8Array;
}

export function encodeFrame(
  kind: FrameKind,
  to: number,
  n: number,
  payload?: Uint8Array,
): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + (payload?.length ?? 0));
  const view = new DataView(frame.buffer);
  frame[0] = kind;
  view.setUint16(1, to);
  view.setUint32(3, n >>> 0);
  if (payload) frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** A PING carrying the sender's own instance. */
export function encodePing(to: number, id: number, instance: number): Uint8Array {
  return encodeFrame(FrameKind.PING, to, id, new Uint8Array([instance >> 8, instance & 0xff]));
}

export type FrameError = 'too_short' | 'unknown_kind' | 'unexpected_payload';

/** Decodes a received frame; a peer's bytes are never trusted. */
export function decodeFrame(bytes: Uint8Array): Result<Frame, FrameError> {
  if (bytes.length < FRAME_HEADER_BYTES) return err('too_short');
  const kind = bytes[0] as FrameKind;
  if (kind < FrameKind.RELIABLE || kind > FrameKind.PONG) return err('unknown_kind');
  const size = kind === FrameKind.PING ? PING_BYTES : FRAME_HEADER_BYTES;
  if (kind >= FrameKind.ACK && bytes.length !== size) return err('unexpected_payload');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return ok({
    kind,
    to: view.getUint16(1),
    n: view.getUint32(3),
    payload: bytes.subarray(FRAME_HEADER_BYTES),
  });
}
