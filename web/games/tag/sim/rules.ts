import { mixSeed, nextInt } from '../../../../shared/sim/rng.ts';
import { arenaFor, moveCircle, type Point, SPAWNS } from './arena.ts';
import {
  IMMUNE_TICKS,
  INPUT_MAX,
  MAX_PLAYER_ID,
  MAX_PLAYERS,
  NO_INPUT,
  NO_PLAYER,
  PLAYER_RADIUS,
  PLAYER_SPEED,
  type RoundResult,
  START_FREEZE_TICKS,
  TAG_FREEZE_TICKS,
  type TagInput,
  type TagPlayer,
  type TagState,
} from './state.ts';

/** Phase lengths in ticks (see `createTag`). */
export interface TagTiming {
  readonly roundTicks: number;
  readonly scoreboardTicks: number;
}

const SEED_SALT_RNG = 1;
const SEED_SALT_ARENA = 2;
/** Two centres closer than this touch: (2r)². */
const TOUCH_SQUARED = (2 * PLAYER_RADIUS) ** 2;

/** Tick 0 of round 1: players (any order, duplicates ignored) spawned from the seed. */
export function init(timing: TagTiming, seed: number, ids: readonly number[]): TagState {
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  if (unique.length > MAX_PLAYERS) throw new RangeError(`more than ${MAX_PLAYERS} players`);
  const empty: TagState = {
    tick: 0,
    phase: 'playing',
    phaseEnd: 0,
    round: 0,
    rng: mixSeed(seed, SEED_SALT_RNG),
    arena: mixSeed(seed, SEED_SALT_ARENA),
    roundTicks: timing.roundTicks,
    scoreboardTicks: timing.scoreboardTicks,
    it: NO_PLAYER,
    itFrozen: 0,
    immune: NO_PLAYER,
    immuneTicks: 0,
    players: unique.map((id) => ({ id: checkId(id), x: 0, y: 0, score: 0 })),
    lastRound: [],
  };
  return startRound(empty);
}

/** One tick. Inputs are sanitized here too, so a raw guest vector can never break the rules. */
export function step(state: TagState, inputs: ReadonlyMap<number, TagInput>): TagState {
  const now = state.tick + 1;
  if (state.phase === 'scoreboard') {
    const next = { ...state, tick: now };
    return now >= state.phaseEnd ? startRound(next) : next;
  }
  // Freeze and immunity are read from the state before this step, so a value of N covers
  // exactly the next N steps; a tag in this step then sets them for the steps after it.
  const frozen = state.itFrozen > 0;
  let next: TagState = {
    ...countDown(state),
    tick: now,
    players: movePlayers(state, inputs, frozen ? state.it : NO_PLAYER),
  };
  if (!frozen) next = tagTouching(next, state.immuneTicks > 0 ? state.immune : NO_PLAYER);
  next = addScores(next);
  return now >= next.phaseEnd ? endRound(next) : next;
}

/**
 * A late joiner: appears at the spawn point farthest from everybody, never as "it" (joining a
 * lone player makes that player "it"). An id already present keeps its player (a reconnect).
 */
export function addPlayer(state: TagState, id: number): TagState {
  checkId(id);
  if (state.players.some((p) => p.id === id)) return state;
  if (state.players.length >= MAX_PLAYERS) throw new RangeError(`more than ${MAX_PLAYERS} players`);
  const spawn = farthestSpawn(state.players);
  const players = [...state.players, { id, x: spawn.x, y: spawn.y, score: 0 }];
  players.sort((a, b) => a.id - b.id);
  return ensureIt({ ...state, players }, id);
}

/** A leaver disappears; if it was "it", somebody else is picked with the generator. */
export function removePlayer(state: TagState, id: number): TagState {
  if (!state.players.some((p) => p.id === id)) return state;
  const players = state.players.filter((p) => p.id !== id);
  const immune = state.immune === id ? { immune: NO_PLAYER, immuneTicks: 0 } : {};
  const it = state.it === id ? { it: NO_PLAYER, itFrozen: 0 } : {};
  return ensureIt({ ...state, ...immune, ...it, players }, NO_PLAYER);
}

/**
 * Clamps any vector into a legal input: components to integers in −127..127 (non-numbers to 0),
 * then the length to 127, scaled with integer math by the ceiling of the length, so the result
 * is never longer than 127 and the same on every machine.
 */
export function sanitize(input: TagInput): TagInput {
  const dx = toAxis(input.dx);
  const dy = toAxis(input.dy);
  const squared = dx * dx + dy * dy;
  if (squared <= INPUT_MAX * INPUT_MAX) return { dx, dy };
  const length = ceilSqrt(squared);
  return {
    dx: Math.trunc((dx * INPUT_MAX) / length) || 0,
    dy: Math.trunc((dy * INPUT_MAX) / length) || 0,
  };
}

// ---- rules, one per function ----------------------------------------------------------------

/** Respawns everybody from the generator, resets scores and picks "it". */
function startRound(state: TagState): TagState {
  let rng = state.rng;
  const order = SPAWNS.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const [j, next] = nextInt(rng, i + 1);
    rng = next;
    const swap = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = swap;
  }
  // More players than spawn points (over 32) share them: players do not collide.
  const players = state.players.map((p, i) => {
    const spawn = spawnPoint(order[i % order.length] ?? 0);
    return { id: p.id, x: spawn.x, y: spawn.y, score: 0 };
  });
  let it = NO_PLAYER;
  if (players.length >= 2) {
    const [index, next] = nextInt(rng, players.length);
    rng = next;
    it = players[index]?.id ?? NO_PLAYER;
  }
  return {
    ...state,
    phase: 'playing',
    phaseEnd: state.tick + state.roundTicks,
    round: state.round + 1,
    rng,
    it,
    itFrozen: it === NO_PLAYER ? 0 : START_FREEZE_TICKS,
    immune: NO_PLAYER,
    immuneTicks: 0,
    players,
  };
}

