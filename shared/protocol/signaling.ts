import * as v from 'valibot';
import { err, ok, type Result } from '../result.ts';

/**
 * The signaling protocol: JSON text messages between a browser and the server. One schema per
 * message; the TypeScript type of each is inferred from it, and everything that arrives — at the
 * server and in the browser — is decoded through `decodeClientMessage` / `decodeServerMessage`.
 *
 * Bounds in the schemas are protocol-wide ceilings ("never longer than this on the wire"); the
 * server's configurable limits (name length, capacity) apply on top of them.
 */
export const WIRE_LIMITS = {
  NAME: 128,
  CODE: 32,
  TOKEN: 64,
  HOST_KEY: 64,
  SDP: 16_384,
  CANDIDATE: 1_024,
  ICE_SERVERS: 8,
  PLAYERS: 32,
  /** Spectators in one lobby, on top of its players (the server's `--max-spectators` is lower). */
  SPECTATORS: 64,
  MESSAGE: 256,
} as const;

const str = (max: number) => v.pipe(v.string(), v.maxLength(max));
const peerId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(0xffff));

// ---- What the browser sends --------------------------------------------------------------

/** Starts a new lobby; the sender becomes its host. */
export const CreateMessage = v.object({
  type: v.literal('create'),
  name: str(WIRE_LIMITS.NAME),
  capacity: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(WIRE_LIMITS.PLAYERS)),
  ),
});
/** Takes a new seat in the lobby with this code (as typed or from the share link). */
export const JoinMessage = v.object({
  type: v.literal('join'),
  code: str(WIRE_LIMITS.CODE),
  name: str(WIRE_LIMITS.NAME),
});
/**
 * Watches the lobby with this code as a spectator: not a seat (it does not count against the
 * capacity, and a locked lobby admits it), no game input; snapshots and chat over the same links.
 */
export const WatchMessage = v.object({
  type: v.literal('watch'),
  code: str(WIRE_LIMITS.CODE),
  name: str(WIRE_LIMITS.NAME),
});
/** Takes back a seat after a dropped connection, proving it with the last resume token. */
export const ResumeMessage = v.object({
  type: v.literal('resume'),
  code: str(WIRE_LIMITS.CODE),
  token: str(WIRE_LIMITS.TOKEN),
});
const ReclaimSeat = v.object({
  id: peerId,
  name: str(WIRE_LIMITS.NAME),
  tag: str(WIRE_LIMITS.TOKEN),
  spectator: v.optional(v.boolean()),
});
/** How many times a lobby's host changed (see `PromotedMessage`). */
const generation = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0x7fffffff));
/**
 * The host re-creates its lobby under the same code after the server lost it (a restart). The
 * host key proves ownership: the code is a hash of the first host's key; a host that took over
 * after a migration adds its generation and the server-signed owner token. The seats (with their
 * token tags) let guests resume the same seats with the tokens they already hold.
 */
export const ReclaimMessage = v.object({
  type: v.literal('reclaim'),
  code: str(WIRE_LIMITS.CODE),
  hostKey: str(WIRE_LIMITS.HOST_KEY),
  generation: v.optional(generation),
  owner: v.optional(str(WIRE_LIMITS.HOST_KEY)),
  hostId: peerId,
  name: str(WIRE_LIMITS.NAME),
  capacity: v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(WIRE_LIMITS.PLAYERS)),
  locked: v.boolean(),
  spectating: v.optional(v.boolean()),
  seats: v.pipe(v.array(ReclaimSeat), v.maxLength(WIRE_LIMITS.PLAYERS + WIRE_LIMITS.SPECTATORS)),
});
export const LeaveMessage = v.object({ type: v.literal('leave') });
/**
 * The page is going away and is not being reloaded (its tab closed, or it went to another site):
 * a host is replaced as soon as its socket closes, not after `--host-migration-ms`. The seat is
 * held as after any drop. A page that cannot tell (no service worker) never sends it.
 */
export const ClosingMessage = v.object({ type: v.literal('closing') });
export const KickMessage = v.object({ type: v.literal('kick'), id: peerId });
export const LockMessage = v.object({ type: v.literal('lock'), locked: v.boolean() });
/** Host only: whether anyone may watch; turning it off sends the spectators away (4012). */
export const SpectateMessage = v.object({ type: v.literal('spectate'), allowed: v.boolean() });

