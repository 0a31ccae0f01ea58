import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import { SETTINGS } from '../../signaling/config.ts';
import { TestClient, withTimeout } from '../support/client.ts';
import { request } from '../support/http.ts';
import { CLEAN_ENV } from '../support/server.ts';
import {
  type Child,
  freePort,
  SERVER_MAIN,
  serverUp,
  startChild,
} from '../support/server-process.mjs';

/**
 * The command line as a person types it: these tests vary the very flags, variables and output
 * that `startServerProcess` fixes (--host, --port, --log-level), so they start the server with
 * exactly their own arguments.
 */
const running: Child[] = [];
afterEach(async () => {
  // A failed test must not leave a server behind.
  for (const cli of running.splice(0)) await cli.stop('SIGKILL');
});

/** `node dist/server/main.js` with these flags and lanparty variables (and nothing inherited). */
function run(args: string[], env: Record<string, string> = {}): Child {
  const cli = startChild(process.execPath, [SERVER_MAIN, ...args], {
    env: { ...CLEAN_ENV, ...env },
  });
  running.push(cli);
  return cli;
}

/** Waits for the "open <url>" line and returns the URL. */
const urlOf = async (cli: Child) => new URL(await serverUp(cli));

const healthz = async (url: string) => {
  const r = await request(`${url}/healthz`);
  return { status: r.status, body: JSON.parse(r.body.toString()) as { status: string } };
};

