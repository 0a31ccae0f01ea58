import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Child, freePort, startChild } from './server-process.mjs';
import { UdpClient } from './udp.ts';

/** Debian's coturn (`apt-get install coturn`); `TURNSERVER` points elsewhere. */
export const TURNSERVER = process.env.TURNSERVER ?? '/usr/bin/turnserver';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

/** Why coturn tests cannot run here, or '' when they can. */
export function coturnMissing(): string {
  if (!existsSync(TURNSERVER)) return `no ${TURNSERVER} (apt-get install coturn)`;
  return '';
}

export interface CoturnOptions {
  /** `static-auth-secret` for `use-auth-secret` (TURN REST API credentials); random if absent. */
  readonly secret?: string;
  /** Addresses to listen on (default 127.0.0.1); the first one is probed for readiness. */
  readonly listeningIps?: readonly string[];
  /** Address relayed traffic leaves from (default: the first listening address). */
  readonly relayIp?: string;
  /** `external-ip`, for a coturn behind a NAT of its own. */
  readonly externalIp?: string;
  /** Listening port (UDP and TCP; default: a free one). */
  readonly port?: number;
  /** More lines for the config file, as `key=value` or a bare flag. */
  readonly extraConfig?: readonly string[];
  /**
   * A command to run turnserver under, e.g. `['ip', 'netns', 'exec', 'ns-turn']`. The readiness
   * probe is then skipped unless `probe` is true (this process may not reach that network).
   */
  readonly wrap?: readonly string[];
  /** Check readiness with a STUN Binding request from this process (default: unless wrapped). */
  readonly probe?: boolean;
}

export interface Coturn {
  readonly port: number;
  readonly secret: string;
  readonly realm: string;
  /** `turn:<first listening address>:<port>` (`?transport=udp|tcp` to add as needed). */
  readonly url: string;
  /** Everything coturn printed so far. */
  log(): string;
  /** SIGTERM (SIGKILL after 3 s) and removes its temporary directory. */
  stop(): Promise<void>;
}

/**
 * Starts coturn in the foreground with a config file in a fresh temporary directory: loopback
 * (or the given) addresses, an ephemeral listening port and relay range, `use-auth-secret`, no
 * TLS/DTLS/CLI, loopback peers allowed. Resolves once it answers STUN (or has logged that its
 * servers are up, when the probe is off).
 */
export async function startCoturn(options: CoturnOptions = {}): Promise<Coturn> {
  const missing = coturnMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'lanparty-coturn-'));
  const listeningIps = options.listeningIps ?? ['127.0.0.1'];
  const first = listeningIps[0] ?? '127.0.0.1';
  const port = options.port ?? (await freePort());
  // A relay range of 100 ports somewhere in 20000–59999, away from the kernel's ephemeral range
  // (32768–60999 is the default, so stay below it) most of the time.
  const minPort = 20_000 + Math.floor(Math.random() * 120) * 100;
  const secret = options.secret ?? randomBytes(24).toString('hex');
  const realm = 'lanparty.test';
  const lines = [
    ...listeningIps.map((ip) => `listening-ip=${ip}`),
    `relay-ip=${options.relayIp ?? first}`,
    ...(options.externalIp ? [`external-ip=${options.externalIp}`] : []),
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${minPort + 99}`,
    `realm=${realm}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-cli',
    'no-rfc5780',
    'no-software-attribute',
    'allow-loopback-peers',
    'log-file=stdout',
    'simple-log',
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `userdb=${join(dir, 'turndb')}`,
    ...(options.extraConfig ?? []),
  ];
  const configFile = join(dir, 'turnserver.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);

  const [command = TURNSERVER, ...args] = [...(options.wrap ?? []), TURNSERVER, '-c', configFile];
  const child = startChild(command, args, { killAfterMs: STOP_TIMEOUT_MS });
  const stop = async () => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await ready(child, options.probe ?? options.wrap === undefined, first, port);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    secret,
    realm,
    url: `turn:${first.includes(':') ? `[${first}]` : first}:${port}`,
    log: child.output,
    stop,
  };
}

async function ready(child: Child, probe: boolean, host: string, port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const died = () =>
    child.running() ? undefined : new Error(`turnserver exited: ${child.output()}`);
  while (!child.output().includes('Total General servers')) {
    const dead = died();
    if (dead) throw dead;
    if (Date.now() > deadline) throw new Error(`turnserver did not start: ${child.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!probe) return;
  const client = await UdpClient.bind(host.includes(':') ? 'udp6' : 'udp4', host);
  try {
    while (true) {
      const dead = died();
      if (dead) throw dead;
      if (Date.now() > deadline) {
        throw new Error(`turnserver does not answer STUN: ${child.output()}`);
      }
      const { decoded } = await client.bind(port, host, { timeoutMs: 200 });
      if (decoded?.ok) return;
    }
  } finally {
    client.close();
  }
}
