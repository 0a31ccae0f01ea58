import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRelayFrame } from '../../shared/protocol/relay-frame.ts';
import { encodeFrame, FrameKind } from '../../web/net/frames.ts';
import { TestClient } from '../support/client.ts';
import { request } from '../support/http.ts';
import { e2eSuite, entry, hostLobby, joinGuest, poll, sleep, startGame } from './play-support.ts';
import { newPlayer } from './support.ts';

/**
 * Attacks on a host's browser, through the production build and the real server: a scripted
 * guest (a plain WebSocket client) against a real Chromium host. The server's own per-pair
 * budgets are raised here, so that what is tested is the browser's defence.
 */
const e2e = e2eSuite({
  serverFlags: [
    '--signal-rate',
    '100000',
    '--signal-burst',
    '100000',
    '--relay-pair-rate',
    '1073741824',
    '--relay-pair-burst',
    '4000000',
  ],
});
const { track } = e2e;
const attackers: TestClient[] = [];
afterEach(() => {
  for (const a of attackers.splice(0)) a.terminate();
});

/** A scripted guest in the lobby of `link`; resolves with it and the host's id. */
async function attacker(link: string) {
  const code = link.slice(link.lastIndexOf('/') + 1);
  const client = await TestClient.connect(e2e.server.url, { origin: e2e.server.url });
  attackers.push(client);
  client.send({ type: 'join', code, name: 'Mallory' });
  const welcome = await client.next('welcome', 5000);
  return { client, hostId: welcome.lobby.hostId };
}

/** JS heap plus ArrayBuffer backing stores of the page, after a full collection (CDP). */
async function memory(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as {
    usedSize: number;
    backingStorageSize?: number;
  };
  await cdp.detach();
  return usage.usedSize + (usage.backingStorageSize ?? 0);
}

describe('the host’s browser holds against a malicious guest', () => {
  it('4,096 out-of-order reliable 60 KB frames: the host tab grows by < 10 MB, and still takes players', async () => {
    const { host, link } = await hostLobby(e2e.browser, e2e.server.url);
    track(host);
    const { client, hostId } = await attacker(link);
    await poll(() => entry(host.page, 'Mallory').textContent(), 10_000).toContain('relay');
    const before = await memory(host.page);
    const payload = new Uint8Array(60_000).fill(7);
    // Sequence 0 never comes: every frame waits for it in the host's reorder buffer.
    for (let seq = 1; seq <= 4096; seq++) {
      client.sendBinary(encodeRelayFrame(hostId, encodeFrame(FrameKind.RELIABLE, 0, seq, payload)));
      // About 10 MB/s: as fast as a busy tab on this shared machine reads without falling
      // behind (a host that cannot keep up is the server's business, tested elsewhere).
      if (seq % 16 === 0) {
        while (client.ws.bufferedAmount > 1 << 20) await sleep(5);
        await sleep(100);
      }
    }
    while (client.ws.bufferedAmount > 0) await sleep(20);
    const metrics = async () =>
      Number(
        /lanparty_relay_frames_total (\d+)/.exec(
          (await request(`${e2e.server.url}/metrics`)).body.toString(),
        )?.[1] ?? 0,
      );
    await poll(metrics, 30_000).toBeGreaterThanOrEqual(4096);
    await sleep(500);
    const grown = (await memory(host.page)) - before;
    console.log(
      `host tab grew by ${(grown / 1e6).toFixed(1)} MB after 246 MB of out-of-order frames`,
    );
    expect(grown).toBeLessThan(10e6);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    // Still a working host: an honest guest joins and links up.
    const bea = track(await joinGuest(e2e.browser, link, 'Bea'));
    await poll(() => entry(host.page, 'Bea').textContent(), 15_000).toMatch(/direct|turn|relay/);
    expect(bea.problems).toEqual([]);
  }, 120_000);

  it('600 offers with new attempt numbers: no "too many PeerConnections", an honest guest still gets a direct link', async () => {
    const { host, link } = await hostLobby(e2e.browser, e2e.server.url);
    track(host);
    const { client, hostId } = await attacker(link);
    for (let attempt = 1; attempt <= 600; attempt++) {
      client.send({
        type: 'signal',
        to: hostId,
        attempt,
        data: { type: 'offer', sdp: 'v=0\r\n' },
      });
      if (attempt % 50 === 0) await sleep(20);
    }
    await sleep(1000);
    const bea = track(await joinGuest(e2e.browser, link, 'Bea'));
    await poll(() => entry(host.page, 'Bea').textContent(), 20_000).toContain('direct');
    expect(host.problems.filter((p) => /so many PeerConnections/i.test(p))).toEqual([]);
    expect(bea.problems).toEqual([]);
  }, 120_000);
});

describe('pages', () => {
  it('run under the strict CSP with no violation: lobby, direct links, a game (its Worker clock)', async () => {
    const cspFirst = await request(`${e2e.server.url}/`);
    expect(cspFirst.headers['content-security-policy']).toContain("script-src 'self'");
    const report = `addEventListener('securitypolicyviolation', (e) =>
      console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`;
    const host = track({ ...(await newPlayer(e2e.browser)), name: 'Hana' });
    await host.page.context().addInitScript(report);
    await host.page.goto(e2e.server.url);
    await host.page.getByLabel('Name').fill('Hana');
    await host.page.getByRole('button', { name: 'Create lobby' }).click();
    await host.page.getByTestId('share-link').waitFor();
    const link = (await host.page.getByTestId('share-link').textContent()) ?? '';
    const gus = track(await joinGuest(e2e.browser, link, 'Gus', { initScript: report }));
    await poll(() => entry(host.page, 'Gus').textContent(), 15_000).toContain('direct');
    await startGame(host, [gus]);
    await sleep(1000);
    expect(host.problems).toEqual([]);
    expect(gus.problems).toEqual([]);
  }, 60_000);

  it('/l/% (a broken share link) shows "This link is not valid", with a way to the start page', async () => {
    const visitor = track({ ...(await newPlayer(e2e.browser)), name: 'V' });
    await visitor.page.goto(`${e2e.server.url}/l/%`);
    await expect
      .poll(() => visitor.page.getByTestId('invalid-link').textContent(), { timeout: 10_000 })
      .toContain('This link is not valid');
    expect(await visitor.page.title()).toBe('Link not valid — lanparty');
    await visitor.page.getByRole('button', { name: 'Go to the start page' }).click();
    await visitor.page.getByRole('button', { name: 'Create lobby' }).waitFor();
    expect(visitor.problems).toEqual([]);
  }, 30_000);
});