/**
 * How a guest's traffic reaches the host: a direct WebRTC path, a WebRTC path through a TURN
 * server, or the server's WebSocket relay.
 */
export const LINK_KINDS = ['direct', 'turn', 'relay'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];
/**
 * The host tells the server how each guest is linked to it (sent when that changes), so every
 * guest sees every player's link and the operator can count links by kind.
 */
export const LinksMessage = v.object({
  type: v.literal('links'),
  links: v.pipe(
    v.array(v.object({ id: peerId, kind: v.picklist(LINK_KINDS) })),
    v.maxLength(WIRE_LIMITS.PLAYERS),
  ),
});

/** WebRTC signaling payloads, exactly the shapes simple-peer emits and accepts. */
export const SignalData = v.variant('type', [
  v.object({ type: v.picklist(['offer', 'answer']), sdp: str(WIRE_LIMITS.SDP) }),
  v.object({
    type: v.literal('candidate'),
    candidate: v.object({
      candidate: str(WIRE_LIMITS.CANDIDATE),
      sdpMid: v.optional(v.nullable(str(64))),
      sdpMLineIndex: v.optional(
        v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(255))),
      ),
      usernameFragment: v.optional(v.nullable(str(256))),
    }),
  }),
  v.object({ type: v.literal('renegotiate'), renegotiate: v.literal(true) }),
  v.object({
    type: v.literal('transceiverRequest'),
    transceiverRequest: v.object({ kind: v.picklist(['audio', 'video']) }),
  }),
]);
/**
 * Which direct-connection attempt a signal belongs to. A failed WebRTC connection is replaced by a
 * fresh one; the number keeps late signals of an old attempt away from the new one.
 */
const attempt = v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff)));
/** A WebRTC offer, answer or candidate for another member of the same lobby. */
export const SignalMessage = v.object({
  type: v.literal('signal'),
  to: peerId,
  attempt,
  data: SignalData,
});

/**
 * Asks for fresh ICE servers: TURN credentials are short-lived, and a page that plays longer
 * than they last needs new ones for its next WebRTC attempts.
 */
export const IceRequestMessage = v.object({ type: v.literal('ice') });

const CLIENT_SCHEMAS = {
  create: CreateMessage,
  join: JoinMessage,
  watch: WatchMessage,
  resume: ResumeMessage,
  reclaim: ReclaimMessage,
  leave: LeaveMessage,
  closing: ClosingMessage,
  kick: KickMessage,
  lock: LockMessage,
  spectate: SpectateMessage,
  links: LinksMessage,
  ice: IceRequestMessage,
  signal: SignalMessage,
} as const;

export type ClientMessageType = keyof typeof CLIENT_SCHEMAS;
export type ClientMessage = {
  [K in ClientMessageType]: v.InferOutput<(typeof CLIENT_SCHEMAS)[K]>;
}[ClientMessageType];
export type SignalPayload = v.InferOutput<typeof SignalData>;

// ---- What the server sends ---------------------------------------------------------------

export const IceServer = v.object({
  urls: v.union([str(512), v.pipe(v.array(str(512)), v.maxLength(8))]),
  username: v.optional(str(256)),
  credential: v.optional(str(256)),
});
export type IceServer = v.InferOutput<typeof IceServer>;

export const PlayerView = v.object({
  id: peerId,
  name: str(WIRE_LIMITS.NAME),
  connected: v.boolean(),
  /** How this guest is linked to the host, as the host last reported it. */
  link: v.optional(v.picklist(LINK_KINDS)),
  /** Hash of the seat's resume token; only the host gets it, to reclaim after a restart. */
  tag: v.optional(str(WIRE_LIMITS.TOKEN)),
  /** Watches: no seat, no player in the game (absent for players). */
  spectator: v.optional(v.literal(true)),
});
export type PlayerView = v.InferOutput<typeof PlayerView>;

