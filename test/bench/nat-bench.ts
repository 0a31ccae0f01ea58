// NAT benchmark (issue 9), bundled and run by test/bench/nat.mjs: real Chromium players behind
// real home-router NATs (network namespaces, test/support/netns.ts), the lanparty server on
// "the internet" with its default configuration (built-in STUN only). Not a test: it prints
// figures and PASS/MISS against the targets.
//
//   1. join → direct: a host behind one home NAT has a lobby open; a guest behind another opens
//      the share link (`joins` times, each in a fresh browser context, after one unreported
//      warm-up). Measured in the guest's page from the navigation's start: the first animation
//      frame showing the lobby (joined), and the first showing the link to the host as "direct".
//   2. failover: a game runs between them; the guest's router drops all UDP for `cutSeconds`
//      (`cuts` times). Measured in the guest's page: the longest time without a snapshot from
//      just before the cut to just after, and the time until its link is "direct" again.
import type { Page } from 'playwright-core';
import { createLobby, newPlayer, snapshotGaps } from '../e2e/support.ts';
import { NetBed } from '../support/netns.ts';

export interface NatBenchOptions {
  readonly joins: number;
  readonly cuts: number;
  readonly cutSeconds: number;
  readonly log: (line: string) => void;
}

const TARGET_JOIN_DIRECT_MS = 1000;
const TARGET_GAP_MS = 500;

/** Installed before the app runs: remembers a name (so the link joins at once) and marks times. */
const PROBE = (name: string) => `(() => {
  try { localStorage.setItem('lanparty.name', ${JSON.stringify(name)}); } catch {}
  const marks = (window.__lpMarks = {});
  const tick = () => {
    const lobby = document.querySelector('lp-app')?.shadowRoot?.querySelector('lp-lobby');
    if (lobby && marks.joined === undefined) marks.joined = performance.now();
    if (lobby?.shadowRoot?.querySelector('[data-kind="direct"]') && marks.direct === undefined)
      marks.direct = performance.now();
    if (marks.direct === undefined) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2;
};
const verdict = (ok: boolean) => (ok ? '**PASS**' : '**MISS**');

async function chip(page: Page): Promise<string> {
  return (await page.getByTestId('connection').textContent({ timeout: 5000 })) ?? '';
}

async function until(what: () => Promise<boolean>, ms: number, label: string): Promise<number> {
  const start = Date.now();
  while (!(await what())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${label}`);
    await sleep(20);
  }
  return Date.now() - start;
}

