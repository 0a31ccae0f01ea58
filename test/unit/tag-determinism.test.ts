import { describe } from 'vitest';
import {
  ARENA_HEIGHT,
  ARENA_WIDTH,
  arenaFor,
  createTag,
  NO_PLAYER,
  PLAYER_RADIUS,
  type TagInput,
  type TagState,
  tag,
} from '../../web/games/tag/sim/index.ts';
import { determinismSuite, FUZZ_TICKS } from '../support/game-fuzz.ts';
import type { Rng } from '../support/random.ts';

/**
 * Independent checks of what the rules promise (written from the rules, not from `validate`):
 * inside the arena, outside every obstacle (grown by the radius), exactly one "it" while two or
 * more play, scores never going down within a round.
 */
function violation(prev: TagState | undefined, s: TagState): string | undefined {
  const r = PLAYER_RADIUS;
  for (const p of s.players) {
    if (p.x < r || p.x > ARENA_WIDTH - r || p.y < r || p.y > ARENA_HEIGHT - r) {
      return `tick ${s.tick}: player ${p.id} outside the arena at ${p.x},${p.y}`;
    }
    for (const o of arenaFor(s.arena).obstacles) {
      if (p.x > o.x0 - r && p.x < o.x1 + r && p.y > o.y0 - r && p.y < o.y1 + r) {
        return `tick ${s.tick}: player ${p.id} inside an obstacle`;
      }
    }
    if (!Number.isInteger(p.x) || !Number.isInteger(p.y) || !Number.isInteger(p.score)) {
      return `tick ${s.tick}: player ${p.id} has a non-integer field`;
    }
  }
  const its = s.players.filter((p) => p.id === s.it).length;
  if (s.phase === 'playing' && s.players.length >= 2 && its !== 1) {
    return `tick ${s.tick}: ${its} players are "it" among ${s.players.length}`;
  }
  if (s.players.length < 2 && s.it !== NO_PLAYER) return `tick ${s.tick}: "it" while alone`;
  if (prev !== undefined && prev.round === s.round) {
    for (const p of s.players) {
      const before = prev.players.find((q) => q.id === p.id);
      if (before !== undefined && p.score < before.score) {
        return `tick ${s.tick}: score of ${p.id} went down`;
      }
    }
  }
  return undefined;
}

/**
 * Inputs for one tick: "it" chases the nearest player (so tags happen), others hold a random
 * vector for a while — sometimes out of range, fractional or not a number at all, as a hostile
 * guest could send before sanitizing.
 */
function chooseInputs(s: TagState, rng: Rng, held: Map<number, TagInput>): Map<number, TagInput> {
  const rand = (bound: number) => rng.int(bound);
  const inputs = new Map<number, TagInput>();
  const hunter = s.players.find((p) => p.id === s.it);
  for (const p of s.players) {
    if (p === hunter && rand(4) !== 0) {
      let target = p;
      let best = Number.POSITIVE_INFINITY;
      for (const q of s.players) {
        const d = (q.x - p.x) ** 2 + (q.y - p.y) ** 2;
        if (q !== p && d < best) [best, target] = [d, q];
      }
      inputs.set(p.id, {
        dx: Math.sign(target.x - p.x) * 127,
        dy: Math.sign(target.y - p.y) * 127,
      });
      continue;
    }
    if (!held.has(p.id) || rand(30) === 0) {
      const kind = rand(10);
      const vector =
        kind === 0
          ? { dx: rand(2001) - 1000, dy: rand(2001) - 1000 }
          : kind === 1
            ? { dx: (rand(255) - 127) / 3, dy: Number.NaN }
            : { dx: rand(255) - 127, dy: rand(255) - 127 };
      held.set(p.id, vector);
    }
    const input = held.get(p.id);
    if (input !== undefined && rand(20) !== 0) inputs.set(p.id, input); // else: silent → NO_INPUT
  }
  return inputs;
}

describe('tag: determinism', () => {
  determinismSuite<TagState, TagInput>({
    name: 'tag',
    game: tag,
    fuzzGame: () => createTag({ roundSeconds: 20, scoreboardSeconds: 2 }),
    seeds: [1, 0xdead_beef, 20_261_125],
    inputs: (s, rng) =>
      new Map(s.players.map((p) => [p.id, { dx: rng.int(255) - 127, dy: rng.int(255) - 127 }])),
    fuzzInputs: () => {
      const held = new Map<number, TagInput>();
      return (s, rng) => chooseInputs(s, rng, held);
    },
    violation,
    deepEvery: 100,
    startPlayers: { min: 1, max: 5 },
    churn: { every: 40, maxId: 40, min: 0, max: 32 },
    count(prev, s, counts) {
      if (s.immune !== prev.immune && s.immune !== NO_PLAYER) counts.tags = (counts.tags ?? 0) + 1;
      if (s.round !== prev.round) counts.nextRounds = (counts.nextRounds ?? 0) + 1;
    },
    atLeast: { tags: 11, nextRounds: 6, joins: 11, leaves: 11 },
    distinctHashes: FUZZ_TICKS / 2,
  });
});
