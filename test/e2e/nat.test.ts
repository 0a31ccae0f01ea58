import { createHmac } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coturnMissing } from '../support/coturn.ts';
import { type Client, NetBed, type NetPlayer, netBedMissing } from '../support/netns.ts';
import type { E2eServer } from './support.ts';

/**
 * Issue 9: the NAT test bed. A small internet of network namespaces (test/support/netns.ts):
 * the lanparty server on it, two cone home routers, a symmetric one and an "open" one, each with
 * a client, and a second client on the first LAN. Real Chromium runs inside the clients'
 * namespaces; plain RTCPeerConnection pairs prove what connects directly and what cannot.
 */
/**
 * The text of `url` as a new tab of this player's browser opens it: through the player's own
 * network (its namespace and NAT). Not a `fetch` from the lanparty page, whose CSP allows it to
 * talk to its own server only.
 */
async function openedBy(page: Page, url: string): Promise<string> {
  const tab = await page.context().newPage();
  try {
    await tab.goto(url);
    return (await tab.textContent('body')) ?? '';
  } finally {
    await tab.close();
  }
}

const missing = netBedMissing();
if (missing) console.warn(`NAT test bed skipped: ${missing}`);

/** Chromium's own ICE failure takes ~30 s (FACTS.md); "no direct path" is judged sooner. */
const NO_CONNECTION_WITHIN_MS = 8000;
const CONNECT_WITHIN_MS = 10_000;

/** Longest wait for ICE gathering: an unanswered STUN server would hold it for ~40 s. */
const GATHER_WITHIN_MS = 5000;

/**
 * A plain RTCPeerConnection harness for a page: offers and answers carry every candidate (we
 * wait for gathering to complete), so the test process relays one message each way.
 */
const HARNESS = `window.natPair ??= (() => {
  const pcs = new Map();
  const gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    setTimeout(resolve, ${GATHER_WITHIN_MS});
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  const open = (id, iceServers) => {
    const pc = new RTCPeerConnection({ iceServers });
    pcs.set(id, pc);
    return pc;
  };
  return {
    async offer(id, iceServers) {
      const pc = open(id, iceServers);
      pc.createDataChannel('probe');
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      return pc.localDescription.sdp;
    },
    async answer(id, iceServers, sdp) {
      const pc = open(id, iceServers);
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      return pc.localDescription.sdp;
    },
    async accept(id, sdp) {
      await pcs.get(id).setRemoteDescription({ type: 'answer', sdp });
    },
    async outcome(id, waitMs) {
      const pc = pcs.get(id);
      const deadline = Date.now() + waitMs;
      while (pc.connectionState !== 'connected' && pc.connectionState !== 'failed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const stats = [...(await pc.getStats()).values()];
      const byId = new Map(stats.map((s) => [s.id, s]));
      const transport = stats.find((s) => s.type === 'transport');
      const pair = byId.get(transport?.selectedCandidatePairId);
      const side = (cid) => {
        const c = byId.get(cid);
        return c && { type: c.candidateType, address: c.address, port: c.port };
      };
      return {
        state: pc.connectionState,
        local: pair ? side(pair.localCandidateId) : null,
        remote: pair ? side(pair.remoteCandidateId) : null,
        candidates: stats.filter((s) => s.type === 'local-candidate').map((c) => c.candidateType + ' ' + c.address),
      };
    },
  };
})();`;

interface CandidateSide {
  readonly type: string;
  readonly address: string;
  readonly port: number;
}
interface Outcome {
  readonly state: RTCPeerConnectionState;
  readonly local: CandidateSide | null;
  readonly remote: CandidateSide | null;
  readonly candidates: readonly string[];
}
interface NatPair {
  offer(id: string, iceServers: RTCIceServer[]): Promise<string>;
  answer(id: string, iceServers: RTCIceServer[], sdp: string): Promise<string>;
  accept(id: string, sdp: string): Promise<void>;
  outcome(id: string, waitMs: number): Promise<Outcome>;
}

