import * as v from 'valibot';
import { err, ok, type Result } from '../../shared/result.ts';

/**
 * Chat between peers: frames on the same peer links as the game (direct or relay), reliable and
 * in order, always through the host: a guest sends `say` to the host, the host checks it and
 * sends the resulting `line` to everyone. The server never sees chat.
 *
 * A chat frame is the byte `CHAT_FRAME` then UTF-8 JSON. Engine frames use kinds below it (see
 * `isEngineFrame` in `shared/sim/engine-frames.ts`), so the game loops leave chat alone.
 */
export const CHAT_FRAME = 0x40;

export const CHAT_LIMITS = {
  /** Longest message, in characters (code points). */
  TEXT_CHARS: 200,
  /** Lines the host keeps and sends to a late joiner (guests keep as many, for host migration). */
  HISTORY: 100,
  /** History is sent in frames of at most this many bytes (a session message holds 60,000). */
  HISTORY_FRAME_BYTES: 48_000,
  /** Largest chat frame accepted from a peer (a `say` is far smaller; history frames as above). */
  FRAME_BYTES: 50_000,
  /** Most ids in the host's list of muted players (a lobby's seats and spectators are fewer). */
  MUTED_IDS: 1_024,
} as const;

/** Why the host refused a message; the sender is told, and the host counts each kind. */
export const CHAT_REFUSALS = [
  /** Not a chat frame we understand (bad JSON, wrong type, not text). */
  'malformed',
  'empty',
  'too_long',
  /** Over the per-player rate: dropped. */
  'rate_limited',
  /** The host muted this player, or the rate limit did after repeated flooding. */
  'muted',
  /** Not connected to a host right now. */
  'offline',
] as const;
export type ChatRefusal = (typeof CHAT_REFUSALS)[number];

const peerId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(0xffff));
const text = v.pipe(v.string(), v.maxLength(CHAT_LIMITS.TEXT_CHARS * 4));

/** One line of chat: a player's message, or a system line (joins, leaves, host changes). */
export const ChatLine = v.object({
  /** Counts up within a lobby's chat (a new host carries on from its last line). */
  seq: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** Sender's seat id; absent for system lines. */
  from: v.optional(peerId),
  /** Sender's name when sent, stamped by the host (never taken from the sender). */
  name: v.optional(v.pipe(v.string(), v.maxLength(128))),
  text,
});
export type ChatLine = v.InferOutput<typeof ChatLine>;

/** Guest → host. */
const SayFrame = v.object({ type: v.literal('say'), text: v.string() });
/** Host → guests. */
const HostFrame = v.variant('type', [
  v.object({ type: v.literal('line'), line: ChatLine }),
  /** The last lines, oldest first; `first` starts the list afresh (it may span frames). */
  v.object({
    type: v.literal('history'),
    first: v.boolean(),
    lines: v.pipe(v.array(ChatLine), v.maxLength(CHAT_LIMITS.HISTORY)),
  }),
  /** The host refused this player's message (or muted it: `muted` with no message sent). */
  v.object({ type: v.literal('refused'), reason: v.picklist(CHAT_REFUSALS) }),
  /**
   * Who the host has muted, whole, on every change and to each newcomer: a guest that becomes
   * host keeps them muted.
   */
  v.object({
    type: v.literal('muted'),
    ids: v.pipe(v.array(peerId), v.maxLength(CHAT_LIMITS.MUTED_IDS)),
  }),
]);
export type ChatFromHost = v.InferOutput<typeof HostFrame>;

/** Whether a peer frame belongs to chat. */
export const isChatFrame = (bytes: Uint8Array): boolean => bytes[0] === CHAT_FRAME;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

function encode(message: object): Uint8Array {
  const body = utf8.encode(JSON.stringify(message));
  const out = new Uint8Array(1 + body.length);
  out[0] = CHAT_FRAME;
  out.set(body, 1);
  return out;
}

function decode<T>(bytes: Uint8Array, schema: v.GenericSchema<unknown, T>): Result<T, 'malformed'> {
  if (bytes[0] !== CHAT_FRAME || bytes.length > CHAT_LIMITS.FRAME_BYTES) return err('malformed');
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8.decode(bytes.subarray(1)));
  } catch {
    return err('malformed');
  }
  const parsed = v.safeParse(schema, json);
  return parsed.success ? ok(parsed.output) : err('malformed');
}

export const encodeSay = (text: string): Uint8Array => encode({ type: 'say', text });
export const encodeFromHost = (message: ChatFromHost): Uint8Array => encode(message);

/** A guest's message as the host receives it: the raw text, not yet checked (see `cleanChatText`). */
export const decodeSay = (bytes: Uint8Array): Result<string, 'malformed'> => {
  const frame = decode(bytes, SayFrame);
  return frame.ok ? ok(frame.value.text) : frame;
};
export const decodeFromHost = (bytes: Uint8Array): Result<ChatFromHost, 'malformed'> =>
  decode(bytes, HostFrame);

/** History as frames of at most `HISTORY_FRAME_BYTES` each (the first one starts afresh). */
export function encodeHistory(lines: readonly ChatLine[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let chunk: ChatLine[] = [];
  let size = 0;
  const flush = () => {
    frames.push(encodeFromHost({ type: 'history', first: frames.length === 0, lines: chunk }));
    chunk = [];
    size = 0;
  };
  for (const line of lines) {
    const bytes = utf8.encode(JSON.stringify(line)).length + 1;
    if (chunk.length > 0 && size + bytes > CHAT_LIMITS.HISTORY_FRAME_BYTES) flush();
    chunk.push(line);
    size += bytes;
  }
  if (chunk.length > 0 || frames.length === 0) flush();
  return frames;
}

/**
 * A message as the host accepts it: control characters become spaces, bidirectional overrides
 * (which could make a line read as someone else's) go, the ends are trimmed; empty and over-long
 * texts are refused rather than cut, since the chat box never sends them.
 */
export function cleanChatText(raw: string): Result<string, 'empty' | 'too_long'> {
  const cleaned = raw
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\p{Cc}/gu, ' ')
    .trim();
  if (cleaned === '') return err('empty');
  if ([...cleaned].length > CHAT_LIMITS.TEXT_CHARS) return err('too_long');
  return ok(cleaned);
}
