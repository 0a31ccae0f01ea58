import { err, ok, type Result } from '../result.ts';

/**
 * The engine's messages between host and guests, inside a Link. Binary, big-endian.
 *
 *   SNAPSHOT (host → guest, unreliable)  kind, base tick & 0xff, last input seq of this guest
 *                                        & 0xff, game delta. A guest keeps under 256 ticks of
 *                                        bases and under 256 unconfirmed inputs, so the low
 *                                        bytes name them; the tick itself is in the game bytes
 *   FULL     (host → guest, either)      kind, input seq & 0xff, game id length u8, game id
 *                                        (ASCII), a full game state: for late joiners, after a
 *                                        guest lost its base, or when the guest acknowledged
 *                                        nothing the host still has. The id names the game
 *                                        module, so a guest loads the game the host picked
 *   EVENT    (host → guest, reliable)    kind, event u8, player id u16 (joined / left)
 *   INPUT    (guest → host, unreliable)  kind, acked snapshot tick u32, newest seq u32,
 *                                        count u8, count × (size u8, input bytes), oldest first:
 *                                        the last few inputs, so one lost packet loses nothing
 *   RESYNC   (guest → host, reliable)    kind: "send me a FULL" (a delta's base is unknown)
 *   CHOICE   (host → guest, reliable)    kind, game id length u8, game id (ASCII), count u8,
 *                                        count × (key length u8, key (ASCII), value i32): the
 *                                        game and settings the host picked in the lobby, sent
 *                                        to each guest as its link opens (or restarts) and on
 *                                        every change, so guests see the pick before the start.
 *                                        Pages from before it drop it as an unknown frame
 *   ACK      (spectator → host, unreliable) kind, acked snapshot tick u32: a spectator sends no
 *                                        inputs, only this, so it still gets deltas
 */
export const EngineFrame = {
  SNAPSHOT: 1,
  FULL: 2,
  EVENT: 3,
  INPUT: 4,
  RESYNC: 5,
  CHOICE: 6,
  ACK: 7,
} as const;

/**
 * Kinds from 0x40 up belong to other channels on the same links (chat: `web/chat/chat-frames.ts`):
 * the game loops leave those frames alone instead of counting them as bad.
 */
export const isEngineFrame = (bytes: Uint8Array): boolean => (bytes[0] ?? 0) < 0x40;
export const NO_BASE = 0xffffffff;
export const GameEvent = { JOINED: 1, LEFT: 2 } as const;
export type GameEvent = (typeof GameEvent)[keyof typeof GameEvent];

/** A game id: 1–32 characters of lower-case letters, digits and dashes. */
export const GAME_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

/** A setting's key in a CHOICE: a lower-case letter, then up to 31 letters. */
export const SETTING_KEY_PATTERN = /^[a-z][a-zA-Z]{0,31}$/;
/** Most settings in one CHOICE. */
export const MAX_SETTINGS = 16;

/** Most inputs repeated in one INPUT frame, and the largest encoded input. */
export const MAX_INPUTS_PER_FRAME = 8;
export const MAX_INPUT_BYTES = 32;

export type EngineMessage =
  | {
      readonly kind: typeof EngineFrame.SNAPSHOT;
      readonly baseLow: number;
      readonly seqLow: number;
      readonly body: Uint8Array;
    }
  | {
      readonly kind: typeof EngineFrame.FULL;
      readonly seqLow: number;
      /** The game's id (`Game.id`): which module decodes the body. */
      readonly game: string;
      readonly body: Uint8Array;
    }
  | { readonly kind: typeof EngineFrame.EVENT; readonly event: GameEvent; readonly player: number }
  | {
      readonly kind: typeof EngineFrame.INPUT;
      readonly ackTick: number;
      readonly newestSeq: number;
      readonly inputs: readonly Uint8Array[];
    }
  | { readonly kind: typeof EngineFrame.RESYNC }
  | {
      readonly kind: typeof EngineFrame.CHOICE;
      readonly game: string;
      readonly settings: Readonly<Record<string, number>>;
    }
  | { readonly kind: typeof EngineFrame.ACK; readonly ackTick: number };

/** A delta against the snapshot of `baseTick`; snapshots go out 30 times a second, so 3 bytes. */
export function encodeDelta(baseTick: number, inputSeq: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + body.length);
  out[0] = EngineFrame.SNAPSHOT;
  out[1] = baseTick & 0xff;
  out[2] = inputSeq & 0xff;
  out.set(body, 3);
  return out;
}

/** A full state of the game `gameId` (checked against GAME_ID_PATTERN: a bug otherwise). */
export function encodeFull(inputSeq: number, gameId: string, body: Uint8Array): Uint8Array {
  if (!GAME_ID_PATTERN.test(gameId)) throw new RangeError(`bad game id ${JSON.stringify(gameId)}`);
  const out = new Uint8Array(3 + gameId.length + body.length);
  out[0] = EngineFrame.FULL;
  out[1] = inputSeq & 0xff;
  out[2] = gameId.length;
  for (let i = 0; i < gameId.length; i++) out[3 + i] = gameId.charCodeAt(i);
  out.set(body, 3 + gameId.length);
  return out;
}

/** The newest number ≤ `newest` whose low byte is `low` (for ticks and sequence numbers). */
export function fromLowByte(low: number, newest: number): number {
  return newest - ((newest - low) & 0xff);
}

export function encodeEvent(event: GameEvent, player: number): Uint8Array {
  return new Uint8Array([EngineFrame.EVENT, event, player >> 8, player & 0xff]);
}

