import { describe, expect, it } from 'vitest';
import { nextInt, nextU32 } from '../../shared/sim/rng.ts';
import { isFree } from '../../web/games/tag/sim/arena.ts';
import {
  ARENA_HEIGHT,
  ARENA_WIDTH,
  arenaFor,
  createTag,
  IMMUNE_TICKS,
  MAX_PHASE_TICKS,
  NO_PLAYER,
  PLAYER_RADIUS,
  type RoundResult,
  START_FREEZE_TICKS,
  type TagPlayer,
  type TagState,
  tag,
  validate,
} from '../../web/games/tag/sim/index.ts';

type Rand = (bound: number) => number;

function randomSource(seed: number): Rand {
  let s = seed >>> 0;
  return (bound) => {
    const [v, next] = nextInt(s, bound);
    s = next;
    return v;
  };
}

const u32 = (rand: Rand): number => (rand(0x1_0000) * 0x1_0000 + rand(0x1_0000)) >>> 0;

function pick<T>(rand: Rand, items: readonly T[]): T {
  const item = items[rand(items.length)];
  if (item === undefined) throw new Error('empty');
  return item;
}

function freePoint(rand: Rand, arena: number): { x: number; y: number } {
  const r = PLAYER_RADIUS;
  for (;;) {
    const x = r + rand(ARENA_WIDTH - 2 * r + 1);
    const y = r + rand(ARENA_HEIGHT - 2 * r + 1);
    if (isFree(arenaFor(arena), x, y)) return { x, y };
  }
}

function randomIds(rand: Rand, n: number): number[] {
  const ids = new Set<number>();
  const wide = rand(4) === 0; // sometimes peer ids far apart, up to 0xffff
  while (ids.size < n) ids.add(wide ? rand(0x1_0000) : 1 + rand(3 * n + 1));
  return [...ids].sort((a, b) => a - b);
}

/** "It" and immunity as the rules allow them for these players (keeping `base`'s when valid). */
function withRoles(rand: Rand, s: TagState, keep: boolean): TagState {
  const ids = s.players.map((p) => p.id);
  const keepIt = keep && (s.it === NO_PLAYER ? ids.length < 2 : ids.includes(s.it));
  let it = keepIt ? s.it : NO_PLAYER;
  if (!keepIt && ids.length >= 2 && (s.phase === 'playing' || rand(2) === 0)) it = pick(rand, ids);
  if (ids.length < 2) it = NO_PLAYER;
  const itFrozen =
    it === NO_PLAYER ? 0 : keepIt && rand(2) === 0 ? s.itFrozen : rand(START_FREEZE_TICKS + 1);
  const others = ids.filter((id) => id !== it);
  const keepImmune = keepIt && (s.immune === NO_PLAYER || others.includes(s.immune));
  let immune = keepImmune ? s.immune : NO_PLAYER;
  if (!keepImmune && it !== NO_PLAYER && rand(2) === 0) immune = pick(rand, others);
  const immuneTicks =
    immune === NO_PLAYER
      ? 0
      : keepImmune && s.immuneTicks > 0
        ? s.immuneTicks
        : 1 + rand(IMMUNE_TICKS);
  return { ...s, it, itFrozen, immune, immuneTicks };
}

function randomResults(rand: Rand, roundTicks: number): RoundResult[] {
  const results = randomIds(rand, rand(17)).map((id) => ({ id, score: rand(roundTicks + 1) }));
  return results.sort((a, b) => b.score - a.score || a.id - b.id);
}

