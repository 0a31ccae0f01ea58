import { describe, expect, it } from 'vitest';
import { iceRefreshDelayMs } from '../../web/net/signaling-client.ts';
import { HubHarness } from '../support/hub-harness.ts';

const turn = (expirySeconds: number) => ({
  urls: 'turn:turn.example:3478',
  username: `${expirySeconds}:7`,
  credential: 'x',
});

describe('fresh TURN credentials for long games', () => {
  it('the page asks again at 80% of the earliest credential’s life, never sooner than 30 s', () => {
    const now = 1_800_000_000_000;
    expect(iceRefreshDelayMs([{ urls: 'stun:game.example:8080' }], now)).toBeUndefined();
    expect(iceRefreshDelayMs([turn(now / 1000 + 3600)], now)).toBe(2_880_000);
    expect(iceRefreshDelayMs([turn(now / 1000 + 7200), turn(now / 1000 + 600)], now)).toBe(480_000);
    expect(iceRefreshDelayMs([turn(now / 1000 + 10)], now)).toBe(30_000);
    expect(iceRefreshDelayMs([turn(now / 1000 - 50)], now)).toBe(30_000);
  });

  it('the hub answers `ice` with credentials minted now; before joining it is not_in_lobby', () => {
    const h = new HubHarness({
      turnUrls: ['turn:turn.example:3478'],
      turnSecret: 'a-long-shared-secret-for-tests',
      turnTtl: 600,
    });
    const conn = h.connect();
    if (!conn) throw new Error('refused');
    h.send(conn, { type: 'ice' });
    expect(HubHarness.messages(conn, 'error').at(-1)).toMatchObject({
      code: 'not_in_lobby',
      ref: 'ice',
    });
    h.send(conn, { type: 'create', name: 'Ada' });
    const welcome = HubHarness.messages(conn, 'welcome')[0];
    const first = welcome?.iceServers.find((s) => s.username !== undefined);
    expect(first?.username).toBe(`${Math.floor(h.time / 1000) + 600}:${welcome?.you}`);
    // 500 s later, the page having answered every ping.
    for (let i = 0; i < 500; i++) {
      h.advance(1000);
      h.hub.control(conn.peer);
    }
    h.send(conn, { type: 'ice' });
    const fresh = HubHarness.messages(conn, 'ice')[0]?.iceServers.find(
      (s) => s.username !== undefined,
    );
    expect(fresh?.username).toBe(`${Math.floor(h.time / 1000) + 600}:${welcome?.you}`);
    expect(fresh?.credential).not.toBe(first?.credential);
  });
});
