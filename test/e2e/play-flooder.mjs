// A bad client for the flood scenario of test/e2e/play.test.ts (see `flood` in play-support.ts):
// floods the lanparty server with junk from 127.0.0.2 (or the address given) until cut off, comes back after a pause,
// and so on until the time is up.
//   node play-flooder.mjs <server http url> <milliseconds> [pause ms, default 0] [address]
// Prints {"codes":[close codes the server sent, or HTTP statuses of refused upgrades],
// "sent":frames,"connections":n} on stdout.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const [serverUrl = '', ms = '3000', pauseMs = '0', address = '127.0.0.2'] = process.argv.slice(2);
const url = `${serverUrl.replace(/^http/, 'ws')}/ws?v=1`;
const end = Date.now() + Number(ms);
const junk = Array.from({ length: 64 }, (_, i) => randomBytes(8 + i));
const codes = [];
let sent = 0;
let connections = 0;

while (Date.now() < end) {
  const ws = new WebSocket(url, { localAddress: address });
  connections++;
  ws.on('message', () => {}); // the server's error replies: read and ignored
  ws.on('error', () => {});
  // Refused at the upgrade (HTTP status instead of a socket): recorded as the status.
  let refused = false;
  ws.on('unexpected-response', (_req, res) => {
    refused = true;
    codes.push(res.statusCode ?? 0);
    ws.terminate();
  });
  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve) => ws.once('open', resolve).once('close', resolve));
  while (ws.readyState === WebSocket.OPEN && Date.now() < end) {
    for (let i = 0; i < 200; i++) ws.send(junk[(sent + i) % junk.length], { binary: true });
    sent += 200;
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (ws.readyState === WebSocket.OPEN) {
    // Time is up and the server has not cut this one off: stop (not a server close code).
    ws.terminate();
    await closed;
  } else if (!refused) {
    codes.push(await closed);
  }
  if (Number(pauseMs) > 0) await new Promise((resolve) => setTimeout(resolve, Number(pauseMs)));
}
process.stdout.write(JSON.stringify({ codes, sent, connections }));
