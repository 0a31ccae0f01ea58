import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBucket, isFull, take } from '../../shared/rate-limit.ts';
import {
  defaultConfig,
  helpText,
  parseConfig,
  SETTINGS,
  settingsMarkdown,
} from '../../signaling/config.ts';

describe('configuration', () => {
  it('has documented defaults', () => {
    const c = defaultConfig();
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      lobbyCapacity: 8,
      maxLobbyCapacity: 32,
      graceMs: 30_000,
    });
    expect(c.allowedOrigins).toEqual([]);
    expect(c.iceServers).toEqual([]);
  });

  it('host migration: the wait and the lobby secret (never echoed in an error)', () => {
    expect(defaultConfig()).toMatchObject({ hostMigrationMs: 1500, lobbySecret: '' });
    const r = parseConfig(['--host-migration-ms', '0'], { LOBBY_SECRET: 's'.repeat(16) });
    expect(r.ok && [r.value.hostMigrationMs, r.value.lobbySecret]).toEqual([0, 's'.repeat(16)]);
    const short = parseConfig([], { LOBBY_SECRET: 'hunter2' });
    expect(short.ok).toBe(false);
    expect(!short.ok && short.error).toBe(
      'invalid --lobby-secret / LOBBY_SECRET: at least 16 characters',
    );
    expect(parseConfig(['--host-migration-ms', '-1'], {}).ok).toBe(false);
  });

  it('several nodes: Redis URL (never echoed: it may hold a password), node id, node timeout', () => {
    expect(defaultConfig()).toMatchObject({ redis: '', nodeId: '', nodeTimeoutMs: 3000 });
    const r = parseConfig(['--node-id', 'game1:8081'], {
      REDIS_URL: 'redis://:pw@10.0.0.5:6379/2',
    });
    expect(r.ok && [r.value.redis, r.value.nodeId]).toEqual([
      'redis://:pw@10.0.0.5:6379/2',
      'game1:8081',
    ]);
    for (const bad of [
      'http://:hunter2@10.0.0.5',
      'redis://:hunter2@10.0.0.5/db',
      'not a url hunter2',
    ]) {
      const refused = parseConfig(['--redis', bad], {});
      expect(refused.ok).toBe(false);
      expect(!refused.ok && refused.error).toMatch(/^invalid --redis \/ REDIS_URL: /);
      expect(!refused.ok && refused.error).not.toContain('hunter2');
    }
    expect(parseConfig(['--node-id', 'a b'], {}).ok).toBe(false);
    expect(parseConfig(['--node-id', 'x'.repeat(65)], {}).ok).toBe(false);
    expect(parseConfig(['--node-timeout-ms', '1000'], {}).ok).toBe(false);
  });

  it('reads the environment (PORT, HOST, …) and lets flags win', () => {
    const r = parseConfig(['--port', '9000'], {
      PORT: '7000',
      HOST: '127.0.0.1',
      LOBBY_CAPACITY: '4',
    });
    expect(r.ok && [r.value.port, r.value.host, r.value.lobbyCapacity]).toEqual([
      9000,
      '127.0.0.1',
      4,
    ]);
  });

  it('parses origins, ICE servers and the public URL', () => {
    const r = parseConfig(['--allowed-origins', 'https://a.example, http://b.example:8080/'], {
      ICE_SERVERS: '[{"urls":"stun:stun.example.com:3478"}]',
      PUBLIC_URL: 'https://game.example/',
    });
    expect(r.ok && r.value.allowedOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
    expect(r.ok && r.value.iceServers).toEqual([{ urls: 'stun:stun.example.com:3478' }]);
    expect(r.ok && r.value.publicUrl).toBe('https://game.example');
  });

  it.each([
    [['--port', 'abc'], {}, /--port \/ PORT/],
    [[], { PORT: '70000' }, /--port \/ PORT="70000"/],
    [[], { LOBBY_CAPACITY: '99' }, /--lobby-capacity/],
    [
      ['--lobby-capacity', '20', '--max-lobby-capacity', '10'],
      {},
      /must not exceed --max-lobby-capacity/,
    ],
    [['--ice-servers', 'nope'], {}, /--ice-servers \/ ICE_SERVERS.*JSON array/],
    [['--ice-servers', '[{"url":"x"}]'], {}, /--ice-servers/],
    [['--allowed-origins', 'evil'], {}, /--allowed-origins/],
    [['--public-url', 'ftp://x'], {}, /--public-url/],
    [['--cert', 'a.pem'], {}, /--cert \/ TLS_CERT and --key/],
    [['--trust-proxy', 'maybe'], {}, /--trust-proxy/],
    [['--bogus', '1'], {}, /bogus/],
    [['--heartbeat-interval-ms', '2000'], {}, /--heartbeat-timeout-ms/],
  ] as const)('refuses %j %j with one line naming the setting', (argv, env, pattern) => {
    const r = parseConfig(argv, env);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(pattern);
      expect(r.error).not.toContain('\n');
    }
  });

  it('--help lists every setting with its environment variable', () => {
    const help = helpText();
    for (const s of Object.values(SETTINGS)) {
      expect(help).toContain(`--${s.flag}`);
      expect(help).toContain(s.env);
    }
  });
});

describe('token bucket', () => {
  it('allows the burst, then the rate', () => {
    const b = createBucket(10, 3, 0);
    expect([take(b, 0), take(b, 0), take(b, 0), take(b, 0)]).toEqual([true, true, true, false]);
    expect(take(b, 99)).toBe(false);
    expect(take(b, 100)).toBe(true);
    expect(isFull(b, 100)).toBe(false);
    expect(isFull(b, 1000)).toBe(true);
  });
});

describe('the README', () => {
  it('lists every setting exactly as --help-markdown prints it', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(settingsMarkdown());
  });
});
