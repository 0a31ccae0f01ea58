import * as v from 'valibot';
import { err, ok, type Result } from '../shared/result.ts';

/**
 * Messages between server nodes (over Redis pub/sub, one channel per node). A lobby lives on one
 * node, its owner; a player whose socket landed on another node (the socket's node) is served
 * by the owner through these messages. `c.*` go from the socket's node to the owner (what the
 * client did), `o.*` from the owner to the socket's node (what to do with the socket).
 *
 * Layout: a 2-byte big-endian header length, the header as JSON, then the payload (the client's
 * text or binary frame, byte for byte; empty for kinds without one). Only the small header is
 * parsed; everything is checked as strictly as a browser's messages: a bad one is dropped and
 * counted, never trusted.
 */

/** Node ids name Redis channels and appear in logs and metrics: short and plain. */
export const NODE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const nodeId = v.pipe(v.string(), v.regex(NODE_ID));
/** A connection number on the socket's node (random start per process, see `Federation`). */
const conn = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
const closeCode = v.pipe(v.number(), v.integer(), v.minValue(1000), v.maxValue(4999));

const base = { from: nodeId, conn };
const NodeHeader = v.variant('k', [
  /** A socket starts talking to a lobby on the owner: its address and origin, as seen at upgrade. */
  v.strictObject({
    k: v.literal('c.open'),
    ...base,
    ip: v.pipe(v.string(), v.maxLength(64)),
    baseUrl: v.pipe(v.string(), v.maxLength(300), v.regex(/^https?:\/\/[^\s/]+$/)),
  }),
  v.strictObject({ k: v.literal('c.text'), ...base }),
  v.strictObject({ k: v.literal('c.bin'), ...base }),
  /** Answer to `o.ping`: the socket's node still holds the socket. */
  v.strictObject({ k: v.literal('c.pong'), ...base }),
  v.strictObject({ k: v.literal('c.gone'), ...base }),
  v.strictObject({ k: v.literal('o.text'), ...base }),
  v.strictObject({ k: v.literal('o.bin'), ...base }),
  v.strictObject({ k: v.literal('o.ping'), ...base }),
  v.strictObject({
    k: v.literal('o.close'),
    ...base,
    code: closeCode,
    reason: v.pipe(v.string(), v.maxLength(123)),
  }),
  /** The owner is alive (sent to every node holding sockets of its lobbies; `conn` unused: 1). */
  v.strictObject({ k: v.literal('o.beat'), ...base }),
]);
export type NodeHeader = v.InferOutput<typeof NodeHeader>;
export type NodeMessage = { readonly header: NodeHeader; readonly payload: Buffer };

const WITH_PAYLOAD = new Set(['c.text', 'c.bin', 'o.text', 'o.bin']);
const MAX_HEADER_BYTES = 1024;

export function encodeNodeMessage(header: NodeHeader, payload?: Uint8Array | string): Buffer {
  const head = Buffer.from(JSON.stringify(header));
  const body =
    payload === undefined
      ? undefined
      : typeof payload === 'string'
        ? Buffer.from(payload)
        : payload;
  const out = Buffer.allocUnsafe(2 + head.length + (body?.length ?? 0));
  out.writeUInt16BE(head.length, 0);
  head.copy(out, 2);
  if (body) out.set(body, 2 + head.length);
  return out;
}

/** Decodes a message from another node; `maxPayload` bounds the client message it carries. */
export function decodeNodeMessage(bytes: Buffer, maxPayload: number): Result<NodeMessage, string> {
  if (bytes.length < 2) return err('shorter than its header length');
  const headLength = bytes.readUInt16BE(0);
  if (headLength > MAX_HEADER_BYTES || bytes.length < 2 + headLength)
    return err('bad header length');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8', 2, 2 + headLength));
  } catch {
    return err('header is not JSON');
  }
  const parsed = v.safeParse(NodeHeader, json);
  if (!parsed.success) return err(`header: ${parsed.issues[0].message}`);
  const payload = bytes.subarray(2 + headLength);
  const header = parsed.output;
  if (WITH_PAYLOAD.has(header.k) ? payload.length > maxPayload : payload.length > 0) {
    return err(`${header.k}: payload of ${payload.length} bytes`);
  }
  return ok({ header, payload });
}

/**
 * Messages to one node are sent in batches, one pub/sub message per event-loop turn: each a
 * 4-byte big-endian length and the message. Batching is what makes cross-node relay affordable
 * (one Redis command and one write instead of one per frame).
 */
export function encodeBatch(messages: readonly Buffer[]): Buffer {
  let size = 0;
  for (const m of messages) size += 4 + m.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const m of messages) {
    out.writeUInt32BE(m.length, at);
    m.copy(out, at + 4);
    at += 4 + m.length;
  }
  return out;
}

/** Splits a batch; a length that runs past the end makes the whole batch invalid. */
export function splitBatch(bytes: Buffer): Result<Buffer[], string> {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) return err('truncated length');
    const length = bytes.readUInt32BE(at);
    if (length === 0 || at + 4 + length > bytes.length) return err('bad message length');
    out.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out.length > 0 ? ok(out) : err('empty batch');
}
