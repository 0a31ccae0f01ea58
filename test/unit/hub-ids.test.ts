import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../signaling/config.ts';
import { Hub, type SocketPort } from '../../signaling/hub.ts';
import { ID_REUSE_DELAY_MS, MAX_SEAT_ID } from '../../signaling/lobby.ts';

/** A socket that keeps the last text the hub sent it. */
function port(): SocketPort & { last: () => { type: string; [k: string]: unknown } } {
  let last = '';
  return {
    sendText: (t) => {
      last = t;
    },
    sendBinary: () => {},
    bufferedAmount: () => 0,
    ping: () => {},
    close: () => {},
    last: () => JSON.parse(last),
  };
}

describe('peer ids are never exhausted', () => {
  it('65,535 join/leave cycles in one lobby, then ids come back once they have rested', () => {
    let now = 0;
    const hub = new Hub(
      defaultConfig({
        joinsPerMinute: 1_000_000_000,
        connMessageRate: 1_000_000,
        addressMessageRate: 1_000_000,
        addressMessageBurst: 1_000_000_000,
      }),
      () => now,
    );
    const hostPort = port();
    const host = hub.open(hostPort, '10.0.0.1', 'http://x');
    hub.text(host, JSON.stringify({ type: 'create', name: 'Host' }));
    const code = (hostPort.last().lobby as { code: string }).code;
    const join = JSON.stringify({ type: 'join', code, name: 'Cycler' });
    const leave = JSON.stringify({ type: 'leave' });
    let lastId = 0;
    for (let i = 2; i <= MAX_SEAT_ID; i++) {
      const p = port();
      const guest = hub.open(p, '10.0.0.2', 'http://x');
      hub.text(guest, join);
      lastId = p.last().you as number;
      hub.text(guest, leave);
    }
    expect(lastId).toBe(MAX_SEAT_ID);
    // Every id has been given out; the oldest freed one has not rested long enough yet.
    const early = port();
    hub.text(hub.open(early, '10.0.0.2', 'http://x'), join);
    expect(early.last()).toMatchObject({ code: 'join_refused', reason: 'unavailable' });
    now += ID_REUSE_DELAY_MS;
    const late = port();
    hub.text(hub.open(late, '10.0.0.2', 'http://x'), join);
    expect(late.last()).toMatchObject({ type: 'welcome', you: 2 });
  }, 60_000);
});
