import { describe, expect, it } from 'vitest';
import { GuestLoop } from '../../web/game/guest-loop.ts';
import { HostLoop } from '../../web/game/host-loop.ts';
import { Session } from '../../web/net/session.ts';
import { type DotsInput, type DotsState, dots } from '../support/dots-game.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryTransport } from '../support/memory-transport.ts';
import { seededRandom as rng } from '../support/random.ts';

/** A host and guests over sessions on a simulated network: latency, jitter, loss. */
function network(options: {
  latencyMs: number;
  jitterMs: number;
  loss: number;
  guests: number;
  seed: number;
}) {
  const clock = new FakeClock();
  const random = rng(options.seed);
  const schedule = (fn: () => void) =>
    clock.later(fn, options.latencyMs + Math.floor(random() * options.jitterMs));
  const host = new HostLoop({ game: dots, seed: 1, hostId: 1 });
  const guests: { id: number; loop: GuestLoop<DotsState, DotsInput> }[] = [];
  for (let i = 0; i < options.guests; i++) {
    const id = i + 2;
    const [atHost, atGuest] = MemoryTransport.pair('relay', {
      schedule,
      loss: options.loss,
      random,
    });
    const toGuest = new Session({ relay: atHost, clock });
    const toHost = new Session({ relay: atGuest, clock });
    host.addGuest(id, toGuest);
    guests.push({
      id,
      loop: new GuestLoop({ game: dots, me: id, link: toHost, now: () => clock.now() }),
    });
  }
  return { clock, host, guests, random };
}

const position = (s: DotsState | undefined, id: number) => s?.dots.find((d) => d.id === id);

