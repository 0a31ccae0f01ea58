import { describe, expect, it } from 'vitest';
import { Session } from '../../web/net/session.ts';
import { linkContract, transportContract } from '../contract/transport-contract.ts';
import { MemoryTransport } from '../support/memory-transport.ts';

const api = { describe, it, expect };

transportContract(
  'memory',
  async () => {
    const [a, b] = MemoryTransport.pair();
    return { a, b, dispose: () => a.close() };
  },
  api,
);

linkContract(
  'session over memory',
  async () => {
    const [ta, tb] = MemoryTransport.pair('relay');
    const a = new Session({ relay: ta });
    const b = new Session({ relay: tb });
    return {
      a,
      b,
      dispose: () => {
        a.close();
        b.close();
      },
    };
  },
  api,
);
