import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneFileOptions } from '../../esbuild.config.mjs';
import { type HandChromium, handChromium } from './play-support.ts';

/**
 * The host's game loop must keep its rate while its tab is really in the background. Playwright
 * keeps every page visible, so Chromium is started by hand and driven over the raw DevTools
 * protocol; opening a second tab hides the first (see ../shared/FACTS.md).
 */
let chrome: HandChromium;
beforeAll(async () => {
  chrome = await handChromium();
});
afterAll(() => chrome?.close());

describe('host loop in a hidden tab (real Chromium)', () => {
  it('keeps ≥ 55 ticks/s while its page is hidden', async () => {
    const bundle = await esbuild.build({
      ...oneFileOptions(),
      stdin: {
        contents: `
          import { HostLoop } from './web/game/host-loop.ts';
          import { startWorkerClock } from './web/game/worker-clock.ts';
          import { dots } from './test/support/dots-game.ts';
          const loop = new HostLoop({ game: dots, seed: 1, hostId: 1 });
          startWorkerClock((now) => loop.advance(now));
          globalThis.hostTicks = () => loop.stats.ticks;`,
        resolveDir: join(import.meta.dirname, '../..'),
        loader: 'ts',
      },
      write: false,
      format: 'iife',
      sourcemap: false,
    });
    // Named, so that it is told apart from the blank tab opened in front of it.
    await chrome.evaluate('about:blank', "location.hash = 'host'");
    const page = (expression: string) => chrome.evaluate('#host', expression);
    await page(bundle.outputFiles?.[0]?.text ?? '');
    // Another tab in front: the first one is now hidden, and its own timers throttled.
    await chrome.newTab();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await page('document.visibilityState')).toBe('hidden');
    const timerRate = (await page(
      'new Promise((r) => { let n = 0; const t = setInterval(() => n++, 16); setTimeout(() => { clearInterval(t); r(n / 2); }, 2000); })',
    )) as number;
    const before = (await page('hostTicks()')) as number;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 4000));
    const ticks = ((await page('hostTicks()')) as number) - before;
    const rate = ticks / ((Date.now() - t0) / 1000);
    console.log(`hidden tab: page timers ${timerRate}/s, host loop ${rate.toFixed(1)} ticks/s`);
    expect(timerRate, 'the page is really throttled').toBeLessThan(10);
    expect(rate).toBeGreaterThanOrEqual(55);
  }, 30_000);
});
