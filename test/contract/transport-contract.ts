import type { Link, Transport } from '../../web/net/link.ts';

/**
 * One contract for every Transport and every Link implementation, run by vitest (memory, relay
 * through the real server) and by web-test-runner in Chromium (direct data channels, relay).
 * The runner's `describe`/`it`/`expect` (chai style, which both provide) are passed in.
 */
export interface ContractApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
  // biome-ignore lint/suspicious/noExplicitAny: chai's and vitest's expect differ in their types.
  expect: (value: unknown, message?: string) => any;
}

export interface Pair<T> {
  readonly a: T;
  readonly b: T;
  dispose(): void | Promise<void>;
}

export async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const bytes = (i: number, size = 100) => {
  const b = new Uint8Array(size).fill(i & 0xff);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};
const seq = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);

type Endpoint = Transport | Link;

function sharedCases<T extends Endpoint>(
  make: () => Promise<Pair<T>>,
  { it, expect }: ContractApi,
) {
  const withPair = (body: (p: Pair<T>) => Promise<void>) => async () => {
    const pair = await make();
    try {
      await until(
        () => pair.a.status === 'open' && pair.b.status === 'open',
        10_000,
        'both ends open',
      );
      await body(pair);
    } finally {
      await pair.dispose();
    }
  };

  it(
    'opens both ends and names its kind',
    withPair(async ({ a, b }) => {
      expect(['direct', 'turn', 'relay']).to.include(a.kind);
      expect(b.kind).to.equal(a.kind);
    }),
  );

  it(
    'carries reliable messages both ways, intact and in order',
    withPair(async ({ a, b }) => {
      const atB: Uint8Array[] = [];
      const atA: Uint8Array[] = [];
      b.onMessage((m: Uint8Array) => atB.push(m.slice()));
      a.onMessage((m: Uint8Array) => atA.push(m.slice()));
      for (let i = 0; i < 500; i++) {
        a.send(bytes(i), { reliable: true });
        b.send(bytes(i, 7), { reliable: true });
      }
      await until(() => atB.length >= 500 && atA.length >= 500, 10_000, '500 messages each way');
      expect(atB.map(seq)).to.deep.equal([...Array(500).keys()]);
      expect(atA.map(seq)).to.deep.equal([...Array(500).keys()]);
      expect([...(atB[42] ?? [])]).to.deep.equal([...bytes(42)]);
      expect(atA[0]?.length).to.equal(7);
    }),
  );

  it(
    'carries unreliable messages intact',
    withPair(async ({ a, b }) => {
      const got: Uint8Array[] = [];
      b.onMessage((m: Uint8Array) => got.push(m.slice()));
      for (let i = 0; i < 50; i++) {
        a.send(bytes(i), { reliable: false });
        await new Promise((r) => setTimeout(r, 2));
      }
      await until(() => got.length > 0, 5000, 'an unreliable message');
      for (const m of got) expect([...m]).to.deep.equal([...bytes(seq(m))]);
    }),
  );

  it(
    'stops calling a handler once unsubscribed',
    withPair(async ({ a, b }) => {
      let kept = 0;
      let dropped = 0;
      b.onMessage(() => kept++);
      const off = b.onMessage(() => dropped++);
      off();
      a.send(bytes(1), { reliable: true });
      await until(() => kept === 1, 5000, 'the message');
      expect(dropped).to.equal(0);
    }),
  );

  it(
    'closes: status closed, listeners told, later sends ignored',
    withPair(async ({ a }) => {
      const statuses: string[] = [];
      a.onStatus((s: string) => statuses.push(s));
      a.close();
      expect(a.status).to.equal('closed');
      await until(() => statuses.includes('closed'), 5000, 'the closed status');
      a.send(bytes(1), { reliable: true });
    }),
  );
}

/** The contract of a raw transport. */
export function transportContract(
  name: string,
  make: () => Promise<Pair<Transport>>,
  api: ContractApi,
): void {
  api.describe(`Transport contract: ${name}`, () => sharedCases(make, api));
}

/** The contract of a Link: the transport contract, plus RTT and exactly-once delivery. */
export function linkContract(
  name: string,
  make: () => Promise<Pair<Link>>,
  api: ContractApi,
): void {
  const { describe, it, expect } = api;
  describe(`Link contract: ${name}`, () => {
    sharedCases(make, api);
    it('measures the round-trip time', async () => {
      const { a, dispose } = await make();
      try {
        await until(() => a.rtt !== undefined, 5000, 'an RTT figure');
        expect(a.rtt).to.be.at.least(0);
        expect(a.rtt).to.be.below(1000);
      } finally {
        await dispose();
      }
    });
    it('tells reliable from unreliable messages and never delivers an unreliable one out of date', async () => {
      const { a, b, dispose } = await make();
      try {
        const unreliable: number[] = [];
        let reliable = 0;
        b.onMessage((m, o) => (o.reliable ? reliable++ : unreliable.push(seq(m))));
        for (let i = 0; i < 200; i++) {
          a.send(bytes(i), { reliable: false });
          if (i % 20 === 0) a.send(bytes(i), { reliable: true });
        }
        await until(() => reliable === 10, 5000, 'the reliable messages');
        expect(unreliable).to.deep.equal([...unreliable].sort((x, y) => x - y));
      } finally {
        await dispose();
      }
    });
  });
}
