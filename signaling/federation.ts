import { CloseCode } from '../shared/protocol/close-codes.ts';
import { normalizeLobbyCode } from '../shared/protocol/lobby-code.ts';
import { decodeClientMessage } from '../shared/protocol/signaling.ts';
import { assertNever } from '../shared/result.ts';
import { type ClusterPort, ClusterStats } from './cluster.ts';
import { type LobbyEntry, MemoryDirectory } from './directory.ts';
import type { Hub, Peer, SocketPort } from './hub.ts';
import {
  decodeNodeMessage,
  encodeBatch,
  encodeNodeMessage,
  type NodeHeader,
  splitBatch,
} from './node-protocol.ts';

/** Timings of the node-to-node layer (see `CLUSTER_LIMITS` and the settings). */
export interface FederationOptions {
  /** A node that owns lobbies of our sockets and says nothing for this long is taken for dead. */
  readonly nodeTimeoutMs: number;
  /** How often an owner tells the nodes holding its players' sockets that it is alive. */
  readonly beatIntervalMs: number;
  /** How often this node's lobby claims are renewed (well within their time to live). */
  readonly refreshMs: number;
  /** Largest client message carried between nodes (the server's frame limit). */
  readonly maxPayload: number;
  /**
   * After the store comes back (empty, or having missed changes), a lobby it does not know may
   * just not be re-claimed by its node yet: for this long it is `cluster_unavailable`, not gone.
   */
  readonly rejoinMs: number;
}

/** A batch to one node is sent at once when it reaches this size, without waiting for the turn's end. */
const MAX_BATCH_BYTES = 256 * 1024;

/** Messages to one node in this event-loop turn, and the answer they will share. */
interface Batch {
  readonly messages: Buffer[];
  size: number;
  readonly delivered: Promise<boolean>;
  readonly settle: (delivered: boolean) => void;
}

/** Messages a socket may send while the node looks up where its lobby lives. */
const MAX_QUEUED_WHILE_LOCATING = 8;

/** A socket on this node whose lobby another node owns. */
interface Route {
  readonly node: string;
  readonly conn: number;
}

/** This node's lobby directory, with every lobby claimed in the cluster's shared one. */
export class SharedDirectory<Member> extends MemoryDirectory<Member> {
  constructor(private readonly cluster: ClusterPort) {
    super();
  }
  override add(entry: LobbyEntry<Member>) {
    super.add(entry);
    this.cluster.claim(entry.code);
  }
  override delete(code: string) {
    super.delete(code);
    void this.cluster.release([code]);
  }
}

/**
 * Several nodes serving the same lobbies (Colyseus-style: a lobby lives on one node, its owner;
 * only routing is shared). A socket's first message names its lobby; when another node owns it,
 * this node keeps the socket (its limits and heartbeat) and forwards what the client sends to the
 * owner, whose Hub serves it as one more peer behind a `RemotePort`. The Hub never knows.
 *
 * No I/O here: the cluster port carries the messages, the clock is injected. With a solo cluster
 * every call goes straight to the Hub.
 */
export class Federation {
  readonly stats = new ClusterStats();
  private readonly solo: boolean;
  /** Connection numbers start at a random point, so a restarted node never reuses a live one. */
  private nextConn = 1 + Math.floor(Math.random() * 2 ** 40);
  /** Sockets here whose lobby another node owns. */
  private readonly routes = new Map<Peer, Route>();
  private readonly byConn = new Map<number, Peer>();
  /** Sockets whose first message waits for the directory. */
  private readonly locating = new Map<Peer, string[]>();
  /** Players of our lobbies whose sockets are on other nodes, by `node/conn`. */
  private readonly remotes = new Map<string, RemotePort>();
  /** When each owner node was last heard from. */
  private readonly heard = new Map<string, number>();
  private readonly outbox = new Map<string, Batch>();
  private flushScheduled = false;
  private lastBeat = 0;
  private lastRefresh = 0;
  private lastState: string;
  /** When the store last came back (see `rejoinMs`). */
  private upSince = Number.NEGATIVE_INFINITY;
  private draining = false;

  constructor(
    private readonly hub: Hub,
    private readonly cluster: ClusterPort,
    private readonly options: FederationOptions,
    private readonly now: () => number = Date.now,
    /** Runs `flush` after the current event-loop turn (the edge passes `setImmediate`). */
    private readonly defer: (fn: () => void) => void = queueMicrotask,
  ) {
    this.solo = cluster.state() === 'solo';
    this.lastState = cluster.state();
    cluster.onMessage((bytes) => this.receive(bytes));
  }

