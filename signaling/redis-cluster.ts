import type { Redis as RedisClient } from 'ioredis';
import { err, ok } from '../shared/result.ts';
import type { ClusterPort, ClusterState } from './cluster.ts';
import type { Logger } from './log.ts';
import { NODE_ID } from './node-protocol.ts';

const lobbyKey = (code: string) => `lanparty:lobby:${code}`;
const nodeChannel = (node: string) => `lanparty:node:${node}`;
/** Keys per script call when renewing or releasing many claims. */
const BATCH = 500;

/** Renews claims that are still ours or have expired; returns how many another node holds. */
const REFRESH = `local taken = 0
for _, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v == false or v == ARGV[1] then redis.call('SET', k, ARGV[1], 'PX', ARGV[2]) else taken = taken + 1 end
end
return taken`;
const RELEASE = `for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) end
end
return 0`;

/** The URL as logs may show it: user and password replaced. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username) u.username = '***';
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export interface RedisClusterOptions {
  readonly url: string;
  readonly nodeId: string;
  /** Time to live of a lobby claim; the owner renews it well before. */
  readonly claimTtlMs: number;
  /** How long start-up waits for Redis before going on without it (it connects later). */
  readonly connectWaitMs: number;
}

/**
 * The cluster on Redis: lobby claims are keys with a time to live (`lanparty:lobby:<code>` →
 * node id), node messages go over pub/sub (`lanparty:node:<id>`, binary). Commands fail at once
 * while Redis is away (no offline queue), so callers see `down` instead of waiting; both
 * connections reconnect by themselves and the subscription is renewed.
 */
export async function connectRedisCluster(
  options: RedisClusterOptions,
  log: Logger,
  /** Counted when renewing finds a lobby this node serves claimed by another node. */
  onTaken: (count: number) => void = () => {},
): Promise<ClusterPort> {
  const { url, nodeId, claimTtlMs } = options;
  const shown = redactRedisUrl(url);
  const common = {
    lazyConnect: false,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
  // Loaded only here: a node without --redis starts as fast as before (ioredis takes ~0.5 s).
  const { Redis } = await import('ioredis');
  const cmd: RedisClient = new Redis(url, { ...common, enableOfflineQueue: false });
  const sub: RedisClient = new Redis(url, {
    ...common,
    enableOfflineQueue: true,
    autoResubscribe: true,
  });
  let handler: (bytes: Buffer) => void = () => {};
  sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => handler(message));

  let lastState: ClusterState | undefined;
  let started = false;
  const state = (): ClusterState =>
    cmd.status === 'ready' && sub.status === 'ready' ? 'up' : 'down';
  const report = () => {
    if (!started) return;
    const now = state();
    if (now === lastState) return;
    lastState = now;
    if (now === 'up') log.info({ redis: shown, node: nodeId }, 'redis up');
    else
      log.warn(
        { redis: shown, node: nodeId },
        'redis down: cross-node joins fail until it is back',
      );
  };
  for (const client of [cmd, sub]) {
    client.on('ready', report);
    client.on('close', report);
    // Logged once per change of state by `report`; the client retries by itself.
    client.on('error', () => {});
  }
  sub.subscribe(nodeChannel(nodeId)).catch(() => {});

  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.connectWaitMs);
    const check = () => {
      if (state() === 'up') {
        clearTimeout(timer);
        resolve();
      }
    };
    cmd.on('ready', check);
    sub.on('ready', check);
    check();
  });
  started = true;
  report();

  const batches = (codes: readonly string[]) => {
    const out: string[][] = [];
    for (let i = 0; i < codes.length; i += BATCH) out.push(codes.slice(i, i + BATCH).map(lobbyKey));
    return out;
  };

  return {
    nodeId,
    state,
    claim(code) {
      cmd.set(lobbyKey(code), nodeId, 'PX', claimTtlMs).catch(() => {});
    },
    refresh(codes) {
      for (const keys of batches(codes)) {
        cmd
          .eval(REFRESH, keys.length, ...keys, nodeId, claimTtlMs)
          .then((taken) => {
            if (typeof taken === 'number' && taken > 0) onTaken(taken);
          })
          .catch(() => {});
      }
    },
    async release(codes) {
      await Promise.all(
        batches(codes).map((keys) =>
          cmd.eval(RELEASE, keys.length, ...keys, nodeId).catch(() => {}),
        ),
      );
    },
    async locate(code) {
      try {
        const owner = await cmd.get(lobbyKey(code));
        // Whatever is in Redis is checked like any input: a malformed value owns nothing.
        return ok(owner !== null && NODE_ID.test(owner) ? owner : undefined);
      } catch {
        return err('unavailable');
      }
    },
    send(node, bytes) {
      return cmd.publish(nodeChannel(node), bytes).then(
        (receivers) => receivers > 0,
        () => false,
      );
    },
    onMessage(h) {
      handler = h;
    },
    async close() {
      await Promise.all([cmd.quit().catch(() => {}), sub.quit().catch(() => {})]);
      cmd.disconnect();
      sub.disconnect();
    },
  };
}
