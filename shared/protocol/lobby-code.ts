/**
 * Lobby codes: 13 Crockford base32 characters (65 bits). The code is the secret in the share
 * link, so the server derives it from cryptographic randomness; this module only formats and
 * parses it, and is shared with the browser.
 */
export const LOBBY_CODE_LENGTH = 13;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = [4, 4, 5];

/** Encodes the first `length * 5` bits of `bytes` in Crockford base32. */
export function encodeCrockford(bytes: Uint8Array, length: number): string {
  if (bytes.length * 8 < length * 5) throw new RangeError('not enough bytes for the code length');
  let out = '';
  for (let i = 0; i < length; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const pair = ((bytes[byte] ?? 0) << 8) | (bytes[byte + 1] ?? 0);
    out += ALPHABET[(pair >> (11 - (bit & 7))) & 31];
  }
  return out;
}

/**
 * Parses what a person typed or pasted: any case, spaces and dashes ignored, and the letters
 * Crockford maps to digits (O→0, I/L→1) accepted. Returns the canonical code or undefined.
 */
export function normalizeLobbyCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (code.length !== LOBBY_CODE_LENGTH) return undefined;
  for (const ch of code) if (!ALPHABET.includes(ch)) return undefined;
  return code;
}

/** Groups a canonical code for display: `ABCD-EFGH-JKMNP`. */
export function formatLobbyCode(code: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of GROUPS) {
    parts.push(code.slice(at, at + size));
    at += size;
  }
  return parts.join('-');
}

/**
 * How many leading characters of a lobby code a WebSocket URL carries as `lobby=` for load
 * balancers that hash on it: enough to spread lobbies over nodes (1,024 shards), too few to find
 * a lobby with (the code is the secret in the share link, and URLs end up in proxy logs).
 */
export const LOBBY_SHARD_LENGTH = 2;

/** Every shard, made once: a socket keeps a reference, not a string of its own. */
const SHARDS: ReadonlyMap<string, string> = new Map(
  Array.from({ length: LOBBY_SHARD_LENGTH })
    .reduce<string[]>((shards) => shards.flatMap((s) => Array.from(ALPHABET, (c) => s + c)), [''])
    .map((s) => [s, s]),
);

/** The shard of a code (see `LOBBY_SHARD_LENGTH`), or undefined when `input` is not one. */
export function normalizeLobbyShard(input: string): string | undefined {
  return input.length === LOBBY_SHARD_LENGTH ? SHARDS.get(input.toUpperCase()) : undefined;
}

/** A random shard for a lobby about to be created; `random` returns numbers in [0, 1). */
export function randomLobbyShard(random: () => number): string {
  let shard = '';
  for (let i = 0; i < LOBBY_SHARD_LENGTH; i++) shard += ALPHABET[Math.floor(random() * 32) % 32];
  return shard;
}
