import * as v from 'valibot';
import { LobbyView } from '../../shared/protocol/signaling.ts';
import type { SavedSeat } from '../net/signaling-client.ts';

/**
 * What the page remembers: the player's name and relay-only setting (localStorage, for good),
 * and the seat in a lobby (sessionStorage: per tab, so a reload takes the same seat back while
 * another tab can join as someone else). Everything read back is validated; storage may be
 * unavailable (private modes) and then nothing is remembered.
 */
const NAME = 'lanparty.name';
const RELAY_ONLY = 'lanparty.relayOnly';
const seatKey = (code: string) => `lanparty.seat.${code}`;

const SavedSeatSchema = v.object({
  lobby: LobbyView,
  you: v.pipe(v.number(), v.integer(), v.minValue(1)),
  token: v.pipe(v.string(), v.maxLength(64)),
  hostKey: v.optional(v.pipe(v.string(), v.maxLength(64))),
  generation: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  owner: v.optional(v.pipe(v.string(), v.maxLength(64))),
});

/** The host's game, kept when its tab goes away so a reload carries on with it. */
export interface SavedGame {
  readonly game: string;
  readonly state: Uint8Array;
}
const gameKey = (code: string) => `lanparty.game.${code}`;
/** A saved game older than this is not resumed (the guests have moved on, or given up). */
const SAVED_GAME_MAX_AGE_MS = 30_000;

function read(store: () => Storage, key: string): string | null {
  try {
    return store().getItem(key);
  } catch {
    return null;
  }
}
function write(store: () => Storage, key: string, value: string | undefined): void {
  try {
    if (value === undefined) store().removeItem(key);
    else store().setItem(key, value);
  } catch {
    // Storage full or forbidden: the page works without it.
  }
}

export const rememberedName = (): string => read(() => localStorage, NAME) ?? '';
export const rememberName = (name: string): void => write(() => localStorage, NAME, name);
export const relayOnlySetting = (): boolean => read(() => localStorage, RELAY_ONLY) === '1';
export const setRelayOnly = (on: boolean): void =>
  write(() => localStorage, RELAY_ONLY, on ? '1' : undefined);

export function savedSeat(code: string): SavedSeat | undefined {
  const raw = read(() => sessionStorage, seatKey(code));
  if (raw === null) return undefined;
  try {
    const parsed = v.safeParse(SavedSeatSchema, JSON.parse(raw));
    return parsed.success && parsed.output.lobby.code === code ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}
export const saveSeat = (seat: SavedSeat): void =>
  write(() => sessionStorage, seatKey(seat.lobby.code), JSON.stringify(seat));
export const forgetSeat = (code: string): void => {
  write(() => sessionStorage, seatKey(code), undefined);
  write(() => sessionStorage, gameKey(code), undefined);
};

export function saveGame(code: string, saved: SavedGame, now = Date.now()): void {
  let binary = '';
  for (const byte of saved.state) binary += String.fromCharCode(byte);
  write(
    () => sessionStorage,
    gameKey(code),
    JSON.stringify({ game: saved.game, state: btoa(binary), at: now }),
  );
}

/** The game this tab hosted before it reloaded, once (it is forgotten as it is read). */
export function takeSavedGame(code: string, now = Date.now()): SavedGame | undefined {
  const raw = read(() => sessionStorage, gameKey(code));
  write(() => sessionStorage, gameKey(code), undefined);
  if (raw === null) return undefined;
  try {
    const parsed = v.safeParse(
      v.object({ game: v.string(), state: v.string(), at: v.number() }),
      JSON.parse(raw),
    );
    if (!parsed.success || now - parsed.output.at > SAVED_GAME_MAX_AGE_MS) return undefined;
    const binary = atob(parsed.output.state);
    const state = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) state[i] = binary.charCodeAt(i);
    return { game: parsed.output.game, state };
  } catch {
    return undefined;
  }
}
