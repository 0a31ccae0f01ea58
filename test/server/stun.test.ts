import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBindingRequest, ipBytes } from '../../signaling/stun.ts';
import { request } from '../support/http.ts';
import { CLEAN_ENV, startTestServer, type TestServer } from '../support/server.ts';
import {
  freePort,
  SERVER_MAIN,
  startChild,
  startServerProcess,
} from '../support/server-process.mjs';
import { ipv6LoopbackMissing, UdpClient } from '../support/udp.ts';

const clients: UdpClient[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function udp(type: 'udp4' | 'udp6', address: string): Promise<UdpClient> {
  const client = await UdpClient.bind(type, address);
  clients.push(client);
  return client;
}
async function serve(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(overrides);
  servers.push(server);
  return server;
}
const stunPort = (server: TestServer) => {
  if (!server.stun) throw new Error('STUN is off');
  return server.stun.port;
};
async function metric(server: TestServer, line: RegExp): Promise<number> {
  const text = (await request(`${server.baseUrl}/metrics`)).body.toString();
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? Number.NaN : Number(found.split(' ').at(-1));
}

describe('built-in STUN over real UDP', () => {
  it('binds the HTTP port number over UDP and answers IPv4 with the client’s own address and a FINGERPRINT', async () => {
    const server = await serve();
    expect(stunPort(server)).toBe(server.port);
    const client = await udp('udp4', '127.0.0.1');
    const { request: sent, reply, decoded } = await client.bind(server.port, '127.0.0.1');
    if (!decoded?.ok || reply === undefined)
      throw new Error(`no answer: ${JSON.stringify(decoded)}`);
    expect([...decoded.value.mapped.ip].join('.')).toBe(client.address.address);
    expect(decoded.value.mapped.port).toBe(client.address.port);
    expect(decoded.value.fingerprint).toBe(true);
    expect(Buffer.from(decoded.value.transactionId)).toEqual(Buffer.from(sent.subarray(8, 20)));
    // 28 bytes in, 40 out: 12 more (XOR-MAPPED-ADDRESS), 68 vs 56 bytes on the wire (×1.21).
    expect(reply.length).toBe(sent.length + 12);
    expect((reply.length + 28) / (sent.length + 28)).toBeLessThanOrEqual(1.25);
  });

  it('answers a request without FINGERPRINT with none (32 bytes for 20)', async () => {
    const server = await serve();
    const client = await udp('udp4', '127.0.0.1');
    const { reply, decoded } = await client.bind(server.port, '127.0.0.1', { fingerprint: false });
    expect(decoded?.ok && decoded.value.fingerprint).toBe(false);
    expect(reply?.length).toBe(32);
  });

  it('answers IPv6 and IPv4 on one dual-stack socket when the host is ::', async (ctx) => {
    const missing = await ipv6LoopbackMissing();
    if (missing) return ctx.skip(missing);
    const server = await serve({ host: '::' });
    expect(server.stun?.stack).toBe('dual');
    const v6 = await udp('udp6', '::1');
    const a = await v6.bind(stunPort(server), '::1');
    if (!a.decoded?.ok || a.reply === undefined) throw new Error('no IPv6 answer');
    expect(Buffer.from(a.decoded.value.mapped.ip)).toEqual(
      Buffer.from(ipBytes('::1') as Uint8Array),
    );
    expect(a.decoded.value.mapped.port).toBe(v6.address.port);
    expect(a.decoded.value.fingerprint).toBe(true);
    expect(a.reply.length).toBe(a.request.length + 24);
    // An IPv4 client of the same socket sees its IPv4 address, not ::ffff:127.0.0.1.
    const v4 = await udp('udp4', '127.0.0.1');
    const b = await v4.bind(stunPort(server), '127.0.0.1');
    expect(b.decoded?.ok && [...b.decoded.value.mapped.ip]).toEqual([127, 0, 0, 1]);
    expect(b.decoded?.ok && b.decoded.value.mapped.port).toBe(v4.address.port);
  });

  it('ignores junk and other STUN messages (counted), and keeps answering', async () => {
    const server = await serve();
    const client = await udp('udp4', '127.0.0.1');
    const valid = encodeBindingRequest(randomBytes(12), true);
    const junk = [
      new Uint8Array(0),
      new Uint8Array([0x16, 0xfe, 0xfd, 0, 0]), // a DTLS record
      randomBytes(20),
      randomBytes(1400),
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      Uint8Array.from([...valid.subarray(0, 27), (valid[27] ?? 0) ^ 1]), // bad FINGERPRINT
      Uint8Array.from([0x00, 0x11, ...valid.subarray(2)]), // a Binding indication
      Uint8Array.from([0x00, 0x03, ...valid.subarray(2)]), // a TURN Allocate
      Uint8Array.from([...valid, 0, 0, 0, 0]), // trailing bytes
    ];
    for (const bytes of junk) await client.send(bytes, server.port, '127.0.0.1');
    expect(await client.next(300)).toBeUndefined();
    const { decoded } = await client.bind(server.port, '127.0.0.1');
    expect(decoded?.ok).toBe(true);
    const stats = server.stun?.stats;
    expect(stats?.requests).toBe(1);
    expect(stats?.responses).toBe(1);
    expect(Object.fromEntries(stats?.ignored ?? [])).toEqual({
      not_stun: 6,
      bad_fingerprint: 1,
      not_binding_request: 2,
    });
    expect(await metric(server, /^lanparty_stun_ignored_total\{reason="not_stun"\}/)).toBe(6);
  });

  it('cuts a flood from one address to the rate limit while another address is still answered', async () => {
    const server = await serve({ stunRate: 10, stunBurst: 20 });
    const flooder = await udp('udp4', '127.0.0.1');
    const other = await udp('udp4', '127.0.0.2');
    const started = Date.now();
    // 500 requests in bursts of 25, paced so that the server reads them all: an unpaced flood
    // into this same process would overflow the socket's receive buffer and the kernel would
    // drop datagrams before the rate limiter ever saw them.
    let answeredOther: Awaited<ReturnType<UdpClient['bind']>> | undefined;
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 25; i++) {
        await flooder.send(encodeBindingRequest(randomBytes(12)), server.port, '127.0.0.1');
      }
      await new Promise((r) => setTimeout(r, 5));
      if (burst === 10) answeredOther = await other.bind(server.port, '127.0.0.1');
    }
    const decoded = answeredOther?.decoded;
    expect(decoded?.ok && [...decoded.value.mapped.ip]).toEqual([127, 0, 0, 2]);
    let got = 0;
    while ((await flooder.next(200)) !== undefined) got++;
    const seconds = (Date.now() - started) / 1000;
    const answered = (server.stun?.stats.responses ?? 0) - 1;
    expect(got).toBe(answered);
    expect(answered).toBeGreaterThanOrEqual(20);
    expect(answered).toBeLessThanOrEqual(20 + Math.ceil(10 * seconds));
    expect(server.stun?.stats.rateLimited).toBe(500 - answered);
    expect(await metric(server, /^lanparty_stun_rate_limited_total /)).toBe(500 - answered);
    expect(await metric(server, /^lanparty_stun_requests_total /)).toBe(501);
    expect(await metric(server, /^lanparty_stun_responses_total /)).toBe(answered + 1);
  });

  it('reports itself in /healthz', async () => {
    const server = await serve();
    const client = await udp('udp4', '127.0.0.1');
    await client.bind(server.port, '127.0.0.1');
    const health = JSON.parse((await request(`${server.baseUrl}/healthz`)).body.toString());
    expect(health.stun).toEqual({ enabled: true, port: server.port, responses: 1 });
  });

  it('uses --stun-port when given, and is off with 0', async () => {
    const other = await freePort();
    const on = await serve({ stunPort: other });
    expect(stunPort(on)).toBe(other);
    const client = await udp('udp4', '127.0.0.1');
    expect((await client.bind(other, '127.0.0.1')).decoded?.ok).toBe(true);

    const off = await serve({ stunPort: 0 });
    expect(off.stun).toBeUndefined();
    expect((await client.bind(off.port, '127.0.0.1', { timeoutMs: 300 })).reply).toBeUndefined();
    const health = JSON.parse((await request(`${off.baseUrl}/healthz`)).body.toString());
    expect(health.stun).toEqual({ enabled: false });
    expect(await metric(off, /^lanparty_stun_responses_total /)).toBe(0);
  });

  it('refuses to start when the UDP port is taken, with one clear message', async () => {
    const squatter = await udp('udp4', '127.0.0.1');
    await expect(serve({ stunPort: squatter.address.port })).rejects.toThrow(
      `cannot use UDP port ${squatter.address.port} on 127.0.0.1 for STUN (EADDRINUSE): free it, or set --stun-port to another port (0 turns STUN off)`,
    );
  });
});