/** Any state the rules could hold: every field random within what `validate` allows. */
function randomState(rand: Rand): TagState {
  const roundTicks = pick(rand, [1, 120, 5400, MAX_PHASE_TICKS, 1 + rand(MAX_PHASE_TICKS)]);
  const scoreboardTicks = pick(rand, [1, 300, 1 + rand(MAX_PHASE_TICKS)]);
  const phase = rand(3) === 0 ? 'scoreboard' : 'playing';
  const tick = pick(rand, [0, rand(1000), u32(rand) >>> rand(32), 0xffff_ffff]);
  const arena = u32(rand);
  const n = pick(rand, [0, 1, 2, 8, rand(33), 64]);
  const players: TagPlayer[] = randomIds(rand, n).map((id) => ({
    id,
    ...freePoint(rand, arena),
    score: rand(roundTicks + 1),
  }));
  const s: TagState = {
    tick,
    phase,
    phaseEnd: tick + 1 + rand(phase === 'playing' ? roundTicks : scoreboardTicks),
    round: 1 + rand(1000),
    rng: u32(rand),
    arena,
    roundTicks,
    scoreboardTicks,
    it: NO_PLAYER,
    itFrozen: 0,
    immune: NO_PLAYER,
    immuneTicks: 0,
    players,
    lastRound: rand(2) === 0 ? [] : randomResults(rand, roundTicks),
  };
  return withRoles(rand, s, false);
}

/** A later state: players moved (a little or a lot), scored, left and joined; header changed. */
function mutate(rand: Rand, base: TagState): TagState {
  const tick = Math.min(0xffff_ffff, base.tick + rand(8));
  const kept = base.players.filter(() => rand(10) !== 0);
  const moved = kept.map((p) => {
    const kind = rand(4);
    if (kind === 0) return p;
    const far = kind === 3 ? freePoint(rand, base.arena) : undefined;
    const x = far?.x ?? p.x + rand(257) - 128;
    const y = far?.y ?? p.y + rand(257) - 128;
    const score = rand(3) === 0 ? p.score : Math.min(base.roundTicks, p.score + rand(300));
    return { ...p, ...(isFree(arenaFor(base.arena), x, y) ? { x, y } : {}), score };
  });
  const ids = new Set(base.players.map((p) => p.id));
  const joined: TagPlayer[] = [];
  for (let i = rand(4); i > 0 && moved.length + joined.length < 64; i--) {
    const id = rand(0x1_0000);
    if (!ids.has(id)) joined.push({ id, ...freePoint(rand, base.arena), score: 0 });
    ids.add(id);
  }
  const players = [...moved, ...joined].sort((a, b) => a.id - b.id);
  const newPhase = rand(8) === 0;
  const phase = newPhase ? pick(rand, ['playing', 'scoreboard'] as const) : base.phase;
  const length = phase === 'playing' ? base.roundTicks : base.scoreboardTicks;
  const phaseEnd = newPhase || base.phaseEnd <= tick ? tick + 1 + rand(length) : base.phaseEnd;
  const s: TagState = {
    ...base,
    tick,
    phase,
    phaseEnd: Math.min(phaseEnd, tick + length),
    round: rand(8) === 0 ? base.round + 1 : base.round,
    rng: rand(8) === 0 ? u32(rand) : base.rng,
    players,
    lastRound: rand(8) === 0 ? randomResults(rand, base.roundTicks) : base.lastRound,
  };
  return withRoles(rand, s, rand(4) !== 0);
}

function decodeOk(base: TagState | undefined, bytes: Uint8Array): TagState {
  const r = tag.decode(base, bytes);
  if (!r.ok) expect.fail(`refused: ${r.error}`);
  return r.value;
}

/** Bytes of the header alone: the same state with no players and no results. */
const fullHeader = (s: TagState): number =>
  tag.encodeFull({ ...s, players: [], lastRound: [] }).length;

