import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { webOptions } from '../../esbuild.config.mjs';

/**
 * The host's game loop must keep its rate while its tab is really in the background. Playwright
 * keeps every page visible, so Chromium is started by hand and driven over the raw DevTools
 * protocol; opening a second tab hides the first (see ../shared/FACTS.md).
 */
const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const PORT = 9300 + Math.floor(Math.random() * 500);
let chrome: ChildProcess;
let profile: string;

const json = async (path: string, method = 'GET') =>
  (await fetch(`http://127.0.0.1:${PORT}${path}`, { method })).json();

/** Minimal CDP client: evaluate an expression in a page, awaiting promises. */
async function cdp(wsUrl: string) {
  const ws = new WebSocket(wsUrl);
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const send = (method: string, params: object) =>
    new Promise<unknown>((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return {
    evaluate: async (expression: string) => {
      const r = (await send('Runtime.evaluate', {
        expression,
        awaitPromise: true,
        returnByValue: true,
      })) as {
        result: { value: unknown };
        exceptionDetails?: unknown;
      };
      if (r.exceptionDetails) throw new Error(`page error: ${JSON.stringify(r.exceptionDetails)}`);
      return r.result.value;
    },
    close: () => ws.close(),
  };
}

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'lanparty-chrome-'));
  chrome = spawn(
    CHROME,
    [
      `--remote-debugging-port=${PORT}`,
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { detached: true, stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    try {
      await json('/json/version');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('Chromium did not open its DevTools port');
});

afterAll(async () => {
  if (chrome && chrome.exitCode === null) {
    const exited = new Promise((r) => chrome.once('exit', r));
    // The whole process group: renderers and helpers too, so the profile is left alone.
    process.kill(-(chrome.pid ?? 0), 'SIGKILL');
    await exited;
  }
  rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

describe('host loop in a hidden tab (real Chromium)', () => {
  it('keeps ≥ 55 ticks/s while its page is hidden', async () => {
    const { entryPoints: _e, outdir: _o, entryNames: _n, metafile: _m, ...options } = webOptions;
    const bundle = await esbuild.build({
      ...options,
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
    const pages = (await json('/json/list')) as { type: string; webSocketDebuggerUrl: string }[];
    const page = await cdp(pages.find((p) => p.type === 'page')?.webSocketDebuggerUrl ?? '');
    await page.evaluate(bundle.outputFiles?.[0]?.text ?? '');
    // Another tab in front: the first one is now hidden, and its own timers throttled.
    await json('/json/new?about:blank', 'PUT');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await page.evaluate('document.visibilityState')).toBe('hidden');
    const timerRate = (await page.evaluate(
      'new Promise((r) => { let n = 0; const t = setInterval(() => n++, 16); setTimeout(() => { clearInterval(t); r(n / 2); }, 2000); })',
    )) as number;
    const before = (await page.evaluate('hostTicks()')) as number;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 4000));
    const ticks = ((await page.evaluate('hostTicks()')) as number) - before;
    const rate = ticks / ((Date.now() - t0) / 1000);
    console.log(`hidden tab: page timers ${timerRate}/s, host loop ${rate.toFixed(1)} ticks/s`);
    expect(timerRate, 'the page is really throttled').toBeLessThan(10);
    expect(rate).toBeGreaterThanOrEqual(55);
    page.close();
  }, 30_000);
});
