import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import {
  SIGNALING_LIMITS,
  SignalingClient,
  type SignalingState,
  type SocketLike,
} from '../../web/net/signaling-client.ts';
import { FakeClock } from '../support/fake-clock.ts';

/**
 * The client's reconnect schedule on fake time: a server that refuses every connection (each
 * socket closes as soon as it is made, as when nothing listens) or says it is restarting.
 * Real-time reconnects through the running server are in test/server/network.test.ts.
 */
function unreachable(clock: FakeClock, code = 1006) {
  const opened: number[] = [];
  const factory = (): SocketLike => {
    opened.push(clock.now());
    const socket: SocketLike = {
      binaryType: 'arraybuffer',
      readyState: 3,
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
      send: () => {},
      close: () => {},
    };
    clock.setTimeout(() => socket.onclose?.({ code, reason: '' }), 0);
    return socket;
  };
  return { opened, factory };
}

describe('signaling client reconnects (fake time)', () => {
  it('backs off exponentially with equal jitter, never past RECONNECT_MAX_MS', () => {
    const clock = new FakeClock();
    const { opened, factory } = unreachable(clock);
    const states: SignalingState[] = [];
    const client = new SignalingClient({
      server: 'http://127.0.0.1:1',
      hello: { type: 'create', name: 'Ada' },
      socket: factory,
      timers: clock,
      random: () => 0.5,
    });
    client.onState((s) => states.push(s));
    clock.advance(60_000);
    client.close();
    // From each refusal (a fake millisecond after the socket opened) to the next attempt.
    const waits = opened.slice(1).map((t, i) => t - (opened[i] ?? 0) - 1);
    const { RECONNECT_MIN_MS: min, RECONNECT_MAX_MS: max } = SIGNALING_LIMITS;
    // random 0.5 draws three quarters of each base delay: 250 ms doubling, capped at 2500.
    const bases = [min, 2 * min, 4 * min, 8 * min, max, max];
    expect(waits.slice(0, bases.length)).toEqual(bases.map((b) => Math.round(0.75 * b)));
    expect(Math.max(...waits)).toBeLessThanOrEqual(max);
    // Every refusal is shown as "reconnecting" (the last one's retry was still pending).
    expect(states.filter((s) => s.kind === 'reconnecting').length).toBe(opened.length);
    expect(states.at(-1)).toMatchObject({ kind: 'closed', cause: 'page' });
  });

  it('after "server restarting" (1001) it retries within GOING_AWAY_RETRY_MS', () => {
    const clock = new FakeClock();
    const { opened, factory } = unreachable(clock, CloseCode.GOING_AWAY);
    const client = new SignalingClient({
      server: 'http://127.0.0.1:1',
      hello: { type: 'create', name: 'Ada' },
      socket: factory,
      timers: clock,
    });
    clock.advance(SIGNALING_LIMITS.GOING_AWAY_RETRY_MS + 1);
    client.close();
    expect(opened.length).toBe(2);
  });
});