/** Freezes everybody and keeps the final scores, best first, for the scoreboard. */
function endRound(state: TagState): TagState {
  const lastRound: RoundResult[] = state.players.map((p) => ({ id: p.id, score: p.score }));
  lastRound.sort((a, b) => b.score - a.score || a.id - b.id);
  return {
    ...state,
    phase: 'scoreboard',
    phaseEnd: state.tick + state.scoreboardTicks,
    itFrozen: 0,
    immune: NO_PLAYER,
    immuneTicks: 0,
    lastRound,
  };
}

function countDown(state: TagState): TagState {
  const immuneTicks = Math.max(0, state.immuneTicks - 1);
  return {
    ...state,
    itFrozen: Math.max(0, state.itFrozen - 1),
    immune: immuneTicks > 0 ? state.immune : NO_PLAYER,
    immuneTicks,
  };
}

/** Everybody but a frozen "it" moves by input × speed, stopped by walls and obstacles. */
function movePlayers(
  state: TagState,
  inputs: ReadonlyMap<number, TagInput>,
  frozen: number,
): TagPlayer[] {
  const arena = arenaFor(state.arena);
  return state.players.map((p) => {
    if (p.id === frozen) return p;
    const input = sanitize(inputs.get(p.id) ?? NO_INPUT);
    const vx = Math.trunc((input.dx * PLAYER_SPEED) / INPUT_MAX) || 0;
    const vy = Math.trunc((input.dy * PLAYER_SPEED) / INPUT_MAX) || 0;
    if (vx === 0 && vy === 0) return p;
    const { x, y } = moveCircle(arena, p, vx, vy);
    return x === p.x && y === p.y ? p : { ...p, x, y };
  });
}

/**
 * "It" tags the nearest player it touches (ties: the lowest id), except `immune`. The tagged
 * player becomes "it" and freezes; the previous "it" becomes immune to being tagged back.
 */
function tagTouching(state: TagState, immune: number): TagState {
  const tagger = state.players.find((p) => p.id === state.it);
  if (tagger === undefined) return state;
  let target: TagPlayer | undefined;
  let best = TOUCH_SQUARED;
  for (const p of state.players) {
    if (p.id === tagger.id || p.id === immune) continue;
    const d = (p.x - tagger.x) ** 2 + (p.y - tagger.y) ** 2;
    if (d < best) {
      best = d;
      target = p;
    }
  }
  if (target === undefined) return state;
  return {
    ...state,
    it: target.id,
    itFrozen: TAG_FREEZE_TICKS,
    immune: tagger.id,
    immuneTicks: IMMUNE_TICKS,
  };
}

/** Every player but "it" scores one tick. */
function addScores(state: TagState): TagState {
  return {
    ...state,
    players: state.players.map((p) => (p.id === state.it ? p : { ...p, score: p.score + 1 })),
  };
}

/**
 * Keeps exactly one "it" while a round with two or more players is on, and none below two.
 * A new "it" is drawn from the generator among everyone but `exclude` (a late joiner), freezes
 * briefly, and loses any immunity.
 */
function ensureIt(state: TagState, exclude: number): TagState {
  if (state.players.length < 2) {
    return { ...state, it: NO_PLAYER, itFrozen: 0, immune: NO_PLAYER, immuneTicks: 0 };
  }
  if (state.it !== NO_PLAYER || state.phase !== 'playing') return state;
  const candidates = state.players.filter((p) => p.id !== exclude);
  const [index, rng] =
    candidates.length > 1 ? nextInt(state.rng, candidates.length) : [0, state.rng];
  const it = candidates[index]?.id ?? NO_PLAYER;
  const immune = state.immune === it ? { immune: NO_PLAYER, immuneTicks: 0 } : {};
  return { ...state, ...immune, rng, it, itFrozen: TAG_FREEZE_TICKS };
}

// ---- helpers ---------------------------------------------------------------------------------

/** The spawn point whose nearest player is farthest away (ties: the first). */
function farthestSpawn(players: readonly TagPlayer[]): Point {
  let best = spawnPoint(0);
  let bestDistance = -1;
  for (const s of SPAWNS) {
    let nearest = Number.POSITIVE_INFINITY;
    for (const p of players) nearest = Math.min(nearest, (p.x - s.x) ** 2 + (p.y - s.y) ** 2);
    if (nearest > bestDistance) {
      bestDistance = nearest;
      best = s;
    }
  }
  return best;
}

function spawnPoint(index: number): Point {
  const spawn = SPAWNS[index];
  if (spawn === undefined) throw new RangeError(`no spawn point ${index}`);
  return spawn;
}

function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > MAX_PLAYER_ID) {
    throw new RangeError(`player id out of range: ${id}`);
  }
  return id;
}

function toAxis(v: number): number {
  if (!Number.isFinite(v)) return 0;
  return Math.max(-INPUT_MAX, Math.min(INPUT_MAX, Math.trunc(v))) || 0;
}

/** ⌈√n⌉ for integers n < 2^52 (`Math.sqrt` is correctly rounded, so one correction suffices). */
function ceilSqrt(n: number): number {
  let r = Math.floor(Math.sqrt(n));
  if (r * r > n) r -= 1;
  return r * r < n ? r + 1 : r;
}
