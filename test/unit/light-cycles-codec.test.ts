import { describe, expect, it } from 'vitest';
import { nextInt } from '../../shared/sim/rng.ts';
import {
  COUNTDOWN_TICKS,
  createLightCycles,
  type LightState,
  lightCycles,
} from '../../web/games/light-cycles/sim/index.ts';
import { botInputs } from '../support/light-cycles-bot.ts';

const game = lightCycles;

function randomSource(seed: number): (bound: number) => number {
  let s = seed >>> 0;
  return (bound) => {
    const [v, next] = nextInt(s, bound);
    s = next;
    return v;
  };
}

/** A real game of `ids` played by bots for `ticks`, every state kept. */
function play(seed: number, ids: number[], ticks: number): LightState[] {
  const noise = randomSource(seed);
  const states = [game.init(seed, ids)];
  let s = states[0] as LightState;
  for (let t = 0; t < ticks; t++) {
    s = game.step(s, botInputs(s, noise));
    states.push(s);
  }
  return states;
}

const full = (s: LightState) => game.encodeFull(s);
const equalBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);
const same = (a: LightState, b: LightState) => expect([...full(a)]).toEqual([...full(b)]);

describe('light cycles: codec round trips', () => {
  it('a full snapshot decodes to the same state, board included', () => {
    for (const s of play(5, [1, 2, 3, 4, 5, 6], 3000).filter((_, i) => i % 97 === 0)) {
      const decoded = game.decode(undefined, full(s));
      if (!decoded.ok) expect.fail(decoded.error);
      expect(decoded.value).toEqual(s);
    }
  });

  it('deltas between states of a real game decode exactly, against bases 1 to 12 ticks back, across rounds', () => {
    const states = play(11, [2, 3, 5, 7, 11, 13, 17, 19], 4000);
    let rounds = 0;
    for (let i = 12; i < states.length; i++) {
      const s = states[i] as LightState;
      for (const back of [1, 2, 6, 12]) {
        const base = states[i - back] as LightState;
        const decoded = game.decode(base, game.encodeDelta(base, s));
        if (!decoded.ok) expect.fail(`tick ${s.tick} (base −${back}): ${decoded.error}`);
        // Equal full encodings are equal states (the encoding is exact); the board is derived.
        if (!equalBytes(full(decoded.value), full(s))) same(decoded.value, s);
        if (!equalBytes(decoded.value.board, s.board)) expect.fail(`tick ${s.tick}: board differs`);
      }
      if (s.round !== states[i - 1]?.round) rounds++;
    }
    expect(rounds).toBeGreaterThan(2);
  });

  it('a joiner, a leaver and a crash in one delta', () => {
    const states = play(3, [1, 2, 3], COUNTDOWN_TICKS + 40);
    const base = states.at(-1) as LightState;
    let s = game.addPlayer(base, 9);
    s = game.removePlayer(s, 2);
    for (let i = 0; i < 8; i++) s = game.step(s, new Map());
    const decoded = game.decode(base, game.encodeDelta(base, s));
    if (!decoded.ok) expect.fail(decoded.error);
    expect(decoded.value).toEqual(s);
  });

  it('refuses a delta against the wrong base, or without one', () => {
    const [a, b, c] = play(4, [1, 2], COUNTDOWN_TICKS + 10).slice(-3) as [
      LightState,
      LightState,
      LightState,
    ];
    expect(game.decode(undefined, game.encodeDelta(a, b)).ok).toBe(false);
    expect(game.decode(b, game.encodeDelta(a, c)).ok).toBe(false);
  });
});