  get nodeId(): string {
    return this.cluster.nodeId;
  }
  /** Sockets here served by another node. */
  get routedCount(): number {
    return this.routes.size;
  }
  /** Players served here whose sockets are on other nodes. */
  get remoteCount(): number {
    return this.remotes.size;
  }

  // ---- the socket's side ----------------------------------------------------------------------

  text(peer: Peer, text: string, size: number): void {
    if (peer.entry !== undefined || this.solo) return this.hub.text(peer, text, size);
    if (!this.hub.admitMessage(peer, size)) return;
    const route = this.routes.get(peer);
    if (route) return this.toOwner(peer, route, 'c.text', text);
    const queued = this.locating.get(peer);
    if (queued) {
      if (queued.length < MAX_QUEUED_WHILE_LOCATING) queued.push(text);
      else this.hub.fail(peer, 'rate_limited', 'wait for the answer to your first message');
      return;
    }
    const hello = elsewhereCandidate(text);
    if (hello === undefined || this.hub.directory.get(hello.code) !== undefined) {
      return this.hub.handleText(peer, text);
    }
    this.locating.set(peer, [text]);
    this.cluster.locate(hello.code).then((found) => {
      const texts = this.locating.get(peer);
      this.locating.delete(peer);
      if (texts === undefined || peer.closed) return;
      // Also before the tick has seen the store come back (`lastState`).
      const rejoining =
        found.ok &&
        found.value === undefined &&
        (this.lastState !== 'up' || this.now() - this.upSince < this.options.rejoinMs);
      if ((!found.ok || rejoining) && this.hub.directory.get(hello.code) === undefined) {
        // Never guess while the directory is away: a join here would say "no such lobby", a
        // re-claim here could split the lobby in two.
        this.stats.refusedUnavailable++;
        this.hub.fail(
          peer,
          'cluster_unavailable',
          'the lobby directory is unreachable; try again in a moment',
          hello.type,
        );
        return;
      }
      const owner = found.ok ? found.value : undefined;
      if (owner === undefined || owner === this.nodeId || this.hub.directory.get(hello.code)) {
        for (const t of texts) this.hub.handleText(peer, t);
        return;
      }
      this.route(peer, owner, texts);
    });
  }

  binary(peer: Peer, frame: Uint8Array): void {
    const route = peer.entry === undefined ? this.routes.get(peer) : undefined;
    if (route === undefined) return this.hub.binary(peer, frame);
    if (this.hub.admitMessage(peer, frame.length)) this.toOwner(peer, route, 'c.bin', frame);
  }

  control(peer: Peer): void {
    this.hub.control(peer);
  }

  closed(peer: Peer): void {
    this.locating.delete(peer);
    const route = this.routes.get(peer);
    if (route) {
      this.unroute(peer, route);
      this.send(route.node, { k: 'c.gone', from: this.nodeId, conn: route.conn });
    }
    this.hub.closed(peer);
  }

  /** From now on, what this socket sends goes to `owner`; `texts` are its first messages. */
  private route(peer: Peer, owner: string, texts: readonly string[]): void {
    const route: Route = { node: owner, conn: this.nextConn++ };
    this.routes.set(peer, route);
    this.byConn.set(route.conn, peer);
    peer.elsewhere = true;
    this.heard.set(owner, Math.max(this.heard.get(owner) ?? 0, this.now()));
    const opened = this.send(owner, {
      k: 'c.open',
      from: this.nodeId,
      conn: route.conn,
      ip: peer.ip,
      baseUrl: peer.baseUrl,
    });
    for (const t of texts)
      this.send(owner, { k: 'c.text', from: this.nodeId, conn: route.conn }, t);
    opened.then((delivered) => {
      if (delivered || this.routes.get(peer) !== route) return;
      // The directory named a node that is gone (killed before its claims expired): the lobby
      // is nowhere, as after a restart. Answer here: a host re-claims it on this node.
      this.unroute(peer, route);
      if (!peer.closed) for (const t of texts) this.hub.handleText(peer, t);
    });
  }

  private unroute(peer: Peer, route: Route): void {
    this.routes.delete(peer);
    this.byConn.delete(route.conn);
    peer.elsewhere = false;
  }

  private toOwner(peer: Peer, route: Route, k: 'c.text' | 'c.bin', payload: string | Uint8Array) {
    this.send(route.node, { k, from: this.nodeId, conn: route.conn }, payload).then((delivered) => {
      if (!delivered && this.routes.get(peer) === route) {
        this.lostOwner(peer, route, 'the server holding this lobby is unreachable');
      }
    });
  }

