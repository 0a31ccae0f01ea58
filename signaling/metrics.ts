import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { UwsEngine } from './engine.ts';
import type { Federation } from './federation.ts';
import type { Hub } from './hub.ts';
import type { StunStats } from './stun-responder.ts';

/**
 * Prometheus metrics. Values are read from the hub's plain counters when scraped, so the relay
 * path never touches prom-client.
 */
export function createMetrics(
  hub: Hub,
  engine: UwsEngine,
  /** The built-in STUN server's counters, once it is bound (none while it is off). */
  stun: () => StunStats | undefined = () => undefined,
  federation?: Federation,
  redis: () => 'off' | 'up' | 'down' = () => 'off',
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lanparty_' });
  const s = hub.stats;
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  gauge('lanparty_connections', 'Open WebSocket connections.', () => hub.connectionCount);
  gauge('lanparty_lobbies', 'Open lobbies.', () => hub.directory.size);
  counter(
    'lanparty_messages_total',
    'Messages received from clients (text and binary).',
    () => s.messagesIn,
  );
  counter('lanparty_signals_relayed_total', 'WebRTC signaling messages relayed.', () => s.signals);
  counter('lanparty_relay_frames_total', 'Data-relay frames forwarded.', () => s.relayFrames);
  new Counter({
    name: 'lanparty_relay_bytes_total',
    help: 'Data-relay bytes forwarded (headers included): game data, and control (pings, acks) apart.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ kind: 'game' }, s.relayGameBytes);
      this.inc({ kind: 'control' }, s.relayControlBytes);
    },
  });
  new Gauge({
    name: 'lanparty_links',
    help: 'Connected guests by how they reach their host (direct, turn, relay), as hosts report it.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const [kind, n] of Object.entries(hub.linkCounts())) this.set({ kind }, n);
    },
  });
  counter(
    'lanparty_host_migrations_total',
    'Lobbies handed to a guest because their host left or stayed away.',
    () => s.hostMigrations,
  );
  counter(
    'lanparty_relay_dropped_total',
    'Droppable relay frames dropped for a lagging receiver.',
    () => s.relayDropped,
  );
  new Counter({
    name: 'lanparty_rejected_total',
    help: 'Refused messages and connections, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of s.rejected) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'lanparty_closes_total',
    help: 'Connections closed by the server, by close code.',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of s.closeCodes) this.inc({ code: String(code) }, n);
    },
  });
  const stunCounter = (name: string, help: string, read: (st: StunStats) => number) =>
    counter(name, help, () => {
      const st = stun();
      return st === undefined ? 0 : read(st);
    });
  stunCounter(
    'lanparty_stun_requests_total',
    'STUN Binding requests received.',
    (st) => st.requests,
  );
  stunCounter(
    'lanparty_stun_responses_total',
    'STUN Binding responses sent.',
    (st) => st.responses,
  );
  stunCounter(
    'lanparty_stun_rate_limited_total',
    'STUN Binding requests left unanswered: their address was over --stun-rate.',
    (st) => st.rateLimited,
  );
  new Counter({
    name: 'lanparty_stun_ignored_total',
    help: 'Datagrams on the STUN port that were not a Binding request we answer, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of stun()?.ignored ?? []) this.inc({ reason }, n);
    },
  });
  const engineGauge = new Gauge({
    name: 'lanparty_uws_engine',
    help: 'The uWebSockets.js engine in use (1 for the engine label that runs).',
    labelNames: ['engine'],
    registers: [registry],
  });
  engineGauge.set({ engine }, 1);
  if (federation) clusterMetrics(registry, federation, redis, counter, gauge);
  return registry;
}

/** Node identity, Redis state and cross-node traffic (zero on a node that runs alone). */
function clusterMetrics(
  registry: Registry,
  federation: Federation,
  redis: () => 'off' | 'up' | 'down',
  counter: (name: string, help: string, read: () => number) => Counter,
  gauge: (name: string, help: string, read: () => number) => Gauge,
): void {
  new Gauge({
    name: 'lanparty_node_info',
    help: 'This node (1 for its id).',
    labelNames: ['node'],
    registers: [registry],
  }).set({ node: federation.nodeId }, 1);
  new Gauge({
    name: 'lanparty_redis_state',
    help: 'Redis as this node sees it: 1 for the current state (off: no --redis).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const now = redis();
      for (const state of ['off', 'up', 'down']) this.set({ state }, state === now ? 1 : 0);
    },
  });
  const s = federation.stats;
  for (const [direction, messages, bytes] of [
    ['out', () => s.sent, () => s.sentBytes],
    ['in', () => s.received, () => s.receivedBytes],
  ] as const) {
    new Counter({
      name: `lanparty_cluster_messages_${direction}_total`,
      help: `Messages ${direction === 'out' ? 'sent to' : 'received from'} other nodes.`,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(messages());
      },
    });
    new Counter({
      name: `lanparty_cluster_bytes_${direction}_total`,
      help: `Bytes ${direction === 'out' ? 'sent to' : 'received from'} other nodes.`,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(bytes());
      },
    });
  }
  counter(
    'lanparty_cluster_rejected_total',
    'Messages from other nodes dropped: invalid, or for a connection this node does not hold.',
    () => s.rejected,
  );
  counter(
    'lanparty_cluster_undelivered_total',
    'Messages to other nodes that no live node received (node gone or Redis down).',
    () => s.undelivered,
  );
  counter(
    'lanparty_cluster_owner_lost_total',
    'Sockets told to reconnect (1001) because the node owning their lobby was lost.',
    () => s.ownerLost,
  );
  counter(
    'lanparty_cluster_unavailable_total',
    'Joins, resumes and re-claims refused with cluster_unavailable while Redis was down.',
    () => s.refusedUnavailable,
  );
  gauge(
    'lanparty_cluster_routed_sockets',
    'Sockets on this node whose lobby another node serves.',
    () => federation.routedCount,
  );
  gauge(
    'lanparty_cluster_remote_players',
    "Players of this node's lobbies whose sockets are on other nodes.",
    () => federation.remoteCount,
  );
}