describe('light cycles: codec against hostile bytes', () => {
  it('never throws on 10,000 truncated, corrupted or random inputs; accepts only valid states', () => {
    const states = play(8, [1, 2, 3, 4], 1500);
    const rand = randomSource(77);
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      const base = states[100 + rand(1300)] as LightState;
      const s = states[states.indexOf(base) + 1 + rand(5)] as LightState;
      const kind = rand(3);
      const bytes = kind === 0 ? full(s) : game.encodeDelta(base, s);
      const mangled =
        rand(4) === 0
          ? new Uint8Array(rand(60)).map(() => rand(256))
          : rand(2) === 0
            ? bytes.slice(0, rand(bytes.length))
            : bytes.map((b, j) => (j > 0 && rand(bytes.length) < 2 ? rand(256) : b));
      let decoded: ReturnType<typeof game.decode> | undefined;
      expect(() => {
        decoded = game.decode(kind === 0 ? undefined : base, mangled);
      }).not.toThrow();
      if (decoded?.ok) {
        accepted++;
        // Whatever passes is a state the renderer and the rules can take.
        expect(() => game.step(decoded?.ok ? decoded.value : s, new Map())).not.toThrow();
        const again = game.decode(undefined, full(decoded.value));
        expect(again.ok).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('refuses every strict prefix and trailing bytes', () => {
    const states = play(9, [1, 2, 3, 4, 5, 6, 7, 8], 600);
    const [base, s] = states.slice(-2) as [LightState, LightState];
    for (const bytes of [full(s), game.encodeDelta(base, s)]) {
      for (let n = 0; n < bytes.length; n++)
        expect(game.decode(base, bytes.slice(0, n)).ok, `prefix ${n}`).toBe(false);
      expect(game.decode(base, Uint8Array.of(...bytes, 0)).ok).toBe(false);
    }
  });

  it('refuses states the rules cannot produce: crossing trails, a trail off the grid, a bad speed', () => {
    const s = play(2, [1, 2], COUNTDOWN_TICKS + 20).at(-1) as LightState;
    const [a, b] = s.cycles as [LightState['cycles'][number], LightState['cycles'][number]];
    const crossing = { ...s, cycles: [a, { ...b, corners: a.corners, x: a.x, y: a.y }] };
    expect(game.decode(undefined, full(crossing)).ok).toBe(false);
    const off = { ...s, cycles: [a, { ...b, x: s.cols - 1, y: b.y, corners: [b.y * s.cols] }] };
    const decoded = game.decode(undefined, full(off));
    expect(decoded.ok).toBe(true); // a straight leg along its row, inside: fine
    const outside = { ...s, cycles: [{ ...a, corners: [s.cols * s.rows + 5] }, b] };
    expect(game.decode(undefined, full(outside)).ok).toBe(false);
    expect(game.decode(undefined, full({ ...s, ticksPerCell: 1 })).ok).toBe(false);
    expect(game.decode(undefined, full({ ...s, cols: 500 })).ok).toBe(false);
  });
});

describe('light cycles: codec sizes', () => {
  it('a moving cycle costs at most 4 bytes in a delta, however long its trail', () => {
    const states = play(
      21,
      Array.from({ length: 8 }, (_, i) => i + 1),
      3000,
    );
    let checked = 0;
    for (let i = 2; i < states.length; i++) {
      const [base, s] = [states[i - 2] as LightState, states[i] as LightState];
      if (s.round !== base.round || s.phase !== 'riding' || base.phase !== 'riding') continue;
      const none = game.encodeDelta(s, s).length;
      const moving = s.cycles.filter((c) => {
        const old = base.cycles.find((o) => o.id === c.id);
        return old && (old.x !== c.x || old.y !== c.y) && old.status === c.status;
      }).length;
      const others = s.cycles.filter((c) => {
        const old = base.cycles.find((o) => o.id === c.id);
        return old && old.status !== c.status;
      }).length;
      if (others > 0 || moving === 0) continue;
      const delta = game.encodeDelta(base, s).length;
      expect((delta - none) / moving).toBeLessThanOrEqual(4);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('a full snapshot of 16 riders after 60 s of bots stays under 16 KB', () => {
    const s = play(
      3,
      Array.from({ length: 16 }, (_, i) => i + 1),
      3600,
    ).at(-1) as LightState;
    expect(full(s).length).toBeLessThan(16 * 1024);
  });

  it('inputs are 1 byte; speeds outside 2–10 ticks per cell are refused', () => {
    expect(game.encodeInput({ dir: 1 }).length).toBe(1);
    expect(() => createLightCycles({ ticksPerCell: 1 })).toThrow(RangeError);
    expect(() => createLightCycles({ ticksPerCell: 11 })).toThrow(RangeError);
  });
});
