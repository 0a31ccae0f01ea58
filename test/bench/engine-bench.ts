/**
 * Engine benchmark body, bundled by test/bench/engine.mjs and run both in Node and in Chromium:
 * host cost per tick at 2/8/16 players, and snapshot bytes per guest against naive JSON.
 */
import { decodeEngineFrame, EngineFrame, encodeInputs } from '../../shared/sim/engine-frames.ts';
import type { Game } from '../../shared/sim/game.ts';
import { nextInt } from '../../shared/sim/rng.ts';
import { HostLoop } from '../../web/game/host-loop.ts';
import {
  createLightCycles,
  type LightInput,
  type LightState,
} from '../../web/games/light-cycles/sim/index.ts';
import { createTag, type TagInput, type TagState } from '../../web/games/tag/sim/index.ts';
import { Emitter, type Link, type LinkStatus, type SendOptions } from '../../web/net/link.ts';
import { botInput } from '../support/light-cycles-bot.ts';

/** A guest link that acknowledges every snapshot and counts the bytes it would carry. */
class CountingLink implements Link {
  readonly kind = 'direct';
  readonly status: LinkStatus = 'open';
  readonly rtt = 0;
  bytes = 0;
  snapshots = 0;
  fulls = 0;
  lastTick = 0xffffffff;
  /** The host whose snapshots these are (their tick is inside the game bytes). */
  host: { state: { tick: number } } | undefined;
  private readonly messages = new Emitter<[Uint8Array, SendOptions]>();
  send(bytes: Uint8Array): void {
    this.bytes += bytes.length;
    const frame = decodeEngineFrame(bytes);
    if (
      frame.ok &&
      (frame.value.kind === EngineFrame.SNAPSHOT || frame.value.kind === EngineFrame.FULL)
    ) {
      this.snapshots++;
      if (frame.value.kind === EngineFrame.FULL) this.fulls++;
      this.lastTick = this.host?.state.tick ?? 0;
    }
  }
  deliver(bytes: Uint8Array): void {
    this.messages.emit(bytes, { reliable: false });
  }
  onMessage(handler: (bytes: Uint8Array, options: SendOptions) => void) {
    return this.messages.on(handler);
  }
  onStatus() {
    return () => {};
  }
  onReset() {
    return () => {};
  }
  close() {}
}

