import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeCrockford, LOBBY_CODE_LENGTH } from '../shared/protocol/lobby-code.ts';

/** A resume token: 192 random bits. Only its hash (the tag) is kept by the server. */
export const newResumeToken = (): string => randomBytes(24).toString('base64url');

/** What the server stores for a token, and what the host keeps to re-claim seats. */
export const tokenTag = (token: string): string =>
  createHash('sha256').update(`lanparty resume v1\0${token}`).digest('base64url');

/** The host's proof of ownership of a lobby: 256 random bits. */
export const newHostKey = (): string => randomBytes(32).toString('base64url');

/**
 * The lobby code is derived from the host key, so after a restart the server — which has
 * forgotten everything — can check a re-claim without storing anything, and guests, who know
 * the code, cannot compute the key.
 */
export function lobbyCodeFor(hostKey: string): string {
  return encodeCrockford(codeDigest(hostKey), LOBBY_CODE_LENGTH);
}

const codeDigest = (hostKey: string): Buffer =>
  createHash('sha256').update(`lanparty lobby v1\0${hostKey}`).digest();

/**
 * A host key whose lobby code starts with `shard` (the `lobby` parameter of the host's WebSocket
 * URL, when it has one): a balancer that hashes on that parameter then sends the host and every
 * guest, who put the code's first characters there, to the same node. Each extra character of
 * shard costs 32 times more tries; two cost about a thousand hashes (~2 ms), once per lobby.
 */
export function hostKeyInShard(shard: string | undefined): string {
  if (shard === undefined) return newHostKey();
  // One draw of 256 random bits, its last 32 counted up: as unguessable, and no syscall per try.
  const bytes = randomBytes(32);
  const tail = bytes.readUInt32BE(28);
  const bits = shard.length * 5;
  for (let i = 0; ; i++) {
    bytes.writeUInt32BE((tail + i) >>> 0, 28);
    const key = bytes.toString('base64url');
    // The code's first characters are the digest's first bits: compared without encoding it.
    const digest = codeDigest(key);
    if (encodeCrockford(digest.subarray(0, Math.ceil(bits / 8) + 1), shard.length) === shard)
      return key;
  }
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
  if (generation === 0) return lobbyCodeFor(hostKey) === code;
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