/** The last inputs, oldest first, the newest being `newestSeq`. */
export function encodeInputs(
  ackTick: number,
  newestSeq: number,
  inputs: readonly Uint8Array[],
): Uint8Array {
  const size = 10 + inputs.reduce((n, i) => n + 1 + i.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = EngineFrame.INPUT;
  view.setUint32(1, ackTick >>> 0);
  view.setUint32(5, newestSeq >>> 0);
  out[9] = inputs.length;
  let at = 10;
  for (const input of inputs) {
    out[at++] = input.length;
    out.set(input, at);
    at += input.length;
  }
  return out;
}

export const encodeResync = (): Uint8Array => new Uint8Array([EngineFrame.RESYNC]);

/**
 * The host's pick in the lobby. Ids, keys and values are checked (GAME_ID_PATTERN,
 * SETTING_KEY_PATTERN, whole numbers in i32, at most MAX_SETTINGS): a bug otherwise.
 */
export function encodeChoice(game: string, settings: Readonly<Record<string, number>>): Uint8Array {
  if (!GAME_ID_PATTERN.test(game)) throw new RangeError(`bad game id ${JSON.stringify(game)}`);
  const entries = Object.entries(settings);
  if (entries.length > MAX_SETTINGS) throw new RangeError('too many settings');
  let size = 3 + game.length;
  for (const [key, value] of entries) {
    if (!SETTING_KEY_PATTERN.test(key) || !Number.isInteger(value) || value !== (value | 0))
      throw new RangeError(`bad setting ${key}=${value}`);
    size += 5 + key.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = EngineFrame.CHOICE;
  let at = 1;
  const ascii = (text: string) => {
    out[at++] = text.length;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  };
  ascii(game);
  out[at++] = entries.length;
  for (const [key, value] of entries) {
    ascii(key);
    view.setInt32(at, value);
    at += 4;
  }
  return out;
}

function decodeChoice(bytes: Uint8Array, view: DataView): Result<EngineMessage, string> {
  let at = 1;
  const ascii = (): string | undefined => {
    const length = bytes[at++];
    if (length === undefined || at + length > bytes.length) return undefined;
    const text = String.fromCharCode(...bytes.subarray(at, at + length));
    at += length;
    return text;
  };
  const game = ascii();
  if (game === undefined || !GAME_ID_PATTERN.test(game)) return err('bad game id');
  const count = bytes[at++];
  if (count === undefined || count > MAX_SETTINGS) return err('bad settings count');
  // No prototype to pollute: keys become own properties of a null-prototype object.
  const settings: Record<string, number> = Object.create(null);
  for (let i = 0; i < count; i++) {
    const key = ascii();
    if (key === undefined || !SETTING_KEY_PATTERN.test(key)) return err('bad setting key');
    if (key in settings) return err('repeated setting');
    if (at + 4 > bytes.length) return err('setting overruns frame');
    settings[key] = view.getInt32(at);
    at += 4;
  }
  if (at !== bytes.length) return err('trailing bytes after settings');
  return ok({ kind: EngineFrame.CHOICE, game, settings: { ...settings } });
}

export function encodeAck(ackTick: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = EngineFrame.ACK;
  new DataView(out.buffer).setUint32(1, ackTick >>> 0);
  return out;
}

/** Decodes an engine frame from a peer; never trusts its bytes. */
export function decodeEngineFrame(bytes: Uint8Array): Result<EngineMessage, string> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes[0]) {
    case EngineFrame.SNAPSHOT:
      if (bytes.length < 4) return err('snapshot too short');
      return ok({
        kind: EngineFrame.SNAPSHOT,
        baseLow: bytes[1] ?? 0,
        seqLow: bytes[2] ?? 0,
        body: bytes.subarray(3),
      });
    case EngineFrame.FULL: {
      const length = bytes[2] ?? 0;
      if (bytes.length < 4 + length) return err('full snapshot too short');
      const game = String.fromCharCode(...bytes.subarray(3, 3 + length));
      if (!GAME_ID_PATTERN.test(game)) return err('bad game id');
      return ok({
        kind: EngineFrame.FULL,
        seqLow: bytes[1] ?? 0,
        game,
        body: bytes.subarray(3 + length),
      });
    }
    case EngineFrame.EVENT: {
      if (bytes.length !== 4) return err('event of the wrong size');
      const event = bytes[1];
      if (event !== GameEvent.JOINED && event !== GameEvent.LEFT) return err('unknown event');
      return ok({ kind: EngineFrame.EVENT, event, player: view.getUint16(2) });
    }
    case EngineFrame.INPUT: {
      if (bytes.length < 10) return err('input frame too short');
      const count = bytes[9] ?? 0;
      if (count === 0 || count > MAX_INPUTS_PER_FRAME) return err('bad input count');
      const inputs: Uint8Array[] = [];
      let at = 10;
      for (let i = 0; i < count; i++) {
        const size = bytes[at++];
        if (size === undefined || size > MAX_INPUT_BYTES || at + size > bytes.length)
          return err('input overruns frame');
        inputs.push(bytes.subarray(at, at + size));
        at += size;
      }
      if (at !== bytes.length) return err('trailing bytes after inputs');
      return ok({
        kind: EngineFrame.INPUT,
        ackTick: view.getUint32(1),
        newestSeq: view.getUint32(5),
        inputs,
      });
    }
    case EngineFrame.RESYNC:
      return bytes.length === 1 ? ok({ kind: EngineFrame.RESYNC }) : err('resync with a payload');
    case EngineFrame.CHOICE:
      return decodeChoice(bytes, view);
    case EngineFrame.ACK:
      return bytes.length === 5
        ? ok({ kind: EngineFrame.ACK, ackTick: view.getUint32(1) })
        : err('ack of the wrong size');
    default:
      return err('unknown engine frame');
  }
}