describe('starting', () => {
  it('prints the URL to open, and it answers', async () => {
    const cli = run(['--port', '0']);
    const url = await urlOf(cli);
    // Every interface by default; the printed address is one a browser on this machine can use.
    expect(url.protocol).toBe('http:');
    expect(url.hostname).toBe('localhost');
    expect(Number(url.port)).toBeGreaterThan(0);
    expect(cli.stdout()).toMatch(
      new RegExp(`\\n  lanparty is up: open http://localhost:${url.port}\\n`),
    );
    expect(await healthz(`http://127.0.0.1:${url.port}`)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
  });

  it('honours the PORT and HOST environment variables', async () => {
    const port = await freePort();
    const cli = run([], { PORT: String(port), HOST: '127.0.0.1' });
    expect((await urlOf(cli)).href).toBe(`http://127.0.0.1:${port}/`);
    expect((await healthz(`http://127.0.0.1:${port}`)).status).toBe(200);
  });

  it('flags win over environment variables', async () => {
    const [envPort, flagPort] = [await freePort(), await freePort()];
    const cli = run(['--port', String(flagPort), '--host', '127.0.0.1', '--lobby-capacity', '3'], {
      PORT: String(envPort),
      HOST: '0.0.0.0',
      // Not even read: the flag gives the setting.
      LOBBY_CAPACITY: '99',
    });
    const url = await urlOf(cli);
    expect(url.href).toBe(`http://127.0.0.1:${flagPort}/`);
    await expect(request(`http://127.0.0.1:${envPort}/healthz`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    const host = await TestClient.connect(url.origin, { origin: url.origin });
    host.send({ type: 'create', name: 'Flags' });
    expect((await host.next('welcome')).lobby.capacity).toBe(3);
    host.close();
  });

  it('--help lists every setting with its flag, variable and default, and exits 0', async () => {
    const cli = run(['--help']);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toBe('');
    for (const s of Object.values(SETTINGS)) {
      const line = cli
        .stdout()
        .split('\n')
        .find((l) => l.trimStart().startsWith(`--${s.flag} `));
      expect(line, `--help lists --${s.flag}`).toBeDefined();
      expect(line).toContain(` ${s.env} `);
      expect(line).toContain(` ${s.default || '""'} `);
      expect(line).toContain(s.doc);
    }
  });
});

describe('a bad configuration exits non-zero with one line naming the setting', () => {
  const missing = join(tmpdir(), 'lanparty-no-such-dir', 'cert.pem');
  const garbage = join(tmpdir(), `lanparty-garbage-${process.pid}.pem`);
  beforeAll(() => writeFileSync(garbage, 'not a certificate\n'));
  afterAll(() => rmSync(garbage, { force: true }));

  it.each<[string, string[], Record<string, string>, RegExp]>([
    [
      'a port that is not a number',
      ['--port', 'abc'],
      {},
      /^lanparty: invalid --port \/ PORT="abc": must be a whole number from 0 to 65535$/,
    ],
    [
      'a port out of range, from the environment',
      [],
      { PORT: '70000' },
      /^lanparty: invalid --port \/ PORT="70000": must be a whole number from 0 to 65535$/,
    ],
    [
      'a lobby capacity over the protocol limit',
      [],
      { LOBBY_CAPACITY: '99' },
      /^lanparty: invalid --lobby-capacity \/ LOBBY_CAPACITY="99": must be a whole number from 2 to 32$/,
    ],
    [
      'a lobby capacity over the maximum a host may ask',
      ['--lobby-capacity', '20', '--max-lobby-capacity', '10'],
      {},
      /^lanparty: invalid --lobby-capacity \/ LOBBY_CAPACITY: must not exceed --max-lobby-capacity$/,
    ],
    [
      'ICE servers that are not JSON',
      ['--ice-servers', 'notjson'],
      {},
      /^lanparty: invalid --ice-servers \/ ICE_SERVERS="notjson": must be a JSON array like /,
    ],
    [
      'ICE servers without urls',
      ['--ice-servers', '[{}]'],
      {},
      /^lanparty: invalid --ice-servers \/ ICE_SERVERS="\[\{\}\]": must be an array of \{urls/,
    ],
    [
      'an origin that is not a URL',
      ['--allowed-origins', 'example.com'],
      {},
      /^lanparty: invalid --allowed-origins \/ ALLOWED_ORIGINS="example.com": /,
    ],
    [
      'a log level that does not exist',
      [],
      { LOG_LEVEL: 'loud' },
      /^lanparty: invalid --log-level \/ LOG_LEVEL="loud": must be one of /,
    ],
    [
      '--cert without --key',
      ['--cert', '/etc/hostname'],
      {},
      /^lanparty: invalid --cert \/ TLS_CERT and --key \/ TLS_KEY: give both or neither$/,
    ],
    [
      '--cert naming a file that does not exist',
      ['--port', '0', '--cert', missing, '--key', garbage],
      {},
      new RegExp(`^lanparty: invalid --cert / TLS_CERT: cannot read ${missing}$`),
    ],
    [
      '--cert and --key that are not PEM',
      ['--port', '0', '--cert', garbage, '--key', garbage],
      {},
      /^lanparty: invalid --cert \/ TLS_CERT and --key \/ TLS_KEY: .* are not a PEM certificate and its key$/,
    ],
    [
      'an unknown flag',
      ['--bogus', '1'],
      {},
      /^lanparty: Unknown option '--bogus' \(see --help\)$/,
    ],
    [
      'a flag without its value',
      ['--port'],
      {},
      /^lanparty: Option '--port <value>' argument missing \(see --help\)$/,
    ],
    [
      'a stray argument',
      ['8080'],
      {},
      /^lanparty: Unexpected argument '8080'\. This command does not take positional arguments/,
    ],
  ])('%s', async (_what, args, env, line) => {
    const cli = run(args, env);
    const { code } = await withTimeout(cli.exited, 10_000, 'the process to exit');
    expect(code).not.toBe(0);
    expect(code).not.toBe(null);
    const lines = cli.stderr().trimEnd().split('\n');
    expect(lines, cli.stderr()).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(cli.stdout()).not.toContain('lanparty is up');
  });

  it('a port already in use', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const cli = run(['--host', '127.0.0.1', '--port', String(port)]);
      expect((await withTimeout(cli.exited, 10_000, 'the process to exit')).code).toBe(1);
      expect(cli.stderr()).toBe(
        `lanparty: cannot listen on 127.0.0.1:${port} (in use, or not allowed)\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  it('closes every WebSocket with 1001 and exits 0 within 5 s', async () => {
    const cli = run(['--host', '127.0.0.1', '--port', '0']);
    const url = await urlOf(cli);
    const host = await TestClient.connect(url.origin, { origin: url.origin });
    host.send({ type: 'create', name: 'Host' });
    const { lobby } = await host.next('welcome');
    const guest = await TestClient.connect(url.origin, { origin: url.origin });
    guest.send({ type: 'join', code: lobby.code, name: 'Guest' });
    await guest.next('welcome');
    // A connection that never joined a lobby is told too.
    const idle = await TestClient.connect(url.origin, { origin: url.origin });
    expect((await healthz(url.origin)).body).toMatchObject({ connections: 3, lobbies: 1 });

    const sentAt = Date.now();
    cli.process.kill(signal);
    for (const client of [host, guest, idle]) {
      expect(await client.closeInfo(5000)).toEqual({
        code: CloseCode.GOING_AWAY,
        reason: 'server restarting',
      });
    }
    expect(await withTimeout(cli.exited, 5000, `the process to exit after ${signal}`)).toEqual({
      code: 0,
      signal: null,
    });
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect(cli.stderr()).toBe('');
  });
});

describe('the log at info', () => {
  it('has one JSON line per lobby and link event, with shortened codes and no secrets', async () => {
    const cli = run(['--host', '127.0.0.1', '--port', '0', '--log-level', 'info']);
    const url = await urlOf(cli);
    const host = await TestClient.connect(url.origin, { origin: url.origin });
    host.send({ type: 'create', name: 'Host' });
    const welcome = await host.next('welcome');
    const guest = await TestClient.connect(url.origin, { origin: url.origin });
    guest.send({ type: 'join', code: welcome.lobby.code, name: 'Guest' });
    const joined = await guest.next('welcome');
    host.send({ type: 'links', links: [{ id: joined.you, kind: 'direct' }] });
    await guest.next('lobby');
    host.send({ type: 'links', links: [{ id: joined.you, kind: 'relay' }] });
    await guest.next('lobby');
    guest.send({ type: 'leave' });
    // The host also got a lobby update per link change: wait for the one without the guest
    // (with a guest still there, the host leaving would hand the lobby over instead).
    while ((await host.next('lobby')).lobby.players.length > 1);
    host.send({ type: 'leave' });
    await host.closeInfo(5000);
    const short = `${welcome.lobby.code.slice(0, 4)}…`;
    const events = () =>
      cli
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => typeof e.event === 'string');
    await expect
      .poll(() => events().map((e) => e.event), { timeout: 5000 })
      .toEqual([
        'lobby_created',
        'player_joined',
        'link_changed',
        'link_changed',
        'player_left',
        'lobby_ended',
      ]);
    expect(
      events().map(({ event, lobby, seat, from, to, reason }) => ({
        event,
        lobby,
        seat,
        from,
        to,
        reason,
      })),
    ).toEqual(
      [
        { event: 'lobby_created', lobby: short },
        { event: 'player_joined', lobby: short, seat: joined.you },
        { event: 'link_changed', lobby: short, seat: joined.you, from: 'none', to: 'direct' },
        { event: 'link_changed', lobby: short, seat: joined.you, from: 'direct', to: 'relay' },
        { event: 'player_left', lobby: short, seat: joined.you, reason: 'left' },
        { event: 'lobby_ended', lobby: short, reason: 'host left' },
      ].map((e) => ({ seat: undefined, from: undefined, to: undefined, reason: undefined, ...e })),
    );
    for (const e of events()) expect(e.level).toBe(30);
    for (const secret of [welcome.lobby.code, welcome.token, welcome.hostKey, joined.token]) {
      expect(cli.stdout()).not.toContain(secret);
    }
  });
});
