import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  CHROME,
  type E2eServer,
  launchBrowser,
  newPlayer,
  type Player,
  startServer,
} from '../e2e/support.ts';
import { type Coturn, type CoturnOptions, startCoturn } from './coturn.ts';

/**
 * A small internet made of Linux network namespaces, for tests of peer-to-peer across NATs
 * (root only). One namespace is "the internet" (a bridge on 10.77.0.0/16); hosts sit directly
 * on it; home routers have a WAN address on it and a LAN (192.168.x.0/24, a bridge inside the
 * router's namespace) behind NAT; clients sit on a LAN. Nothing is attached to the machine's own
 * interfaces: every veth is created directly between two of the bed's namespaces, so traffic
 * never leaves them. Every namespace and process is removed by `dispose()`, and by a watchdog
 * process if this one dies first (crash, SIGINT, SIGKILL).
 *
 * ```ts
 * const net = await NetBed.create();
 * const server = await net.host('server', '10.77.0.10', '10.77.0.11');
 * const home = await net.router('home1', { nat: 'cone' });
 * const alice = await net.client('alice', home);
 * expect((await net.classify(alice)).nat).toBe('cone');
 * const lanparty = await net.server(server);
 * const { page } = await net.player(alice);
 * await page.goto(lanparty.url);
 * await net.dispose();
 * ```
 */

/**
 * How a home router treats traffic:
 * - `cone`: MASQUERADE (keeps the source port when free: endpoint-independent mapping); only
 *   replies come in from the WAN (conntrack ESTABLISHED,RELATED), unsolicited packets are
 *   dropped. STUN hole punching works between two of these.
 * - `symmetric`: MASQUERADE --random-fully (a new port per destination), same filtering.
 *   Direct connections need TURN or the relay.
 * - `open`: MASQUERADE with no filtering. Unsolicited packets reach the router, so conntrack may
 *   make the peer's flow first and then rewrite the client's source port (FACTS.md): hole
 *   punching can fail even toward a cone NAT, as behind some real routers.
 */
export type NatKind = 'cone' | 'symmetric' | 'open';

interface NodeBase {
  /** The name given to the bed (a-z, 0-9, at most 10 characters). */
  readonly name: string;
  /** The namespace, for `ip netns exec`. */
  readonly ns: string;
}

/** The bridge namespace that plays the internet (no address of its own). */
export interface Internet extends NodeBase {
  readonly kind: 'internet';
}

/** A machine directly on the internet (a server), with one or more public addresses. */
export interface Host extends NodeBase {
  readonly kind: 'host';
  readonly address: string;
  readonly addresses: readonly string[];
}

/** A home router: a WAN address on the internet and a NATed LAN behind it. */
export interface Router extends NodeBase {
  readonly kind: 'router';
  readonly nat: NatKind;
  /** Its WAN address, the one peers on the internet see. */
  readonly address: string;
  /** Its address on the LAN, the clients' gateway. */
  readonly lanAddress: string;
  /** The LAN, e.g. `192.168.1.0/24`. */
  readonly subnet: string;
}

/** A machine on a router's LAN. */
export interface Client extends NodeBase {
  readonly kind: 'client';
  readonly address: string;
  readonly router: Router;
}

export type NetNode = Internet | Host | Router | Client;

/** The NAT mapping a client gets toward two addresses of one host (see `NetBed.classify`). */
export interface Classification {
  /** Same mapped address toward both destinations = endpoint-independent mapping (cone). */
  readonly nat: 'cone' | 'symmetric';
  /** The client's own source port. */
  readonly localPort: number;
  /** The source `ip:port` each of the two destinations saw. */
  readonly mapped: readonly [string, string];
}

/** A real Chromium running inside a client's namespace, with one page open. */
export interface NetPlayer extends Player {
  readonly browser: Browser;
  readonly client: Client;
  close(): Promise<void>;
}

/**
 * UDP and TCP port of the bed's probe server on a host (netns-probe.mjs): a STUN responder, a
 * UDP echo and an HTTP "what address did you come from" page. Not 3478/3479, which coturn
 * takes by default.
 */
export const PROBE_PORT = 19302;
/** The bed's internet is 10.77.0.0/16: hosts get the addresses they are given, routers 10.77.1.n. */
const INTERNET_PREFIX = 16;
const ROUTER_WAN_BASE = '10.77.1';
const PROBE_SCRIPT = join(import.meta.dirname, 'netns-probe.mjs');
const sbin = (name: string) =>
  [`/usr/sbin/${name}`, `/sbin/${name}`, `/usr/bin/${name}`].find((p) => existsSync(p)) ?? name;
