import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingBinary, RedisServer } from '../support/cluster.ts';
import { request } from '../support/http.ts';
import { freePort, ROOT, serverUp, startChild } from '../support/server-process.mjs';

/**
 * The shipped systemd unit (deploy/lanparty@.service), checked as systemd reads it and run as it
 * would run a node: its environment, its command line and its stop signal, against a real
 * redis-server. Only what systemd itself does (the user, the sandboxing, the restarts) is not
 * exercised here: that needs a machine that boots with systemd.
 */
const UNIT = join(ROOT, 'deploy/lanparty@.service');
const ANALYZE = '/usr/bin/systemd-analyze';

/** The unit's `Key=value` lines, in order (comments and section headers left out). */
function unitEntries(): [string, string][] {
  return readFileSync(UNIT, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('['))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)] as [string, string];
    });
}

function entry(key: string): string {
  const found = unitEntries().find(([k]) => k === key);
  if (found === undefined) throw new Error(`the unit has no ${key}=`);
  return found[1];
}

describe('deploy/lanparty@.service', () => {
  it.skipIf(!existsSync(ANALYZE))(
    `systemd-analyze verify finds nothing to say${existsSync(ANALYZE) ? '' : ' (skipped: no systemd-analyze)'}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'lanparty-unit-'));
      try {
        // An instance, as `systemctl enable lanparty@8081` makes one.
        const instance = join(dir, 'lanparty@8081.service');
        copyFileSync(UNIT, instance);
        const verify = spawnSync(ANALYZE, ['verify', instance], { encoding: 'utf8' });
        expect(verify.status).toBe(0);
        // Unknown keys and bad values are only warnings to systemd: none may be printed.
        expect(`${verify.stdout}${verify.stderr}`).toBe('');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('gives the node the allocator setting npm start gives it (MALLOC_ARENA_MAX)', () => {
    const start: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts
      .start;
    const fromStart = /MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-(\d+)\}/.exec(start)?.[1];
    const fromUnit = unitEntries()
      .filter(([key]) => key === 'Environment')
      .flatMap(([, value]) => value.split(/\s+/))
      .find((pair) => pair.startsWith('MALLOC_ARENA_MAX='))
      ?.split('=')[1];
    expect(fromStart).toBe('2');
    expect(fromUnit).toBe(fromStart);
  });

  const noRedis = missingBinary('redis');
  it.skipIf(noRedis !== undefined)(
    `runs a node as systemd would: the unit's environment and command, and SIGTERM stops it in time${noRedis ? ` (skipped: ${noRedis})` : ''}`,
    async () => {
      const redis = await RedisServer.start();
      try {
        const port = await freePort();
        // What /etc/lanparty/lanparty.env holds (the unit's comment), then the unit's own lines.
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? '',
          REDIS_URL: redis.url,
          LOBBY_SECRET: 'a deploy test secret, long enough',
        };
        for (const [key, value] of unitEntries()) {
          if (key !== 'Environment') continue;
          for (const pair of value.split(/\s+/)) {
            const at = pair.indexOf('=');
            env[pair.slice(0, at)] = pair
              .slice(at + 1)
              .replaceAll('%i', String(port))
              .replaceAll('%H', hostname());
          }
        }
        const [node, ...args] = entry('ExecStart').split(/\s+/);
        // Debian's node; here the one running the tests, in the checkout (WorkingDirectory).
        expect(node).toBe('/usr/bin/node');
        const child = startChild(process.execPath, args, { env, cwd: ROOT });
        try {
          expect(await serverUp(child)).toBe(`http://127.0.0.1:${port}`);
          const health = JSON.parse(
            (await request(`http://127.0.0.1:${port}/healthz`)).body.toString(),
          );
          expect(health).toMatchObject({
            status: 'ok',
            node: `${hostname()}:${port}`,
            redis: 'up',
            stun: { enabled: false },
          });
          expect(entry('KillSignal')).toBe('SIGTERM');
          const stopMs = Number(entry('TimeoutStopSec')) * 1000;
          const askedAt = Date.now();
          const exit = await child.stop('SIGTERM');
          expect(exit).toEqual({ code: 0, signal: null });
          expect(Date.now() - askedAt).toBeLessThan(stopMs);
        } finally {
          await child.stop('SIGKILL');
        }
      } finally {
        await redis.stop();
      }
    },
  );
});
