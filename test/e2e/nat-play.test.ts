import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coturnMissing } from '../support/coturn.ts';
import { NetBed, type NetPlayer, netBedMissing } from '../support/netns.ts';
import {
  chipKind,
  closeAll,
  entry,
  hostLobby,
  joinGuest,
  type Named,
  poll,
  startGame,
  waitForGame,
} from './play-support.ts';
import { type E2eServer, snapshotGaps } from './support.ts';

/**
 * Issue 9, through the real UI: players in real Chromium behind real NATs (network namespaces,
 * test/support/netns.ts) play on a lanparty server on "the internet" started with its default
 * configuration — no ICE flag at all, so the built-in STUN server is all there is — and on a
 * second one that also hands out short-lived TURN credentials for a coturn beside it.
 *
 *   home1 (cone): Hana (hosts) and Lena on one LAN   home2 (cone): Gus
 *   sym (symmetric NAT): Sam                          open (lets unsolicited packets in): Otto
 */
const missing = netBedMissing() || coturnMissing();
if (missing) console.warn(`NAT play tests skipped: ${missing}`);

/** How long the path to one player is cut mid-game. */
const CUT_MS = 10_000;
/** Longest time without a snapshot a guest may see while its direct path is cut. */
const MAX_SNAPSHOT_GAP_MS = 500;

