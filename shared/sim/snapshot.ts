import { err, type Result } from '../result.ts';
import { ByteReader } from './bytes.ts';

/**
 * What every game's snapshot codec shares: the first byte says full or delta, states are hashed
 * (FNV-1a over the full encoding) so a delta is applied only to the base it was made against,
 * and per-state derived values are computed once (states are immutable; the host encodes the
 * same state for every guest).
 */
export const SnapshotKind = { FULL: 1, DELTA: 2 } as const;

/** Decodes a full snapshot, or a delta against `base` (whose hash `baseHash` gives). */
export function decodeSnapshot<S>(
  bytes: Uint8Array,
  base: S | undefined,
  baseHash: () => number,
  decodeFull: (r: ByteReader) => Result<S, string>,
  decodeDelta: (r: ByteReader, base: S, baseHash: number) => Result<S, string>,
): Result<S, string> {
  const r = new ByteReader(bytes);
  const kind = r.u8();
  if (r.error !== undefined) return err(r.error);
  if (kind === SnapshotKind.FULL) return decodeFull(r);
  if (kind !== SnapshotKind.DELTA) return err(`unknown snapshot kind ${kind}`);
  if (base === undefined) return err('a delta needs a base');
  return decodeDelta(r, base, baseHash());
}

/** FNV-1a (32-bit) of some bytes. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** `derive`, computed once per (immutable) state. */
export function perState<S extends object, V>(derive: (state: S) => V): (state: S) => V {
  const known = new WeakMap<S, V>();
  return (state) => {
    if (known.has(state)) return known.get(state) as V;
    const value = derive(state);
    known.set(state, value);
    return value;
  };
}
