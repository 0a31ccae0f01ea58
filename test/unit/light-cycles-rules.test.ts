import { describe, expect, it } from 'vitest';
import {
  COUNTDOWN_TICKS,
  type Cycle,
  createLightCycles,
  Dir,
  type LightInput,
  type LightState,
  lightCycles,
  NO_INPUT,
  NO_PLAYER,
  SCOREBOARD_TICKS,
  trailCells,
  turn,
} from '../../web/games/light-cycles/sim/index.ts';
import { buildBoard } from '../../web/games/light-cycles/sim/rules.ts';

const game = lightCycles;
const none = new Map<number, LightInput>();

/** Steps `n` ticks with these inputs. */
function run(s: LightState, n: number, inputs: ReadonlyMap<number, LightInput> = none) {
  let state = s;
  for (let i = 0; i < n; i++) state = game.step(state, inputs);
  return state;
}
/** Past the countdown, to the first tick of riding. */
const riding = (s: LightState) => run(s, COUNTDOWN_TICKS);
const cycle = (s: LightState, id: number) => s.cycles.find((c) => c.id === id) as Cycle;

/** A state with these cycles placed by hand (their trails one cell: where they stand). */
function place(
  s: LightState,
  cycles: { id: number; x: number; y: number; dir: Dir }[],
): LightState {
  const list: Cycle[] = cycles.map((c) => ({
    ...c,
    status: 'riding',
    corners: [c.y * s.cols + c.x],
    wins: 0,
  }));
  return { ...s, cycles: list, board: buildBoard(s.cols, s.rows, list) as Uint8Array };
}

