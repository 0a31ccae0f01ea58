import { describe, expect, it } from 'vitest';
import { isFree } from '../../web/games/tag/sim/arena.ts';
import {
  ARENA_WIDTH,
  arenaFor,
  createTag,
  IMMUNE_TICKS,
  NO_PLAYER,
  PLAYER_RADIUS,
  START_FREEZE_TICKS,
  SUB,
  TAG_FREEZE_TICKS,
  type TagInput,
  type TagPlayer,
  type TagState,
  tag,
  validate,
} from '../../web/games/tag/sim/index.ts';

const still = new Map<number, TagInput>();
const RIGHT: TagInput = { dx: 127, dy: 0 };

function run(state: TagState, steps: number, inputs = still): TagState {
  let s = state;
  for (let i = 0; i < steps; i++) s = tag.step(s, inputs);
  return s;
}

/** Puts players where a test needs them; the result must still be a state the rules allow. */
function place(state: TagState, players: readonly TagPlayer[], extra: Partial<TagState> = {}) {
  const s: TagState = { ...state, ...extra, players };
  expect(validate(s)).toBeUndefined();
  return s;
}

/** A spawn point: free of obstacles for anything within 15 world units of it. */
function spawn(state: TagState, index: number): { x: number; y: number } {
  const p = arenaFor(state.arena).spawns[index];
  if (p === undefined) throw new Error('no spawn');
  return p;
}

const playerOf = (s: TagState, id: number) => s.players.find((p) => p.id === id);