export const LobbyView = v.object({
  code: str(WIRE_LIMITS.CODE),
  link: str(2048),
  hostId: peerId,
  locked: v.boolean(),
  capacity: v.pipe(v.number(), v.integer()),
  /** Whether the host lets people watch (absent: yes). */
  spectating: v.optional(v.boolean()),
  /** Players, then spectators (`spectator: true`). */
  players: v.pipe(v.array(PlayerView), v.maxLength(WIRE_LIMITS.PLAYERS + WIRE_LIMITS.SPECTATORS)),
});
export type LobbyView = v.InferOutput<typeof LobbyView>;

/** First answer to create / join / resume / reclaim: who you are and how to come back. */
export const WelcomeMessage = v.object({
  type: v.literal('welcome'),
  you: peerId,
  /** Resume token for this seat; replaced on every resume, so keep only the latest. */
  token: str(WIRE_LIMITS.TOKEN),
  /** Only for the host: proves ownership to re-claim the lobby after a server restart. */
  hostKey: v.optional(str(WIRE_LIMITS.HOST_KEY)),
  /** Only for a host that took over (generation > 0): its generation and owner token. */
  generation: v.optional(generation),
  owner: v.optional(str(WIRE_LIMITS.HOST_KEY)),
  iceServers: v.pipe(v.array(IceServer), v.maxLength(WIRE_LIMITS.ICE_SERVERS)),
  lobby: LobbyView,
});
/** Fresh ICE servers (new TURN credentials), in answer to `ice`. */
export const IceServersMessage = v.object({
  type: v.literal('ice'),
  iceServers: v.pipe(v.array(IceServer), v.maxLength(WIRE_LIMITS.ICE_SERVERS)),
});
/** The lobby after any change (join, leave, drop, return, kick, lock). */
export const LobbyMessage = v.object({ type: v.literal('lobby'), lobby: LobbyView });
/**
 * To the guest the server picked as the new host when the old one left or stayed away (host
 * migration), just before the `lobby` update that names it: a fresh host key and the signed
 * proof that it owns the lobby now, to re-claim it after a server restart.
 */
export const PromotedMessage = v.object({
  type: v.literal('promoted'),
  hostKey: str(WIRE_LIMITS.HOST_KEY),
  generation,
  owner: str(WIRE_LIMITS.HOST_KEY),
});
export const SignalFromMessage = v.object({
  type: v.literal('signal'),
  from: peerId,
  attempt,
  data: SignalData,
});

// ---- A fast path for signals ---------------------------------------------------------------

/**
 * Whether `json` is a `signal` message (`to` from a browser, `from` from the server) that its
 * schema accepts exactly as it is: the same shapes and bounds, and no key the schema does not
 * know (the schema would drop it, and its output would differ from `json`). Every WebRTC offer,
 * answer and candidate takes this path, which costs a small fraction of a valibot parse; whatever
 * it does not accept goes through the schema, which also words the errors.
 * `test/unit/signal-fast-path.test.ts` holds it to the schema.
 */
export function isExactSignal(json: Record<string, unknown>, idKey: 'to' | 'from'): boolean {
  let keys = 0;
  for (const key in json) {
    if (key !== 'type' && key !== idKey && key !== 'attempt' && key !== 'data') return false;
    keys++;
  }
  const attempt = json.attempt;
  return (
    keys === (attempt === undefined ? 3 : 4) &&
    json.type === 'signal' &&
    isIntIn(json[idKey], 1, 0xffff) &&
    (attempt === undefined || isIntIn(attempt, 0, 0xffffffff)) &&
    isExactSignalData(json.data)
  );
}

function isExactSignalData(data: unknown): boolean {
  if (!isRecord(data)) return false;
  switch (data.type) {
    case 'offer':
    case 'answer':
      return hasKeys(data, 2) && isStringUpTo(data.sdp, WIRE_LIMITS.SDP);
    case 'candidate':
      return hasKeys(data, 2) && isExactCandidate(data.candidate);
    case 'renegotiate':
      return hasKeys(data, 2) && data.renegotiate === true;
    case 'transceiverRequest': {
      const request = data.transceiverRequest;
      return (
        hasKeys(data, 2) &&
        isRecord(request) &&
        hasKeys(request, 1) &&
        (request.kind === 'audio' || request.kind === 'video')
      );
    }
    default:
      return false;
  }
}