const IP = sbin('ip');
const IPTABLES = sbin('iptables');
const IPTABLES_RESTORE = sbin('iptables-restore');
const NAME = /^[a-z][a-z0-9]{0,9}$/;
const DISPOSE_WAIT_MS = 3000;

/**
 * Why the bed cannot be built here, or '' when it can: it needs root, `ip netns`, iptables and
 * Chromium.
 */
export function netBedMissing(): string {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (sudo)';
  if (!existsSync(IP)) return 'no `ip` (Debian: iproute2)';
  if (spawnSync(IP, ['netns', 'list']).status !== 0) return '`ip netns` does not work here';
  if (!existsSync(IPTABLES) || !existsSync(IPTABLES_RESTORE))
    return 'no iptables (Debian: iptables)';
  if (!existsSync(CHROME)) return `no Chromium at ${CHROME} (set CHROME_PATH)`;
  return '';
}

let beds = 0;

export class NetBed {
  /** Every namespace of this bed starts with it: `lp<pid>x<n>-`. */
  readonly prefix: string;
  readonly internet: Internet;
  readonly #dir: string;
  readonly #nodes = new Map<string, NetNode>();
  readonly #children = new Set<ChildProcess>();
  readonly #players = new Set<NetPlayer>();
  readonly #servers = new Set<E2eServer>();
  readonly #turns = new Set<Coturn>();
  readonly #probes = new Map<string, Promise<void>>();
  readonly #cut = new Set<string>();
  readonly #reaper: ChildProcess;
  #serial = 0;
  #routers = 0;
  readonly #lanClients = new Map<string, number>();
  #disposed: Promise<void> | undefined;

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.internet = { kind: 'internet', name: 'internet', ns: `${prefix}net` };
    this.#dir = mkdtempSync(join(tmpdir(), prefix));
    // If this process dies without dispose() (crash, SIGINT, SIGKILL), the watchdog sees its
    // stdin close and removes the bed. It has its own process group, so a Ctrl-C does not
    // reach it before it has done its job.
    this.#reaper = spawn('/bin/sh', ['-c', `cat >/dev/null; ${cleanupScript(prefix, this.#dir)}`], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.#reaper.unref();
    (this.#reaper.stdin as unknown as Socket).unref();
    // A test runner that is stopped (SIGINT/SIGTERM to its main process) leaves its worker
    // running to the end of the current test; the IPC channel closing is the first sign.
    process.once('disconnect', this.#sweepNow);
  }

  readonly #sweepNow = () => {
    spawnSync('/bin/sh', ['-c', cleanupScript(this.prefix, this.#dir)], { stdio: 'ignore' });
  };

  /** Builds the internet namespace (and removes beds left by dead test processes). */
  static async create(): Promise<NetBed> {
    const missing = netBedMissing();
    if (missing) throw new Error(`cannot build the NAT test bed: ${missing}`);
    await sweepStale();
    const bed = new NetBed(`lp${process.pid}x${beds++}-`);
    try {
      await bed.#namespace(bed.internet.ns, ['net.bridge.bridge-nf-call-iptables=0']);
      await bed.#ip(bed.internet.ns, ['link add br0 type bridge', 'link set br0 up']);
    } catch (e) {
      await bed.dispose();
      throw e;
    }
    return bed;
  }

  /** A machine on the internet with these addresses (10.77.x.y); the first is `address`. */
  async host(name: string, ...addresses: string[]): Promise<Host> {
    const first = addresses[0];
    if (first === undefined) throw new Error(`host ${name}: give it an address`);
    for (const a of addresses) {
      if (!a.startsWith('10.77.') || a.startsWith(`${ROUTER_WAN_BASE}.`)) {
        throw new Error(`host ${name}: ${a} is not in 10.77.0.0/16 outside ${ROUTER_WAN_BASE}.x`);
      }
    }
    const node = this.#register<Host>({
      kind: 'host',
      name,
      ns: this.#claim(name),
      address: first,
      addresses,
    });
    await this.#namespace(node.ns);
    await this.#toInternet(node.ns, 'eth0');
    await this.#ip(node.ns, [
      ...addresses.map((a) => `addr add ${a}/${INTERNET_PREFIX} dev eth0`),
      'link set eth0 up',
      'route add default dev eth0',
    ]);
    return node;
  }

  /**
   * A home router with a WAN address (10.77.1.n) and a LAN behind it: 192.168.n.0/24 unless
   * `lan` says otherwise (two LANs may use the same range, as real homes do).
   */
  async router(
    name: string,
    { nat, lan }: { nat: NatKind; lan?: `192.168.${number}` },
  ): Promise<Router> {
    const n = ++this.#routers;
    const lanNet = lan ?? `192.168.${n}`;
    const node = this.#register<Router>({
      kind: 'router',
      name,
      ns: this.#claim(name),
      nat,
      address: `${ROUTER_WAN_BASE}.${n}`,
      lanAddress: `${lanNet}.1`,
      subnet: `${lanNet}.0/24`,
    });
    await this.#namespace(node.ns, [
      'net.ipv4.ip_forward=1',
      // The LAN bridge forwards between clients at layer 2; keep those frames out of iptables
      // so the router's rules see only routed (LAN <-> WAN) traffic.
      'net.bridge.bridge-nf-call-iptables=0',
    ]);
    await this.#toInternet(node.ns, 'wan');
    await this.#ip(node.ns, [
      `addr add ${node.address}/${INTERNET_PREFIX} dev wan`,
      'link set wan up',
      'route add default dev wan',
      'link add lan type bridge',
      `addr add ${node.lanAddress}/24 dev lan`,
      'link set lan up',
    ]);
    await this.exec(node, IPTABLES_RESTORE, [], natRules(nat));
    return node;
  }

  /** A machine on the router's LAN (192.168.n.10, .11, …), its gateway the router. */
  async client(name: string, router: Router | string): Promise<Client> {
    const r = this.#router(router);
    const k = this.#lanClients.get(r.name) ?? 0;
    this.#lanClients.set(r.name, k + 1);
    const lanNet = r.lanAddress.slice(0, r.lanAddress.lastIndexOf('.'));
    const node = this.#register<Client>({
      kind: 'client',
      name,
      ns: this.#claim(name),
      address: `${lanNet}.${10 + k}`,
      router: r,
    });
    await this.#namespace(node.ns);
    const port = `p${k}`;
    await this.#ip(r.ns, [`link add ${port} type veth peer name eth0 netns ${node.ns}`]);
    await this.#ip(r.ns, [`link set ${port} master lan`, `link set ${port} up`]);
    await this.#ip(node.ns, [
      `addr add ${node.address}/24 dev eth0`,
      'link set eth0 up',
      `route add default via ${r.lanAddress}`,
    ]);
    return node;
  }

  /** The node of that name. */
  node(name: string): NetNode {
    const node = this.#nodes.get(name);
    if (!node) throw new Error(`no node named ${name} in the bed`);
    return node;
  }

  /** Runs a command inside the node's namespace; resolves with its stdout, rejects on failure. */
  exec(
    node: NetNode | string,
    command: string,
    args: readonly string[] = [],
    input = '',
  ): Promise<string> {
    return run(IP, ['netns', 'exec', this.#ns(node), command, ...args], input);
  }

  /**
   * Starts a long-running process inside the node's namespace (stdout and stderr are pipes: read
   * them); killed by `dispose()`.
   */
  spawn(node: NetNode | string, command: string, args: readonly string[] = []): ChildProcess {
    const child = spawn(IP, ['netns', 'exec', this.#ns(node), command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /**
   * The built lanparty server inside the host's namespace, listening on 0.0.0.0 and reached at
   * the host's first address; stopped by `dispose()` if the test has not stopped it.
   */
  async server(host: Host | string, flags: readonly string[] = []): Promise<E2eServer> {
    const h = this.#host(host);
    const server = await startServer(flags, { netns: h.ns, address: h.address });
    this.#servers.add(server);
    return server;
  }

  /**
   * coturn (test/support/coturn.ts) inside the host's namespace, listening on all its addresses
   * and relaying from the first; stopped by `dispose()`. Its `url` is `turn:<address>:<port>`.
   */
  async coturn(host: Host | string, options: CoturnOptions = {}): Promise<Coturn> {
    const h = this.#host(host);
    const turn = await startCoturn({
      listeningIps: h.addresses,
      relayIp: h.address,
      ...options,
      wrap: [IP, 'netns', 'exec', h.ns],
    });
    this.#turns.add(turn);
    return turn;
  }

  /**
   * The bed's STUN server on the host (all its addresses, port PROBE_PORT), started once; as an
   * ICE server entry for RTCPeerConnection.
   */
  async stunServer(host: Host | string): Promise<{ urls: string }> {
    const h = this.#host(host);
    await this.#probeServer(h);
    return { urls: `stun:${h.address}:${PROBE_PORT}` };
  }

  /**
   * Classifies the client's NAT mapping: one UDP socket sends to two addresses of a host (the
   * first host with two, unless given); the same mapped `ip:port` from both means cone.
   */
  async classify(client: Client | string, via?: Host | string): Promise<Classification> {
    const c = this.#client(client);
    const host =
      via === undefined
        ? [...this.#nodes.values()].find(
            (n): n is Host => n.kind === 'host' && n.addresses.length >= 2,
          )
        : this.#host(via);
    const [a, b] = host?.addresses ?? [];
    if (!host || a === undefined || b === undefined) {
      throw new Error('classify needs a host with two addresses');
    }
    await this.#probeServer(host);
    const out = await this.exec(c, process.execPath, [
      PROBE_SCRIPT,
      'probe',
      `${PROBE_PORT}`,
      a,
      b,
    ]);
    const { localPort, mapped } = JSON.parse(out) as {
      localPort: number;
      mapped: [string | null, string | null];
    };
    const [toA, toB] = mapped;
    if (toA === null || toB === null) {
      throw new Error(`${c.name}: no answer from ${host.name} (${mapped.join(', ')})`);
    }
    return { nat: toA === toB ? 'cone' : 'symmetric', localPort, mapped: [toA, toB] };
  }

  /**
   * Asks any STUN server (the bed's, lanparty's own, coturn) from inside the client's namespace
   * for the client's mapped `ip:port`; null when nothing answers within 3 s.
   */
  async stunMapping(
    client: Client | string,
    address: string,
    port: number,
  ): Promise<string | null> {
    const c = this.#client(client);
    const out = await this.exec(c, process.execPath, [PROBE_SCRIPT, 'stun', `${port}`, address]);
    return (JSON.parse(out) as { mapped: [string | null] }).mapped[0];
  }

  /**
   * Real Chromium inside the client's namespace, driven from this process: playwright talks to
   * it over its debugging pipe (fds 3 and 4), which `ip netns exec` passes through, so this is
   * a full playwright Browser whose network is the client's. Closed by `dispose()`.
   */
  async player(client: Client | string): Promise<NetPlayer> {
    const c = this.#client(client);
    const wrapper = join(this.#dir, `chromium-${c.name}-${++this.#serial}`);
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec ${quote(IP)} netns exec ${quote(c.ns)} ${quote(CHROME)} "$@"\n`,
      { mode: 0o755 },
    );
    const browser = await launchBrowser(wrapper);
    const { page, problems } = await newPlayer(browser);
    const player: NetPlayer = {
      browser,
      client: c,
      page,
      problems,
      close: async () => {
        this.#players.delete(player);
        await browser.close();
      },
    };
    this.#players.add(player);
    return player;
  }

  /** Drops all UDP the router forwards (both ways), as a network outage for WebRTC. */
  async cutUdp(router: Router | string): Promise<void> {
    const r = this.#router(router);
    if (this.#cut.has(r.name)) return;
    await this.exec(r, IPTABLES, ['-I', 'FORWARD', '1', '-p', 'udp', '-j', 'DROP']);
    this.#cut.add(r.name);
  }

  /** Ends `cutUdp`: the router forwards UDP again (its NAT mappings are kept). */
  async restoreUdp(router: Router | string): Promise<void> {
    const r = this.#router(router);
    if (!this.#cut.has(r.name)) return;
    await this.exec(r, IPTABLES, ['-D', 'FORWARD', '-p', 'udp', '-j', 'DROP']);
    this.#cut.delete(r.name);
  }

  /**
   * Closes the players, stops the servers, kills every process left in the bed's namespaces
   * and removes the namespaces (and with them every veth and bridge). Safe to call twice.
   */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      await Promise.allSettled([
        ...[...this.#players].map((p) => withTimeout(p.close(), DISPOSE_WAIT_MS)),
        ...[...this.#servers].map((s) => withTimeout(s.kill(), DISPOSE_WAIT_MS)),
        ...[...this.#turns].map((t) => withTimeout(t.stop(), DISPOSE_WAIT_MS)),
      ]);
      for (const child of this.#children) child.kill('SIGKILL');
      // The same script the watchdog runs: it also catches namespaces a failed step left.
      this.#sweepNow();
      process.off('disconnect', this.#sweepNow);
      const exited = once(this.#reaper, 'exit');
      this.#reaper.stdin?.end();
      await withTimeout(exited, DISPOSE_WAIT_MS);
    })();
    return this.#disposed;
  }

  /** The namespace for a new node's name; the caller registers the node in the same tick. */
  #claim(name: string): string {
    if (!NAME.test(name)) throw new Error(`node name ${name}: use a-z0-9, at most 10 characters`);
    if (name === 'net' || this.#nodes.has(name)) throw new Error(`node name ${name} is taken`);
    return `${this.prefix}${name}`;
  }

  #register<T extends NetNode>(node: T): T {
    this.#nodes.set(node.name, node);
    return node;
  }

  #ns(node: NetNode | string): string {
    return typeof node === 'string' ? this.node(node).ns : node.ns;
  }

  #router(node: Router | string): Router {
    const n = typeof node === 'string' ? this.node(node) : node;
    if (n.kind !== 'router') throw new Error(`${n.name} is not a router`);
    return n;
  }

  #client(node: Client | string): Client {
    const n = typeof node === 'string' ? this.node(node) : node;
    if (n.kind !== 'client') throw new Error(`${n.name} is not a client`);
    return n;
  }

  #host(node: Host | string): Host {
    const n = typeof node === 'string' ? this.node(node) : node;
    if (n.kind !== 'host') throw new Error(`${n.name} is not a host`);
    return n;
  }

  /** A fresh namespace: loopback up, IPv6 off (only the paths the bed builds exist). */
  async #namespace(ns: string, sysctls: readonly string[] = []): Promise<void> {
    await run(IP, ['netns', 'add', ns]);
    await run(IP, [
      'netns',
      'exec',
      ns,
      'sysctl',
      '-eqw',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
      ...sysctls,
    ]);
    await this.#ip(ns, ['link set lo up']);
  }

  /** A veth from the internet's bridge to `ifname` in `ns`, created directly between the two. */
  async #toInternet(ns: string, ifname: string): Promise<void> {
    const port = `e${++this.#serial}`;
    await this.#ip(this.internet.ns, [
      `link add ${port} type veth peer name ${ifname} netns ${ns}`,
      `link set ${port} master br0`,
      `link set ${port} up`,
    ]);
  }

  #ip(ns: string, lines: readonly string[]): Promise<string> {
    return run(IP, ['-n', ns, '-batch', '-'], `${lines.join('\n')}\n`);
  }

  #probeServer(host: Host): Promise<void> {
    let started = this.#probes.get(host.name);
    if (!started) {
      const child = this.spawn(host, process.execPath, [
        PROBE_SCRIPT,
        'serve',
        `${PROBE_PORT}`,
        ...host.addresses,
      ]);
      started = new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (c) => {
          out += c;
          if (out.includes('ready')) resolve();
        });
        child.stderr?.on('data', (c) => {
          out += c;
        });
        child.once('exit', (code) => reject(new Error(`probe server exited (${code}): ${out}`)));
      });
      this.#probes.set(host.name, started);
    }
    return started;
  }
}

