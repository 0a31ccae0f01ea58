import { err, ok } from '../../shared/result.ts';
import type { ClusterPort } from '../../signaling/cluster.ts';

/**
 * Redis as the nodes of one test process see it: lobby claims in a map, one handler per node
 * for pub/sub, delivered in order on a later microtask. `up = false` plays Redis going away
 * (claims are kept unless the test clears them, as a restarted Redis would); `kill(node)` plays
 * a node that died without a word (its claims stay until they would expire).
 */
export class MemoryBus {
  up = true;
  readonly owners = new Map<string, string>();
  private readonly handlers = new Map<string, (bytes: Buffer) => void>();
  private readonly dead = new Set<string>();

  node(nodeId: string): ClusterPort {
    const bus = this;
    return {
      nodeId,
      state: () => (bus.up ? 'up' : 'down'),
      claim(code) {
        if (bus.up) bus.owners.set(code, nodeId);
      },
      refresh(codes) {
        if (!bus.up) return;
        for (const code of codes) if (!bus.owners.has(code)) bus.owners.set(code, nodeId);
      },
      async release(codes) {
        if (!bus.up) return;
        for (const code of codes) if (bus.owners.get(code) === nodeId) bus.owners.delete(code);
      },
      async locate(code) {
        return bus.up ? ok(bus.owners.get(code)) : err('unavailable');
      },
      async send(node, bytes) {
        const handler = bus.handlers.get(node);
        if (!bus.up || handler === undefined || bus.dead.has(nodeId)) return false;
        queueMicrotask(() => handler(bytes));
        return true;
      },
      onMessage(handler) {
        bus.handlers.set(nodeId, handler);
      },
      async close() {
        bus.handlers.delete(nodeId);
      },
    };
  }

  /** The node is gone: nothing reaches it, nothing it sends arrives. */
  kill(nodeId: string): void {
    this.handlers.delete(nodeId);
    this.dead.add(nodeId);
  }
}

/** Lets every queued delivery and promise callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
