import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClient } from './client.ts';
import { request } from './http.ts';
import {
  type Child,
  type Exit,
  freePort,
  ROOT,
  type ServerProcess,
  startChild,
  startServerProcess,
  until,
} from './server-process.mjs';

/**
 * Several real lanparty nodes (the built server, one process each), a real redis-server and a
 * real HAProxy or nginx running the configs shipped in `deploy/`, all on ephemeral ports of
 * 127.0.0.1. Everything started here is stopped by `dispose()`.
 */

const BINARIES = {
  redis: '/usr/bin/redis-server',
  haproxy: '/usr/sbin/haproxy',
  nginx: '/usr/sbin/nginx',
} as const;

/** Why a test that needs these binaries cannot run here, or undefined when it can. */
export function missingBinary(...names: (keyof typeof BINARIES)[]): string | undefined {
  for (const name of names) {
    try {
      accessSync(BINARIES[name], constants.X_OK);
    } catch {
      return `${BINARIES[name]} is not installed (apt-get install ${name === 'redis' ? 'redis-server' : name})`;
    }
  }
  return undefined;
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** Waits until `child` accepts connections on `port`; fails at once if it exits. */
function listening(child: Child, port: number, what: string): Promise<void> {
  return until(
    () => {
      if (!child.running()) throw new Error(`${what} exited:\n${child.output()}`);
      return tcpOpen(port);
    },
    10_000,
    `${what} to listen`,
  );
}

export class RedisServer {
  private proc: Child | undefined;
  private constructor(
    readonly port: number,
    readonly password: string,
  ) {}
  static async start(): Promise<RedisServer> {
    const redis = new RedisServer(
      await freePort(),
      `test-pw-${Math.random().toString(36).slice(2)}`,
    );
    await redis.resume();
    return redis;
  }
  get url(): string {
    return `redis://:${this.password}@127.0.0.1:${this.port}/0`;
  }
  /** Starts (again) on the same port, with nothing in it: Redis holds only soft state. */
  async resume(): Promise<void> {
    this.proc = startChild(BINARIES.redis, [
      ...['--port', String(this.port), '--bind', '127.0.0.1'],
      ...['--requirepass', this.password, '--save', '', '--appendonly', 'no'],
    ]);
    await listening(this.proc, this.port, 'redis-server');
  }
  async stop(): Promise<void> {
    await this.proc?.stop('SIGKILL');
  }
  get output(): string {
    return this.proc?.output() ?? '';
  }
}

/** Flags every test node gets: the tests' clients all come from 127.0.0.1. */
const NODE_FLAGS = [
  '--stun-port',
  '0',
  '--trust-proxy',
  'true',
  '--lobby-secret',
  'the same lobby secret on every node',
  '--connections-per-address',
  '100000',
  '--lobbies-per-address',
  '100000',
  '--creates-per-minute',
  '100000',
  '--joins-per-minute',
  '100000',
  '--resumes-per-minute',
  '100000',
  '--shutdown-timeout-ms',
  '2000',
];

/** One lanparty node: the built server on 127.0.0.1 at `port`, through `startServerProcess`. */
export class LanpartyNode {
  private server: ServerProcess | undefined;
  constructor(
    readonly id: string,
    readonly port: number,
    private readonly args: readonly string[],
  ) {}
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get running(): boolean {
    const child = this.server?.child();
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }
  /** Everything it printed, over every restart. */
  get output(): string {
    return this.server?.output() ?? '';
  }
  /** Starts it, or starts it again on the same port. */
  async start(): Promise<void> {
    if (this.server !== undefined) return this.server.restart();
    this.server = await startServerProcess({
      port: this.port,
      flags: [...NODE_FLAGS, ...this.args],
      env: { PATH: process.env.PATH ?? '', NODE_ID: this.id },
    });
  }
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    return this.server?.stop(signal) ?? Promise.resolve({ code: 0, signal: null });
  }
  async health(): Promise<Health> {
    const reply = await request(`${this.baseUrl}/healthz`, { timeoutMs: 1000 });
    return JSON.parse(reply.body.toString()) as Health;
  }
  async metrics(): Promise<string> {
    return (await request(`${this.baseUrl}/metrics`, { timeoutMs: 2000 })).body.toString();
  }
}

export interface Health {
  readonly status: string;
  readonly node: string;
  readonly redis: 'off' | 'up' | 'down';
  readonly connections: number;
  readonly lobbies: number;
  readonly cluster: {
    readonly routedSockets: number;
    readonly remotePlayers: number;
    readonly sent: number;
    readonly received: number;
    readonly rejected: number;
    readonly undelivered: number;
    readonly ownerLost: number;
    readonly refusedUnavailable: number;
  };
}

export type BalancerKind = 'haproxy' | 'nginx';
export type Balancing = 'hash' | 'roundrobin';

/**
 * The shipped config with this test's ports: the listening port, one server line per node, and
 * for nginx the files it writes. With `roundrobin`, the hashing line is taken out (haproxy:
 * `balance roundrobin`), which the README says is correct too.
 */
