import { describe, expect, it } from 'vitest';
import {
  decodeEngineFrame,
  EngineFrame,
  encodeAck,
  encodeChoice,
  encodeDelta,
  encodeEvent,
  encodeFull,
  encodeInputs,
  encodeResync,
  fromLowByte,
  GameEvent,
  NO_BASE,
} from '../../shared/sim/engine-frames.ts';
import { HOST_LIMITS, HostLoop } from '../../web/game/host-loop.ts';
import { Session } from '../../web/net/session.ts';
import { dots } from '../support/dots-game.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryTransport } from '../support/memory-transport.ts';

describe('engine frames', () => {
  it('round-trip', () => {
    const snap = encodeDelta(261, 515, new Uint8Array([1, 2]));
    expect(snap.length).toBe(5);
    expect(decodeEngineFrame(snap)).toMatchObject({
      ok: true,
      value: { kind: 1, baseLow: 5, seqLow: 3 },
    });
    const full = decodeEngineFrame(encodeFull(7, 'light-cycles', new Uint8Array([9])));
    expect(full).toMatchObject({
      ok: true,
      value: { kind: EngineFrame.FULL, seqLow: 7, game: 'light-cycles' },
    });
    expect(full.ok && full.value.kind === EngineFrame.FULL && [...full.value.body]).toEqual([9]);
    expect(() => encodeFull(0, 'Not An Id', new Uint8Array())).toThrow(RangeError);
    expect(decodeEngineFrame(encodeEvent(GameEvent.LEFT, 300))).toEqual({
      ok: true,
      value: { kind: EngineFrame.EVENT, event: GameEvent.LEFT, player: 300 },
    });
    const inputs = decodeEngineFrame(
      encodeInputs(9, 12, [new Uint8Array([1, 1]), new Uint8Array([2, 0])]),
    );
    expect(
      inputs.ok &&
        inputs.value.kind === EngineFrame.INPUT &&
        inputs.value.inputs.map((i) => [...i]),
    ).toEqual([
      [1, 1],
      [2, 0],
    ]);
    expect(decodeEngineFrame(encodeResync())).toEqual({
      ok: true,
      value: { kind: EngineFrame.RESYNC },
    });
  });

  it("the host's pick (CHOICE) round-trips; ids, keys and values a peer could not send are bugs", () => {
    const choice = encodeChoice('light-cycles', { speed: 20, round: -3 });
    expect(choice.length).toBe(1 + 13 + 1 + (1 + 5 + 4) * 2);
    expect(decodeEngineFrame(choice)).toEqual({
      ok: true,
      value: { kind: EngineFrame.CHOICE, game: 'light-cycles', settings: { speed: 20, round: -3 } },
    });
    expect(decodeEngineFrame(encodeChoice('tag', {}))).toEqual({
      ok: true,
      value: { kind: EngineFrame.CHOICE, game: 'tag', settings: {} },
    });
    expect(() => encodeChoice('Tag', {})).toThrow(RangeError);
    expect(() => encodeChoice('tag', { __proto__x: 1 })).toThrow(RangeError);
    expect(() => encodeChoice('tag', { round: 1.5 })).toThrow(RangeError);
    expect(() => encodeChoice('tag', { round: 2 ** 31 })).toThrow(RangeError);
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${'a'.repeat(i)}`, i]));
    expect(() => encodeChoice('tag', many)).toThrow(RangeError);
    // "constructor" is a legal key: it lands as data, never on a prototype.
    const odd = decodeEngineFrame(encodeChoice('tag', { constructor: 5 }));
    expect(odd.ok && odd.value.kind === EngineFrame.CHOICE && odd.value.settings.constructor).toBe(
      5,
    );
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it.each([
    ['empty', []],
    ['unknown kind', [99]],
    ['short snapshot', [1, 0, 0]],
    ['short full snapshot', [2, 0]],
    ['full snapshot without its game id', [2, 0, 4, 100, 111]],
    ['full snapshot with an empty game id', [2, 0, 0, 1]],
    ['full snapshot with a bad game id', [2, 0, 2, 65, 0, 1]],
    ['event of the wrong size', [3, 1, 0]],
    ['unknown event', [3, 9, 0, 1]],
    ['no inputs', [4, 0, 0, 0, 0, 0, 0, 0, 1, 0]],
    ['too many inputs', [4, 0, 0, 0, 0, 0, 0, 0, 1, 9]],
    ['input overruns', [4, 0, 0, 0, 0, 0, 0, 0, 1, 1, 5, 1]],
    ['trailing bytes', [...encodeInputs(0, 1, [new Uint8Array([1, 1])]), 0]],
    ['resync with payload', [5, 0]],
    ['choice without a game id', [6]],
    ['choice with a bad game id', [6, 1, 65, 0]],
    ['choice without its settings count', [6, 3, 116, 97, 103]],
    ['choice with too many settings', [6, 3, 116, 97, 103, 17]],
    ['choice with a bad setting key', [6, 3, 116, 97, 103, 1, 1, 95, 0, 0, 0, 1]],
    ['choice with a cut setting value', [6, 3, 116, 97, 103, 1, 1, 97, 0, 0, 1]],
    [
      'choice with a repeated setting',
      [...encodeChoice('tag', { a: 1 }).slice(0, 5), 2, 1, 97, 0, 0, 0, 1, 1, 97, 0, 0, 0, 2],
    ],
    ['choice with trailing bytes', [...encodeChoice('tag', { a: 1 }), 0]],
  ])('refuse %s', (_name, bytes) => {
    expect(decodeEngineFrame(new Uint8Array(bytes)).ok).toBe(false);
  });

  it('recover a number from its low byte and the newest one known', () => {
    expect(fromLowByte(5, 261)).toBe(261);
    expect(fromLowByte(4, 261)).toBe(260);
    expect(fromLowByte(250, 261)).toBe(250);
    expect(fromLowByte(6, 261)).toBe(6);
    expect(fromLowByte(0, 0)).toBe(0);
  });

  it('never throw on random bytes', () => {
    let s = 1;
    const next = () => {
      s = (s * 48271) % 2147483647;
      return s;
    };
    for (let i = 0; i < 10_000; i++) {
      const bytes = new Uint8Array(next() % 40).map(() => next() % 256);
      if (bytes.length > 0) bytes[0] = (next() % 7) as number;
      expect(() => decodeEngineFrame(bytes)).not.toThrow();
    }
  });
});

describe('host loop: bad input from a guest', () => {
  function setUp() {
    const clock = new FakeClock();
    const [atHost, atGuest] = MemoryTransport.pair('relay');
    const host = new HostLoop({ game: dots, seed: 1, hostId: 1 });
    host.addGuest(2, new Session({ relay: atHost, clock }));
    const guest = new Session({ relay: atGuest, clock });
    const send = (bytes: Uint8Array) => guest.send(bytes, { reliable: false });
    return { clock, host, send };
  }
  const x = (host: HostLoop<ReturnType<typeof dots.init>, unknown>, id: number) =>
    host.state.dots.find((d) => d.id === id)?.x ?? -1;

  it('malformed frames and inputs are dropped and counted', () => {
    const { host, send } = setUp();
    send(new Uint8Array([42]));
    send(encodeFull(0, 'dots', new Uint8Array([1])));
    send(encodeInputs(NO_BASE, 1, [new Uint8Array([7, 7])]));
    host.step();
    expect(host.stats.rejectedFrames).toBe(2);
    expect(host.stats.rejectedInputs).toBe(1);
  });

  it('inputs are clamped: a guest cannot move faster than the rules allow', () => {
    const { host, send } = setUp();
    const start = x(host as never, 2);
    // dots' input codec allows -1..1 only; a sanitized step moves 5 units.
    send(encodeInputs(NO_BASE, 1, [dots.encodeInput({ dx: 1, dy: 0 })]));
    host.step();
    expect(x(host as never, 2) - start).toBe(5);
  });

  it('sequence numbers only go up: a replayed frame changes nothing', () => {
    const { host, send } = setUp();
    send(encodeInputs(NO_BASE, 5, [dots.encodeInput({ dx: 1, dy: 0 })]));
    host.step();
    const after = x(host as never, 2);
    send(encodeInputs(NO_BASE, 5, [dots.encodeInput({ dx: 1, dy: 0 })]));
    send(encodeInputs(NO_BASE, 3, [dots.encodeInput({ dx: -1, dy: 0 })]));
    host.step();
    // The last input is repeated (no new one): still moving right, never left.
    expect(x(host as never, 2)).toBe(after + 5);
  });

  it(`a flood of input frames is cut at ${HOST_LIMITS.INPUT_FRAMES_PER_SECOND} a second`, () => {
    const { host, send } = setUp();
    for (let i = 1; i <= 500; i++)
      send(encodeInputs(NO_BASE, i, [dots.encodeInput({ dx: 0, dy: 0 })]));
    expect(host.stats.rateLimited).toBe(500 - HOST_LIMITS.INPUT_FRAMES_PER_SECOND);
  });
});

describe('host loop: spectators', () => {
  it('a spectator gets snapshots but no player; its inputs are refused and counted; its ACKs name delta bases', () => {
    const clock = new FakeClock();
    const [atHost, atGuest] = MemoryTransport.pair('relay');
    const host = new HostLoop({ game: dots, seed: 1, hostId: 1 });
    host.addGuest(3, new Session({ relay: atHost, clock }), true);
    const spectator = new Session({ relay: atGuest, clock });
    const kinds: number[] = [];
    spectator.onMessage((bytes) => kinds.push(bytes[0] ?? 0));
    expect(dots.players(host.state)).toEqual([1]);
    spectator.send(encodeInputs(NO_BASE, 1, [dots.encodeInput({ dx: 1, dy: 0 })]), {
      reliable: false,
    });
    spectator.send(new Uint8Array([0x40, 1, 2]), { reliable: true });
    for (let i = 0; i < 4; i++) host.step();
    expect(host.stats.spectatorInputs).toBe(1);
    // A chat frame (another channel on the same link) is not the engine's: not counted as bad.
    expect(host.stats.rejectedFrames).toBe(0);
    expect(dots.players(host.state)).toEqual([1]);
    clock.advance(50);
    expect(kinds).toContain(EngineFrame.FULL);
    // Acknowledging tick 4 makes the next snapshots deltas against it.
    spectator.send(encodeAck(4), { reliable: false });
    kinds.length = 0;
    for (let i = 0; i < 4; i++) host.step();
    clock.advance(50);
    expect(kinds).toContain(EngineFrame.SNAPSHOT);
    expect(decodeEngineFrame(encodeAck(0xfffffffe))).toEqual({
      ok: true,
      value: { kind: EngineFrame.ACK, ackTick: 0xfffffffe },
    });
    expect(decodeEngineFrame(new Uint8Array([EngineFrame.ACK, 1])).ok).toBe(false);
  });
});
