import { describe, expect, it } from 'vitest';
import {
  createLightCycles,
  DX,
  DY,
  type LightInput,
  type LightState,
  lightCycles,
  trailCells,
} from '../../web/games/light-cycles/sim/index.ts';
import { determinismSuite } from '../support/game-fuzz.ts';
import { botInput } from '../support/light-cycles-bot.ts';
import { Rng } from '../support/random.ts';

/**
 * Independent checks of what the rules promise (written from the rules, not from `validate`):
 * every trail inside the grid, no two trails sharing a cell, the board exactly the trails, trails
 * only growing within a round, a rider moving at most one cell a tick.
 */
function violation(prev: LightState | undefined, s: LightState): string | undefined {
  const seen = new Set<number>();
  for (const c of s.cycles) {
    const cells = trailCells(c, s.cols, s.rows);
    if (cells === undefined) return `tick ${s.tick}: trail of ${c.id} is broken`;
    for (const cell of cells) {
      if (seen.has(cell)) return `tick ${s.tick}: two trails share cell ${cell}`;
      seen.add(cell);
    }
  }
  let occupied = 0;
  for (let i = 0; i < s.board.length; i++) {
    if (s.board[i] === 1) {
      occupied++;
      if (!seen.has(i)) return `tick ${s.tick}: board cell ${i} has no trail`;
    }
  }
  if (occupied !== seen.size) return `tick ${s.tick}: board and trails differ`;
  if (prev !== undefined && prev.round === s.round) {
    for (const c of s.cycles) {
      const old = prev.cycles.find((o) => o.id === c.id);
      if (old === undefined || old.status === 'waiting') continue;
      const step = Math.abs(c.x - old.x) + Math.abs(c.y - old.y);
      if (step > 1) return `tick ${s.tick}: ${c.id} jumped ${step} cells`;
      if (step === 1 && old.status !== 'riding')
        return `tick ${s.tick}: ${c.id} moved after crashing`;
      if (c.corners.length < old.corners.length) return `tick ${s.tick}: trail of ${c.id} shrank`;
    }
  }
  return undefined;
}

/** Bots, plus hostile values now and then (out of range, fractional, NaN), and silence. */
function chooseInputs(s: LightState, rng: Rng): Map<number, LightInput> {
  const rand = (bound: number) => rng.int(bound);
  const inputs = new Map<number, LightInput>();
  for (const c of s.cycles) {
    const kind = rand(40);
    if (kind === 0) continue;
    if (kind === 1) inputs.set(c.id, { dir: [7, -5, 1.5, Number.NaN][rand(4)] as never });
    else if (kind === 2) inputs.set(c.id, { dir: rand(4) as never });
    else inputs.set(c.id, botInput(s, c, rand));
  }
  return inputs;
}

describe('light cycles: determinism', () => {
  determinismSuite<LightState, LightInput>({
    name: 'light cycles',
    game: lightCycles,
    fuzzGame: (seed) => createLightCycles({ ticksPerCell: 2 + (seed % 3) }),
    seeds: [1, 0xdead_beef, 20_261_127],
    inputs: (s, rng) =>
      new Map(s.cycles.map((c) => [c.id, botInput(s, c, (bound) => rng.int(bound))] as const)),
    fuzzInputs: () => chooseInputs,
    violation,
    // The full check walks every trail: every few ticks (a jump would still show as > 1 cell).
    checkEvery: 4,
    deepEvery: 250,
    startPlayers: { min: 2, max: 6 },
    churn: { every: 150, maxId: 24, min: 1, max: Number.POSITIVE_INFINITY },
    count(prev, s, counts) {
      if (s.round !== prev.round) counts.nextRounds = (counts.nextRounds ?? 0) + 1;
      for (const c of s.cycles) {
        const old = prev.cycles.find((o) => o.id === c.id);
        if (old?.status === 'riding' && c.status === 'crashed')
          counts.crashes = (counts.crashes ?? 0) + 1;
        if (old && s.round === prev.round && c.corners.length > old.corners.length)
          counts.turns = (counts.turns ?? 0) + 1;
      }
    },
    atLeast: { nextRounds: 4, crashes: 11, turns: 51, joins: 6, leaves: 6 },
  });

  it('heads are where their trails end, one step of the heading from the last cell', () => {
    const game = createLightCycles();
    let s = game.init(4, [1, 2, 3]);
    const rng = new Rng(4);
    const rand = (bound: number) => rng.int(bound);
    for (let t = 0; t < 1500; t++) {
      s = game.step(s, new Map(s.cycles.map((c) => [c.id, botInput(s, c, rand)] as const)));
      for (const c of s.cycles) {
        const cells = trailCells(c, s.cols, s.rows) ?? [];
        if (cells.length < 2) continue;
        const [a, b] = cells.slice(-2) as [number, number];
        expect(b - a).toBe((DX[c.dir] ?? 0) + (DY[c.dir] ?? 0) * s.cols);
      }
    }
  });
});
