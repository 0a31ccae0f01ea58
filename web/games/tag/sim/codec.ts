import { err, ok, type Result } from '../../../../shared/result.ts';
import { type ByteReader, ByteWriter } from '../../../../shared/sim/bytes.ts';
import { decodeSnapshot, fnv1a, perState, SnapshotKind } from '../../../../shared/sim/snapshot.ts';
import { arenaFor, isFree } from './arena.ts';
import {
  IMMUNE_TICKS,
  INPUT_MAX,
  MAX_PHASE_TICKS,
  MAX_PLAYER_ID,
  MAX_PLAYERS,
  MAX_TICK,
  NO_PLAYER,
  type Phase,
  type RoundResult,
  START_FREEZE_TICKS,
  TAG_FREEZE_TICKS,
  type TagInput,
  type TagPlayer,
  type TagState,
} from './state.ts';

/*
 * Wire formats (little-endian; varint = LEB128, zigzag = signed varint).
 *
 * Input (2 bytes): int8 dx, int8 dy, each in −127..127.
 *
 * Full snapshot:
 *   u8 FULL (SnapshotKind), varint tick, u8 phase, varint phaseEnd−tick, varint round, u32 rng,
 *   u32 arena, varint roundTicks, varint scoreboardTicks, varint it+1, u8 itFrozen,
 *   varint immune+1, u8 immuneTicks,
 *   varint n, n × player, varint m, m × result
 *   player (7 bytes when the id gap < 128 and score < 16384):
 *     varint id gap (the first id, then id − previous − 1), u16 x, u16 y, varint score
 *   result: varint id, varint score (best first)
 *
 * Delta against a base the receiver holds:
 *   u8 DELTA (SnapshotKind), varint base tick, u16 low bits of hash(base), zigzag tick − base tick,
 *   u8 header mask, then each header field whose bit is set (as in the full snapshot):
 *     PHASE: u8 phase, varint phaseEnd−tick; ROUND; RNG; IT: varint it+1; FROZEN: u8;
 *     IMMUNE: varint immune+1; IMMUNE_TICKS: u8; LAST_ROUND: varint m, m × result
 *   varint removed count, ids (gap-coded, ascending)
 *   varint added count, players (as in the full snapshot)
 *   varint changed count, changed players (≤ 7 bytes when moving ≤ 127 sub-units per axis):
 *     varint id gap, u8 mask (X, Y, SCORE), zigzag x delta, zigzag y delta, zigzag score delta
 *   A player that did not change costs nothing.
 */

const PHASES: readonly Phase[] = ['playing', 'scoreboard'];

const Header = {
  PHASE: 1,
  ROUND: 2,
  RNG: 4,
  IT: 8,
  FROZEN: 16,
  IMMUNE: 32,
  IMMUNE_TICKS: 64,
  LAST_ROUND: 128,
} as const;

const Change = { X: 1, Y: 2, SCORE: 4 } as const;
const KNOWN_CHANGES = Change.X | Change.Y | Change.SCORE;

/** Smallest encodings, to refuse counts the remaining bytes cannot hold before allocating. */
const MIN_PLAYER_BYTES = 6;
const MIN_RESULT_BYTES = 2;
const MIN_CHANGE_BYTES = 3;

// ---- input -----------------------------------------------------------------------------------

export function encodeInput(input: TagInput): Uint8Array {
  return Uint8Array.of(input.dx & 0xff, input.dy & 0xff);
}

export function decodeInput(bytes: Uint8Array): Result<TagInput, string> {
  if (bytes.length !== 2) return err(`input must be 2 bytes, got ${bytes.length}`);
  const dx = ((bytes[0] ?? 0) << 24) >> 24;
  const dy = ((bytes[1] ?? 0) << 24) >> 24;
  if (dx < -INPUT_MAX || dy < -INPUT_MAX) return err('input component out of range');
  return ok({ dx, dy });
}

// ---- full snapshot ---------------------------------------------------------------------------

export function encodeFull(state: TagState): Uint8Array {
  const w = new ByteWriter();
  w.u8(SnapshotKind.FULL);
  w.varint(state.tick);
  w.u8(PHASES.indexOf(state.phase));
  w.varint(state.phaseEnd - state.tick);
  w.varint(state.round);
  w.u32(state.rng);
  w.u32(state.arena);
  w.varint(state.roundTicks);
  w.varint(state.scoreboardTicks);
  w.varint(state.it + 1);
  w.u8(state.itFrozen);
  w.varint(state.immune + 1);
  w.u8(state.immuneTicks);
  writePlayers(w, state.players);
  writeResults(w, state.lastRound);
  return w.bytes();
}