describe('netcode over a bad network (100 ms ± 30 ms, 5% loss)', () => {
  it.each([1, 2, 3])('guests converge to the host, corrections stay small (seed %i)', (seed) => {
    const { clock, host, guests } = network({
      latencyMs: 100,
      jitterMs: 30,
      loss: 0.05,
      guests: 2,
      seed,
    });
    const script = (id: number, t: number): DotsInput => {
      const phase = Math.floor(t / 500) + id;
      return { dx: [1, 0, -1, 0, 1][phase % 5] ?? 0, dy: [0, 1, 0, -1, 1][phase % 5] ?? 0 };
    };
    let moving = true;
    clock.setInterval(() => host.advance(clock.now()), 4);
    clock.setInterval(() => {
      for (const g of guests)
        g.loop.advance(clock.now(), moving ? script(g.id, clock.now()) : dots.noInput);
    }, 4);
    clock.setInterval(() => host.setLocalInput(moving ? script(1, clock.now()) : dots.noInput), 16);
    const views: number[] = [];
    clock.setInterval(() => {
      for (const g of guests) {
        const v = g.loop.view(clock.now());
        if (v) views.push(v.tick);
      }
    }, 16);
    clock.advance(10_000);
    moving = false;
    clock.advance(2_000);

    for (const g of guests) {
      const view = g.loop.view(clock.now());
      for (const id of [1, ...guests.map((o) => o.id)]) {
        const truth = position(host.state, id);
        const seen = position(view, id);
        expect(seen, `guest ${g.id} sees player ${id}`).toBeDefined();
        expect(
          Math.abs((seen?.x ?? 0) - (truth?.x ?? 0)),
          `x of ${id} at guest ${g.id}`,
        ).toBeLessThan(0.5);
        expect(
          Math.abs((seen?.y ?? 0) - (truth?.y ?? 0)),
          `y of ${id} at guest ${g.id}`,
        ).toBeLessThan(0.5);
      }
      // With inputs replayed in order, a correction is a few ticks of movement at most.
      console.log(
        `seed ${seed} guest ${g.id}: max correction ${g.loop.stats.maxCorrection.toFixed(2)}, snapshots ${g.loop.stats.snapshots}, delay ${g.loop.interpolationDelay.toFixed(0)} ms, resyncs ${g.loop.stats.resyncs}, pos ${JSON.stringify(position(view, g.id))}`,
      );
      expect(g.loop.stats.maxCorrection, `guest ${g.id} corrections`).toBeLessThan(40);
      expect(g.loop.stats.snapshots).toBeGreaterThan(200);
      expect(g.loop.interpolationDelay).toBeGreaterThanOrEqual(40);
      expect(g.loop.interpolationDelay).toBeLessThanOrEqual(300);
    }
    expect(host.stats.rejectedFrames).toBe(0);
    expect(host.stats.ticks).toBeGreaterThan(700);
  });

  it('sends deltas against what each guest acknowledged, and a full state to a late joiner', () => {
    const { clock, host, guests } = network({
      latencyMs: 20,
      jitterMs: 0,
      loss: 0,
      guests: 1,
      seed: 9,
    });
    clock.setInterval(() => host.advance(clock.now()), 4);
    clock.setInterval(() => {
      for (const g of guests) g.loop.advance(clock.now(), { dx: 1, dy: 0 });
    }, 4);
    clock.advance(1000);
    const [atHost, atGuest] = MemoryTransport.pair('relay', {
      schedule: (fn) => clock.later(fn, 20),
    });
    const late = new GuestLoop({
      game: dots,
      me: 9,
      link: new Session({ relay: atGuest, clock }),
      now: () => clock.now(),
    });
    host.addGuest(9, new Session({ relay: atHost, clock }));
    clock.setInterval(() => late.advance(clock.now(), dots.noInput), 4);
    clock.advance(500);
    expect(late.authoritative?.dots.map((d) => d.id)).toEqual([1, 2, 9]);
    expect(position(late.view(clock.now()), 2)?.x).toBeGreaterThan(0);
  });

  it('a guest cannot move another player: inputs count only for the link they came on', () => {
    const { clock, host, guests } = network({
      latencyMs: 10,
      jitterMs: 0,
      loss: 0,
      guests: 2,
      seed: 4,
    });
    const before = position(host.state, 3);
    clock.setInterval(() => host.advance(clock.now()), 4);
    clock.setInterval(() => guests[0]?.loop.advance(clock.now(), { dx: 1, dy: 1 }), 4);
    clock.advance(1000);
    expect(position(host.state, 3)).toEqual(before);
    expect(position(host.state, 2)?.x).not.toEqual(position(dots.init(1, [2]), 2)?.x);
  });

  it('a guest that comes back on a new link gets its own player back, where it was', () => {
    const { clock, host, guests } = network({
      latencyMs: 10,
      jitterMs: 0,
      loss: 0,
      guests: 1,
      seed: 5,
    });
    clock.setInterval(() => host.advance(clock.now()), 4);
    clock.setInterval(() => guests[0]?.loop.advance(clock.now(), { dx: 1, dy: 0 }), 4);
    clock.advance(1000);
    const before = position(host.state, 2);
    // Its page reloads: a new session and a new guest loop, same seat id.
    const [atHost, atGuest] = MemoryTransport.pair('relay', {
      schedule: (fn) => clock.later(fn, 10),
    });
    host.addGuest(2, new Session({ relay: atHost, clock }));
    const back = new GuestLoop({
      game: dots,
      me: 2,
      link: new Session({ relay: atGuest, clock }),
      now: () => clock.now(),
    });
    clock.advance(300);
    expect(host.state.dots.map((d) => d.id)).toEqual([1, 2]);
    expect(position(host.state, 2)).toEqual(before);
    expect(position(back.authoritative, 2)).toEqual(before);
  });

  it("a guest that leaves for good disappears from everyone's game", () => {
    const { clock, host, guests } = network({
      latencyMs: 10,
      jitterMs: 0,
      loss: 0,
      guests: 2,
      seed: 6,
    });
    clock.setInterval(() => host.advance(clock.now()), 4);
    clock.setInterval(() => guests[1]?.loop.advance(clock.now(), dots.noInput), 4);
    const events: [number, number][] = [];
    guests[1]?.loop.onEvent((e, id) => events.push([e, id]));
    clock.advance(300);
    host.removeGuest(2);
    clock.advance(300);
    expect(host.state.dots.map((d) => d.id)).toEqual([1, 3]);
    expect(guests[1]?.loop.authoritative?.dots.map((d) => d.id)).toEqual([1, 3]);
    expect(events).toContainEqual([2, 2]);
  });
});