describe('tag: codec round trips (seeded property tests)', () => {
  it('random states are valid, and a full snapshot decodes to an equal state', () => {
    const rand = randomSource(1);
    for (let i = 0; i < 2000; i++) {
      const s = randomState(rand);
      expect(validate(s)).toBeUndefined();
      const decoded = decodeOk(undefined, tag.encodeFull(s));
      expect(decoded).toEqual(s);
      expect(tag.hash(decoded)).toBe(tag.hash(s));
    }
  });

  it('a delta decoded on its base gives the new state', () => {
    const rand = randomSource(2);
    for (let i = 0; i < 2000; i++) {
      const base = randomState(rand);
      const s = mutate(rand, base);
      expect(validate(s)).toBeUndefined();
      expect(decodeOk(base, tag.encodeDelta(base, s))).toEqual(s);
      // A full snapshot is also accepted where a base is known.
      expect(decodeOk(base, tag.encodeFull(s))).toEqual(s);
    }
  });

  it('deltas between states of a real game decode exactly, across rounds', () => {
    const game = createTag({ roundSeconds: 3, scoreboardSeconds: 1 });
    const rand = randomSource(3);
    const ids = [2, 4, 6, 8, 10, 12];
    let s = game.init(3, ids);
    const history: TagState[] = [s];
    for (let t = 0; t < 1500; t++) {
      s = game.step(
        s,
        new Map(ids.map((id) => [id, { dx: rand(255) - 127, dy: rand(255) - 127 }])),
      );
      if (t === 500) s = game.removePlayer(game.addPlayer(s, 99), 4);
      history.push(s);
      const base = pick(rand, history.slice(-30)); // an older acknowledged state
      const r = game.decode(base, game.encodeDelta(base, s));
      expect(r).toEqual({ ok: true, value: s });
    }
  });

  it('refuses a delta against the wrong base, or without one', () => {
    const rand = randomSource(4);
    let sameTickChecked = 0;
    for (let i = 0; i < 500; i++) {
      const base = randomState(rand);
      const delta = tag.encodeDelta(base, mutate(rand, base));
      const otherTick = { ...base, tick: base.tick === 0 ? 1 : base.tick - 1 };
      expect(tag.decode(undefined, delta)).toEqual({ ok: false, error: 'a delta needs a base' });
      expect(tag.decode(otherTick, delta).ok).toBe(false);
      // Another state at the same tick: caught by the 16-bit base check (unless it collides).
      const sameTick = { ...randomState(rand), tick: base.tick };
      if (((tag.hash(sameTick) ^ tag.hash(base)) & 0xffff) !== 0) {
        expect(tag.decode(sameTick, delta).ok).toBe(false);
        sameTickChecked++;
      }
    }
    expect(sameTickChecked).toBeGreaterThan(495);
    // Same tick, one player one sub-unit elsewhere: caught by the base check.
    const base = tag.init(1, [1, 2, 3]);
    const moved = tag.step(base, new Map([[1, { dx: 127, dy: 0 }]]));
    const nudged = { ...base, rng: base.rng ^ 1 };
    const r = tag.decode(nudged, tag.encodeDelta(base, moved));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/another state/);
  });
});