function decodeFull(r: ByteReader): Result<TagState, string> {
  const tick = r.varint();
  const phase = readPhase(r);
  const phaseEnd = tick + r.varint();
  const state: TagState = {
    tick,
    phase,
    phaseEnd,
    round: r.varint(),
    rng: r.u32(),
    arena: r.u32(),
    roundTicks: r.varint(),
    scoreboardTicks: r.varint(),
    it: r.varint() - 1,
    itFrozen: r.u8(),
    immune: r.varint() - 1,
    immuneTicks: r.u8(),
    players: readPlayers(r),
    lastRound: readResults(r),
  };
  return finish(r, state);
}

// ---- delta -----------------------------------------------------------------------------------

export function encodeDelta(base: TagState, state: TagState, baseHash: number): Uint8Array {
  const w = new ByteWriter();
  w.u8(SnapshotKind.DELTA);
  // The engine's envelope names the base; its low tick byte and 16 bits of its hash check it.
  w.u8(base.tick & 0xff);
  w.u16(baseHash & 0xffff);
  w.zigzag(state.tick - base.tick);

  const phaseChanged = state.phase !== base.phase || state.phaseEnd !== base.phaseEnd;
  const mask =
    (phaseChanged ? Header.PHASE : 0) |
    (state.round !== base.round ? Header.ROUND : 0) |
    (state.rng !== base.rng ? Header.RNG : 0) |
    (state.it !== base.it ? Header.IT : 0) |
    (state.itFrozen !== base.itFrozen ? Header.FROZEN : 0) |
    (state.immune !== base.immune ? Header.IMMUNE : 0) |
    (state.immuneTicks !== base.immuneTicks ? Header.IMMUNE_TICKS : 0) |
    (sameResults(state.lastRound, base.lastRound) ? 0 : Header.LAST_ROUND);
  w.u8(mask);
  if (mask & Header.PHASE) {
    w.u8(PHASES.indexOf(state.phase));
    w.varint(state.phaseEnd - state.tick);
  }
  if (mask & Header.ROUND) w.varint(state.round);
  if (mask & Header.RNG) w.u32(state.rng);
  if (mask & Header.IT) w.varint(state.it + 1);
  if (mask & Header.FROZEN) w.u8(state.itFrozen);
  if (mask & Header.IMMUNE) w.varint(state.immune + 1);
  if (mask & Header.IMMUNE_TICKS) w.u8(state.immuneTicks);
  if (mask & Header.LAST_ROUND) writeResults(w, state.lastRound);

  const now = playersById(state);
  const before = playersById(base);
  writeIds(
    w,
    base.players.filter((p) => !now.has(p.id)).map((p) => p.id),
  );
  writePlayers(
    w,
    state.players.filter((p) => !before.has(p.id)),
  );
  const changed: [TagPlayer, TagPlayer][] = [];
  for (const p of state.players) {
    const old = before.get(p.id);
    if (old === undefined) continue;
    // Scores are sent only where they differ from what the rules make them.
    const expected = { ...old, score: expectedScore(base, state, old) };
    if (expected.x !== p.x || expected.y !== p.y || expected.score !== p.score) {
      changed.push([expected, p]);
    }
  }
  w.varint(changed.length);
  let previous = -1;
  for (const [old, p] of changed) {
    w.varint(p.id - previous - 1);
    previous = p.id;
    const change =
      (p.x !== old.x ? Change.X : 0) |
      (p.y !== old.y ? Change.Y : 0) |
      (p.score !== old.score ? Change.SCORE : 0);
    w.u8(change);
    if (change & Change.X) w.zigzag(p.x - old.x);
    if (change & Change.Y) w.zigzag(p.y - old.y);
    if (change & Change.SCORE) w.zigzag(p.score - old.score);
  }
  return w.bytes();
}

