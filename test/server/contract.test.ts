import { describe, expect, it } from 'vitest';
import { PeerNetwork } from '../../web/net/peer-network.ts';
import { RelayTransport } from '../../web/net/relay-transport.ts';
import type { Session } from '../../web/net/session.ts';
import type { Hello } from '../../web/net/signaling-client.ts';
import { linkContract, transportContract, until } from '../contract/transport-contract.ts';
import { nodeSignalingClient } from '../support/node-page.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const api = { describe, it, expect };

/** A host and a guest through a fresh real server, as the browser client connects. */
async function lobby() {
  const server: TestServer = await startTestServer();
  const client = (hello: Hello) => nodeSignalingClient(server.baseUrl, hello);
  const host = client({ type: 'create', name: 'H' });
  await until(() => host.lobby !== undefined, 5000, 'the lobby');
  const guest = client({ type: 'join', code: host.lobby?.code ?? '', name: 'G' });
  await until(() => guest.you !== undefined, 5000, 'the join');
  const stop = async () => {
    host.close();
    guest.close();
    await server.close();
  };
  return { host, guest, stop };
}

transportContract(
  'relay through the real server',
  async () => {
    const { host, guest, stop } = await lobby();
    const a = new RelayTransport(guest, 1);
    const b = new RelayTransport(host, 2);
    return {
      a,
      b,
      dispose: async () => {
        a.close();
        b.close();
        await stop();
      },
    };
  },
  api,
);

linkContract(
  'session over the relay of the real server',
  async () => {
    const { host, guest, stop } = await lobby();
    const hostNet = new PeerNetwork({ client: host });
    const guestNet = new PeerNetwork({ client: guest });
    await until(
      () => guestNet.session(1) !== undefined && hostNet.session(2) !== undefined,
      5000,
      'sessions',
    );
    return {
      a: guestNet.session(1) as Session,
      b: hostNet.session(2) as Session,
      dispose: async () => {
        hostNet.close();
        guestNet.close();
        await stop();
      },
    };
  },
  api,
);