describe('tag: codec against hostile bytes', () => {
  it('never throws on 10,000 truncated, corrupted or random inputs; accepts only valid states', () => {
    const rand = randomSource(5);
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      const base = randomState(rand);
      const good = rand(2) === 0 ? tag.encodeFull(base) : tag.encodeDelta(base, mutate(rand, base));
      let bytes: Uint8Array;
      const kind = rand(4);
      if (kind === 0) {
        bytes = good.slice(0, rand(good.length)); // strictly shorter
      } else if (kind === 1) {
        bytes = good.slice();
        for (let k = 1 + rand(3); k > 0; k--) bytes[rand(bytes.length)] = rand(256);
      } else {
        bytes = Uint8Array.from({ length: rand(kind === 2 ? 16 : 200) }, () => rand(256));
        if (bytes.length > 0 && rand(2) === 0) bytes[0] = 1 + rand(2); // past the kind byte
      }
      let r: ReturnType<typeof tag.decode> | undefined;
      expect(() => {
        r = tag.decode(rand(3) === 0 ? undefined : base, bytes);
      }).not.toThrow();
      if (r === undefined) throw new Error('unreachable');
      if (kind === 0) expect(r.ok).toBe(false);
      if (r.ok) {
        accepted++;
        expect(validate(r.value)).toBeUndefined();
        expect(decodeOk(undefined, tag.encodeFull(r.value))).toEqual(r.value);
      } else {
        expect(typeof r.error).toBe('string');
      }
    }
    console.log(`tag codec fuzz: ${accepted} of 10000 hostile inputs decoded to valid states`);
  });

  it('refuses every strict prefix of a full snapshot and of a delta, and trailing bytes', () => {
    const base = createTag().init(9, [1, 2, 3, 4, 5, 6, 7, 8]);
    const next = tag.step(base, new Map([[1, { dx: 127, dy: 127 }]]));
    for (const good of [tag.encodeFull(next), tag.encodeDelta(base, next)]) {
      for (let n = 0; n < good.length; n++) {
        expect(tag.decode(base, good.subarray(0, n)).ok).toBe(false);
      }
      const longer = Uint8Array.from([...good, 0]);
      expect(tag.decode(base, longer)).toEqual({ ok: false, error: 'trailing bytes' });
    }
  });

  it('refuses states the rules cannot produce', () => {
    const s = tag.init(1, [1, 2, 3]);
    const o = arenaFor(s.arena).obstacles[0];
    if (o === undefined) throw new Error('no obstacle');
    const cases: [string, TagState][] = [
      ['no "it"', { ...s, it: NO_PLAYER, itFrozen: 0 }],
      ['"it" not a player', { ...s, it: 77 }],
      [
        'inside an obstacle',
        { ...s, players: s.players.map((p) => ({ ...p, x: o.x0 + 1, y: o.y0 + 1 })) },
      ],
      ['outside the arena', { ...s, players: s.players.map((p) => ({ ...p, x: 0 })) }],
      [
        'score over the round',
        { ...s, players: s.players.map((p) => ({ ...p, score: s.roundTicks + 1 })) },
      ],
      ['immune "it"', { ...s, immune: s.it, immuneTicks: 5 }],
      ['phase over', { ...s, phaseEnd: s.tick }],
      [
        'unranked results',
        {
          ...s,
          lastRound: [
            { id: 1, score: 1 },
            { id: 2, score: 2 },
          ],
        },
      ],
    ];
    for (const [name, bad] of cases) {
      const r = tag.decode(undefined, tag.encodeFull(bad));
      expect(r.ok, name).toBe(false);
    }
  });

  it('decodes inputs safely: only 2 bytes of −127..127', () => {
    const rand = randomSource(6);
    for (let i = 0; i < 10_000; i++) {
      const bytes = Uint8Array.from({ length: rand(5) }, () => rand(256));
      const r = tag.decodeInput(bytes);
      const legal = bytes.length === 2 && bytes[0] !== 0x80 && bytes[1] !== 0x80;
      expect(r.ok).toBe(legal);
      if (r.ok) {
        expect(Math.abs(r.value.dx) <= 127 && Math.abs(r.value.dy) <= 127).toBe(true);
        expect(tag.decodeInput(tag.encodeInput(r.value))).toEqual({
          ok: true,
          value: tag.sanitize(r.value),
        });
      }
    }
  });
});

