/// <reference types="mocha" />
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import { DirectTransport } from '../../web/net/direct-transport.ts';
import { PeerNetwork } from '../../web/net/peer-network.ts';
import { RelayTransport } from '../../web/net/relay-transport.ts';
import type { Session } from '../../web/net/session.ts';
import { type Hello, SignalingClient } from '../../web/net/signaling-client.ts';
import { linkContract, transportContract, until } from '../contract/transport-contract.ts';

const api = { describe, it, expect };

let serverUrl = '';
before(async () => {
  serverUrl = (await executeServerCommand<{ url: string }, undefined>('lanparty-server')).url;
});

async function lobby() {
  const client = (hello: Hello) => new SignalingClient({ server: serverUrl, hello });
  const host = client({ type: 'create', name: 'H' });
  await until(() => host.lobby !== undefined, 5000, 'the lobby');
  const guest = client({ type: 'join', code: host.lobby?.code ?? '', name: 'G' });
  await until(() => guest.you !== undefined, 5000, 'the join');
  return { host, guest };
}

transportContract(
  'direct (WebRTC data channels in Chromium)',
  async () => {
    let b: DirectTransport | undefined;
    const a = new DirectTransport({
      initiator: true,
      iceServers: [],
      sendSignal: (d) => b?.signal(d),
    });
    b = new DirectTransport({ initiator: false, iceServers: [], sendSignal: (d) => a.signal(d) });
    return {
      a,
      b,
      dispose: () => {
        a.close();
        b?.close();
      },
    };
  },
  api,
);

transportContract(
  'relay (browser WebSocket through the real server)',
  async () => {
    const { host, guest } = await lobby();
    const a = new RelayTransport(guest, 1);
    const b = new RelayTransport(host, 2);
    return {
      a,
      b,
      dispose: () => {
        host.close();
        guest.close();
      },
    };
  },
  api,
);

linkContract(
  'session upgraded to direct (Chromium)',
  async () => {
    const { host, guest } = await lobby();
    const direct = (o: ConstructorParameters<typeof DirectTransport>[0]) => new DirectTransport(o);
    const hostNet = new PeerNetwork({ client: host, direct });
    const guestNet = new PeerNetwork({ client: guest, direct });
    await until(
      () => guestNet.session(1)?.kind === 'direct' && hostNet.session(2)?.kind === 'direct',
      10_000,
      'a direct link',
    );
    return {
      a: guestNet.session(1) as Session,
      b: hostNet.session(2) as Session,
      dispose: () => {
        hostNet.close();
        guestNet.close();
        host.close();
        guest.close();
      },
    };
  },
  api,
);