/** iptables-restore input for a router's NAT and filtering (see NatKind). */
function natRules(nat: NatKind): string {
  const masquerade = `-A POSTROUTING -o wan -j MASQUERADE${nat === 'symmetric' ? ' --random-fully' : ''}`;
  const filter =
    nat === 'open'
      ? []
      : [
          '-A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
          '-A INPUT -i wan -j DROP',
          '-A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
          '-A FORWARD -i wan -j DROP',
        ];
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    masquerade,
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...filter,
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * Shell that removes every namespace starting with `prefix` (first killing the processes in
 * it, which this bed started) and the bed's temporary folder.
 */
function cleanupScript(prefix: string, dir: string): string {
  return [
    `for ns in $(${quote(IP)} netns list | cut -d' ' -f1 | grep '^${prefix}'); do`,
    `  pids=$(${quote(IP)} netns pids "$ns"); [ -n "$pids" ] && kill -9 $pids;`,
    `  ${quote(IP)} netns del "$ns";`,
    'done;',
    `rm -rf ${quote(dir)}`,
  ].join(' ');
}

/**
 * Removes beds whose test process is gone (killed before its watchdog could run) and that have
 * no process left in them. Beds of live processes are never touched.
 */
async function sweepStale(): Promise<void> {
  const names = (await run(IP, ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const ns of names) {
    const owner = /^lp(\d+)x\d+-/.exec(ns)?.[1];
    if (owner === undefined || alive(Number(owner))) continue;
    if ((await run(IP, ['netns', 'pids', ns])).trim() !== '') continue;
    await run(IP, ['netns', 'del', ns]).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function run(file: string, args: readonly string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c) => {
      out += c;
    });
    child.stderr?.on('data', (c) => {
      err += c;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${err.trim()}`));
    });
    // A command that exits without reading its input must not fail the caller with EPIPE.
    child.stdin?.once('error', () => {});
    child.stdin?.end(input);
  });
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | number | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
