import { describe, expect, it } from 'vitest';
import { GuestLoop } from '../../web/game/guest-loop.ts';
import { HostLoop } from '../../web/game/host-loop.ts';
import { createTag, type TagInput, type TagState } from '../../web/games/tag/sim/index.ts';
import { Session } from '../../web/net/session.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryTransport } from '../support/memory-transport.ts';
import { seededRandom as rng } from '../support/random.ts';

/** Rounds of 5 s and a 2 s scoreboard: a hand-over can land in either phase. */
const game = createTag({ roundSeconds: 5, scoreboardSeconds: 2 });
const TICK_MS = 1000 / game.tickRate;
/** Most game time a hand-over may lose: ~0.5 s. */
const MAX_LOST_TICKS = 30;

/** Who presses what, when: a pure function of the player and the time, so runs repeat. */
function script(id: number, t: number): TagInput {
  const phase = Math.floor(t / 400) + id * 3;
  const dirs = [
    [127, 0],
    [0, 127],
    [-127, 0],
    [0, -127],
    [90, 90],
    [-90, 90],
  ];
  const [dx = 0, dy = 0] = dirs[phase % dirs.length] ?? [];
  return { dx, dy };
}

/**
 * Host 1 with guests 2 and 3 over sessions on a simulated network (20–30 ms, 2% loss). At
 * `killAt` the host vanishes (its tab closed: nothing it sends arrives any more); the server's
 * choice, guest 2, then hosts from its newest authoritative state, and guest 3 links to it.
 */
function handOver(seed: number, killAt: number, hostLeft: boolean) {
  const clock = new FakeClock();
  const random = rng(seed);
  const network = {
    schedule: (fn: () => void) => clock.later(fn, 20 + Math.floor(random() * 10)),
    loss: 0.02,
    random,
  };
  const link = () => {
    const [a, b] = MemoryTransport.pair('relay', network);
    return {
      a,
      b,
      atHost: new Session({ relay: a, clock }),
      atGuest: new Session({ relay: b, clock }),
    };
  };
  const now = () => clock.now();

  const oldHost = new HostLoop({ game, seed, hostId: 1 });
  /** Every state the old host had, by tick: what it "would have" continued from. */
  const oldStates = new Map<number, TagState>();
  const toB = link();
  const toC = link();
  oldHost.addGuest(2, toB.atHost);
  oldHost.addGuest(3, toC.atHost);
  const b = new GuestLoop({ game, me: 2, link: toB.atGuest, now });
  let c = new GuestLoop({ game, me: 3, link: toC.atGuest, now });
  let newHost: HostLoop<TagState, TagInput> | undefined;
  let alive = true;
  const oldTimer = clock.setInterval(() => {
    if (!alive) return;
    oldHost.setLocalInput(script(1, clock.now()));
    oldHost.advance(clock.now());
    oldStates.set(oldHost.state.tick, oldHost.state);
  }, 4);
  clock.setInterval(() => {
    if (newHost) {
      newHost.setLocalInput(script(2, clock.now()));
      newHost.advance(clock.now());
    } else b.advance(clock.now(), script(2, clock.now()));
    c.advance(clock.now(), script(3, clock.now()));
  }, 4);

  clock.advance(killAt);
  // The old host is gone: its tab closed, nothing more gets through.
  alive = false;
  clock.clearInterval(oldTimer);
  for (const l of [toB, toC]) l.a.blackhole = true;
  const diedAt = oldHost.state.tick;
  const lastSeenByC = c.authoritative?.tick ?? -1;

  // The server waits for the host (a reload would come back), then names guest 2.
  clock.advance(300);
  let from = b.authoritative;
  if (from === undefined) throw new Error('guest 2 never received a state');
  const handedOver = from;
  b.dispose();
  if (hostLeft) from = game.removePlayer(from, 1);
  newHost = new HostLoop({ game, seed: 0, hostId: 2, initial: from });
  const bToC = link();
  newHost.addGuest(3, bToC.atHost);
  c.dispose();
  c = new GuestLoop({ game, me: 3, link: bToC.atGuest, now });
  const firstNew: number[] = [];
  const off = bToC.atGuest.onMessage(() => {
    if (c.authoritative && firstNew.length === 0) firstNew.push(c.authoritative.tick);
  });
  clock.advance(3000);
  off();
  return { clock, oldStates, diedAt, lastSeenByC, handedOver, newHost, c, firstNew };
}

