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
});

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
export const forgetSeat = (code: string): void =>
  write(() => sessionStorage, seatKey(code), undefined);
