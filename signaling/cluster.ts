import { ok, type Result } from '../shared/result.ts';

/**
 * What a node needs from the other nodes: a shared lobby directory (which node owns a lobby) and
 * a message channel per node. Redis implements it (`redis-cluster.ts`); with no `--redis` the
 * node runs alone (`soloCluster`) and everything stays in this process, exactly as before.
 *
 * Everything here is soft state: every claim is kept alive by its owner and expires without it,
 * and the owners re-claim their live lobbies when the store comes back.
 */
export interface ClusterPort {
  readonly nodeId: string;
  /** `solo`: no shared store; `up` / `down`: whether the store answers now. */
  state(): ClusterState;
  /** A lobby was created or re-claimed here: this node owns it now (a stale owner is replaced). */
  claim(code: string): void;
  /** Keeps this node's claims alive; a claim another node took meanwhile is left to it. */
  refresh(codes: readonly string[]): void;
  /** Gives up claims (lobby ended, node draining); a claim another node holds is left alone. */
  release(codes: readonly string[]): Promise<void>;
  /** The node that owns `code`, undefined when none does, or an error while the store is down. */
  locate(code: string): Promise<Result<string | undefined, 'unavailable'>>;
  /** Sends to a node: true when a live node received it, false when none did or the store is down. */
  send(node: string, bytes: Buffer): Promise<boolean>;
  onMessage(handler: (bytes: Buffer) => void): void;
  close(): Promise<void>;
}

export type ClusterState = 'solo' | 'up' | 'down';

/** One node on its own: no other node ever owns a lobby or receives a message. */
export function soloCluster(nodeId: string): ClusterPort {
  return {
    nodeId,
    state: () => 'solo',
    claim: () => {},
    refresh: () => {},
    release: async () => {},
    locate: async () => ok(undefined),
    send: async () => false,
    onMessage: () => {},
    close: async () => {},
  };
}

/** Redis as `/healthz` and `/metrics` show it: `off` without `--redis`. */
export function clusterStateName(cluster: ClusterPort): 'off' | 'up' | 'down' {
  const state = cluster.state();
  return state === 'solo' ? 'off' : state;
}

/** Cross-node traffic of one node, for `/healthz` and `/metrics`. */
export class ClusterStats {
  /** Messages (and their bytes) sent to and received from other nodes. */
  sent = 0;
  received = 0;
  sentBytes = 0;
  receivedBytes = 0;
  /** Messages from other nodes that failed validation, or named a connection we do not hold. */
  rejected = 0;
  /** Sends no live node received (the node died, or the store is down). */
  undelivered = 0;
  /** Client sockets closed because the node owning their lobby went silent. */
  ownerLost = 0;
  /** Joins, resumes and re-claims refused with `cluster_unavailable` while the store was down. */
  refusedUnavailable = 0;
}