describe('host migration: the game state hand-over (fake time, in-memory links)', () => {
  it.each([
    // mid-round, right after the start, on the scoreboard, on the next round
    { seed: 1, killAt: 2_300, hostLeft: false },
    { seed: 2, killAt: 400, hostLeft: true },
    { seed: 3, killAt: 5_700, hostLeft: false },
    { seed: 4, killAt: 6_350, hostLeft: true },
    { seed: 5, killAt: 8_100, hostLeft: false },
  ])(
    'hands over at $killAt ms (seed $seed): same round, timer and scores, ≤ 0.5 s of game time lost',
    ({ seed, killAt, hostLeft }) => {
      const r = handOver(seed, killAt, hostLeft);
      const from = r.handedOver;
      // The hand-over state is exactly one the old host had: the authoritative one, never a
      // prediction (the guest's own player moved on in its prediction while the host was gone).
      expect(game.hash(from)).toBe(game.hash(r.oldStates.get(from.tick) as TagState));
      const lost = r.diedAt - from.tick;
      console.log(
        `kill at ${killAt} ms (${from.phase}, round ${from.round}): ${lost} ticks lost; guest 3 saw ${r.lastSeenByC}, first new snapshot ${r.firstNew[0]}`,
      );
      expect(lost).toBeGreaterThanOrEqual(0);
      expect(lost).toBeLessThanOrEqual(MAX_LOST_TICKS);
      // Guest 3's first snapshot from the new host carries on from where the game was.
      const first = r.firstNew[0] ?? -1;
      expect(first).toBeGreaterThanOrEqual(from.tick);
      expect(first - r.lastSeenByC).toBeLessThanOrEqual(MAX_LOST_TICKS);
      // Same rules, same round timer and scores: the new host's state went on from it.
      const at = r.newHost.state;
      expect(at.roundTicks).toBe(from.roundTicks);
      expect(at.arena).toBe(from.arena);
      expect(at.tick).toBeGreaterThan(from.tick + 150);
      const stage = (x: TagState) => x.round * 2 + (x.phase === 'scoreboard' ? 1 : 0);
      expect(stage(at)).toBeGreaterThanOrEqual(stage(from));
      if (at.round === from.round) {
        // The same round on the same timer, scores only grown.
        if (at.phase === from.phase) expect(at.phaseEnd).toBe(from.phaseEnd);
        for (const p of from.players) {
          const now = at.players.find((q) => q.id === p.id);
          if (now) expect(now.score).toBeGreaterThanOrEqual(p.score);
        }
      }
      expect(at.players.map((p) => p.id)).toEqual(hostLeft ? [2, 3] : [1, 2, 3]);
      // Guest 3 follows the new host closely.
      expect(r.c.authoritative?.tick ?? 0).toBeGreaterThan(at.tick - 10);
      expect(r.newHost.stats.rejectedFrames).toBe(0);
    },
  );

  it('hands over at any tick: 12 seeded random moments over two rounds lose ≤ 0.5 s and hash equal', () => {
    const pick = rng(0x6d16);
    for (let i = 0; i < 12; i++) {
      const killAt = 200 + Math.floor(pick() * 13_000);
      const r = handOver(100 + i, killAt, pick() < 0.5);
      const from = r.handedOver;
      expect(game.hash(from), `kill at ${killAt}`).toBe(
        game.hash(r.oldStates.get(from.tick) as TagState),
      );
      expect(r.diedAt - from.tick, `kill at ${killAt}`).toBeLessThanOrEqual(MAX_LOST_TICKS);
      expect(r.newHost.state.tick).toBeGreaterThan(from.tick + 150);
      expect(r.c.authoritative?.tick ?? 0).toBeGreaterThan(r.newHost.state.tick - 10);
    }
  });

  it('covers both phases: a hand-over on the scoreboard goes on to the next round', () => {
    const r = handOver(7, 5_500, false);
    expect(r.handedOver.phase).toBe('scoreboard');
    expect(r.newHost.state.phase).toBe('playing');
    expect(r.newHost.state.round).toBe(r.handedOver.round + 1);
    // The ranking of the round that ended is kept.
    expect(r.newHost.state.lastRound).toEqual(r.handedOver.lastRound);
  });

  it('is deterministic: a fresh host from the handed-over state computes what the old host would have', () => {
    for (const seed of [11, 12, 13]) {
      const r = handOver(seed, 1_000 + seed * 300, false);
      const from = r.handedOver;
      const old = r.oldStates.get(from.tick) as TagState;
      const fresh = new HostLoop({ game, seed: 999, hostId: 2, initial: from });
      const wouldHave = new HostLoop({ game, seed, hostId: 2, initial: old });
      // The same inputs for every player, tick by tick (the guests' as the host's own here).
      for (let t = 0; t < 600; t++) {
        const inputs = new Map([1, 2, 3].map((id) => [id, script(id, t * TICK_MS)]));
        const a = game.step(fresh.state, inputs);
        const b = game.step(wouldHave.state, inputs);
        expect(game.hash(a)).toBe(game.hash(b));
        fresh.setLocalInput(script(2, t * TICK_MS));
        wouldHave.setLocalInput(script(2, t * TICK_MS));
        fresh.step();
        wouldHave.step();
        expect(game.hash(fresh.state)).toBe(game.hash(wouldHave.state));
      }
    }
  });

  it('while the host is silent, a guest stops predicting ahead after 0.5 s (no pull-back of seconds)', () => {
    const clock = new FakeClock();
    const [a, b] = MemoryTransport.pair('relay', { schedule: (fn) => clock.later(fn, 20) });
    const host = new HostLoop({ game, seed: 3, hostId: 1 });
    host.addGuest(2, new Session({ relay: a, clock }));
    const guest = new GuestLoop({
      game,
      me: 2,
      link: new Session({ relay: b, clock }),
      now: () => clock.now(),
    });
    let alive = true;
    clock.setInterval(() => alive && host.advance(clock.now()), 4);
    clock.setInterval(() => guest.advance(clock.now(), script(2, clock.now())), 4);
    clock.advance(3_000);
    alive = false;
    a.blackhole = true;
    /** How far the guest's own player is drawn moving over the next `ms`. */
    const path = (ms: number) => {
      let length = 0;
      let last = game.position(guest.view(clock.now()) as TagState, 2);
      for (let t = 0; t < ms; t += 16) {
        clock.advance(16);
        const p = game.position(guest.view(clock.now()) as TagState, 2);
        if (p && last) length += Math.hypot(p.x - last.x, p.y - last.y);
        last = p;
      }
      return length;
    };
    const first = path(450);
    path(150);
    const later = path(1_000);
    // It ran on for the first half second, then held (the new host's state would pull it back).
    expect(first).toBeGreaterThan(0);
    expect(later).toBeLessThan(first * 0.3);
  });
});