/** Runs the benchmark; resolves with its Markdown report. */
export async function runNatBench(o: NatBenchOptions): Promise<string> {
  const net = await NetBed.create();
  try {
    const srv = await net.host('server', '10.77.0.10', '10.77.0.11');
    const home1 = await net.router('home1', { nat: 'cone' });
    const home2 = await net.router('home2', { nat: 'cone' });
    const hostClient = await net.client('hana', home1);
    const guestClient = await net.client('gus', home2);
    // The benchmark joins more often than a person would: not the join limiter's business.
    const server = await net.server(srv, ['--joins-per-minute', '1000']);
    const [hana, gus] = await Promise.all([net.player(hostClient), net.player(guestClient)]);
    const link = await createLobby(hana.page, `${server.url}/?round=600`, 'Hana');
    o.log(`lobby ${link}`);

    const joins: { joined: number; direct: number }[] = [];
    for (let i = 0; i <= o.joins; i++) {
      const context = await gus.browser.newContext({ viewport: { width: 800, height: 450 } });
      await context.addInitScript(PROBE(`Guest ${i}`));
      const page = await context.newPage();
      await page.goto(link);
      let marks: { joined?: number; direct?: number } = {};
      for (let t = 0; t < 300 && marks.direct === undefined; t++) {
        await sleep(50);
        marks = await page.evaluate(
          () => (window as unknown as { __lpMarks?: typeof marks }).__lpMarks ?? {},
        );
      }
      if (marks.joined === undefined || marks.direct === undefined)
        throw new Error(`join ${i}: no direct link within 15 s`);
      o.log(
        `join ${i === 0 ? 'warm-up' : i}: joined ${marks.joined.toFixed(0)} ms, direct ${marks.direct.toFixed(0)} ms`,
      );
      if (i > 0) joins.push({ joined: marks.joined, direct: marks.direct });
      await page.getByRole('button', { name: 'Leave' }).click();
      await context.close();
    }

    const guest = await newPlayer(gus.browser, { viewport: { width: 800, height: 450 } });
    await guest.page.goto(link);
    await guest.page.getByLabel('Name').fill('Gus');
    await guest.page.getByRole('button', { name: 'Join' }).click();
    const row = hana.page
      .getByRole('list', { name: 'Players' })
      .getByRole('listitem')
      .filter({ hasText: 'Gus' });
    await until(async () => /direct/.test((await row.textContent()) ?? ''), 15_000, 'direct');
    await hana.page.getByRole('button', { name: 'Start game' }).click();
    await guest.page.getByTestId('timer').waitFor({ timeout: 15_000 });
    await until(async () => (await chip(guest.page)).startsWith('direct'), 15_000, 'direct');

    const cuts: { gap: number; back: number; snapshotsPerSecond: number }[] = [];
    for (let i = 0; i < o.cuts; i++) {
      const watchMs = o.cutSeconds * 1000 + 1500;
      const watching = snapshotGaps(guest.page, watchMs);
      await sleep(500);
      await net.cutUdp(home2);
      await sleep(o.cutSeconds * 1000);
      await net.restoreUdp(home2);
      const back = await until(
        async () => (await chip(guest.page)).startsWith('direct'),
        20_000,
        'the direct link to return',
      );
      const seen = await watching;
      cuts.push({
        gap: seen.longestGapMs,
        back,
        snapshotsPerSecond: seen.snapshots / (watchMs / 1000),
      });
      o.log(`cut ${i + 1}: longest gap ${seen.longestGapMs} ms, direct again after ${back} ms`);
      await sleep(1000);
    }

    const direct = joins.map((j) => j.direct);
    const afterJoin = joins.map((j) => j.direct - j.joined);
    const gaps = cuts.map((c) => c.gap);
    const backs = cuts.map((c) => c.back);
    const f = (n: number) => n.toFixed(0);
    return [
      `NAT benchmark — ${new Date().toISOString().slice(0, 10)}, two players behind two home-router NATs (cone; only replies let in), default server configuration (built-in STUN). Command: \`node test/bench/nat.mjs\` (root).`,
      '',
      '| Measure | median | min | max | target | result |',
      '|---|---:|---:|---:|---:|---|',
      `| share link opened → lobby shown (page load included) | ${f(median(joins.map((j) => j.joined)))} | ${f(Math.min(...joins.map((j) => j.joined)))} | ${f(Math.max(...joins.map((j) => j.joined)))} | | |`,
      `| share link opened → link to the host shown "direct" | ${f(median(direct))} | ${f(Math.min(...direct))} | ${f(Math.max(...direct))} | | |`,
      `| lobby shown → "direct" (join → direct, ${joins.length}/${o.joins} direct) | ${f(median(afterJoin))} | ${f(Math.min(...afterJoin))} | ${f(Math.max(...afterJoin))} | < ${TARGET_JOIN_DIRECT_MS} ms | ${verdict(median(afterJoin) < TARGET_JOIN_DIRECT_MS)} |`,
      `| UDP cut for ${o.cutSeconds} s mid-game: longest gap between snapshots (${cuts.length} cuts) | ${f(median(gaps))} | ${f(Math.min(...gaps))} | ${f(Math.max(...gaps))} | ≤ ${TARGET_GAP_MS} ms | ${verdict(Math.max(...gaps) <= TARGET_GAP_MS)} |`,
      `| path back → link "direct" again | ${f(median(backs))} | ${f(Math.min(...backs))} | ${f(Math.max(...backs))} | ≤ 2000 ms | ${verdict(Math.max(...backs) <= 2000)} |`,
      '',
      `Snapshots per second at the guest across each cut: ${cuts.map((c) => c.snapshotsPerSecond.toFixed(1)).join(', ')} (the host sends 30).`,
      '',
    ].join('\n');
  } finally {
    await net.dispose();
  }
}
