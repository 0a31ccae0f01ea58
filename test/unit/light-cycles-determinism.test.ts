import { describe, expect, it } from 'vitest';
import { nextInt } from '../../shared/sim/rng.ts';
import {
  createLightCycles,
  DX,
  DY,
  type LightInput,
  type LightState,
  trailCells,
} from '../../web/games/light-cycles/sim/index.ts';
import { botInput } from '../support/light-cycles-bot.ts';

const TICKS = 10_000;
/** Pinned seeds: add the seed of any failure here so the bug stays dead. */
const FUZZ_SEEDS = [1, 2, 3, 0xdead_beef, 20_261_127];

function randomSource(seed: number): (bound: number) => number {
  let s = seed >>> 0;
  return (bound) => {
    const [v, next] = nextInt(s, bound);
    s = next;
    return v;
  };
}

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
function chooseInputs(s: LightState, rand: (bound: number) => number): Map<number, LightInput> {
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

interface FuzzRun {
  hashes: number[];
  rounds: number;
  crashes: number;
  turns: number;
  joins: number;
  leaves: number;
}

function fuzz(seed: number, checkDeltas: boolean): FuzzRun {
  const game = createLightCycles({ ticksPerCell: 2 + (seed % 3) });
  const rand = randomSource(seed);
  const run: FuzzRun = { hashes: [], rounds: 1, crashes: 0, turns: 0, joins: 0, leaves: 0 };
  let s = game.init(seed, [1, 2, 3, 4, 5, 6].slice(0, 2 + rand(5)));
  for (let t = 0; t < TICKS; t++) {
    if (rand(150) === 0) {
      const id = 1 + rand(24);
      const present = s.cycles.some((c) => c.id === id);
      if (present && rand(2) === 0 && s.cycles.length > 1) {
        s = game.removePlayer(s, id);
        run.leaves++;
      } else if (!present) {
        s = game.addPlayer(s, id);
        run.joins++;
      }
      const problem = checkDeltas ? violation(undefined, s) : undefined;
      if (problem !== undefined) expect.fail(`seed ${seed}, join/leave: ${problem}`);
    }
    const prev = s;
    s = game.step(s, chooseInputs(s, rand));
    if (s.round !== prev.round) run.rounds++;
    for (const c of s.cycles) {
      const old = prev.cycles.find((o) => o.id === c.id);
      if (old?.status === 'riding' && c.status === 'crashed') run.crashes++;
      if (old && s.round === prev.round && c.corners.length > old.corners.length) run.turns++;
    }
    // The full check walks every trail: every few ticks (a jump would still show as > 1 cell).
    if (checkDeltas && t % 4 === 0) {
      const problem = violation(prev, s);
      if (problem !== undefined) expect.fail(`seed ${seed}: ${problem}`);
    }
    if (checkDeltas) {
      const decoded = game.decode(prev, game.encodeDelta(prev, s));
      if (!decoded.ok) expect.fail(`seed ${seed}, tick ${s.tick}: delta refused: ${decoded.error}`);
      if (game.hash(decoded.value) !== game.hash(s) || t % 250 === 0)
        expect(decoded.value).toEqual(s);
    }
    run.hashes.push(game.hash(s));
  }
  return run;
}

describe('light cycles: determinism', () => {
  it('the same seed and inputs give the same hash after 10,000 ticks, every time', () => {
    const game = createLightCycles();
    const ids = [3, 5, 8, 13, 21, 34, 55, 89];
    const play = (seed: number): number => {
      const rand = randomSource(99);
      let s = game.init(seed, ids);
      for (let t = 0; t < TICKS; t++) {
        const inputs = new Map(s.cycles.map((c) => [c.id, botInput(s, c, rand)] as const));
        s = game.step(s, inputs);
      }
      expect(s.tick).toBe(TICKS);
      return game.hash(s);
    };
    const first = play(12_345);
    expect(play(12_345)).toBe(first);
    expect(play(12_346)).not.toBe(first);
  });

  it('a guest replaying the host with the same inputs, from a decoded copy, stays identical', () => {
    const game = createLightCycles();
    let host = game.init(8, [1, 2, 3, 4]);
    const decoded = game.decode(undefined, game.encodeFull(host));
    if (!decoded.ok) expect.fail(decoded.error);
    let guest = decoded.value;
    const rand = randomSource(8);
    for (let t = 0; t < 3000; t++) {
      const inputs = new Map(host.cycles.map((c) => [c.id, botInput(host, c, rand)] as const));
      host = game.step(host, inputs);
      guest = game.step(guest, inputs);
    }
    expect(game.hash(guest)).toBe(game.hash(host));
  });

  it('heads are where their trails end, one step of the heading from the last cell', () => {
    const game = createLightCycles();
    let s = game.init(4, [1, 2, 3]);
    const rand = randomSource(4);
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

  for (const seed of FUZZ_SEEDS) {
    it(`fuzz seed ${seed}: bots, hostile inputs, joins and leaves keep the invariants and repeat exactly`, () => {
      const first = fuzz(seed, true);
      const { hashes: _, ...stats } = first;
      console.log(`light cycles fuzz seed ${seed}:`, JSON.stringify(stats));
      const second = fuzz(seed, false);
      expect(second.hashes).toEqual(first.hashes);
      expect(first.rounds).toBeGreaterThanOrEqual(5);
      expect(first.crashes).toBeGreaterThan(10);
      expect(first.turns).toBeGreaterThan(50);
      expect(first.joins).toBeGreaterThan(5);
      expect(first.leaves).toBeGreaterThan(5);
    });
  }
});