describe('ICE servers in welcome', () => {
  it('start with stun:<the host the page came from>:<port>, also after a resume', async () => {
    const server = await serve();
    const host = await server.connect();
    host.send({ type: 'create', name: 'Host' });
    const welcome = await host.next('welcome');
    expect(welcome.iceServers).toEqual([{ urls: `stun:127.0.0.1:${server.port}` }]);
    host.terminate();
    const back = await server.connect();
    back.send({ type: 'resume', code: welcome.lobby.code, token: welcome.token });
    expect((await back.next('welcome')).iceServers[0]).toEqual({
      urls: `stun:127.0.0.1:${server.port}`,
    });
    back.close();
  });

  it('use the public URL’s host, then TURN with a credential, then --ice-servers', async () => {
    const secret = 'test-secret-that-is-long-enough';
    const server = await serve({
      publicUrl: 'https://party.example.org',
      turnUrls: ['turn:127.0.0.1:3478'],
      turnSecret: secret,
      turnTtl: 600,
      iceServers: [{ urls: 'stun:stun.example.net:3478' }],
    });
    const host = await server.connect();
    host.send({ type: 'create', name: 'Host' });
    const welcome = await host.next('welcome');
    const before = Math.floor(Date.now() / 1000);
    expect(welcome.iceServers[0]).toEqual({ urls: `stun:party.example.org:${server.port}` });
    expect(welcome.iceServers[1]).toMatchObject({ urls: ['turn:127.0.0.1:3478'] });
    const [expiry, id] = String(welcome.iceServers[1]?.username).split(':');
    expect(Number(id)).toBe(welcome.you);
    expect(Math.abs(Number(expiry) - (before + 600))).toBeLessThanOrEqual(2);
    expect(welcome.iceServers[2]).toEqual({ urls: 'stun:stun.example.net:3478' });
    expect(JSON.stringify(welcome)).not.toContain(secret);
    host.close();
  });

  it('have no STUN entry with --stun-port 0', async () => {
    const server = await serve({ stunPort: 0 });
    const host = await server.connect();
    host.send({ type: 'create', name: 'Host' });
    expect((await host.next('welcome')).iceServers).toEqual([]);
    host.close();
  });
});

describe('command line', () => {
  const started: { stop(signal: NodeJS.Signals): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const p of started.splice(0)) await p.stop('SIGKILL');
  });

  it('prints the STUN line beside "lanparty is up"', async () => {
    const server = await startServerProcess({ env: CLEAN_ENV });
    started.push(server);
    expect(server.output()).toContain(`STUN on udp port ${server.port}`);
    expect((await server.stop()).code).toBe(0);
  });

  it('stops with one line when the STUN port is taken', async () => {
    const squatter = await udp('udp4', '127.0.0.1');
    const port = await freePort();
    const cli = startChild(
      process.execPath,
      [
        SERVER_MAIN,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--stun-port',
        String(squatter.address.port),
      ],
      { env: CLEAN_ENV },
    );
    started.push(cli);
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr().trim()).toBe(
      `lanparty: cannot use UDP port ${squatter.address.port} on 127.0.0.1 for STUN (EADDRINUSE): free it, or set --stun-port to another port (0 turns STUN off)`,
    );
  });
});
