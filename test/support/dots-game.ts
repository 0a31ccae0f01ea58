import { err, ok, type Result } from '../../shared/result.ts';
import type { Game } from '../../shared/sim/game.ts';

/**
 * The smallest possible game, for engine tests and as the README's example of a second game:
 * every player is a dot that moves with its input inside a 1000 × 1000 square.
 */
export interface Dot {
  readonly id: number;
  readonly x: number;
  readonly y: number;
}
export interface DotsState {
  readonly tick: number;
  readonly dots: readonly Dot[];
}
export interface DotsInput {
  readonly dx: number;
  readonly dy: number;
}

const SIZE = 1000;
const SPEED = 5;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const spawn = (id: number): Dot => ({ id, x: (id * 137) % SIZE, y: (id * 61) % SIZE });

export const dots: Game<DotsState, DotsInput> = {
  id: 'dots',
  tickRate: 60,
  init: (_seed, players) => ({ tick: 0, dots: players.map(spawn) }),
  step: (state, inputs) => ({
    tick: state.tick + 1,
    dots: state.dots.map((d) => {
      const input = inputs.get(d.id) ?? dots.noInput;
      return {
        id: d.id,
        x: clamp(d.x + input.dx * SPEED, 0, SIZE),
        y: clamp(d.y + input.dy * SPEED, 0, SIZE),
      };
    }),
  }),
  addPlayer: (state, id) => ({
    ...state,
    dots: [...state.dots, spawn(id)].sort((a, b) => a.id - b.id),
  }),
  removePlayer: (state, id) => ({ ...state, dots: state.dots.filter((d) => d.id !== id) }),
  players: (state) => state.dots.map((d) => d.id),
  tick: (state) => state.tick,
  noInput: { dx: 0, dy: 0 },
  sanitize: (i) => ({ dx: clamp(Math.round(i.dx), -1, 1), dy: clamp(Math.round(i.dy), -1, 1) }),
  encodeInput: (i) => new Uint8Array([i.dx + 1, i.dy + 1]),
  decodeInput: (b): Result<DotsInput, string> =>
    b.length === 2 && (b[0] ?? 9) <= 2 && (b[1] ?? 9) <= 2
      ? ok({ dx: (b[0] ?? 1) - 1, dy: (b[1] ?? 1) - 1 })
      : err('bad input'),
  encodeFull: (state) => {
    const out = new DataView(new ArrayBuffer(4 + state.dots.length * 6));
    out.setUint32(0, state.tick);
    state.dots.forEach((d, i) => {
      out.setUint16(4 + i * 6, d.id);
      out.setUint16(6 + i * 6, d.x);
      out.setUint16(8 + i * 6, d.y);
    });
    return new Uint8Array(out.buffer);
  },
  // Small enough to send whole: a delta is the full state.
  encodeDelta: (_base, state) => dots.encodeFull(state),
  decode: (_base, bytes): Result<DotsState, string> => {
    if (bytes.length < 4 || (bytes.length - 4) % 6 !== 0) return err('bad length');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const list: Dot[] = [];
    for (let at = 4; at < bytes.length; at += 6) {
      list.push({ id: view.getUint16(at), x: view.getUint16(at + 2), y: view.getUint16(at + 4) });
    }
    return ok({ tick: view.getUint32(0), dots: list });
  },
  hash: (state) =>
    state.dots.reduce(
      (h, d) => Math.imul(h ^ (d.id * 31 + d.x * 7 + d.y), 16777619) >>> 0,
      state.tick,
    ),
  interpolate: (a, b, t) => ({
    ...b,
    dots: b.dots.map((d) => {
      const from = a.dots.find((o) => o.id === d.id) ?? d;
      return { id: d.id, x: from.x + (d.x - from.x) * t, y: from.y + (d.y - from.y) * t };
    }),
  }),
  mergePlayer: (into, from, id) => {
    const mine = from.dots.find((d) => d.id === id);
    return mine ? { ...into, dots: into.dots.map((d) => (d.id === id ? mine : d)) } : into;
  },
  position: (state, id) => state.dots.find((d) => d.id === id),
  displace: (state, id, dx, dy) => ({
    ...state,
    dots: state.dots.map((d) => (d.id === id ? { ...d, x: d.x + dx, y: d.y + dy } : d)),
  }),
};