function decodeDelta(r: ByteReader, base: TagState, baseHash: number): Result<TagState, string> {
  const baseTick = r.u8();
  const check = r.u16();
  if (r.error !== undefined) return err(r.error);
  if (baseTick !== (base.tick & 0xff))
    return err(`delta is against another tick than ${base.tick}`);
  if (check !== (baseHash & 0xffff)) return err('delta is against another state of that tick');
  const tick = base.tick + r.zigzag();

  const mask = r.u8();
  let { phase, phaseEnd, round, rng, it, itFrozen, immune, immuneTicks, lastRound } = base;
  if (mask & Header.PHASE) {
    phase = readPhase(r);
    phaseEnd = tick + r.varint();
  }
  if (mask & Header.ROUND) round = r.varint();
  if (mask & Header.RNG) rng = r.u32();
  if (mask & Header.IT) it = r.varint() - 1;
  if (mask & Header.FROZEN) itFrozen = r.u8();
  if (mask & Header.IMMUNE) immune = r.varint() - 1;
  if (mask & Header.IMMUNE_TICKS) immuneTicks = r.u8();
  if (mask & Header.LAST_ROUND) lastRound = readResults(r);

  const next = { tick, phase, round, it };
  const players = new Map(
    base.players.map((p) => [p.id, { ...p, score: expectedScore(base, next, p) }]),
  );
  const inBase = new Set(players.values());
  for (const id of readIds(r)) {
    if (!players.delete(id)) r.fail(`removed player ${id} is not in the base`);
  }
  for (const p of readPlayers(r)) {
    if (players.has(p.id)) r.fail(`added player ${p.id} is already in the base`);
    players.set(p.id, p);
  }
  const changes = r.count(MAX_PLAYERS, MIN_CHANGE_BYTES);
  let previous = -1;
  for (let i = 0; i < changes && r.error === undefined; i++) {
    const id = previous + 1 + r.varint();
    previous = id;
    const change = r.u8();
    if (change === 0 || (change & ~KNOWN_CHANGES) !== 0) r.fail(`bad change mask ${change}`);
    const old = players.get(id);
    if (old === undefined || !inBase.has(old)) {
      r.fail(`changed player ${id} is not in the base`);
      break;
    }
    players.set(id, {
      id,
      x: old.x + (change & Change.X ? r.zigzag() : 0),
      y: old.y + (change & Change.Y ? r.zigzag() : 0),
      score: old.score + (change & Change.SCORE ? r.zigzag() : 0),
    });
  }
  const state: TagState = {
    ...base,
    tick,
    phase,
    phaseEnd,
    round,
    rng,
    it,
    itFrozen,
    immune,
    immuneTicks,
    players: [...players.values()].sort((a, b) => a.id - b.id),
    lastRound,
  };
  return finish(r, state);
}

/**
 * The score the rules give `p` from `base` to `next` when nothing unusual happens: a point per
 * tick for a player who is not "it", within one round of play. Deltas send only deviations.
 */
function expectedScore(
  base: TagState,
  next: Pick<TagState, 'tick' | 'phase' | 'round' | 'it'>,
  p: TagPlayer,
): number {
  const steady =
    base.phase === 'playing' &&
    next.phase === 'playing' &&
    base.round === next.round &&
    p.id !== base.it &&
    p.id !== next.it;
  return steady ? p.score + (next.tick - base.tick) : p.score;
}

// ---- both ------------------------------------------------------------------------------------

/** Decodes a full snapshot, or a delta against `base` (whose hash the caller passes). */
export const decodeState = (
  base: TagState | undefined,
  baseHash: () => number,
  bytes: Uint8Array,
): Result<TagState, string> => decodeSnapshot(bytes, base, baseHash, decodeFull, decodeDelta);

/** Players by id: the host encodes the same state (and usually the same base) for every guest. */
const playersById = perState(
  (state: TagState): ReadonlyMap<number, TagPlayer> => new Map(state.players.map((p) => [p.id, p])),
);

/** FNV-1a (32-bit) over the full snapshot, once per state. */
export const hashState = perState((state: TagState) => fnv1a(encodeFull(state)));

function finish(r: ByteReader, state: TagState): Result<TagState, string> {
  r.end();
  if (r.error !== undefined) return err(r.error);
  const problem = validate(state);
  return problem === undefined ? ok(state) : err(problem);
}

// ---- sections --------------------------------------------------------------------------------

function writePlayers(w: ByteWriter, players: readonly TagPlayer[]): void {
  w.varint(players.length);
  let previous = -1;
  for (const p of players) {
    w.varint(p.id - previous - 1);
    previous = p.id;
    w.u16(p.x);
    w.u16(p.y);
    w.varint(p.score);
  }
}

function readPlayers(r: ByteReader): TagPlayer[] {
  const n = r.count(MAX_PLAYERS, MIN_PLAYER_BYTES);
  const players: TagPlayer[] = [];
  let previous = -1;
  for (let i = 0; i < n && r.error === undefined; i++) {
    const id = previous + 1 + r.varint();
    previous = id;
    players.push({ id, x: r.u16(), y: r.u16(), score: r.varint() });
  }
  return players;
}

function writeIds(w: ByteWriter, ids: readonly number[]): void {
  w.varint(ids.length);
  let previous = -1;
  for (const id of ids) {
    w.varint(id - previous - 1);
    previous = id;
  }
}

function readIds(r: ByteReader): number[] {
  const n = r.count(MAX_PLAYERS, 1);
  const ids: number[] = [];
  let previous = -1;
  for (let i = 0; i < n && r.error === undefined; i++) {
    previous = previous + 1 + r.varint();
    ids.push(previous);
  }
  return ids;
}

