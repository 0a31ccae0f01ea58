// The PeerJS server (npm package `peer`), started the way its README shows, as the baseline for
// test/bench/run.mjs. Prints `listening <port>` once it accepts connections.
//
//   node test/bench/peer-server.mjs --host 127.0.0.1 --port 0 --concurrent-limit 20000
import { parseArgs } from 'node:util';
import { PeerServer } from 'peer';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'concurrent-limit': { type: 'string', default: '5000' },
  },
});

const app = PeerServer(
  {
    host: values.host,
    port: Number(values.port),
    path: '/',
    key: 'peerjs',
    concurrent_limit: Number(values['concurrent-limit']),
  },
  (server) => {
    const address = server.address();
    console.log(`listening ${typeof address === 'object' && address ? address.port : values.port}`);
  },
);
app.on('error', (error) => console.error('peer server error:', error.message));

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