export function renderBalancerConfig(
  kind: BalancerKind,
  balancing: Balancing,
  port: number,
  nodePorts: readonly number[],
  dir: string,
): string {
  const shipped = readFileSync(
    join(ROOT, 'deploy', kind === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf'),
    'utf8',
  );
  const lines = shipped.split('\n');
  const out: string[] = [];
  let serversWritten = false;
  for (const line of lines) {
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    const trimmed = line.trim();
    if (trimmed.startsWith('server 127.0.0.1:') || /^server n\d+ 127\.0\.0\.1:/.test(trimmed)) {
      if (serversWritten) continue;
      serversWritten = true;
      for (const [i, p] of nodePorts.entries()) {
        out.push(
          kind === 'haproxy'
            ? `${indent}server n${i} 127.0.0.1:${p} check`
            : `${indent}server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`,
        );
      }
      continue;
    }
    if (trimmed === 'bind :8080') out.push(`${indent}bind 127.0.0.1:${port}`);
    else if (trimmed === 'listen 8080;') out.push(`${indent}listen 127.0.0.1:${port};`);
    else if (trimmed.startsWith('pid '))
      out.push(`pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;`);
    else if (trimmed === 'balance url_param lobby' && balancing === 'roundrobin')
      out.push(`${indent}balance roundrobin`);
    else if (trimmed === 'hash $arg_lobby consistent;' && balancing === 'roundrobin') continue;
    else if (trimmed === 'worker_processes auto;') out.push('worker_processes 1;');
    // Both want as many open files as their connection limit: more than a test shell allows.
    else if (trimmed === 'maxconn 100000') out.push(`${indent}maxconn 4000`);
    else if (trimmed === 'worker_connections 65536;') out.push(`${indent}worker_connections 4000;`);
    else if (trimmed === 'http {') {
      out.push(line);
      // Where nginx would write by default (/var/lib/nginx, /var/log/nginx) is not ours.
      for (const what of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
        out.push(`  ${what}_temp_path ${dir}/${what};`);
      }
      out.push('  access_log off;');
    } else out.push(line);
  }
  if (!serversWritten) throw new Error(`no server lines found in deploy/${kind}`);
  return out.join('\n');
}

export class Balancer {
  private constructor(
    private readonly proc: Child,
    readonly port: number,
    private readonly dir: string,
  ) {}
  static async start(
    kind: BalancerKind,
    balancing: Balancing,
    nodePorts: readonly number[],
  ): Promise<Balancer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), `lanparty-${kind}-`));
    const file = join(dir, kind === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf');
    writeFileSync(file, renderBalancerConfig(kind, balancing, port, nodePorts, dir));
    const args =
      kind === 'haproxy' ? ['-f', file, '-db'] : ['-c', file, '-p', dir, '-g', 'daemon off;'];
    const proc = startChild(BINARIES[kind], args, { killAfterMs: 3000 });
    const balancer = new Balancer(proc, port, dir);
    await listening(proc, port, kind);
    return balancer;
  }
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get output(): string {
    return this.proc.output();
  }
  /** A client through the balancer, with `lobby=<shard>` on the URL when given. */
  connect(shard?: string): Promise<TestClient> {
    return TestClient.connect(this.baseUrl, {
      origin: this.baseUrl,
      ...(shard === undefined ? {} : { query: `lobby=${shard}` }),
    });
  }
  async stop(): Promise<void> {
    await this.proc.stop('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Redis, `count` nodes sharing it, and a balancer in front of them. */
export class TestCluster {
  private constructor(
    readonly redis: RedisServer,
    readonly nodes: LanpartyNode[],
    readonly balancer: Balancer,
  ) {}
  static async start(
    options: {
      nodes?: number;
      balancer?: BalancerKind;
      balancing?: Balancing;
      args?: readonly string[];
    } = {},
  ): Promise<TestCluster> {
    const redis = await RedisServer.start();
    const nodes: LanpartyNode[] = [];
    try {
      for (let i = 0; i < (options.nodes ?? 3); i++) {
        const node = new LanpartyNode(`n${i}`, await freePort(), [
          '--redis',
          redis.url,
          ...(options.args ?? []),
        ]);
        nodes.push(node);
      }
      await Promise.all(nodes.map((n) => n.start()));
      const balancer = await Balancer.start(
        options.balancer ?? 'haproxy',
        options.balancing ?? 'hash',
        nodes.map((n) => n.port),
      );
      return new TestCluster(redis, nodes, balancer);
    } catch (error) {
      await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
      await redis.stop();
      throw error;
    }
  }
  /** The node whose id a health answer names. */
  node(id: string): LanpartyNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }
  /** Sums a field of every running node's health. */
  async total(pick: (h: Health) => number): Promise<number> {
    const all = await Promise.all(
      this.nodes.filter((n) => n.running).map((n) => n.health().catch(() => undefined)),
    );
    return all.reduce((sum, h) => sum + (h === undefined ? 0 : pick(h)), 0);
  }
  async dispose(): Promise<void> {
    await this.balancer.stop().catch(() => {});
    await Promise.all(this.nodes.map((n) => n.stop('SIGKILL')));
    await this.redis.stop();
  }
}
