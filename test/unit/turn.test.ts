import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { helpText, parseConfig } from '../../signaling/config.ts';
import { iceServersFor, iceSetup, stunUrl } from '../../signaling/ice-servers.ts';
import { mintTurnCredential, turnIceServer } from '../../signaling/turn.ts';

/** HMAC-SHA1 through WebCrypto, a different API from the node:crypto one the server uses. */
async function hmacSha1Base64(secret: string, message: string): Promise<string> {
  const key = await webcrypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  );
  const mac = await webcrypto.subtle.sign('HMAC', key, new TextEncoder().encode(message));
  return Buffer.from(mac).toString('base64');
}

const SECRET = 'a-long-shared-secret-for-coturn';
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

describe('TURN REST API credentials', () => {
  it('are "<expiry>:<peer id>" and base64(HMAC-SHA1(secret, user name))', async () => {
    const c = mintTurnCredential(SECRET, 7, 3600, NOW + 999);
    expect(c.username).toBe(`${NOW / 1000 + 3600}:7`);
    expect(c.credential).toBe(await hmacSha1Base64(SECRET, c.username));
    expect(c.credential).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it('are fresh for every call (the clock moves the expiry) and never carry the secret', () => {
    const a = turnIceServer(
      { urls: ['turn:t.example:3478'], secret: SECRET, ttlSeconds: 60 },
      1,
      NOW,
    );
    const b = turnIceServer(
      { urls: ['turn:t.example:3478'], secret: SECRET, ttlSeconds: 60 },
      1,
      NOW + 5000,
    );
    expect(a.username).not.toBe(b.username);
    expect(a.credential).not.toBe(b.credential);
    expect(JSON.stringify([a, b])).not.toContain(SECRET);
  });
});

describe('ICE servers in a welcome', () => {
  const base = { stunPort: 8080, publicUrl: '', turn: undefined, extra: [] };
  const peer = { baseUrl: 'http://192.168.1.20:8080', id: 3 };

  it('start with our STUN at the host the page came from', () => {
    expect(iceServersFor(base, peer, NOW)).toEqual([{ urls: 'stun:192.168.1.20:8080' }]);
    expect(iceServersFor(base, { ...peer, baseUrl: 'https://Game.Example' }, NOW)).toEqual([
      { urls: 'stun:game.example:8080' },
    ]);
  });

  it('keep the brackets of an IPv6 literal', () => {
    expect(iceServersFor(base, { ...peer, baseUrl: 'http://[::1]:8080' }, NOW)).toEqual([
      { urls: 'stun:[::1]:8080' },
    ]);
    expect(stunUrl('http://[2001:db8::7]', 3478)).toBe('stun:[2001:db8::7]:3478');
  });

  it("use the public URL's host when there is one", () => {
    expect(
      iceServersFor({ ...base, publicUrl: 'https://party.example.org/x' }, peer, NOW)[0],
    ).toEqual({ urls: 'stun:party.example.org:8080' });
  });

  it('have no STUN entry when STUN is off, or for an origin that is not a URL', () => {
    expect(iceServersFor({ ...base, stunPort: 0 }, peer, NOW)).toEqual([]);
    expect(iceServersFor(base, { ...peer, baseUrl: 'nonsense' }, NOW)).toEqual([]);
  });

  it('go STUN, then TURN with a credential for this peer, then the operator’s own', () => {
    const servers = iceServersFor(
      {
        ...base,
        turn: {
          urls: ['turn:t.example:3478', 'turns:t.example:5349'],
          secret: SECRET,
          ttlSeconds: 600,
        },
        extra: [{ urls: 'stun:stun.example.net:3478' }],
      },
      peer,
      NOW,
    );
    expect(servers).toEqual([
      { urls: 'stun:192.168.1.20:8080' },
      {
        urls: ['turn:t.example:3478', 'turns:t.example:5349'],
        username: `${NOW / 1000 + 600}:3`,
        credential: mintTurnCredential(SECRET, 3, 600, NOW).credential,
      },
      { urls: 'stun:stun.example.net:3478' },
    ]);
  });

  it('come from the configuration', () => {
    const parsed = parseConfig(['--turn-urls', 'turn:127.0.0.1:3478', '--turn-ttl', '120'], {
      TURN_SECRET: SECRET,
    });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(iceSetup(parsed.value, 9000)).toEqual({
      stunPort: 9000,
      publicUrl: '',
      turn: { urls: ['turn:127.0.0.1:3478'], secret: SECRET, ttlSeconds: 120 },
      extra: [],
    });
    expect(iceSetup(parsed.value, 0).stunPort).toBe(0);
  });
});

describe('configuration of STUN and TURN', () => {
  it('has STUN on by default, on the HTTP port, and TURN off', () => {
    const r = parseConfig([], {});
    expect(r.ok && r.value).toMatchObject({
      stunPort: undefined,
      stunRate: 20,
      stunBurst: 100,
      turnUrls: [],
      turnSecret: '',
      turnTtl: 3600,
    });
    expect(parseConfig(['--stun-port', '0'], {})).toMatchObject({
      ok: true,
      value: { stunPort: 0 },
    });
    expect(parseConfig([], { STUN_PORT: '3478' })).toMatchObject({ value: { stunPort: 3478 } });
  });

  it('accepts turn: and turns: URLs with a host, a port and a transport', () => {
    const urls = [
      'turn:turn.example.com',
      'turn:turn.example.com:3478?transport=udp',
      'turns:turn.example.com:5349?transport=tcp',
      'turn:203.0.113.5:3478',
      'turn:[2001:db8::5]:3478',
    ];
    const r = parseConfig(['--turn-urls', urls.join(' , '), '--turn-secret', SECRET], {});
    expect(r.ok && r.value.turnUrls).toEqual(urls);
  });

  it.each([
    [['--turn-urls', 'stun:turn.example.com'], /--turn-urls \/ TURN_URLS.*not a TURN URL/],
    [['--turn-urls', 'turn:'], /not a TURN URL/],
    [['--turn-urls', 'turn:host:0'], /not a TURN URL/],
    [['--turn-urls', 'turn:host:70000'], /not a TURN URL/],
    [['--turn-urls', 'turn:host?transport=sctp'], /not a TURN URL/],
    [['--turn-urls', 'turn://host'], /not a TURN URL/],
    [
      ['--turn-urls', 'turn:a,turn:b,turn:c,turn:d,turn:e,turn:f,turn:g,turn:h,turn:i'],
      /at most 8/,
    ],
    [['--turn-urls', 'turn:t.example'], /give both or neither/],
    [['--turn-secret', SECRET], /give both or neither/],
    [['--stun-port', 'x'], /--stun-port \/ STUN_PORT/],
    [['--stun-rate', '0'], /--stun-rate/],
    [['--turn-ttl', '5'], /--turn-ttl/],
  ] as const)('refuses %j with one line naming the setting', (argv, pattern) => {
    const r = parseConfig(argv, {});
    expect(r.ok ? 'accepted' : r.error).toMatch(pattern);
  });

  it('refuses a short TURN secret without printing it', () => {
    const r = parseConfig(['--turn-urls', 'turn:t.example', '--turn-secret', 'hunter2'], {});
    expect(r.ok ? 'accepted' : r.error).toMatch(/--turn-secret \/ TURN_SECRET: at least 16/);
    expect(r.ok ? '' : r.error).not.toContain('hunter2');
  });

  it('keeps our STUN, our TURN and the operator’s entries within 8 ICE servers', () => {
    const entries = (n: number) =>
      JSON.stringify(Array.from({ length: n }, (_, i) => ({ urls: `stun:s${i}.example` })));
    const turn = ['--turn-urls', 'turn:t.example', '--turn-secret', SECRET];
    expect(parseConfig(['--ice-servers', entries(7)], {}).ok).toBe(true);
    expect(parseConfig(['--ice-servers', entries(8), '--stun-port', '0'], {}).ok).toBe(true);
    expect(parseConfig(['--ice-servers', entries(6), ...turn], {}).ok).toBe(true);
    const tooMany = parseConfig(['--ice-servers', entries(7), ...turn], {});
    expect(tooMany.ok ? 'accepted' : tooMany.error).toBe(
      'invalid --ice-servers / ICE_SERVERS: at most 6 entries beside the built-in STUN and TURN (a browser gets 8 at most)',
    );
    const r = parseConfig(['--ice-servers', entries(8)], {});
    expect(r.ok ? 'accepted' : r.error).toMatch(/at most 7 entries beside the built-in STUN \(/);
  });

  it('lists the new settings in --help', () => {
    for (const flag of [
      '--stun-port',
      '--stun-rate',
      '--stun-burst',
      '--turn-urls',
      '--turn-secret',
      '--turn-ttl',
    ]) {
      expect(helpText()).toContain(flag);
    }
  });
});