/** Calls the page's harness (installed by `connect`). */
function call<M extends keyof NatPair>(
  page: Page,
  method: M,
  ...args: Parameters<NatPair[M]>
): Promise<Awaited<ReturnType<NatPair[M]>>> {
  return page.evaluate(
    ([m, a]) => {
      const harness = (
        window as unknown as { natPair: Record<string, (...x: unknown[]) => unknown> }
      ).natPair;
      return harness[m]?.(...a);
    },
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<NatPair[M]>>>;
}

/** Connects a plain RTCPeerConnection from `a` to `b`; both sides' outcomes after `waitMs`. */
async function connect(a: Page, b: Page, id: string, iceServers: RTCIceServer[], waitMs: number) {
  await Promise.all([a.evaluate(HARNESS), b.evaluate(HARNESS)]);
  const offer = await call(a, 'offer', id, iceServers);
  const answer = await call(b, 'answer', id, iceServers, offer);
  await call(a, 'accept', id, answer);
  return Promise.all([call(a, 'outcome', id, waitMs), call(b, 'outcome', id, waitMs)]);
}

describe.skipIf(missing !== '')(
  `NAT test bed${missing ? ` (skipped: ${missing})` : ''}`,
  { timeout: 60_000 },
  () => {
    let net: NetBed;
    let server: E2eServer;
    let stun: RTCIceServer;
    const players = new Map<string, NetPlayer>();
    let clients: Record<'alice' | 'bob' | 'carol' | 'dave' | 'erin', Client>;
    const page = (name: string) => {
      const p = players.get(name);
      if (!p) throw new Error(`no player ${name}`);
      return p.page;
    };

    beforeAll(async () => {
      const started = performance.now();
      net = await NetBed.create();
      const [, home1, home2, office, cafe] = await Promise.all([
        net.host('server', '10.77.0.10', '10.77.0.11'),
        net.router('home1', { nat: 'cone' }),
        net.router('home2', { nat: 'cone' }),
        net.router('office', { nat: 'symmetric' }),
        net.router('cafe', { nat: 'open' }),
      ]);
      const [alice, bob, carol, dave, erin] = await Promise.all([
        net.client('alice', home1),
        net.client('bob', home2),
        net.client('carol', office),
        net.client('dave', cafe),
        net.client('erin', home1),
      ]);
      clients = { alice, bob, carol, dave, erin };
      const built = performance.now();
      server = await net.server('server');
      // lanparty's own STUN (UDP on its HTTP port) when it answers, else the bed's.
      const own = await net.stunMapping(alice, '10.77.0.10', server.port);
      stun = own ? { urls: `stun:10.77.0.10:${server.port}` } : await net.stunServer('server');
      const launched = await Promise.all(
        (['alice', 'bob', 'carol', 'erin'] as const).map((n) => net.player(clients[n])),
      );
      for (const p of launched) players.set(p.client.name, p);
      await Promise.all(launched.map((p) => p.page.goto(server.url)));
      console.log(
        `NAT bed: built in ${Math.round(built - started)} ms, server + ${launched.length} players in ${Math.round(performance.now() - built)} ms; STUN ${stun.urls}${own ? '' : ' (lanparty answered no STUN)'}`,
      );
    });

    afterAll(async () => {
      await net?.dispose();
    });

    it('classifies cone routers as cone and the symmetric one as symmetric', async () => {
      const [alice, bob, carol, dave] = await Promise.all(
        (['alice', 'bob', 'carol', 'dave'] as const).map((n) => net.classify(clients[n])),
      );
      expect(alice?.nat).toBe('cone');
      expect(alice?.mapped[0]).toBe(`${clients.alice.router.address}:${alice?.localPort}`);
      expect(bob?.nat).toBe('cone');
      expect(dave?.nat).toBe('cone');
      expect(carol?.nat).toBe('symmetric');
      expect(carol?.mapped[0].split(':')[0]).toBe(clients.carol.router.address);
    });

    it('runs each Chromium on its own namespace: it reaches the bed, through its NAT', async () => {
      // The probe's HTTP page answers with the source address it saw: alice's router's WAN
      // address, so the browser's traffic left through the namespace's NAT.
      await net.stunServer('server');
      const seen = await openedBy(page('alice'), 'http://10.77.0.11:19302/');
      expect(seen.split(':')[0]).toBe(clients.alice.router.address);
      expect(await page('alice').title()).not.toBe('');
    });

    it('connects two cone NATs directly over a STUN (srflx) pair', async () => {
      const [a, b] = await connect(page('alice'), page('bob'), 'cone', [stun], CONNECT_WITHIN_MS);
      expect(a?.state).toBe('connected');
      expect(b?.state).toBe('connected');
      const types = [a?.local?.type, a?.remote?.type];
      expect(types).toContain('srflx');
      expect(types).not.toContain('relay');
      // Across the internet the addresses are the routers' WAN addresses.
      expect([a?.local?.address, a?.remote?.address]).toContain(clients.bob.router.address);
    });

    it('cannot connect a symmetric NAT to a cone NAT without TURN', async () => {
      const [a, c] = await connect(
        page('alice'),
        page('carol'),
        'symmetric',
        [stun],
        NO_CONNECTION_WITHIN_MS,
      );
      expect(a?.state).not.toBe('connected');
      expect(c?.state).not.toBe('connected');
      expect(a?.local).toBeNull();
      // Carol did learn her mapping, so ICE really tried srflx and could not punch through.
      expect(c?.candidates.some((x) => x.startsWith('srflx'))).toBe(true);
    });

    it.skipIf(coturnMissing() !== '')(
      'connects the symmetric NAT to a cone NAT through TURN (coturn on the internet)',
      async () => {
        const turn = await net.coturn('server');
        // TURN REST API credentials, as lanparty mints them for a welcome.
        const username = `${Math.floor(Date.now() / 1000) + 600}:nat-test`;
        const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
        const iceServers = [stun, { urls: `${turn.url}?transport=udp`, username, credential }];
        const [a, c] = await connect(
          page('bob'),
          page('carol'),
          'turn',
          iceServers,
          CONNECT_WITHIN_MS,
        );
        expect(a?.state).toBe('connected');
        expect(c?.state).toBe('connected');
        expect([c?.local?.type, c?.remote?.type]).toContain('relay');
      },
    );

    it('cutUdp stops a router forwarding UDP (TCP still flows) until restoreUdp', async () => {
      const stunOfBed = await net.stunServer('server');
      const bed = stunOfBed.urls.split(':');
      const [address, port] = [bed[1] ?? '', Number(bed[2])];
      await net.cutUdp('home2');
      try {
        expect(await net.stunMapping('bob', address, port)).toBeNull();
        const seen = await openedBy(page('bob'), `http://${address}:${port}/`);
        expect(seen.split(':')[0]).toBe(clients.bob.router.address);
      } finally {
        await net.restoreUdp('home2');
      }
      expect(await net.stunMapping('bob', address, port)).toMatch(/^10\.77\.1\.2:\d+$/);
    });

    it('connects two players on the same LAN directly (host pair)', async () => {
      const [a, e] = await connect(page('alice'), page('erin'), 'lan', [stun], CONNECT_WITHIN_MS);
      expect(a?.state).toBe('connected');
      expect(e?.state).toBe('connected');
      // Both ends send from their own host candidate. The far end may show as 'prflx' instead of
      // 'host': its connectivity check can arrive before its candidate does through signaling.
      // Chromium hides the addresses, but the ports show no NAT rewrote either end.
      expect([a?.local?.type, e?.local?.type]).toEqual(['host', 'host']);
      expect(['host', 'prflx']).toContain(a?.remote?.type);
      expect(['host', 'prflx']).toContain(e?.remote?.type);
      expect([a?.remote?.port, e?.remote?.port]).toEqual([e?.local?.port, a?.local?.port]);
    });
  },
);