function writeResults(w: ByteWriter, results: readonly RoundResult[]): void {
  w.varint(results.length);
  for (const e of results) {
    w.varint(e.id);
    w.varint(e.score);
  }
}

function readResults(r: ByteReader): RoundResult[] {
  const n = r.count(MAX_PLAYERS, MIN_RESULT_BYTES);
  const results: RoundResult[] = [];
  for (let i = 0; i < n && r.error === undefined; i++) {
    results.push({ id: r.varint(), score: r.varint() });
  }
  return results;
}

function sameResults(a: readonly RoundResult[], b: readonly RoundResult[]): boolean {
  return (
    a === b ||
    (a.length === b.length && a.every((e, i) => e.id === b[i]?.id && e.score === b[i]?.score))
  );
}

function readPhase(r: ByteReader): Phase {
  const index = r.u8();
  const phase = PHASES[index];
  if (phase === undefined) r.fail(`unknown phase ${index}`);
  return phase ?? 'playing';
}

// ---- validation ------------------------------------------------------------------------------

const isInt = (v: number, min: number, max: number): boolean =>
  Number.isInteger(v) && v >= min && v <= max;

/**
 * Everything the rules guarantee, checked on every decoded state: a snapshot that passes is one
 * the rules could have produced field by field, so the renderer and `step` can trust it.
 */
export function validate(s: TagState): string | undefined {
  if (!isInt(s.tick, 0, MAX_TICK)) return 'tick out of range';
  if (!isInt(s.roundTicks, 1, MAX_PHASE_TICKS)) return 'round length out of range';
  if (!isInt(s.scoreboardTicks, 1, MAX_PHASE_TICKS)) return 'scoreboard length out of range';
  const phaseLength = s.phase === 'playing' ? s.roundTicks : s.scoreboardTicks;
  if (!isInt(s.phaseEnd - s.tick, 1, phaseLength)) return 'phase end out of range';
  if (!isInt(s.round, 1, MAX_TICK)) return 'round out of range';
  if (!isInt(s.rng, 0, 0xffff_ffff) || !isInt(s.arena, 0, 0xffff_ffff)) return 'bad seed';

  const playerProblem = validatePlayers(s);
  if (playerProblem !== undefined) return playerProblem;
  const has = (id: number): boolean => s.players.some((p) => p.id === id);

  if (s.it !== NO_PLAYER && !has(s.it)) return '"it" is not a player';
  if (s.players.length < 2 && s.it !== NO_PLAYER) return '"it" without two players';
  if (s.phase === 'playing' && s.players.length >= 2 && s.it === NO_PLAYER) return 'no "it"';
  if (!isInt(s.itFrozen, 0, Math.max(TAG_FREEZE_TICKS, START_FREEZE_TICKS))) return 'bad freeze';
  if (s.it === NO_PLAYER && s.itFrozen !== 0) return 'freeze without "it"';
  if (!isInt(s.immuneTicks, 0, IMMUNE_TICKS)) return 'bad immunity';
  if ((s.immune === NO_PLAYER) !== (s.immuneTicks === 0)) return 'immunity without a player';
  if (s.immune !== NO_PLAYER && (!has(s.immune) || s.immune === s.it || s.it === NO_PLAYER)) {
    return 'bad immune player';
  }
  return validateResults(s);
}

function validatePlayers(s: TagState): string | undefined {
  if (s.players.length > MAX_PLAYERS) return 'too many players';
  const arena = arenaFor(s.arena);
  let previous = -1;
  for (const p of s.players) {
    if (!isInt(p.id, previous + 1, MAX_PLAYER_ID)) return 'player ids not ascending';
    previous = p.id;
    if (!Number.isInteger(p.x) || !Number.isInteger(p.y) || !isFree(arena, p.x, p.y)) {
      return `player ${p.id} is not in free space`;
    }
    if (!isInt(p.score, 0, s.roundTicks)) return `player ${p.id} score out of range`;
  }
  return undefined;
}

function validateResults(s: TagState): string | undefined {
  if (s.lastRound.length > MAX_PLAYERS) return 'too many results';
  const seen = new Set<number>();
  let previous: RoundResult | undefined;
  for (const e of s.lastRound) {
    if (!isInt(e.id, 0, MAX_PLAYER_ID) || seen.has(e.id)) return 'bad result id';
    if (!isInt(e.score, 0, s.roundTicks)) return 'result score out of range';
    if (
      previous !== undefined &&
      (e.score > previous.score || (e.score === previous.score && e.id < previous.id))
    ) {
      return 'results not ranked';
    }
    seen.add(e.id);
    previous = e;
  }
  return undefined;
}