describe('light cycles: rounds', () => {
  it('starts with a 2 s countdown on a grid sized for the riders, everyone on the ring', () => {
    const s = game.init(1, [4, 2, 9]);
    expect(s.phase).toBe('countdown');
    expect(s.round).toBe(1);
    expect([s.cols, s.rows]).toEqual([64, 40]);
    expect(s.cycles.map((c) => c.id)).toEqual([2, 4, 9]);
    for (const c of s.cycles) {
      expect(c.status).toBe('riding');
      expect(c.corners).toEqual([c.y * s.cols + c.x]);
    }
    expect(
      game.init(
        1,
        Array.from({ length: 16 }, (_, i) => i + 1),
      ).cols,
    ).toBe(168);
    // Nobody moves before the countdown ends.
    const before = run(s, COUNTDOWN_TICKS - 1);
    expect(before.cycles).toEqual(s.cycles);
    expect(game.step(before, none).phase).toBe('riding');
  });

  it('cycles move one cell every ticksPerCell ticks, straight on without input', () => {
    const s = riding(game.init(3, [1, 2]));
    const c = cycle(s, 1);
    const later = run(s, 4 * 5);
    const moved = cycle(later, 1);
    expect(Math.abs(moved.x - c.x) + Math.abs(moved.y - c.y)).toBe(5);
    expect(moved.corners).toEqual(c.corners);
    const fast = riding(createLightCycles({ ticksPerCell: 2 }).init(3, [1, 2]));
    expect(fast.ticksPerCell).toBe(2);
  });

  it('turns at the next cell, never back; a turn leaves a corner', () => {
    expect(turn(Dir.RIGHT, { dir: Dir.UP })).toBe(Dir.UP);
    expect(turn(Dir.RIGHT, { dir: Dir.LEFT })).toBe(Dir.RIGHT);
    expect(turn(Dir.RIGHT, NO_INPUT)).toBe(Dir.RIGHT);
    const s = place(riding(game.init(1, [1, 2])), [
      { id: 1, x: 10, y: 10, dir: Dir.RIGHT },
      { id: 2, x: 40, y: 30, dir: Dir.LEFT },
    ]);
    const up = new Map([[1, { dir: Dir.UP }]]);
    const t = run(s, 4, up);
    expect(cycle(t, 1)).toMatchObject({
      x: 10,
      y: 9,
      dir: Dir.UP,
      corners: [10 * 64 + 10, 10 * 64 + 10],
    });
    const back = run(t, 4, new Map([[1, { dir: Dir.DOWN }]]));
    expect(cycle(back, 1)).toMatchObject({ x: 10, y: 8, dir: Dir.UP });
    expect(trailCells(cycle(back, 1), s.cols, s.rows)).toEqual([650, 586, 522]);
  });

  it('a wall, a trail, or the same cell as another rider eliminates; the last rider wins', () => {
    const s = riding(game.init(1, [1, 2, 3]));
    const placed = place(s, [
      { id: 1, x: 0, y: 5, dir: Dir.LEFT }, // into the wall
      { id: 2, x: 20, y: 20, dir: Dir.RIGHT }, // 2 and 3 meet at 21,20
      { id: 3, x: 22, y: 20, dir: Dir.LEFT },
    ]);
    const after = run(placed, 4);
    expect(after.cycles.map((c) => c.status)).toEqual(['crashed', 'crashed', 'crashed']);
    // Everyone out at once: a draw.
    expect(after.phase).toBe('scoreboard');
    expect(after.winner).toBe(NO_PLAYER);

    const two = place(s, [
      { id: 1, x: 30, y: 10, dir: Dir.DOWN },
      { id: 2, x: 27, y: 12, dir: Dir.RIGHT }, // rides into 1's trail at 30,12 after 1 passed
      { id: 3, x: 50, y: 5, dir: Dir.RIGHT },
    ]);
    const t1 = run(two, 4 * 3);
    expect(cycle(t1, 2).status).toBe('crashed');
    expect(t1.phase).toBe('riding');
    // 3 rides into the east wall: 1 is the last one riding.
    const end = run(t1, 4 * 20);
    expect(end.phase).toBe('scoreboard');
    expect(end.winner).toBe(1);
    expect(cycle(end, 1).wins).toBe(1);
    // Then the scoreboard, and a new round with everybody back, wins kept.
    const next = run(end, SCOREBOARD_TICKS);
    expect(next.phase).toBe('countdown');
    expect(next.round).toBe(2);
    expect(next.cycles.every((c) => c.status === 'riding' && c.corners.length === 1)).toBe(true);
    expect(cycle(next, 1).wins).toBe(1);
  });

  it('a head-on swap is a crash for both', () => {
    const s = place(riding(game.init(1, [1, 2, 3])), [
      { id: 1, x: 10, y: 10, dir: Dir.RIGHT },
      { id: 2, x: 11, y: 10, dir: Dir.LEFT },
      { id: 3, x: 40, y: 30, dir: Dir.UP },
    ]);
    const t = run(s, 4);
    expect(cycle(t, 1).status).toBe('crashed');
    expect(cycle(t, 2).status).toBe('crashed');
    expect(t.winner).toBe(3);
  });

  it('a late joiner waits for the next round; a leaver takes its trail along', () => {
    let s = run(riding(game.init(2, [1, 2])), 40);
    s = game.addPlayer(s, 7);
    expect(cycle(s, 7)).toMatchObject({ status: 'waiting', corners: [] });
    expect(game.addPlayer(s, 7)).toBe(s);
    const trail = trailCells(cycle(s, 1), s.cols, s.rows) ?? [];
    s = game.removePlayer(s, 1);
    for (const cell of trail) expect(s.board[cell]).toBe(0);
    // During the countdown a newcomer still rides this round.
    const early = game.addPlayer(game.init(2, [1, 2]), 5);
    expect(cycle(early, 5).status).toBe('riding');
    expect(early.round).toBe(1);
  });

  it('one rider alone rides until it crashes, then a new round', () => {
    let s = riding(game.init(9, [4]));
    let t = 0;
    while (s.phase === 'riding' && t++ < 10_000) s = game.step(s, none);
    expect(s.phase).toBe('scoreboard');
    expect(s.winner).toBe(NO_PLAYER);
  });

  it('sanitizes anything into a heading or no turn; inputs are 1 byte', () => {
    expect(game.sanitize({ dir: 2 as Dir })).toEqual({ dir: 2 });
    for (const bad of [4, -2, 1.5, Number.NaN])
      expect(game.sanitize({ dir: bad as Dir })).toEqual(NO_INPUT);
    for (const dir of [-1, 0, 1, 2, 3] as const) {
      const bytes = game.encodeInput({ dir });
      expect(bytes.length).toBe(1);
      expect(game.decodeInput(bytes)).toEqual({ ok: true, value: { dir } });
    }
    expect(game.decodeInput(Uint8Array.of(5)).ok).toBe(false);
    expect(game.decodeInput(Uint8Array.of(1, 1)).ok).toBe(false);
  });
});

describe('light cycles: prediction', () => {
  it('moves and turns only this cycle, as the host would, and never crashes it', () => {
    const s = place(riding(game.init(1, [1, 2])), [
      { id: 1, x: 1, y: 10, dir: Dir.LEFT },
      { id: 2, x: 30, y: 30, dir: Dir.RIGHT },
    ]);
    const predict = game.predict as NonNullable<typeof game.predict>;
    let p = s;
    for (let i = 0; i < 4; i++) p = predict(p, 1, NO_INPUT);
    expect(cycle(p, 1)).toMatchObject({ x: 0, y: 10, status: 'riding' });
    expect(cycle(p, 2)).toEqual(cycle(s, 2));
    // Facing the wall now: the prediction waits there; the host's step crashes it.
    for (let i = 0; i < 8; i++) p = predict(p, 1, NO_INPUT);
    expect(cycle(p, 1)).toMatchObject({ x: 0, y: 10, status: 'riding' });
    expect(cycle(run(s, 8), 1).status).toBe('crashed');
    // A turn predicted is the host's turn.
    let q = s;
    const up = { dir: Dir.UP };
    for (let i = 0; i < 8; i++) q = predict(q, 1, up);
    expect(cycle(q, 1)).toEqual(cycle(run(s, 8, new Map([[1, up]])), 1));
  });
});
