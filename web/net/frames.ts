import { err, ok, type Result } from '../../shared/result.ts';

/**
 * What a session puts on a transport. Five-byte header, big-endian:
 *
 *   byte 0     kind
 *   bytes 1-4  RELIABLE / UNRELIABLE: sequence number; ACK: next sequence expected;
 *              PING / PONG: ping id
 *   bytes 5-   payload (RELIABLE / UNRELIABLE only)
 */
export const FrameKind = { RELIABLE: 1, UNRELIABLE: 2, ACK: 3, PING: 4, PONG: 5 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];
export const FRAME_HEADER_BYTES = 5;

export interface Frame {
  readonly kind: FrameKind;
  readonly n: number;
  readonly payload: Uint8Array;
}

export function encodeFrame(kind: FrameKind, n: number, payload?: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + (payload?.length ?? 0));
  frame[0] = kind;
  new DataView(frame.buffer).setUint32(1, n >>> 0);
  if (payload) frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export type FrameError = 'too_short' | 'unknown_kind' | 'unexpected_payload';

/** Decodes a received frame; a peer's bytes are never trusted. */
export function decodeFrame(bytes: Uint8Array): Result<Frame, FrameError> {
  if (bytes.length < FRAME_HEADER_BYTES) return err('too_short');
  const kind = bytes[0] as FrameKind;
  if (kind < FrameKind.RELIABLE || kind > FrameKind.PONG) return err('unknown_kind');
  if (kind >= FrameKind.ACK && bytes.length !== FRAME_HEADER_BYTES)
    return err('unexpected_payload');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  return ok({ kind, n, payload: bytes.subarray(FRAME_HEADER_BYTES) });
}