function isExactCandidate(c: unknown): boolean {
  if (!isRecord(c)) return false;
  for (const key in c) {
    const value = c[key];
    const valid =
      key === 'candidate'
        ? isStringUpTo(value, WIRE_LIMITS.CANDIDATE)
        : key === 'sdpMid'
          ? value === null || isStringUpTo(value, 64)
          : key === 'sdpMLineIndex'
            ? value === null || isIntIn(value, 0, 255)
            : key === 'usernameFragment'
              ? value === null || isStringUpTo(value, 256)
              : false;
    if (!valid) return false;
  }
  return typeof c.candidate === 'string';
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isIntIn = (x: unknown, min: number, max: number): boolean =>
  typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
const isStringUpTo = (x: unknown, max: number): boolean => typeof x === 'string' && x.length <= max;
/** Whether `o` has exactly `n` own enumerable keys (its known ones were checked by the caller). */
function hasKeys(o: Record<string, unknown>, n: number): boolean {
  let keys = 0;
  for (const _ in o) keys++;
  return keys === n;
}

/** Every error the server answers with; the connection stays open unless a close code follows. */
export const ERROR_CODES = [
  'malformed_json',
  'unknown_type',
  'invalid_field',
  'too_long',
  'bad_frame',
  'not_in_lobby',
  'already_in_lobby',
  'join_refused',
  'join_rate_limited',
  'resume_refused',
  'seat_in_use',
  'reclaim_refused',
  'name_invalid',
  'not_host',
  'unknown_target',
  'relay_target',
  'server_full',
  'rate_limited',
  /**
   * Several nodes share lobbies through Redis, and Redis is unreachable: a lobby this node does
   * not hold cannot be found for now (join, resume, re-claim). Retry; lobbies are not lost.
   */
  'cluster_unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const JOIN_REFUSALS = [
  'unavailable',
  'full',
  'locked',
  'no_spectators',
  'spectators_full',
] as const;
export type JoinRefusal = (typeof JOIN_REFUSALS)[number];

export const ErrorMessage = v.object({
  type: v.literal('error'),
  code: v.picklist(ERROR_CODES),
  message: str(WIRE_LIMITS.MESSAGE),
  /** The message type that caused it, when known. */
  ref: v.optional(str(32)),
  /** For `invalid_field` / `too_long`: the dotted path of the offending field. */
  field: v.optional(str(128)),
  /**
   * For `join_refused`: why, when telling does not help guess codes (`no_spectators`: the host
   * turned watching off; `spectators_full`: `--max-spectators` are watching).
   */
  reason: v.optional(v.picklist(JOIN_REFUSALS)),
});

const SERVER_SCHEMAS = {
  welcome: WelcomeMessage,
  lobby: LobbyMessage,
  promoted: PromotedMessage,
  signal: SignalFromMessage,
  ice: IceServersMessage,
  error: ErrorMessage,
} as const;
export type ServerMessageType = keyof typeof SERVER_SCHEMAS;
export type ServerMessage = {
  [K in ServerMessageType]: v.InferOutput<(typeof SERVER_SCHEMAS)[K]>;
}[ServerMessageType];
export type ErrorReply = v.InferOutput<typeof ErrorMessage>;

// ---- Decoding ----------------------------------------------------------------------------

/** Why a message could not be decoded; maps one-to-one onto an error reply. */
export interface DecodeError {
  readonly code: 'malformed_json' | 'unknown_type' | 'invalid_field' | 'too_long';
  readonly message: string;
  readonly ref?: string;
  readonly field?: string;
}

function decodeWith<M>(
  schemas: Record<string, v.GenericSchema>,
  signalIdKey: 'to' | 'from',
  text: string,
): Result<M, DecodeError> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err({ code: 'malformed_json', message: 'message is not valid JSON' });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return err({ code: 'malformed_json', message: 'message must be a JSON object' });
  }
  const type = (json as { type?: unknown }).type;
  const schema =
    typeof type === 'string' && Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (schema === undefined) {
    // Never stringify an object or array from the wire: a deeply nested one (`[[[…]]]`, well
    // under the frame limit) overflows the stack; JSON.parse's result holds no other kind.
    const shown =
      typeof type === 'object' && type !== null
        ? Array.isArray(type)
          ? 'array'
          : 'object'
        : (JSON.stringify(type)?.slice(0, 40) ?? 'undefined');
    return err({ code: 'unknown_type', message: `unknown message type ${shown}` });
  }
  if (type === 'signal' && isExactSignal(json as Record<string, unknown>, signalIdKey)) {
    return ok(json as M);
  }
  const parsed = v.safeParse(schema, json);
  if (parsed.success) return ok(parsed.output as M);
  const issue = parsed.issues[0];
  const field = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  const tooLong = issue.type === 'max_length';
  return err({
    code: tooLong ? 'too_long' : 'invalid_field',
    message: `${type}: ${field || 'message'}: ${issue.message}`.slice(0, WIRE_LIMITS.MESSAGE),
    ref: type as string,
    field,
  });
}

