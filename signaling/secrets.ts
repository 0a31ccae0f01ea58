import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  encodeCrockford,
  LOBBY_CODE_LENGTH,
  LOBBY_SHARD_LENGTH,
} from '../shared/protocol/lobby-code.ts';

/** A resume token: 192 random bits. Only its hash (the tag) is kept by the server. */
export const newResumeToken = (): string => randomBytes(24).toString('base64url');

/**
 * Bytes of a token's hash kept as its tag: 128 bits are beyond any guessing, and a seat keeps a
 * 22-character tag (40 B) rather than the whole hash (64 B; memory per lobby).
 */
const TAG_BYTES = 16;

/** What the server stores for a token, and what the host keeps to re-claim seats. */
export const tokenTag = (token: string): string =>
  createHash('sha256')
    .update(`lanparty resume v1\0${token}`)
    .digest()
    .subarray(0, TAG_BYTES)
    .toString('base64url');

/**
 * A tag a re-claiming host sends, as this server stores tags: a host that learnt its tags from
 * a server before tags were cut to `TAG_BYTES` holds whole hashes, whose first bytes are the tag.
 */
export const storedTag = (tag: string): string =>
  Buffer.from(tag, 'base64url').subarray(0, TAG_BYTES).toString('base64url');

/**
 * The host's proof of ownership of a lobby: 192 random bits, as many as a resume token (32
 * characters, 48 B kept per lobby). Keys of 256 bits from older servers still prove ownership.
 */
export const newHostKey = (): string => randomBytes(24).toString('base64url');

/**
 * The lobby code is derived from the host key, so after a restart the server — which has
 * forgotten everything — can check a re-claim without storing anything, and guests, who know
 * the code, cannot compute the key.
 *
 * With a `shard` (the `lobby` parameter of the host's WebSocket URL: random characters its page
 * chose), the code starts with it and the rest is derived from shard and key. A balancer that
 * hashes on that parameter then sends the host and every guest, who put the code's first
 * characters there, to the same node. The shard is not secret (it is in URLs, and so in proxy
 * logs): such codes keep 55 secret bits instead of 65, still far beyond rate-limited guessing.
 */
export function lobbyCodeFor(hostKey: string, shard?: string): string {
  if (shard === undefined) {
    const digest = createHash('sha256').update(`lanparty lobby v1\0${hostKey}`).digest();
    return encodeCrockford(digest, LOBBY_CODE_LENGTH);
  }
  const digest = createHash('sha256').update(`lanparty lobby v2\0${shard}\0${hostKey}`).digest();
  return shard + encodeCrockford(digest, LOBBY_CODE_LENGTH - shard.length);
}

/** Whether `code` was derived from `hostKey` (with or without a shard). */
function isCodeOf(code: string, hostKey: string): boolean {
  return (
    lobbyCodeFor(hostKey) === code ||
    lobbyCodeFor(hostKey, code.slice(0, LOBBY_SHARD_LENGTH)) === code
  );
}

/** A secret to sign ownership tokens with, when none is configured (lost on restart). */
export const newLobbySecret = (): string => randomBytes(32).toString('base64url');

/**
 * After a host migration the code no longer hashes to the host's key, so the server signs the
 * new ownership: host number `generation` of lobby `code` is whoever holds `hostKey`. Only the
 * hash of the key is signed, and only the host ever receives the key and the token.
 */
export function ownerToken(
  secret: string,
  code: string,
  generation: number,
  hostKey: string,
): string {
  const keyHash = createHash('sha256').update(`lanparty host key v1\0${hostKey}`).digest('hex');
  return createHmac('sha256', secret)
    .update(`lanparty owner v1\0${code}\0${generation}\0${keyHash}`)
    .digest('base64url');
}

/**
 * Whether `hostKey` proves ownership of lobby `code` at `generation` (0: the lobby's first host,
 * whose key the code is a hash of; later: a token signed by this server's lobby secret).
 */
export function provesOwnership(
  secret: string,
  code: string,
  hostKey: string,
  generation: number,
  owner: string | undefined,
): boolean {
  if (generation === 0) return isCodeOf(code, hostKey);
  if (owner === undefined) return false;
  const expected = Buffer.from(ownerToken(secret, code, generation, hostKey));
  const given = Buffer.from(owner);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Constant-time equality of two secrets. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