describe('tag: sanitize and input codec', () => {
  it('leaves every legal vector alone and clamps every int8 vector to length ≤ 127', () => {
    const wrong: string[] = [];
    for (let dx = -128; dx <= 127; dx++) {
      for (let dy = -128; dy <= 127; dy++) {
        const s = tag.sanitize({ dx, dy });
        const length2 = s.dx * s.dx + s.dy * s.dy;
        const legal = dx * dx + dy * dy <= 127 * 127;
        // Scaled towards zero, not cut off per axis: length barely shortened, direction kept.
        const turned = Math.abs(Math.atan2(s.dx * dy - s.dy * dx, s.dx * dx + s.dy * dy));
        const ok = legal
          ? s.dx === dx && s.dy === dy
          : length2 <= 127 * 127 &&
            length2 >= 124 * 124 &&
            s.dx * dx >= 0 &&
            s.dy * dy >= 0 &&
            turned < 0.01;
        if (!ok) wrong.push(`(${dx}, ${dy}) -> (${s.dx}, ${s.dy})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('turns out-of-range, fractional and non-numbers into legal integers', () => {
    expect(tag.sanitize({ dx: 1000, dy: 0 })).toEqual({ dx: 127, dy: 0 });
    expect(tag.sanitize({ dx: 0, dy: -1e9 })).toEqual({ dx: 0, dy: -127 });
    expect(tag.sanitize({ dx: 127, dy: 127 })).toEqual({ dx: 89, dy: 89 });
    expect(tag.sanitize({ dx: 3.9, dy: -3.9 })).toEqual({ dx: 3, dy: -3 });
    expect(tag.sanitize({ dx: Number.NaN, dy: Number.POSITIVE_INFINITY })).toEqual({
      dx: 0,
      dy: 0,
    });
    expect(Object.is(tag.sanitize({ dx: -0.5, dy: 0 }).dx, 0)).toBe(true);
    expect(tag.noInput).toEqual({ dx: 0, dy: 0 });
  });

  it('encodes inputs in 2 bytes and refuses anything else', () => {
    for (const input of [tag.noInput, { dx: 0, dy: -127 }, { dx: -90, dy: 89 }]) {
      const bytes = tag.encodeInput(input);
      expect(bytes.length).toBe(2);
      expect(tag.decodeInput(bytes)).toEqual({ ok: true, value: input });
    }
    // Encoding sanitizes first, so even a bad vector goes out legal.
    expect(tag.decodeInput(tag.encodeInput({ dx: 500, dy: 0 }))).toEqual({
      ok: true,
      value: { dx: 127, dy: 0 },
    });
    expect(tag.decodeInput(new Uint8Array(0)).ok).toBe(false);
    expect(tag.decodeInput(new Uint8Array(3)).ok).toBe(false);
    expect(tag.decodeInput(Uint8Array.of(0x80, 0)).ok).toBe(false); // −128
    expect(tag.decodeInput(Uint8Array.of(0, 0x80)).ok).toBe(false);
  });
});

describe('tag: tagging', () => {
  const base = tag.init(7, [1, 2]);
  const it1 = { ...base, it: 1, itFrozen: 0 };
  const at = spawn(base, 0);
  const near = { x: at.x + 10 * SUB, y: at.y };

  it('touching transfers "it", freezes the new "it" and makes the old one immune', () => {
    const s = place(
      base,
      [
        { id: 1, ...at, score: 0 },
        { id: 2, ...near, score: 0 },
      ],
      { it: 1, itFrozen: 0 },
    );
    const next = tag.step(s, still);
    expect(next.it).toBe(2);
    expect(next.itFrozen).toBe(TAG_FREEZE_TICKS);
    expect(next.immune).toBe(1);
    expect(next.immuneTicks).toBe(IMMUNE_TICKS);
    // The tagged player did not score the tick it became "it"; the tagger did.
    expect(playerOf(next, 2)?.score).toBe(0);
    expect(playerOf(next, 1)?.score).toBe(1);
  });

  it('immunity prevents the tag-back for exactly IMMUNE_TICKS steps', () => {
    let s = tag.step(
      place(
        base,
        [
          { id: 1, ...at, score: 0 },
          { id: 2, ...near, score: 0 },
        ],
        { it: 1, itFrozen: 0 },
      ),
      still,
    );
    // Still touching, freeze long over: no tag-back while immune.
    s = run(s, IMMUNE_TICKS);
    expect(s.it).toBe(2);
    expect(s.immune).toBe(NO_PLAYER);
    s = tag.step(s, still);
    expect(s.it).toBe(1);
    expect(s.immune).toBe(2);
  });

  it('a frozen "it" neither moves nor tags', () => {
    const s = place(
      base,
      [
        { id: 1, ...at, score: 0 },
        { id: 2, ...near, score: 0 },
      ],
      { it: 1, itFrozen: 3 },
    );
    const push = new Map([[1, RIGHT]]);
    const after = run(s, 3, push);
    expect(after.it).toBe(1);
    expect(playerOf(after, 1)).toMatchObject(at);
    const moved = tag.step(after, push);
    expect(playerOf(moved, 1)?.x).toBe(at.x + 4 * SUB);
  });

  it('does not tag at exactly two radii, and tags the nearest of several', () => {
    const arena = arenaFor(base.arena);
    const from = arena.spawns.find((p) => isFree(arena, p.x, p.y + 2 * PLAYER_RADIUS));
    if (from === undefined) throw new Error('no room below any spawn point');
    const apart = place(it1, [
      { id: 1, ...from, score: 0 },
      { id: 2, x: from.x, y: from.y + 2 * PLAYER_RADIUS, score: 0 },
    ]);
    expect(tag.step(apart, still).it).toBe(1);
    const closer = place(apart, [
      { id: 1, ...from, score: 0 },
      { id: 2, x: from.x, y: from.y + 2 * PLAYER_RADIUS - 1, score: 0 },
    ]);
    expect(tag.step(closer, still).it).toBe(2);

    const three = tag.addPlayer(it1, 3);
    const s = place(
      three,
      [
        { id: 1, ...at, score: 0 },
        { id: 2, x: at.x + 12 * SUB, y: at.y, score: 0 },
        { id: 3, x: at.x - 8 * SUB, y: at.y, score: 0 },
      ],
      { it: 1, itFrozen: 0 },
    );
    expect(tag.step(s, still).it).toBe(3);
  });

  it('scores count ticks spent not being "it"', () => {
    const s = place(
      base,
      [
        { id: 1, ...spawn(base, 0), score: 0 },
        { id: 2, ...spawn(base, 31), score: 0 },
      ],
      { it: 1, itFrozen: 0 },
    );
    const after = run(s, 100);
    expect(playerOf(after, 1)?.score).toBe(0);
    expect(playerOf(after, 2)?.score).toBe(100);
  });
});

describe('tag: rounds', () => {
  const short = createTag({ roundSeconds: 2, scoreboardSeconds: 1 });

  it('a round lasts roundSeconds × 60 ticks, then the scoreboard, then a new round', () => {
    const ids = [1, 2, 3, 4];
    let s = short.init(3, ids);
    expect(s).toMatchObject({ phase: 'playing', round: 1, phaseEnd: 120, roundTicks: 120 });
    const moving = new Map(ids.map((id) => [id, { dx: 60, dy: -90 }]));
    for (let i = 0; i < 119; i++) s = short.step(s, moving);
    expect(s.phase).toBe('playing');
    s = short.step(s, moving);
    expect(s.tick).toBe(120);
    expect(s.phase).toBe('scoreboard');
    // Exactly one player was "it" at any tick, so the scores add up to 120 × 3.
    expect(s.players.reduce((sum, p) => sum + p.score, 0)).toBe(120 * 3);
    expect(s.lastRound.map((r) => r.score)).toEqual(
      s.players.map((p) => p.score).sort((a, b) => b - a),
    );
    const frozen = s;
    for (let i = 0; i < 59; i++) s = short.step(s, moving);
    expect(s.phase).toBe('scoreboard');
    expect(s.players).toEqual(frozen.players); // nobody moves or scores
    s = short.step(s, moving);
    expect(s).toMatchObject({ tick: 180, phase: 'playing', round: 2, phaseEnd: 300 });
    expect(s.players.every((p) => p.score === 0)).toBe(true);
    expect(s.lastRound).toEqual(frozen.lastRound);
    expect(s.it).not.toBe(NO_PLAYER);
    expect(s.itFrozen).toBe(START_FREEZE_TICKS);
  });

  it('defaults to 90 s rounds and a 5 s scoreboard; rejects bad options', () => {
    const s = tag.init(1, [1, 2]);
    expect([s.roundTicks, s.scoreboardTicks]).toEqual([5400, 300]);
    expect(() => createTag({ roundSeconds: 0 })).toThrow(RangeError);
    expect(() => createTag({ scoreboardSeconds: Number.NaN })).toThrow(RangeError);
    expect(() => createTag({ roundSeconds: 1e9 })).toThrow(RangeError);
  });

  it('respawns from the seed: same seed same spawns, spawn points never blocked', () => {
    const ids = Array.from({ length: 16 }, (_, i) => i + 1);
    expect(tag.init(42, ids)).toEqual(tag.init(42, ids));
    expect(tag.init(42, ids).players).not.toEqual(tag.init(43, ids).players);
    for (let seed = 0; seed < 200; seed++) {
      const s = tag.init(seed, ids);
      expect(validate(s)).toBeUndefined();
      expect(arenaFor(s.arena).obstacles.length).toBeGreaterThanOrEqual(4);
    }
  });
});

describe('tag: players', () => {
  it('one player: no "it", the round just runs and the player scores', () => {
    let s = tag.init(5, [9]);
    expect(s.it).toBe(NO_PLAYER);
    s = run(s, 50, new Map([[9, RIGHT]]));
    expect(s.players[0]?.score).toBe(50);
  });

  it('a late joiner is never "it": joining a lone player makes that player "it"', () => {
    let s = tag.init(5, [9]);
    s = tag.addPlayer(s, 4);
    expect(tag.players(s)).toEqual([4, 9]);
    expect(s.it).toBe(9);
    expect(playerOf(s, 4)?.score).toBe(0);
    expect(validate(s)).toBeUndefined();
  });

  it('a late joiner spawns at the spawn point farthest from everybody', () => {
    const s = place(tag.init(5, [1]), [{ id: 1, ...spawn(tag.init(5, []), 0), score: 0 }]);
    const joined = tag.addPlayer(s, 2);
    expect(playerOf(joined, 2)).toMatchObject(spawn(s, 31)); // the opposite corner
  });

  it('adding a present id changes nothing; a removed id comes back fresh', () => {
    let s = run(tag.init(5, [1, 2, 3]), 100);
    expect(tag.addPlayer(s, 2)).toBe(s);
    s = tag.removePlayer(s, 2);
    expect(tag.players(s)).toEqual([1, 3]);
    s = tag.addPlayer(s, 2);
    expect(playerOf(s, 2)?.score).toBe(0);
    expect(tag.removePlayer(s, 77)).toBe(s);
  });

  it('if "it" leaves, the generator picks a new one; below two players nobody is "it"', () => {
    let s = run(tag.init(11, [1, 2, 3]), 10);
    const first = s.it;
    s = tag.removePlayer(s, first);
    expect(s.it).not.toBe(NO_PLAYER);
    expect(s.it).not.toBe(first);
    expect(s.itFrozen).toBe(TAG_FREEZE_TICKS);
    expect(validate(s)).toBeUndefined();
    s = tag.removePlayer(s, s.it);
    expect(s.it).toBe(NO_PLAYER);
    expect(validate(s)).toBeUndefined();
  });

  it('handles 32 players (and refuses more than 64)', () => {
    const ids = Array.from({ length: 32 }, (_, i) => i * 3);
    const s = run(tag.init(1, ids), 600, new Map(ids.map((id) => [id, { dx: id - 48, dy: 40 }])));
    expect(validate(s)).toBeUndefined();
    let full = tag.init(
      1,
      Array.from({ length: 64 }, (_, i) => i),
    );
    expect(() => tag.addPlayer(full, 64)).toThrow(RangeError);
    full = tag.removePlayer(full, 0);
    expect(tag.players(tag.addPlayer(full, 64))).toHaveLength(64);
  });
});

describe('tag: movement', () => {
  it('moves 4 units a tick at full input and stops at the walls', () => {
    const s = tag.init(2, [1]);
    const p = s.players[0] as TagPlayer;
    expect(tag.step(s, new Map([[1, RIGHT]])).players[0]?.x).toBe(p.x + 4 * SUB);
    const end = run(s, 1000, new Map([[1, { dx: 127, dy: 0 }]]));
    // It either reached the wall or an obstacle face; it never passed through.
    const x = end.players[0]?.x ?? 0;
    expect(x).toBeLessThanOrEqual(ARENA_WIDTH - PLAYER_RADIUS);
    expect(validate(end)).toBeUndefined();
  });

  it('stops exactly at an obstacle face and slides along it', () => {
    const s0 = tag.init(2, [1]);
    const o = arenaFor(s0.arena).obstacles[0];
    if (o === undefined) throw new Error('no obstacle');
    const y = Math.floor((o.y0 + o.y1) / 2);
    const s = place(s0, [{ id: 1, x: o.x0 - PLAYER_RADIUS - 100, y, score: 0 }]);
    const blocked = run(s, 20, new Map([[1, RIGHT]]));
    expect(blocked.players[0]).toMatchObject({ x: o.x0 - PLAYER_RADIUS, y });
    // Pushing diagonally into the face keeps x and slides along y.
    const slid = tag.step(blocked, new Map([[1, { dx: 89, dy: 89 }]]));
    expect(slid.players[0]?.x).toBe(o.x0 - PLAYER_RADIUS);
    expect(slid.players[0]?.y).toBeGreaterThan(y);
  });
});

describe('tag: display helpers', () => {
  // Unfrozen, so player 1 moves whether or not it is "it".
  const a = { ...tag.init(4, [1, 2]), itFrozen: 0 };
  const b = tag.step(a, new Map([[1, { dx: 127, dy: 0 }]]));
  const start = playerOf(a, 1) as TagPlayer;

  it('interpolate blends positions and takes everything else from b', () => {
    const mid = tag.interpolate(a, b, 0.25);
    expect(playerOf(mid, 1)?.x).toBe(start.x + 0.25 * 4 * SUB);
    expect(playerOf(mid, 1)?.score).toBe(playerOf(b, 1)?.score);
    expect(mid.tick).toBe(b.tick);
    expect(tag.interpolate(a, b, 1).players).toEqual(b.players);
    // Across a respawn there is nothing to blend.
    const next = { ...b, round: b.round + 1 };
    expect(tag.interpolate(a, next, 0.5)).toBe(next);
  });

  it('position is in world units; displace moves only the drawing of one player', () => {
    expect(tag.position(a, 1)).toEqual({ x: start.x / SUB, y: start.y / SUB });
    expect(tag.position(a, 99)).toBeUndefined();
    const shifted = tag.displace(a, 1, 2.5, -1);
    expect(tag.position(shifted, 1)).toEqual({ x: start.x / SUB + 2.5, y: start.y / SUB - 1 });
    expect(playerOf(shifted, 2)).toBe(playerOf(a, 2));
  });

  it('mergePlayer takes one player from a predicted state', () => {
    const merged = tag.mergePlayer(a, b, 1);
    expect(playerOf(merged, 1)).toEqual(playerOf(b, 1));
    expect(playerOf(merged, 2)).toBe(playerOf(a, 2));
    expect(tag.players(tag.mergePlayer(a, tag.removePlayer(b, 1), 1))).toEqual([2]);
    expect(tag.players(tag.mergePlayer(tag.removePlayer(a, 1), b, 1))).toEqual([1, 2]);
  });
});