  /** The owner is gone or unreachable: the client reconnects at once and resumes (or re-claims). */
  private lostOwner(peer: Peer, route: Route, reason: string): void {
    this.stats.ownerLost++;
    this.unroute(peer, route);
    peer.port.close(CloseCode.GOING_AWAY, reason);
    this.hub.closed(peer);
  }

  // ---- the owner's side -----------------------------------------------------------------------

  /** What the owner sends to a player whose socket is on `node`. */
  toSocket(port: RemotePort, header: NodeHeader, payload?: string | Uint8Array): void {
    this.send(port.node, header, payload).then((delivered) => {
      // The socket's node is gone: its player drops, as after a lost connection.
      if (!delivered && header.k !== 'o.close') this.forget(port);
    });
  }

  forget(port: RemotePort): void {
    if (this.remotes.get(port.key) === port) this.remotes.delete(port.key);
    port.closed = true;
    if (port.peer) this.hub.closed(port.peer);
  }

  private open(h: Extract<NodeHeader, { k: 'c.open' }>): void {
    const key = `${h.from}/${h.conn}`;
    if (this.draining || this.remotes.has(key)) {
      const reason = this.draining ? 'server restarting' : 'connection already open';
      this.send(h.from, { k: 'o.close', from: this.nodeId, conn: h.conn, code: 1001, reason });
      return;
    }
    const port = new RemotePort(this, h.from, h.conn, key);
    port.peer = this.hub.open(port, h.ip, h.baseUrl);
    this.remotes.set(key, port);
  }

  // ---- both --------------------------------------------------------------------------------

  /** Queues a message for `node`; resolves, with its whole batch, to whether a live node got it. */
  private send(node: string, header: NodeHeader, payload?: string | Uint8Array): Promise<boolean> {
    const bytes = encodeNodeMessage(header, payload);
    this.stats.sent++;
    this.stats.sentBytes += bytes.length;
    let batch = this.outbox.get(node);
    if (batch === undefined) {
      let settle: (delivered: boolean) => void = () => {};
      const delivered = new Promise<boolean>((resolve) => {
        settle = resolve;
      });
      batch = { messages: [], size: 0, delivered, settle };
      this.outbox.set(node, batch);
    }
    batch.messages.push(bytes);
    batch.size += bytes.length;
    if (batch.size >= MAX_BATCH_BYTES) this.flushTo(node, batch);
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.defer(() => this.flush());
    }
    return batch.delivered;
  }

  /** Sends every queued batch now (also before the cluster connection closes). */
  flush(): void {
    this.flushScheduled = false;
    for (const [node, batch] of this.outbox) this.flushTo(node, batch);
  }

  private flushTo(node: string, batch: Batch): void {
    this.outbox.delete(node);
    this.cluster.send(node, encodeBatch(batch.messages)).then((delivered) => {
      if (!delivered) this.stats.undelivered += batch.messages.length;
      batch.settle(delivered);
    });
  }

  private receive(bytes: Buffer): void {
    const messages = splitBatch(bytes);
    if (!messages.ok) {
      this.stats.rejected++;
      return;
    }
    for (const message of messages.value) this.receiveOne(message);
  }

  private receiveOne(bytes: Buffer): void {
    this.stats.received++;
    this.stats.receivedBytes += bytes.length;
    const decoded = decodeNodeMessage(bytes, this.options.maxPayload);
    if (!decoded.ok || decoded.value.header.from === this.nodeId) {
      this.stats.rejected++;
      return;
    }
    const { header: h, payload } = decoded.value;
    this.heard.set(h.from, this.now());
    switch (h.k) {
      case 'c.open':
        return this.open(h);
      case 'c.text':
      case 'c.bin':
      case 'c.pong':
      case 'c.gone': {
        const port = this.remotes.get(`${h.from}/${h.conn}`);
        if (port?.peer === undefined) {
          this.stats.rejected++;
          // We restarted, or dropped this player: its node closes the socket, the client resumes.
          if (h.k !== 'c.gone') {
            const reason = 'server lost this connection';
            this.send(h.from, {
              k: 'o.close',
              from: this.nodeId,
              conn: h.conn,
              code: 1001,
              reason,
            });
          }
          return;
        }
        const peer = port.peer;
        if (h.k === 'c.text') this.hub.text(peer, payload.toString('utf8'), payload.length);
        else if (h.k === 'c.bin') this.hub.binary(peer, payload);
        else if (h.k === 'c.pong') this.hub.control(peer);
        else this.forget(port);
        return;
      }
      case 'o.text':
      case 'o.bin':
      case 'o.ping':
      case 'o.close': {
        const peer = this.byConn.get(h.conn);
        const route = peer && this.routes.get(peer);
        if (peer === undefined || route === undefined || route.node !== h.from) {
          this.stats.rejected++;
          return;
        }
        // Closed here before the edge told us (uWS reports every close; other ports may not).
        if (peer.closed) return this.closed(peer);
        if (h.k === 'o.text') peer.port.sendText(payload.toString('utf8'));
        else if (h.k === 'o.bin') peer.port.sendBinary(payload);
        else if (h.k === 'o.ping')
          this.send(h.from, { k: 'c.pong', from: this.nodeId, conn: h.conn });
        else {
          this.unroute(peer, route);
          peer.port.close(h.code, h.reason);
          this.hub.closed(peer);
        }
        return;
      }
      case 'o.beat':
        return;
      default:
        return assertNever(h);
    }
  }

  /** Periodic work, with the hub's: owners' beats, silent owners, renewing this node's claims. */
  tick(): void {
    if (this.solo) return;
    const now = this.now();
    if (now - this.lastBeat >= this.options.beatIntervalMs) {
      this.lastBeat = now;
      const nodes = new Set<string>();
      for (const port of this.remotes.values()) nodes.add(port.node);
      for (const node of nodes) this.send(node, { k: 'o.beat', from: this.nodeId, conn: 1 });
    }
    for (const [peer, route] of this.routes) {
      if (now - (this.heard.get(route.node) ?? 0) > this.options.nodeTimeoutMs) {
        this.lostOwner(peer, route, 'the server holding this lobby stopped answering');
      }
    }
    const state = this.cluster.state();
    if (state === 'up' && this.lastState !== 'up') this.upSince = now;
    // After the store comes back (or went away and lost everything), claims are renewed at once.
    if (
      state === 'up' &&
      (this.lastState !== 'up' || now - this.lastRefresh >= this.options.refreshMs)
    ) {
      this.lastRefresh = now;
      this.cluster.refresh(this.codes());
    }
    this.lastState = state;
  }

  /**
   * SIGTERM: gives up every claim first, so players who reconnect through the balancer re-claim
   * and resume on other nodes instead of being sent back here; new players from other nodes are
   * turned away. The edge then closes every socket with 1001.
   */
  async drain(): Promise<void> {
    this.draining = true;
    if (!this.solo) await this.cluster.release(this.codes());
  }

  private codes(): string[] {
    return Array.from(this.hub.directory.values(), (e) => e.code);
  }
}