describe('tag: codec sizes', () => {
  const ids = [1, 2, 3, 4, 5, 6, 7, 8];
  const game = createTag();
  /** Mid-round, after a finished round (8 results kept), nobody frozen or immune. */
  function midGame(): TagState {
    let s = createTag({ roundSeconds: 10, scoreboardSeconds: 1 }).init(21, ids);
    const sim = createTag({ roundSeconds: 10, scoreboardSeconds: 1 });
    const rand = randomSource(21);
    for (let t = 0; t < 600 + 60 + 300; t++) {
      s = sim.step(s, new Map(ids.map((id) => [id, { dx: rand(255) - 127, dy: rand(255) - 127 }])));
    }
    // Spread everyone onto spawn points so nobody tags during the size checks.
    const spawns = arenaFor(s.arena).spawns;
    const players = s.players.map((p, i) => ({ ...p, ...spawns[i * 4], score: 200 + 37 * i }));
    return { ...s, players, itFrozen: 0, immune: NO_PLAYER, immuneTicks: 0 };
  }

  it('full snapshot: at most 10 bytes per player beyond the header, results included', () => {
    const s = midGame();
    expect(validate(s)).toBeUndefined();
    expect(s.lastRound).toHaveLength(8);
    const bytes = game.encodeFull(s).length;
    const header = fullHeader(s);
    const perPlayer = (bytes - header) / ids.length;
    const withoutResults = (game.encodeFull({ ...s, lastRound: [] }).length - header) / 8;
    console.log(
      `tag full snapshot: ${bytes} B for 8 players = ${header} B header + ${perPlayer} B/player ` +
        `(${withoutResults} B player record + ${perPlayer - withoutResults} B last-round result)`,
    );
    expect(perPlayer).toBeLessThanOrEqual(10);
    expect(header).toBeLessThanOrEqual(32);
  });

  it('delta: a moving player ≤ 7 bytes, an unchanged player 0, no change = the header', () => {
    const s = midGame();
    const header = game.encodeDelta(s, s).length;
    const cases: [string, number, (id: number) => { dx: number; dy: number }][] = [
      ['1 tick, full speed straight', 1, () => ({ dx: 127, dy: 0 })],
      ['1 tick, full speed diagonal', 1, (id) => ({ dx: id % 2 ? 89 : -89, dy: 89 })],
      ['3 ticks, full speed diagonal', 3, (id) => ({ dx: id % 2 ? 89 : -89, dy: -89 })],
      ['3 ticks, mixed', 3, (id) => ({ dx: 16 * id - 64, dy: 127 - 16 * id })],
    ];
    for (const [name, ticks, input] of cases) {
      let next = s;
      const inputs = new Map(ids.map((id) => [id, input(id)]));
      for (let t = 0; t < ticks; t++) next = game.step(next, inputs);
      expect(next.it).toBe(s.it); // no tag: the header changed only in its tick
      const moved = next.players.filter(
        (p, i) => p.x !== s.players[i]?.x || p.y !== s.players[i]?.y,
      );
      expect(moved).toHaveLength(8);
      const bytes = game.encodeDelta(s, next).length;
      const perPlayer = (bytes - header) / ids.length;
      console.log(
        `tag delta, ${name}: ${bytes} B = ${header} B header + ${perPlayer} B/moving player`,
      );
      expect(perPlayer).toBeLessThanOrEqual(7);
    }

    // Nothing changed: only the header, whatever the number of players.
    const two = { ...s, players: s.players.slice(0, 2), lastRound: [] };
    expect(game.encodeDelta(two, two).length).toBe(header);
    // The scoreboard: a tick passes, nobody moves or scores: still only the header.
    let board = s;
    while (board.phase === 'playing') board = game.step(board, new Map());
    const later = game.step(board, new Map());
    expect(game.encodeDelta(board, later).length).toBe(game.encodeDelta(board, board).length);
    // One player moved among eight: the other seven cost nothing.
    const one = {
      ...board,
      tick: board.tick + 1,
      players: board.players.map((p, i) => (i === 3 ? { ...p, x: p.x + 64 } : p)),
    };
    const oneBytes = game.encodeDelta(board, one).length - game.encodeDelta(board, board).length;
    console.log(
      `tag delta: header ${header} B, unchanged player 0 B, one player moved 4 units: ${oneBytes} B`,
    );
    expect(oneBytes).toBeLessThanOrEqual(5);
  });
});

describe('tag: generator', () => {
  it('is mulberry32 over a u32 kept in the state', () => {
    // The published one-liner, as a reference.
    function reference(seed: number): () => number {
      let a = seed;
      return () => {
        a += 0x6d2b79f5;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return (t ^ (t >>> 14)) >>> 0;
      };
    }
    for (const seed of [0, 1, 0xdead_beef, 0xffff_ffff]) {
      const ref = reference(seed);
      let state = seed;
      for (let i = 0; i < 1000; i++) {
        const [value, next] = nextU32(state);
        expect(value).toBe(ref());
        expect(Number.isInteger(next) && next >= 0 && next <= 0xffff_ffff).toBe(true);
        state = next;
      }
    }
    const rand = randomSource(7);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 50_000; i++) {
      const k = rand(5);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});