/** Everyone wanders, changing direction every half second (deterministic). */
const wander = (id: number, tick: number): TagInput => {
  const a = ((Math.floor(tick / 30) + id * 7) * 2654435761) % 360;
  return { dx: Math.round(Math.cos(a) * 127), dy: Math.round(Math.sin(a) * 127) };
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export interface TickResult {
  players: number;
  p50: number;
  p99: number;
  mean: number;
}
export interface BytesResult {
  players: number;
  bytesPerGuestPerSecond: number;
  jsonBytesPerSecond: number;
  fullBytesPerPlayer: number;
  movingPlayerDeltaBytes: number;
  unchangedDeltaBytes: number;
}

function setUp(players: number) {
  const game = createTag({ roundSeconds: 3600 });
  const host = new HostLoop({ game, seed: 7, hostId: 1 });
  const links = new Map<number, CountingLink>();
  for (let id = 2; id <= players; id++) {
    const link = new CountingLink();
    link.host = host;
    links.set(id, link);
    host.addGuest(id, link);
  }
  const seqs = new Map<number, number>();
  /** One tick with every guest's input arriving first (acknowledging its last snapshot). */
  const tick = () => {
    const t = host.state.tick;
    host.setLocalInput(wander(1, t));
    for (const [id, link] of links) {
      const seq = (seqs.get(id) ?? 0) + 1;
      seqs.set(id, seq);
      link.deliver(encodeInputs(link.lastTick, seq, [game.encodeInput(wander(id, t))]));
    }
    host.step();
  };
  return { game, host, links, tick };
}

/** Host cost per tick: inputs in, one step, snapshots out (every other tick) for all guests. */
export function tickCost(players: number, ticks = 3000): TickResult {
  const { tick } = setUp(players);
  for (let i = 0; i < 300; i++) tick();
  const times: number[] = [];
  for (let i = 0; i < ticks; i++) {
    const t0 = performance.now();
    tick();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    players,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
  };
}

/** Bytes one guest receives per second with everybody moving, and the JSON equivalent. */
export function bytesPerGuest(players: number, seconds = 10): BytesResult {
  const { game, host, links, tick } = setUp(players);
  for (let i = 0; i < 120; i++) tick();
  const link = links.get(2) as CountingLink;
  const before = link.bytes;
  let json = 0;
  for (let i = 0; i < seconds * 60; i++) {
    tick();
    // A naive server would send the whole state as JSON at the same snapshot rate (30 Hz).
    if (host.state.tick % 2 === 0)
      json += new TextEncoder().encode(JSON.stringify(host.state)).length;
  }
  const state = host.state as TagState;
  const full = game.encodeFull(state).length;
  const header = game.encodeFull({ ...state, players: [], lastRound: [] }).length;
  // One tick later with everybody moving, and a tick where nobody moved (scoreboard-like).
  let moved = state;
  const inputs = new Map(state.players.map((p) => [p.id, wander(p.id, 999)] as const));
  moved = game.step(moved, inputs);
  const deltaMoving = game.encodeDelta(state, moved).length;
  const deltaNone = game.encodeDelta(state, state).length;
  const deltaHeader = deltaNone;
  return {
    players,
    bytesPerGuestPerSecond: (link.bytes - before) / seconds,
    jsonBytesPerSecond: json / seconds,
    fullBytesPerPlayer: (full - header) / players,
    movingPlayerDeltaBytes: (deltaMoving - deltaHeader) / players,
    unchangedDeltaBytes: deltaNone - deltaHeader,
  };
}

export interface LightCyclesResult {
  players: number;
  /** Bytes one guest received per second over the 10 s after the first 60 s (headers included). */
  bytesPerGuestPerSecond: number;
  /** A late joiner's full snapshot at 60 s (engine envelope included). */
  fullSnapshotBytes: number;
  /** Cells in the trails at 60 s, and rounds played by then. */
  trailCells: number;
  rounds: number;
  /** Host cost per tick over those 10 s, ms. */
  p50: number;
  p99: number;
  /** Largest delta cost of one moving cycle seen (bytes), whatever its trail length. */
  maxBytesPerMovingCycle: number;
}

/**
 * Light cycles on the host loop: `players` bots ride (seeded noise so trails bend), every guest
 * acknowledging its snapshots; after 60 s, the next 10 s are measured.
 */
export function lightCycles(players: number): LightCyclesResult {
  const game: Game<LightState, LightInput> = createLightCycles();
  const host = new HostLoop({ game, seed: 11, hostId: 1 });
  const links = new Map<number, CountingLink>();
  for (let id = 2; id <= players; id++) {
    const link = new CountingLink();
    link.host = host;
    links.set(id, link);
    host.addGuest(id, link);
  }
  let noiseState = 5;
  const noise = (bound: number) => {
    const [v, next] = nextInt(noiseState, bound);
    noiseState = next;
    return v;
  };
  const seqs = new Map<number, number>();
  let rounds = 1;
  const tick = () => {
    const s = host.state;
    const input = (id: number) => {
      const c = s.cycles.find((q) => q.id === id);
      return c ? botInput(s, c, noise) : game.noInput;
    };
    host.setLocalInput(input(1));
    for (const [id, link] of links) {
      const seq = (seqs.get(id) ?? 0) + 1;
      seqs.set(id, seq);
      link.deliver(encodeInputs(link.lastTick, seq, [game.encodeInput(input(id))]));
    }
    const round = s.round;
    host.step();
    if (host.state.round !== round) rounds++;
  };
  for (let i = 0; i < 60 * 60; i++) tick();
  const at60 = host.state;
  const full = 3 + game.id.length + game.encodeFull(at60).length;
  const trail = at60.board.reduce((n, v) => n + v, 0);
  const link = links.get(2) as CountingLink;
  const before = link.bytes;
  const times: number[] = [];
  let maxPerCycle = 0;
  for (let i = 0; i < 600; i++) {
    const base = host.state;
    const t0 = performance.now();
    tick();
    times.push(performance.now() - t0);
    const next = host.state;
    if (base.round === next.round && base.phase === 'riding' && next.phase === 'riding') {
      const moved = next.cycles.filter((c) => {
        const old = base.cycles.find((o) => o.id === c.id);
        return old && old.status === c.status && (old.x !== c.x || old.y !== c.y);
      }).length;
      const changedOtherwise = next.cycles.some((c) => {
        const old = base.cycles.find((o) => o.id === c.id);
        return !old || old.status !== c.status;
      });
      if (moved > 0 && !changedOtherwise) {
        const cost =
          (game.encodeDelta(base, next).length - game.encodeDelta(next, next).length) / moved;
        maxPerCycle = Math.max(maxPerCycle, cost);
      }
    }
  }
  times.sort((a, b) => a - b);
  return {
    players,
    bytesPerGuestPerSecond: (link.bytes - before) / 10,
    fullSnapshotBytes: full,
    trailCells: trail,
    rounds,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    maxBytesPerMovingCycle: maxPerCycle,
  };
}

export function runAll() {
  return {
    ticks: [2, 8, 16].map((n) => tickCost(n)),
    bytes: bytesPerGuest(8),
    lightCycles: [8, 16].map((n) => lightCycles(n)),
  };
}

(globalThis as { engineBench?: typeof runAll }).engineBench = runAll;
