import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBinary, TestCluster } from '../support/cluster.ts';
import { request } from '../support/http.ts';
import {
  closeAll,
  entry,
  hostLobby,
  joinGuest,
  type Named,
  play,
  poll,
  scoreboard,
  startGame,
} from './play-support.ts';
import { CHROME, launchBrowser } from './support.ts';

/**
 * Two nodes sharing lobbies through redis-server, behind HAProxy in round-robin (no lobby
 * affinity): real Chromium players whose sockets land on different nodes play a round, one of
 * them on the relay, so every game frame between them crosses Redis.
 */
const missing = missingBinary('redis', 'haproxy');

describe.skipIf(missing !== undefined)(
  `two nodes behind round-robin HAProxy (real Chromium)${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let browser: Browser;
    let cluster: TestCluster;
    const open: (Named | undefined)[] = [];
    beforeAll(async () => {
      [browser, cluster] = await Promise.all([
        launchBrowser(CHROME),
        TestCluster.start({ nodes: 2, balancer: 'haproxy', balancing: 'roundrobin' }),
      ]);
    }, 60_000);
    afterAll(async () => {
      await closeAll(open.splice(0));
      await browser?.close();
      await cluster?.dispose();
    });

    it('host and guest on different nodes play a round through the cross-node relay', async () => {
      const { host, link } = await hostLobby(browser, cluster.balancer.baseUrl, {
        search: '?round=6',
      });
      open.push(host);
      // Round-robin decides where each socket lands: a guest that lands on its host's node is
      // replaced until one lands on the other node. HAProxy picks a node per connection (the
      // requests a keep-alive connection carries after its first stay on that node), and how many
      // connections a page load opens varies, so between attempts one to three more requests,
      // at random, each on a fresh connection, shift where the next page's WebSocket goes: ten
      // attempts all landing on one node would take a 1-in-1000 run of luck.
      let guest: Named | undefined;
      for (let attempt = 0; attempt < 10 && guest === undefined; attempt++) {
        const extra = attempt === 0 ? 0 : 1 + Math.floor(Math.random() * 3);
        for (let i = 0; i < extra; i++) await request(`${cluster.balancer.baseUrl}/healthz`);
        const candidate = await joinGuest(browser, `${link}?relay=1`, 'Rey');
        const routed = await cluster.total((h) => h.cluster.routedSockets);
        if (routed > 0) guest = candidate;
        else {
          // Leave for good, so the next attempt is a new guest named Rey again.
          await candidate.page.getByRole('button', { name: 'Leave' }).click();
          await candidate.page.context().close();
        }
      }
      if (guest === undefined) throw new Error('round-robin never put the guest on the other node');
      open.push(guest);
      await poll(() => entry(host.page, 'Rey').textContent()).toContain('relay');
      await startGame(host, [guest]);
      const [hostBoard, guestBoard] = await Promise.all([
        scoreboard(host.page, 30_000),
        scoreboard(guest.page, 30_000),
        play([host.page, guest.page], 5_000),
      ]);
      expect(hostBoard).toHaveLength(2);
      expect(guestBoard).toEqual(hostBoard);
      expect(await guest.page.getByTestId('connection').textContent()).toMatch(/^relay/);
      // The game went through Redis: relay frames crossed nodes, none was refused.
      expect(await cluster.total((h) => h.cluster.sent)).toBeGreaterThan(100);
      expect(await cluster.total((h) => h.cluster.rejected)).toBe(0);
      for (const p of [host, guest]) expect(p.problems).toEqual([]);
    }, 120_000);
  },
);