/**
 * A `signal` message from the server, as text: what `JSON.stringify` makes of
 * `{ type: 'signal', from, attempt, data }` when `dataText` is the payload's JSON (from
 * `signalDataText`, or `JSON.stringify` of it).
 */
export function encodeSignalFrom(
  from: number,
  attempt: number | undefined,
  dataText: string,
): string {
  const attemptField = attempt === undefined ? '' : `,"attempt":${attempt}`;
  return `{"type":"signal","from":${from}${attemptField},"data":${dataText}}`;
}

/**
 * The payload's JSON, sliced from `text`, the message `msg` was decoded from; undefined unless
 * that slice is safe to forward. It is when `text` is exactly as long as `JSON.stringify` would
 * make `msg` and starts with the members before `data` as our client writes them: no JSON text of
 * a payload is shorter than `JSON.stringify`'s (see `jsonLength`), so then `text` holds nothing
 * but `msg` — no whitespace, no key the schema dropped, no earlier copy of a duplicated key
 * (which `JSON.parse` drops unchecked). Numbers may be spelled otherwise at equal length
 * (`1e2`), with the same value. Saves building the payload's JSON again for each signal the
 * server forwards.
 */
export function signalDataText(
  text: string,
  msg: Extract<ClientMessage, { type: 'signal' }>,
): string | undefined {
  const attemptField = msg.attempt === undefined ? '' : `,"attempt":${msg.attempt}`;
  const head = `{"type":"signal","to":${msg.to}${attemptField},"data":`;
  if (!text.startsWith(head)) return undefined;
  const dataLength = jsonLength(msg.data);
  if (dataLength === undefined || text.length !== head.length + dataLength + 1) return undefined;
  return text.slice(head.length, -1);
}

/** Strings `JSON.stringify` writes otherwise than as the characters between two quotes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes control characters.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * The length of `JSON.stringify(value)` for a value made of plain objects, strings, integers
 * below 1,000 in size, booleans and null; undefined for anything else, and for strings it would
 * escape. No JSON text of such a value is shorter (a larger number may be: `1e3` for 1000).
 */
function jsonLength(value: unknown): number | undefined {
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? undefined : value.length + 2;
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 1000 ? String(value).length : undefined;
    case 'boolean':
      return value ? 4 : 5;
    case 'object': {
      if (value === null) return 4;
      if (Array.isArray(value)) return undefined;
      const record = value as Record<string, unknown>;
      // `{` and `}`, then per member `"key":value` and a comma between members.
      let length = 1;
      for (const key in record) {
        const member = jsonLength(record[key]);
        if (member === undefined || NEEDS_ESCAPE.test(key)) return undefined;
        length += key.length + 4 + member;
      }
      return length === 1 ? 2 : length;
    }
    default:
      return undefined;
  }
}

/** Decodes a message from a browser; used by the server. */
export const decodeClientMessage = (text: string) =>
  decodeWith<ClientMessage>(CLIENT_SCHEMAS, 'to', text);
/** Decodes a message from the server; used by the browser. */
export const decodeServerMessage = (text: string) =>
  decodeWith<ServerMessage>(SERVER_SCHEMAS, 'from', text);
