import { expect, it } from 'vitest';
import type { Game } from '../../shared/sim/game.ts';
import { Rng } from './random.ts';

/** Every game's determinism fuzz runs this many ticks per seed. */
export const FUZZ_TICKS = 10_000;
/**
 * Two runs of 10,000 ticks take 5–15 s on a 2-core machine shared with other work (load 9):
 * room above vitest's 20 s default, which such a machine can reach.
 */
const FUZZ_TIMEOUT_MS = 60_000;

/** What a game's determinism suite needs to know about it (see `determinismSuite`). */
export interface DeterminismSpec<S, I> {
  /** "tag": in test names and the logged stats. */
  readonly name: string;
  /** The game with its default options (the plain runs). */
  readonly game: Game<S, I>;
  /** The game a fuzz run plays (shorter rounds, another speed…), from its seed. */
  readonly fuzzGame: (seed: number) => Game<S, I>;
  /** Pinned seeds: add the seed of any failure, so the bug stays dead. */
  readonly seeds: readonly number[];
  /** Ordinary inputs for every player (the plain runs: same seed, decoded copy). */
  readonly inputs: (state: S, rng: Rng) => Map<number, I>;
  /**
   * Makes one fuzz run's input source (it may keep state from tick to tick): ordinary, hostile
   * (out of range, NaN) and missing inputs.
   */
  readonly fuzzInputs: () => (state: S, rng: Rng) => Map<number, I>;
  /**
   * Independent checks of what the rules promise (written from the rules, not from the codec's
   * `validate`); `prev` is undefined right after a join or a leave.
   */
  readonly violation: (prev: S | undefined, state: S) => string | undefined;
  /** Check `violation` every this many ticks (default 1; a costly check may go less often). */
  readonly checkEvery?: number;
  /** Compare a decoded delta with the state field by field every this many ticks (else: hash). */
  readonly deepEvery: number;
  /** Players at the start: ids 1..n, n drawn from [min, max]. */
  readonly startPlayers: { readonly min: number; readonly max: number };
  /** About once every `every` ticks a random id from 1..maxId joins or leaves. */
  readonly churn: {
    readonly every: number;
    readonly maxId: number;
    /** Leaves only while more than this many play; joins only while fewer than `max`. */
    readonly min: number;
    readonly max: number;
  };
  /** Game events a run counts (e.g. tags, crashes), from one tick's step. */
  readonly count: (prev: S, state: S, counts: Record<string, number>) => void;
  /**
   * Lower bounds on a run's counts, so a run exercises what it claims to (joins and leaves are
   * counted by the suite).
   */
  readonly atLeast: Readonly<Record<string, number>>;
  /** Distinct hashes a run must show at least (the state keeps changing). */
  readonly distinctHashes?: number;
}

interface Run {
  readonly hashes: number[];
  readonly counts: Record<string, number>;
}

/**
 * The determinism tests every game gets: the same seed and inputs give the same hash after
 * 10,000 ticks (and another seed another hash); a decoded copy of a state steps exactly like the
 * original (guests replay what the host ran); and for every pinned seed a fuzz run of random
 * inputs, joins and leaves that keeps the rules' invariants, decodes every delta exactly, and
 * repeats hash for hash when run again.
 */
export function determinismSuite<S, I>(spec: DeterminismSpec<S, I>): void {
  const { game } = spec;

  it('the same seed and inputs give the same hash after 10,000 ticks, every time', () => {
    const ids = [3, 5, 8, 13, 21, 34, 55, 89];
    const play = (seed: number): number => {
      const rng = new Rng(99);
      let s = game.init(seed, ids);
      for (let t = 0; t < FUZZ_TICKS; t++) s = game.step(s, spec.inputs(s, rng));
      expect(game.tick(s)).toBe(FUZZ_TICKS);
      return game.hash(s);
    };
    const first = play(12_345);
    expect(play(12_345)).toBe(first);
    expect(play(12_346)).not.toBe(first);
  });

  it('a state and its decoded copy step to the same hashes (guests replay what the host ran)', () => {
    let host = game.init(8, [1, 2, 3, 4]);
    const decoded = game.decode(undefined, game.encodeFull(host));
    if (!decoded.ok) expect.fail(decoded.error);
    let guest = decoded.value;
    const rng = new Rng(8);
    for (let t = 0; t < 3000; t++) {
      const inputs = spec.inputs(host, rng);
      host = game.step(host, inputs);
      guest = game.step(guest, inputs);
    }
    expect(game.hash(guest)).toBe(game.hash(host));
  });

  /** Random inputs, joins and leaves, all from `seed`; `check`: invariants and deltas too. */
  function fuzz(seed: number, check: boolean): Run {
    const g = spec.fuzzGame(seed);
    const rng = new Rng(seed);
    const { min, max } = spec.startPlayers;
    const counts: Record<string, number> = { joins: 0, leaves: 0 };
    for (const key of Object.keys(spec.atLeast)) counts[key] ??= 0;
    const hashes: number[] = [];
    const start = Array.from({ length: max }, (_, i) => i + 1).slice(
      0,
      min + rng.int(max - min + 1),
    );
    const inputs = spec.fuzzInputs();
    let s = g.init(seed, start);
    for (let t = 0; t < FUZZ_TICKS; t++) {
      if (rng.int(spec.churn.every) === 0) {
        const id = 1 + rng.int(spec.churn.maxId);
        const players = g.players(s);
        const present = players.includes(id);
        if (present && rng.int(2) === 0 && players.length > spec.churn.min) {
          s = g.removePlayer(s, id);
          counts.leaves = (counts.leaves ?? 0) + 1;
        } else if (!present && players.length < spec.churn.max) {
          s = g.addPlayer(s, id);
          counts.joins = (counts.joins ?? 0) + 1;
        }
        const problem = check ? spec.violation(undefined, s) : undefined;
        if (problem !== undefined) expect.fail(`seed ${seed}, join/leave: ${problem}`);
      }
      const prev = s;
      s = g.step(s, inputs(s, rng));
      spec.count(prev, s, counts);
      if (check) {
        if (t % (spec.checkEvery ?? 1) === 0) {
          const problem = spec.violation(prev, s);
          if (problem !== undefined) expect.fail(`seed ${seed}: ${problem}`);
        }
        const decoded = g.decode(prev, g.encodeDelta(prev, s));
        if (!decoded.ok)
          expect.fail(`seed ${seed}, tick ${g.tick(s)}: delta refused: ${decoded.error}`);
        if (g.hash(decoded.value) !== g.hash(s) || t % spec.deepEvery === 0)
          expect(decoded.value).toEqual(s);
      }
      hashes.push(g.hash(s));
    }
    return { hashes, counts };
  }

  for (const seed of spec.seeds) {
    it(
      `fuzz seed ${seed}: random inputs, joins and leaves keep the invariants and repeat exactly`,
      () => {
        const first = fuzz(seed, true);
        console.log(`${spec.name} fuzz seed ${seed}:`, JSON.stringify(first.counts));
        const second = fuzz(seed, false);
        expect(second.hashes).toEqual(first.hashes);
        // The run must actually have exercised the rules it claims to test.
        for (const [key, least] of Object.entries(spec.atLeast))
          expect(first.counts[key], key).toBeGreaterThanOrEqual(least);
        if (spec.distinctHashes !== undefined)
          expect(new Set(first.hashes).size).toBeGreaterThan(spec.distinctHashes);
      },
      FUZZ_TIMEOUT_MS,
    );
  }
}