describe.skipIf(missing !== '')('internet play across real NATs, through the UI', () => {
  let net: NetBed;
  let server: E2eServer;
  let turnServer: E2eServer;
  const browsers = new Map<string, NetPlayer>();
  const browserOf = (name: string) => {
    const b = browsers.get(name);
    if (!b) throw new Error(`no browser for ${name}`);
    return b.browser;
  };

  beforeAll(async () => {
    net = await NetBed.create();
    const srv = await net.host('server', '10.77.0.10', '10.77.0.11');
    const home1 = await net.router('home1', { nat: 'cone' });
    const home2 = await net.router('home2', { nat: 'cone' });
    const sym = await net.router('sym', { nat: 'symmetric' });
    const open = await net.router('open', { nat: 'open' });
    const clients = {
      hana: await net.client('hana', home1),
      lena: await net.client('lena', home1),
      gus: await net.client('gus', home2),
      sam: await net.client('sam', sym),
      otto: await net.client('otto', open),
    };
    // The default configuration: not one ICE-related flag.
    server = await net.server(srv);
    const turn = await net.coturn(srv);
    turnServer = await net.server(srv, ['--turn-urls', turn.url, '--turn-secret', turn.secret]);
    await Promise.all(
      Object.entries(clients).map(async ([name, c]) => browsers.set(name, await net.player(c))),
    );
  }, 90_000);

  afterAll(async () => {
    await net?.dispose();
  }, 30_000);

  let lobby: { host: Named; guests: Named[] };

  it('default server: same LAN and two home NATs connect directly (host behind a NAT too); the symmetric NAT plays over the relay and is told why; the open router falls back cleanly', async () => {
    const { host, link } = await hostLobby(browserOf('hana'), server.url, {
      name: 'Hana',
      search: '?round=90',
    });
    const guests = [];
    for (const name of ['Lena', 'Gus', 'Sam', 'Otto']) {
      guests.push(await joinGuest(browserOf(name.toLowerCase()), link, name));
    }
    lobby = { host, guests };
    const [lena, gus, sam, otto] = guests as [Named, Named, Named, Named];
    const kindOf = (page: Named['page'], name: string) =>
      entry(page, name)
        .locator('[data-kind]')
        .getAttribute('data-kind', { timeout: 1000 })
        .catch(() => null);
    await poll(() => kindOf(host.page, 'Lena'), 20_000).toBe('direct');
    await poll(() => kindOf(host.page, 'Gus'), 20_000).toBe('direct');
    await poll(() => kindOf(host.page, 'Sam'), 20_000).toBe('relay');
    // Still the relay a while later: the symmetric NAT never lets a direct path through.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await kindOf(host.page, 'Sam')).toBe('relay');
    // Guests see how the others are linked (the host reports it), and their own link to the host.
    await poll(() => kindOf(gus.page, 'Sam'), 10_000).toBe('relay');
    await poll(() => kindOf(sam.page, 'Lena'), 10_000).toBe('direct');
    await poll(() => kindOf(lena.page, 'Hana'), 10_000).toBe('direct');
    await poll(() => sam.page.getByRole('note').textContent(), 10_000).toMatch(
      /You play through the server relay: a strict router or firewall blocks a direct connection, and this server has no TURN server/,
    );
    expect(await gus.page.getByRole('note').count()).toBe(0);
    // The open router: direct (hole punching worked) or the relay (it did not) — either way
    // settled, with nothing shown as an error.
    await poll(() => kindOf(host.page, 'Otto'), 20_000).toMatch(/^(direct|relay)$/);
    await startGame(host, guests);
    for (const p of [host, ...guests]) await waitForGame(p.page);
    // 30 snapshots a second are sent; five software-rendered games on two cores show fewer,
    // a stalled game none.
    const [ottoPlay, samPlay] = await Promise.all([
      snapshotGaps(otto.page, 4000),
      snapshotGaps(sam.page, 4000),
    ]);
    expect(ottoPlay.snapshots).toBeGreaterThanOrEqual(10);
    expect(samPlay.snapshots).toBeGreaterThanOrEqual(10);
    expect(await chipKind(sam.page)).toBe('relay');
    // A page that stalls (five software-rendered games on two cores) can miss its pings for
    // 500 ms and fail over to the relay for a moment: Gus's link is direct once it has settled.
    await poll(() => chipKind(gus.page), 10_000).toBe('direct');
    for (const p of [host, ...guests]) {
      expect(p.problems, `${p.name}'s console`).toEqual([]);
      expect(await p.page.getByRole('alert').count(), `${p.name}'s notices`).toBe(0);
    }
  }, 120_000);

  it(`UDP cut on a home router for ${CUT_MS / 1000} s mid-game: the guest keeps getting snapshots (longest gap ≤ ${MAX_SNAPSHOT_GAP_MS} ms) and is back on the direct path after`, async () => {
    const gus = lobby.guests.find((g) => g.name === 'Gus');
    if (!gus) throw new Error('no Gus');
    // Just the host and Gus play on: five software-rendered games on two cores stall pages for
    // hundreds of ms (measured), which would hide what the network does.
    await closeAll(lobby.guests.filter((g) => g !== gus));
    await poll(() => chipKind(gus.page), 10_000).toBe('direct');
    const watching = snapshotGaps(gus.page, CUT_MS + 2000);
    await new Promise((r) => setTimeout(r, 500));
    await net.cutUdp('home2');
    await poll(() => chipKind(gus.page), 5000).toBe('relay');
    await new Promise((r) => setTimeout(r, CUT_MS - 500));
    await net.restoreUdp('home2');
    const restoredAt = Date.now();
    const seen = await watching;
    // 30 a second are sent; a loaded machine shows fewer, a stalled game none.
    expect(seen.snapshots).toBeGreaterThan(((CUT_MS + 2000) / 1000) * 10);
    expect(
      seen.longestGapMs,
      `longest gap began ${seen.longestGapAt} ms into watching (cut at ~500 ms, back at ~${CUT_MS} ms; the page's own stalls, ${seen.stalledMs} ms, left out)`,
    ).toBeLessThanOrEqual(MAX_SNAPSHOT_GAP_MS);
    await poll(() => chipKind(gus.page), 15_000).toBe('direct');
    console.log(
      `NAT cut: longest snapshot gap ${seen.longestGapMs} ms; direct again ${Date.now() - restoredAt} ms after the path returned`,
    );
    expect(gus.problems).toEqual([]);
  }, 60_000);

  it('with TURN (short-lived credentials from the server): the symmetric NAT gets a TURN path, labelled "turn", and plays', async () => {
    const { host, link } = await hostLobby(browserOf('gus'), turnServer.url, { name: 'Gwen' });
    const sam = await joinGuest(browserOf('sam'), link, 'Sid');
    const kind = () =>
      entry(host.page, 'Sid')
        .locator('[data-kind]')
        .getAttribute('data-kind', { timeout: 1000 })
        .catch(() => null);
    await poll(kind, 20_000).toBe('turn');
    await poll(() => entry(sam.page, 'Gwen').textContent(), 10_000).toContain('turn');
    expect(await sam.page.getByRole('note').count()).toBe(0);
    await startGame(host, [sam]);
    const play = await snapshotGaps(sam.page, 4000);
    expect(play.snapshots).toBeGreaterThanOrEqual(10);
    expect(await chipKind(sam.page)).toBe('turn');
    expect(sam.problems).toEqual([]);
    expect(host.problems).toEqual([]);
  }, 90_000);
});
