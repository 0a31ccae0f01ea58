// Runs inside a network namespace of the NAT test bed (test/support/netns.ts).
//
//   node netns-probe.mjs serve PORT ADDR...   On every ADDR: UDP PORT answers a STUN binding
//     request with a binding response (XOR-MAPPED-ADDRESS), and any other datagram with the text
//     "ip:port" of the source it saw; TCP PORT answers any HTTP request with the same text. Prints
//     "ready" once every socket listens.
//   node netns-probe.mjs probe PORT ADDR...   From ONE UDP socket, sends a datagram to every
//     ADDR:PORT (resent until answered, 3 s at most) and prints, as JSON, the local port and the
//     source each ADDR saw: the NAT's mapping toward each destination.
//   node netns-probe.mjs stun PORT ADDR...    The same with STUN binding requests, so it works
//     against any STUN server (the mapping is read from XOR-MAPPED-ADDRESS).

import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';

const STUN_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const PROBE_TIMEOUT_MS = 3000;
const PROBE_RESEND_MS = 200;

const [mode, portText, ...addresses] = process.argv.slice(2);
const port = Number(portText);
if (!['serve', 'probe', 'stun'].includes(mode) || !(port > 0) || addresses.length === 0) {
  console.error('usage: netns-probe.mjs serve|probe|stun PORT ADDR...');
  process.exit(2);
}

/** A STUN binding response telling the sender its source address (RFC 5389, IPv4 only). */
function stunResponse(request, address, sourcePort) {
  const out = Buffer.alloc(32);
  out.writeUInt16BE(BINDING_SUCCESS, 0);
  out.writeUInt16BE(12, 2);
  request.copy(out, 4, 4, 20); // cookie and transaction id
  out.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
  out.writeUInt16BE(8, 22);
  out.writeUInt8(0, 24);
  out.writeUInt8(1, 25);
  out.writeUInt16BE(sourcePort ^ (STUN_COOKIE >>> 16), 26);
  const ip = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  out.writeUInt32BE((ip ^ STUN_COOKIE) >>> 0, 28);
  return out;
}

const isStunRequest = (m) =>
  m.length >= 20 && m.readUInt16BE(0) === BINDING_REQUEST && m.readUInt32BE(4) === STUN_COOKIE;

function stunRequest() {
  const out = Buffer.alloc(20);
  out.writeUInt16BE(BINDING_REQUEST, 0);
  out.writeUInt32BE(STUN_COOKIE, 4);
  randomBytes(12).copy(out, 8);
  return out;
}

/** The XOR-MAPPED-ADDRESS of a binding success response as "ip:port", or null. */
function mappedAddress(m) {
  if (m.length < 20 || m.readUInt16BE(0) !== BINDING_SUCCESS) return null;
  for (let at = 20; at + 4 <= m.length; ) {
    const type = m.readUInt16BE(at);
    const length = m.readUInt16BE(at + 2);
    if (type === XOR_MAPPED_ADDRESS && length >= 8 && m.readUInt8(at + 5) === 1) {
      const p = m.readUInt16BE(at + 6) ^ (STUN_COOKIE >>> 16);
      const ip = (m.readUInt32BE(at + 8) ^ STUN_COOKIE) >>> 0;
      return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${p}`;
    }
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return null;
}

if (mode === 'serve') {
  const listening = [];
  for (const address of addresses) {
    const udp = createSocket('udp4');
    udp.on('message', (m, from) => {
      const reply = isStunRequest(m)
        ? stunResponse(m, from.address, from.port)
        : Buffer.from(`${from.address}:${from.port}`);
      udp.send(reply, from.port, from.address);
    });
    listening.push(new Promise((resolve) => udp.bind(port, address, resolve)));
    const http = createServer((req, res) => {
      res.writeHead(200, {
        'content-type': 'text/plain',
        'access-control-allow-origin': '*',
        'cache-control': 'no-store',
      });
      res.end(`${req.socket.remoteAddress}:${req.socket.remotePort}`);
    });
    listening.push(new Promise((resolve) => http.listen(port, address, resolve)));
  }
  await Promise.all(listening);
  console.log('ready');
} else {
  const udp = createSocket('udp4');
  await new Promise((resolve) => udp.bind(0, '0.0.0.0', resolve));
  const localPort = udp.address().port;
  const seen = new Map();
  const done = new Promise((resolve) => {
    udp.on('message', (m, from) => {
      const text = mode === 'stun' ? mappedAddress(m) : m.toString();
      if (text !== null) seen.set(from.address, text);
      if (seen.size === addresses.length) resolve();
    });
  });
  const send = () => {
    for (const address of addresses) {
      if (!seen.has(address)) udp.send(mode === 'stun' ? stunRequest() : 'probe', port, address);
    }
  };
  send();
  const resend = setInterval(send, PROBE_RESEND_MS);
  const timeout = new Promise((resolve) => setTimeout(resolve, PROBE_TIMEOUT_MS));
  await Promise.race([done, timeout]);
  clearInterval(resend);
  udp.close();
  console.log(JSON.stringify({ localPort, mapped: addresses.map((a) => seen.get(a) ?? null) }));
  process.exit(0);
}
