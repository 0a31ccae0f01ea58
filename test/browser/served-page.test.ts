/// <reference types="mocha" />
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import { decodeServerMessage, type ServerMessage } from '../../shared/protocol/signaling.ts';
import { PROTOCOL_VERSION, WS_PATH } from '../../shared/protocol/version.ts';

/** What web-test-runner.config.mjs tells about the real server it started. */
interface Lanparty {
  /** The server's own address, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** The same server through this page's origin (it sends no CORS headers). */
  readonly proxy: string;
}

let server: Lanparty;
before(async () => {
  server = await executeServerCommand<Lanparty, undefined>('lanparty-server');
});

const CODE = /^[0-9A-HJKMNP-TV-Z]{13}$/;
const SCRIPT = /<script type="module" src="(\/assets\/app-[A-Z0-9]+\.js)"><\/script>/;

describe('the page served by the real server, in Chromium', () => {
  it('/ and /l/<code> are the HTML page pointing at the hashed script', async () => {
    for (const path of ['/', '/l/0123456789ABC']) {
      const res = await fetch(`${server.proxy}${path}`);
      expect(res.status, path).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).to.equal('no-cache');
      const html = await res.text();
      expect(html).to.match(/^<!doctype html>/i);
      expect(html).to.match(SCRIPT);
      expect(html).to.contain('<lp-app></lp-app>');
    }
  });

  it('the script is JavaScript (compressed on the wire, decoded by the browser)', async () => {
    const html = await (await fetch(`${server.proxy}/`)).text();
    const src = html.match(SCRIPT)?.[1] ?? '';
    const res = await fetch(`${server.proxy}${src}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/javascript(;|$)/);
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    // Chromium asks for br; the server sends its precompressed copy.
    expect(res.headers.get('content-encoding')).to.equal('br');
    const js = await res.text();
    expect(js.length).to.be.greaterThan(1000);
    expect(js).to.contain('"lp-app"');
  });

  it('a reload revalidates: 304 from the server, the same page from the cache', async () => {
    // A URL of its own (the server ignores the query), so no other test's fetch is in the cache.
    const url = `${server.proxy}/?revalidate`;
    const first = await fetch(url, { cache: 'no-cache' });
    const firstHtml = await first.text();
    expect(first.headers.get('etag')).to.match(/^"[A-Za-z0-9_-]{22}"$/);
    // `no-cache` makes Chromium send If-None-Match: a 304 means the cached body is used.
    const again = await fetch(url, { cache: 'no-cache' });
    expect(again.status).to.equal(200);
    expect(await again.text()).to.equal(firstHtml);
    const [network, revalidated, ...rest] = performance
      .getEntriesByName(new URL(url, location.href).href)
      .map((e) => e as PerformanceResourceTiming & { deliveryType: string });
    expect(rest).to.have.length(0);
    expect(network?.deliveryType).to.equal('');
    expect(network?.transferSize).to.be.greaterThan(network?.encodedBodySize ?? 0);
    // Headers went over the network, the body came from the cache: that is a 304.
    expect(revalidated?.deliveryType).to.equal('cache');
    expect(revalidated?.transferSize).to.be.greaterThan(0);
    expect(revalidated?.transferSize).to.be.lessThan(network?.transferSize ?? 0);
  });

  it('the page boots in a window of its own: the module loads under its CSP and <lp-app> renders', async () => {
    const win = window.open(`${server.proxy}/`, '_blank') as (Window & typeof globalThis) | null;
    if (!win) throw new Error('no window (popup blocked?)');
    try {
      await waitFor(() => (win.customElements?.get('lp-app') ? true : undefined), 'lp-app');
      const app = win.document.querySelector('lp-app');
      await waitFor(
        () => ((app?.shadowRoot?.children.length ?? 0) > 0 ? true : undefined),
        '<lp-app> to render',
      );
    } finally {
      win.close();
    }
  });

  it("the page refuses to be framed (frame-ancestors 'none', X-Frame-Options: DENY)", async () => {
    const frame = document.createElement('iframe');
    frame.src = `${server.proxy}/`;
    const loaded = new Promise((resolve) => frame.addEventListener('load', resolve));
    document.body.append(frame);
    try {
      await loaded;
      // Blocked: Chromium shows its own error page, from an opaque origin, instead of ours.
      let app: Element | null = null;
      try {
        app = frame.contentDocument?.querySelector('lp-app') ?? null;
      } catch {
        app = null;
      }
      expect(app).to.equal(null);
    } finally {
      frame.remove();
    }
  });
});

describe('WebSockets from Chromium to the real server', () => {
  const sockets: WebSocket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  /** A browser WebSocket to /ws?v=1 that queues decoded server messages. */
  async function open(): Promise<{
    ws: WebSocket;
    next: <T extends ServerMessage['type']>(
      type: T,
    ) => Promise<Extract<ServerMessage, { type: T }>>;
  }> {
    const url = new URL(`${WS_PATH}?v=${PROTOCOL_VERSION}`, server.url);
    url.protocol = 'ws:';
    const ws = new WebSocket(url);
    sockets.push(ws);
    const inbox: ServerMessage[] = [];
    const undecodable: string[] = [];
    ws.addEventListener('message', (event) => {
      // Decoded with the protocol's own schemas, as the app does.
      const decoded = decodeServerMessage(String(event.data));
      if (decoded.ok) inbox.push(decoded.value);
      else undecodable.push(String(event.data));
    });
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('close', (e) => reject(new Error(`closed ${e.code} before open`)), {
        once: true,
      });
    });
    const next = <T extends ServerMessage['type']>(type: T) =>
      waitFor(() => {
        if (undecodable.length > 0) throw new Error(`undecodable: ${undecodable.join(', ')}`);
        const i = inbox.findIndex((m) => m.type === type);
        return i < 0 ? undefined : (inbox.splice(i, 1)[0] as Extract<ServerMessage, { type: T }>);
      }, `a "${type}" message`);
    return { ws, next };
  }

  it('create gives a welcome with a 13-character code; a second socket joins; the host sees 2 players', async () => {
    const host = await open();
    host.ws.send(JSON.stringify({ type: 'create', name: 'Browser' }));
    const welcome = await host.next('welcome');
    expect(welcome.lobby.code).to.match(CODE);
    expect(welcome.lobby.code).to.have.length(13);
    expect(welcome.lobby.link).to.equal(`${server.url}/l/${welcome.lobby.code}`);
    expect(welcome.lobby.players.map((p) => p.name)).to.deep.equal(['Browser']);
    expect(welcome.you).to.equal(welcome.lobby.hostId);

    const guest = await open();
    guest.ws.send(JSON.stringify({ type: 'join', code: welcome.lobby.code, name: 'Second' }));
    const joined = await guest.next('welcome');
    expect(joined.lobby.code).to.equal(welcome.lobby.code);
    expect(joined.you).to.not.equal(welcome.you);

    const update = await host.next('lobby');
    expect(update.lobby.players).to.have.length(2);
    expect(update.lobby.players.map((p) => [p.id, p.name, p.connected])).to.deep.equal([
      [welcome.you, 'Browser', true],
      [joined.you, 'Second', true],
    ]);
  });
});

/** Polls `pick` until it returns something (or throws). */
function waitFor<T>(pick: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      let found: T | undefined;
      try {
        found = pick();
      } catch (error) {
        reject(error);
        return;
      }
      if (found !== undefined) resolve(found);
      else if (performance.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(attempt, 10);
    };
    attempt();
  });
}
