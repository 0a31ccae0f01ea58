import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IceServer } from '../../shared/protocol/signaling.ts';
import { mintTurnCredential } from '../../signaling/turn.ts';
import type { TestClient } from '../support/client.ts';
import { type Coturn, coturnMissing, startCoturn } from '../support/coturn.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { launchBrowser } from './support.ts';

/**
 * The ICE servers a welcome hands out, used by real Chromium: our STUN answers it, and coturn
 * (Debian's, started here on loopback) accepts the TURN credentials the server minted.
 */

interface Gathered {
  readonly candidates: { type: string; address: string }[];
  readonly errors: { code: number; url: string }[];
}

/** Gathers ICE candidates in the page with these servers until gathering completes (or 8 s). */
function gather(page: Page, iceServers: IceServer[], policy: 'all' | 'relay'): Promise<Gathered> {
  return page.evaluate(
    async ({ iceServers, policy }) => {
      const pc = new RTCPeerConnection({
        iceServers: iceServers as RTCIceServer[],
        iceTransportPolicy: policy,
      });
      const candidates: Gathered['candidates'] = [];
      const errors: Gathered['errors'] = [];
      pc.onicecandidate = (e) => {
        const c = e.candidate;
        if (c?.candidate) {
          candidates.push({ type: c.type ?? '', address: c.address ?? '' });
        }
      };
      pc.onicecandidateerror = (e) => {
        errors.push({ code: e.errorCode, url: e.url });
      };
      pc.createDataChannel('probe');
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 8000);
        pc.onicegatheringstatechange = () => {
          if (pc.iceGatheringState === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      pc.close();
      return { candidates, errors };
    },
    { iceServers, policy },
  );
}

const missing = coturnMissing();

describe.skipIf(missing !== '')(
  `ICE servers from a welcome, in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let coturn: Coturn;
    let server: TestServer;
    let browser: Browser;
    let page: Page;
    let clients: TestClient[] = [];

    beforeAll(async () => {
      coturn = await startCoturn();
      server = await startTestServer({
        turnUrls: [`${coturn.url}?transport=udp`, `${coturn.url}?transport=tcp`],
        turnSecret: coturn.secret,
        turnTtl: 600,
      });
      browser = await launchBrowser();
      page = await browser.newPage();
    });

    afterAll(async () => {
      for (const c of clients) c.close();
      await browser?.close();
      await server?.close();
      await coturn?.stop();
    });

    /** A host's and a guest's welcome from the real server. */
    async function welcomes() {
      const host = await server.connect();
      host.send({ type: 'create', name: 'Host' });
      const hostWelcome = await host.next('welcome');
      const guest = await server.connect();
      guest.send({ type: 'join', code: hostWelcome.lobby.code, name: 'Guest' });
      const guestWelcome = await guest.next('welcome');
      clients = [...clients, host, guest];
      return { host: hostWelcome, guest: guestWelcome };
    }

    it('our STUN gives Chromium a server-reflexive candidate', async () => {
      const { host } = await welcomes();
      const stun = host.iceServers[0];
      expect(stun).toEqual({ urls: `stun:127.0.0.1:${server.port}` });
      const before = server.stun?.stats.responses ?? 0;
      const { candidates, errors } = await gather(page, [stun as IceServer], 'all');
      expect(errors).toEqual([]);
      expect(candidates.some((c) => c.type === 'srflx')).toBe(true);
      expect(server.stun?.stats.responses ?? 0).toBeGreaterThan(before);
    });

    it('coturn accepts the credentials minted for each welcome: a relay candidate over UDP and over TCP', async () => {
      const { host, guest } = await welcomes();
      for (const welcome of [host, guest]) {
        const turn = welcome.iceServers[1] as IceServer;
        expect(turn.username).toMatch(new RegExp(`^\\d+:${welcome.you}$`));
        for (const transport of ['udp', 'tcp']) {
          const url = `${coturn.url}?transport=${transport}`;
          const { candidates, errors } = await gather(page, [{ ...turn, urls: url }], 'relay');
          expect(errors, url).toEqual([]);
          expect(
            candidates.map((c) => [c.type, c.address]),
            url,
          ).toEqual([['relay', '127.0.0.1']]);
        }
      }
    });

    it('a wrong password or an expired credential gathers nothing: coturn answers 401', async () => {
      const { guest } = await welcomes();
      const turn = guest.iceServers[1] as IceServer;
      const expired = mintTurnCredential(coturn.secret, guest.you, 60, Date.now() - 120_000);
      for (const bad of [
        { ...turn, credential: 'not-the-password' },
        { ...turn, ...expired },
        {
          ...turn,
          ...mintTurnCredential('another-secret-of-some-length', guest.you, 600, Date.now()),
        },
      ]) {
        const { candidates, errors } = await gather(page, [bad], 'relay');
        expect(candidates).toEqual([]);
        expect(errors.map((e) => e.code)).toEqual([401, 401]);
      }
    });
  },
);
