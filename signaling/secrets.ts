import { createHash, randomBytes } from 'node:crypto';
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
  const digest = createHash('sha256').update(`lanparty lobby v1\0${hostKey}`).digest();
  return encodeCrockford(digest, LOBBY_CODE_LENGTH);
}