/** The owner's view of a player whose socket is on another node. */
export class RemotePort implements SocketPort {
  closed = false;
  peer: Peer | undefined;
  constructor(
    private readonly federation: Federation,
    readonly node: string,
    readonly conn: number,
    readonly key: string,
  ) {}
  private header<K extends 'o.text' | 'o.bin' | 'o.ping'>(k: K) {
    return { k, from: this.federation.nodeId, conn: this.conn };
  }
  sendText(text: string) {
    if (!this.closed) this.federation.toSocket(this, this.header('o.text'), text);
  }
  sendBinary(bytes: Uint8Array) {
    if (!this.closed) this.federation.toSocket(this, this.header('o.bin'), bytes);
  }
  /** Unknown across nodes: the socket's node protects it with its own send-buffer limit. */
  bufferedAmount() {
    return 0;
  }
  ping() {
    if (!this.closed) this.federation.toSocket(this, this.header('o.ping'));
  }
  close(code: number, reason: string) {
    if (this.closed) return;
    const from = this.federation.nodeId;
    this.federation.toSocket(this, { k: 'o.close', from, conn: this.conn, code, reason });
    this.federation.forget(this);
  }
}

/** The lobby code of a join, resume or re-claim: the messages that may concern another node. */
function elsewhereCandidate(
  text: string,
): { readonly type: 'join' | 'resume' | 'reclaim'; readonly code: string } | undefined {
  const decoded = decodeClientMessage(text);
  if (!decoded.ok) return undefined;
  const msg = decoded.value;
  if (msg.type !== 'join' && msg.type !== 'resume' && msg.type !== 'reclaim') return undefined;
  const code = normalizeLobbyCode(msg.code);
  return code === undefined ? undefined : { type: msg.type, code };
}
