import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRelayFrame } from '../../shared/protocol/relay-frame.ts';
import { rawExchange, request } from '../support/http.ts';
import { lobbyWith, ROOT, startTestServer, type TestServer } from '../support/server.ts';

const WEB = join(ROOT, 'dist/web');
const INDEX = readFileSync(join(WEB, 'index.html'));
/** The one hashed script the build writes; index.html must point at it. */
const APP = (() => {
  const names = readdirSync(join(WEB, 'assets')).filter((n) => /^app-[A-Z0-9]+\.js$/.test(n));
  if (names.length !== 1) throw new Error(`expected one dist/web/assets/app-*.js, found ${names}`);
  return `/assets/${names[0]}`;
})();
const APP_BYTES = readFileSync(join(WEB, APP));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  request(`${server.baseUrl}${path}`, { headers });

describe('the web app', () => {
  it.each(['/', '/l/0123456789ABC', '/l/anything/deeper', '/index.html'])(
    '%s serves index.html, revalidated on every use',
    async (path) => {
      const r = await get(path);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(r.body.equals(INDEX)).toBe(true);
      expect(r.body.toString()).toContain(`<script type="module" src="${APP}"></script>`);
    },
  );

  it('the hashed script is JavaScript, cached forever, with an etag and nosniff', async () => {
    const r = await get(APP);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/javascript(;|$)/);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers.vary).toBe('accept-encoding');
    expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(r.body.equals(APP_BYTES)).toBe(true);
  });

  it('every chunk the script imports (statically, or with import() for a game) is served the same way, brotli-compressed', async () => {
    // The entry names its chunks by relative path: `from"./chunk-X.js"`, `import("./chunk-Y.js")`.
    const chunks = new Set(
      [...APP_BYTES.toString().matchAll(/["'](\.\/chunk-[A-Z0-9]+\.js)["']/g)].map((m) => m[1]),
    );
    // At least the shared one and one per game.
    expect(chunks.size).toBeGreaterThanOrEqual(3);
    for (const chunk of chunks) {
      const path = `/assets/${chunk?.slice(2)}`;
      const r = await get(path, { 'accept-encoding': 'br' });
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/javascript(;|$)/);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(r.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(r.body).equals(readFileSync(join(WEB, path)))).toBe(true);
    }
  });

  it.each([APP, '/'])('%s: br, gzip or identity as accepted, all the same bytes', async (path) => {
    const identity = await get(path);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.length).toBeGreaterThan(0);

    const br = await get(path, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(identity.body.length);
    expect(brotliDecompressSync(br.body).equals(identity.body)).toBe(true);

    const gzip = await get(path, { 'accept-encoding': 'gzip' });
    expect(gzip.status).toBe(200);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(identity.body)).toBe(true);

    // q=0 refuses a coding.
    const refused = await get(path, { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.equals(identity.body)).toBe(true);
    const noBrotli = await get(path, { 'accept-encoding': 'br;q=0, gzip;q=0.5' });
    expect(noBrotli.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(noBrotli.body).equals(identity.body)).toBe(true);

    // Every coding is one representation of the same file: one etag, and caches keep them apart.
    expect(new Set([identity, br, gzip].map((r) => r.headers.etag)).size).toBe(1);
    expect(new Set([identity, br, gzip].map((r) => r.headers.vary))).toEqual(
      new Set(['accept-encoding']),
    );
  });

  it('If-None-Match with the current etag is 304 with no body; another etag gets the file', async () => {
    const { headers } = await get(APP);
    const etag = String(headers.etag);
    const fresh = await get(APP, { 'if-none-match': etag, 'accept-encoding': 'br' });
    expect(fresh.status).toBe(304);
    expect(fresh.headers.etag).toBe(etag);
    expect(fresh.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(fresh.body.length).toBe(0);
    const length = fresh.headers['content-length'];
    if (length !== undefined) expect(Number(length)).toBe(APP_BYTES.length);
    const stale = await get(APP, { 'if-none-match': '"not-the-etag"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(APP_BYTES)).toBe(true);
  });

  it.each(['/nope', '/assets/app-NOTTHERE.js', '/index.html.br', '/lobby'])(
    '%s is 404',
    async (path) => {
      const r = await get(path);
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.body.toString()).toBe('Not found\n');
    },
  );

  it('paths that climb out of the web root are 404', async () => {
    // Sent raw: an HTTP client would normalise the dots away before sending.
    for (const path of ['/../package.json', '/assets/../../package.json', '/%2e%2e/package.json']) {
      const reply = await rawExchange(
        server.port,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
        (text) => text.includes('\r\n\r\n') && /Content-Length: (\d+)/i.test(text),
      );
      expect(reply, path).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    }
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s is 405 with Allow: GET, HEAD', async (method) => {
    for (const path of ['/', APP, '/nope']) {
      const r = await request(`${server.baseUrl}${path}`, { method });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
  });

  it('HEAD answers with the headers and not one byte of body, whatever the status', async () => {
    // A raw socket, because an HTTP client never reads a body after HEAD: each pipelined
    // response must start right where the headers of the one before end.
    const requests = [`HEAD ${APP}`, 'HEAD /nope', 'HEAD /healthz', `HEAD /`, 'GET /nope'];
    const reply = await rawExchange(
      server.port,
      requests.map((r) => `${r} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join(''),
      (text) => text.endsWith('Not found\n'),
    );
    const [app, missing, health, page, get404, body404] = reply.split('\r\n\r\n');
    expect(app).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(app).toMatch(/\r\ncontent-type: text\/javascript/i);
    expect(app).toMatch(/\r\ncache-control: public, max-age=31536000, immutable\r\n/i);
    expectLengthOf(app, APP_BYTES.length);
    expect(missing).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expectLengthOf(missing, 'Not found\n'.length);
    expect(health).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(health).toMatch(/\r\ncontent-type: application\/json\r\n/i);
    expect(page).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(page).toMatch(/\r\ncontent-type: text\/html; charset=utf-8\r\n/i);
    expectLengthOf(page, INDEX.length);
    expect(get404).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(body404).toBe('Not found\n');
  });
});

/**
 * A HEAD or 304 response may leave Content-Length out, but one it sends must be the length the
 * GET would have had (a `Content-Length: 0` there is wrong).
 */
function expectLengthOf(head: string | undefined, getLength: number): void {
  const length = head?.match(/\r\ncontent-length: *(\d+)/i)?.[1];
  if (length !== undefined) expect(Number(length)).toBe(getLength);
}

describe('operations endpoints', () => {
  it('/healthz is 200 JSON: status ok and the engine', async () => {
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(r.body.toString());
    expect(body).toEqual({
      status: 'ok',
      engine: server.engine,
      uptimeSeconds: expect.any(Number),
      connections: expect.any(Number),
      maxConnections: expect.any(Number),
      accepting: true,
      lobbies: expect.any(Number),
      stun: { enabled: true, port: server.port, responses: expect.any(Number) },
      // Alone (no --redis): a node id all the same, no cross-node traffic.
      node: expect.stringMatching(/^[A-Za-z0-9._-]+:[a-z0-9]+$/),
      redis: 'off',
      cluster: {
        routedSockets: 0,
        remotePlayers: 0,
        sent: 0,
        received: 0,
        sentBytes: 0,
        receivedBytes: 0,
        rejected: 0,
        undelivered: 0,
        ownerLost: 0,
        refusedUnavailable: 0,
      },
    });
    expect(['native', 'js-fallback']).toContain(body.engine);
  });

  it('/metrics is Prometheus text with connections, lobbies, messages, relay bytes, rejections and the engine', async () => {
    // A server of its own, so every count is known exactly.
    const s = await startTestServer();
    try {
      const { host, welcome, guests } = await lobbyWith(s, 1);
      const guest = guests[0];
      if (!guest) throw new Error('no guest');
      // One relayed game frame of 4 header + 6 payload bytes and one control frame (a session
      // ping) of 4 + 9, guest to host.
      guest.client.sendBinary(encodeRelayFrame(welcome.you, new Uint8Array(6)));
      await host.nextBinary();
      guest.client.sendBinary(encodeRelayFrame(welcome.you, new Uint8Array(9), false, true));
      await host.nextBinary();
      // The host reports how its guest is linked.
      host.send({ type: 'links', links: [{ id: guest.id, kind: 'turn' }] });
      expect((await guest.client.next('lobby')).lobby.players).toContainEqual(
        expect.objectContaining({ id: guest.id, link: 'turn' }),
      );
      guest.client.send('this is not JSON');
      expect(await guest.client.next('error')).toMatchObject({ code: 'malformed_json' });

      const r = await request(`${s.baseUrl}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = r.body.toString();
      const sample = (name: string) =>
        text
          .split('\n')
          .find((line) => line.startsWith(`${name} `))
          ?.slice(name.length + 1);
      expect(text).toContain('# TYPE lanparty_connections gauge');
      expect(sample('lanparty_connections')).toBe('2');
      expect(sample('lanparty_lobbies')).toBe('1');
      // create + join + two frames + links + the bad message.
      expect(sample('lanparty_messages_total')).toBe('6');
      expect(sample('lanparty_relay_frames_total')).toBe('2');
      expect(sample('lanparty_relay_bytes_total{kind="game"}')).toBe('10');
      expect(sample('lanparty_relay_bytes_total{kind="control"}')).toBe('13');
      expect(sample('lanparty_links{kind="turn"}')).toBe('1');
      expect(sample('lanparty_links{kind="direct"}')).toBe('0');
      expect(sample('lanparty_links{kind="relay"}')).toBe('0');
      expect(sample('lanparty_rejected_total{reason="malformed_json"}')).toBe('1');
      expect(sample(`lanparty_uws_engine{engine="${s.engine}"}`)).toBe('1');
    } finally {
      await s.close();
    }
  });

  it('pins the native uWS engine on Node 20 linux-x64 (the one setup it ships a binary for)', async (ctx) => {
    const supported =
      process.platform === 'linux' && process.arch === 'x64' && process.versions.modules === '115';
    if (!supported) {
      ctx.skip(
        `uWebSockets.js ships no native binary for ${process.platform}-${process.arch} ABI ${process.versions.modules}: only Node 20 linux-x64 (ABI 115) is pinned`,
      );
    }
    expect(server.engine).toBe('native');
    const metrics = (await get('/metrics')).body.toString();
    expect(metrics).toMatch(/^lanparty_uws_engine\{engine="native"\} 1$/m);
    expect(metrics).not.toContain('engine="js-fallback"');
    expect(JSON.parse((await get('/healthz')).body.toString()).engine).toBe('native');
  });
});

describe('without a built web app', () => {
  it('every page is 503 telling to run npm run build; health still answers', async () => {
    const missing = join(ROOT, 'dist/no-such-web-root');
    const s = await startTestServer({ webRoot: missing });
    try {
      for (const path of ['/', '/l/0123456789ABC', APP]) {
        const r = await request(`${s.baseUrl}${path}`);
        expect(r.status).toBe(503);
        expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(r.body.toString()).toBe(
          `The web app is not built (no files in ${missing}). Run: npm run build\n`,
        );
      }
      expect((await request(`${s.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
