// Browser half of the networking benchmark (test/bench/net.mjs). Bundled with the app's own
// esbuild options (simple-peer shims included) and injected into two pages, one per browser
// context: the host page and the guest page. It exposes `window.bench`, which the driver calls
// through `page.evaluate`. Every wait here is bounded by an explicit deadline.
//
// Messages are 100 bytes: byte 0 a tag, bytes 1-4 a sequence number, bytes 5-12 a timestamp
// (the guest page's performance.now(); only the guest reads it), the rest padding.
import { DirectTransport } from '../../web/net/direct-transport.ts';
import { type DirectFactory, PeerNetwork } from '../../web/net/peer-network.ts';
import type { Session } from '../../web/net/session.ts';
import { type Hello, SignalingClient } from '../../web/net/signaling-client.ts';

const MESSAGE_BYTES = 100;
const Tag = {
  /** Host → guest, sent as soon as the host's session to the guest exists. */
  FIRST: 1,
  /** Guest → host → guest, for RTT. */
  ECHO: 2,
  /** Guest → host, counted, for throughput. */
  DATA: 3,
  /** Host → guest: every reliable DATA message expected has arrived. */
  DONE: 4,
} as const;

function message(tag: number, seq: number, time = 0): Uint8Array {
  const bytes = new Uint8Array(MESSAGE_BYTES);
  const view = new DataView(bytes.buffer);
  bytes[0] = tag;
  view.setUint32(1, seq);
  view.setFloat64(5, time);
  return bytes;
}
const readTime = (b: Uint8Array) =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(5);

/** Yields to the event loop without timer clamping (a MessageChannel task). */
const yieldChannel = new MessageChannel();
const yieldQueue: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yieldQueue.shift()?.();
function yieldTask(): Promise<void> {
  return new Promise((resolve) => {
    yieldQueue.push(resolve);
    yieldChannel.port2.postMessage(0);
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!what()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${label}`);
    await sleep(2);
  }
}

interface Peer {
  readonly client: SignalingClient;
  readonly net: PeerNetwork;
}

function peer(server: string, hello: Hello, relayOnly: boolean): Peer {
  const client = new SignalingClient({ server, hello });
  const direct: DirectFactory = (o) => new DirectTransport(o);
  return { client, net: new PeerNetwork({ client, direct, relayOnly }) };
}

function close(p: Peer | undefined): void {
  if (!p) return;
  p.net.close();
  p.client.leave();
}

// ---- host page ---------------------------------------------------------------------------------

let host: Peer | undefined;
const hostSessions = new Map<number, Session>();
const counts = {
  reliable: 0,
  unreliable: 0,
  /** Reliable DATA messages that make the host answer DONE. */
  expect: 0,
  firstAt: 0,
  lastAt: 0,
};

function hostSession(id: number, session: Session): void {
  hostSessions.set(id, session);
  // The first message goes out at once: over the relay, which is open already.
  session.send(message(Tag.FIRST, 0), { reliable: true });
  session.onMessage((bytes, { reliable }) => {
    const tag = bytes[0];
    if (tag === Tag.ECHO) {
      session.send(bytes, { reliable });
    } else if (tag === Tag.DATA) {
      const now = performance.now();
      if (counts.firstAt === 0) counts.firstAt = now;
      counts.lastAt = now;
      if (!reliable) {
        counts.unreliable++;
        return;
      }
      if (++counts.reliable === counts.expect) session.send(message(Tag.DONE, 0), { reliable });
    }
  });
  session.onStatus((status) => {
    if (status === 'closed') hostSessions.delete(id);
  });
}

/** Creates the lobby; resolves with its code. */
async function hostStart(server: string): Promise<string> {
  host = peer(server, { type: 'create', name: 'Host', capacity: 8 }, false);
  host.net.onPeer(hostSession);
  const h = host;
  await until(() => h.client.lobby !== undefined, 10_000, 'the lobby');
  return h.client.lobby?.code ?? '';
}

/** Zeroes the DATA counters; `expect` reliable ones make the host answer DONE. */
function hostReset(expect: number): void {
  Object.assign(counts, { reliable: 0, unreliable: 0, expect, firstAt: 0, lastAt: 0 });
}

function hostCounts() {
  let stale = 0;
  for (const s of hostSessions.values()) stale += s.stats.staleUnreliable;
  return { ...counts, spanMs: counts.lastAt - counts.firstAt, staleUnreliable: stale };
}

/** Players in the lobby, and the kind of the host's session to each guest. */
function hostView() {
  return {
    players: host?.client.lobby?.players.length ?? 0,
    kinds: Object.fromEntries([...hostSessions].map(([id, s]) => [id, s.kind])),
  };
}

// ---- guest page --------------------------------------------------------------------------------

let guest: { peer: Peer; session: Session | undefined } | undefined;
let onGuestMessage: (bytes: Uint8Array, reliable: boolean) => void = () => {};

export interface JoinTimes {
  /** Guest's own id. */
  id: number;
  /** ms from constructing the client (the join goes out on open) to its welcome. */
  welcomeMs: number;
  /** ms to the host's first message; which transport carried it. */
  firstMs: number;
  firstKind: string;
  /** ms until the session's traffic moved to the direct link; null if it did not in time. */
  directMs: number | null;
}

/**
 * Joins the lobby as a new guest (leaving any previous one first) and times it: to the first
 * message from the host, and (unless relay-only) to the upgrade to a direct link.
 */
async function guestJoin(
  server: string,
  code: string,
  relayOnly: boolean,
  timeoutMs: number,
): Promise<JoinTimes> {
  guestLeave();
  let welcomeAt = 0;
  let firstAt = 0;
  let firstKind = '';
  let directAt = 0;
  const t0 = performance.now();
  const p = peer(server, { type: 'join', code, name: 'Guest' }, relayOnly);
  const g: { peer: Peer; session: Session | undefined } = { peer: p, session: undefined };
  guest = g;
  p.client.onState((s) => {
    if (s.kind === 'open' && welcomeAt === 0) welcomeAt = performance.now();
  });
  p.net.onPeer((_id, session) => {
    g.session = session;
    session.onKind((kind) => {
      if (kind === 'direct' && directAt === 0) directAt = performance.now();
    });
    session.onMessage((bytes, { reliable }) => {
      if (bytes[0] === Tag.FIRST && firstAt === 0) {
        firstAt = performance.now();
        firstKind = session.kind;
      } else onGuestMessage(bytes, reliable);
    });
  });
  await until(
    () => firstAt > 0 && (relayOnly || directAt > 0),
    timeoutMs,
    relayOnly ? 'the first message' : 'the first message and the direct upgrade',
  ).catch(() => {});
  if (firstAt === 0) throw new Error(`no message from the host within ${timeoutMs} ms`);
  return {
    id: p.client.you ?? -1,
    welcomeMs: welcomeAt - t0,
    firstMs: firstAt - t0,
    firstKind,
    directMs: directAt > 0 ? directAt - t0 : null,
  };
}

function guestLeave(): void {
  const g = guest;
  guest = undefined;
  onGuestMessage = () => {};
  close(g?.peer);
}

function guestSession(): Session {
  const s = guest?.session;
  if (s?.status !== 'open') throw new Error('no open guest session');
  return s;
}

function guestKind(): string {
  return guest?.session?.kind ?? 'none';
}

/**
 * `n` sequential reliable round trips: send, the host echoes, send the next on arrival.
 * Resolves with every RTT in ms (guest clock) and the transport kinds the sends went over.
 */
function guestRtt(n: number, timeoutMs: number): Promise<{ samples: number[]; kinds: string[] }> {
  const session = guestSession();
  const samples: number[] = [];
  const kinds = new Set<string>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onGuestMessage = () => {};
      reject(new Error(`RTT: ${samples.length}/${n} round trips within ${timeoutMs} ms`));
    }, timeoutMs);
    const sendNext = () => {
      kinds.add(session.kind);
      session.send(message(Tag.ECHO, samples.length, performance.now()), { reliable: true });
    };
    onGuestMessage = (bytes) => {
      if (bytes[0] !== Tag.ECHO) return;
      samples.push(performance.now() - readTime(bytes));
      if (samples.length < n) return sendNext();
      clearTimeout(timer);
      onGuestMessage = () => {};
      resolve({ samples, kinds: [...kinds] });
    };
    sendNext();
  });
}

export interface ThroughputOptions {
  readonly n: number;
  readonly reliable: boolean;
  /** Messages sent per task before yielding to the event loop. */
  readonly batch: number;
  /** Reliable only: most messages sent and not yet acknowledged by the host. */
  readonly window: number;
  readonly timeoutMs: number;
}

/**
 * Sends `n` DATA messages one way to the host, `batch` per task. Reliable: waits for the host's
 * DONE (all arrived) and resolves with the time from the first send to DONE, on the guest's
 * clock. Unreliable: resolves once all are handed to the session (the driver reads the host's
 * count after a settle time).
 */
async function guestThroughput(o: ThroughputOptions) {
  const session = guestSession();
  const kinds = new Set<string>();
  let doneAt = 0;
  onGuestMessage = (bytes) => {
    if (bytes[0] === Tag.DONE) doneAt = performance.now();
  };
  const payload = message(Tag.DATA, 0);
  const start = performance.now();
  const end = start + o.timeoutMs;
  let sent = 0;
  let windowWaits = 0;
  while (sent < o.n) {
    if (performance.now() > end) throw new Error(`throughput: sent ${sent}/${o.n} in time`);
    if (o.reliable && session.pending >= o.window) {
      windowWaits++;
      await sleep(1);
      continue;
    }
    const stop = Math.min(o.n, sent + o.batch);
    for (; sent < stop; sent++) session.send(payload, { reliable: o.reliable });
    kinds.add(session.kind);
    await yieldTask();
  }
  const sentMs = performance.now() - start;
  if (o.reliable) {
    await until(() => doneAt > 0, Math.max(0, end - performance.now()), 'the host to get all');
  }
  onGuestMessage = () => {};
  return {
    sent,
    sentMs,
    ms: o.reliable ? doneAt - start : null,
    kinds: [...kinds],
    windowWaits,
  };
}

// ---- baseline: a bare RTCDataChannel between the same two pages ------------------------------

/**
 * No simple-peer, no Session: one RTCPeerConnection per page with a negotiated, reliable,
 * ordered channel, signalled through the driver (complete SDP, no trickle). Its RTT is the floor
 * the direct link's figures sit on.
 */
let raw: { pc: RTCPeerConnection; channel: RTCDataChannel } | undefined;

async function rawDescription(pc: RTCPeerConnection, timeoutMs: number): Promise<string> {
  await until(() => pc.iceGatheringState === 'complete', timeoutMs, 'ICE gathering').catch(
    () => {},
  );
  return JSON.stringify(pc.localDescription);
}

function rawPeer(): { pc: RTCPeerConnection; channel: RTCDataChannel } {
  rawClose();
  const pc = new RTCPeerConnection({ iceServers: [] });
  const channel = pc.createDataChannel('raw', { negotiated: true, id: 0, ordered: true });
  channel.binaryType = 'arraybuffer';
  raw = { pc, channel };
  return raw;
}

/** Guest: makes the offer. */
async function rawOffer(timeoutMs: number): Promise<string> {
  const { pc } = rawPeer();
  await pc.setLocalDescription(await pc.createOffer());
  return rawDescription(pc, timeoutMs);
}

/** Host: answers, and echoes everything it receives. */
async function rawAnswer(offer: string, timeoutMs: number): Promise<string> {
  const { pc, channel } = rawPeer();
  channel.onmessage = (e) => channel.send(e.data as ArrayBuffer);
  await pc.setRemoteDescription(JSON.parse(offer) as RTCSessionDescriptionInit);
  await pc.setLocalDescription(await pc.createAnswer());
  return rawDescription(pc, timeoutMs);
}

/** Guest: takes the answer and waits for the channel. */
async function rawAccept(answer: string, timeoutMs: number): Promise<void> {
  const r = raw;
  if (!r) throw new Error('no raw offer');
  await r.pc.setRemoteDescription(JSON.parse(answer) as RTCSessionDescriptionInit);
  await until(() => r.channel.readyState === 'open', timeoutMs, 'the raw data channel');
}

/** Guest: `n` sequential 100-byte echoes over the bare channel; RTTs in ms. */
function rawRtt(n: number, timeoutMs: number): Promise<number[]> {
  const channel = raw?.channel;
  if (channel?.readyState !== 'open') throw new Error('no open raw channel');
  const samples: number[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.onmessage = null;
      reject(new Error(`raw RTT: ${samples.length}/${n} round trips within ${timeoutMs} ms`));
    }, timeoutMs);
    const sendNext = () =>
      channel.send(message(Tag.ECHO, samples.length, performance.now()) as Uint8Array<ArrayBuffer>);
    channel.onmessage = (e) => {
      samples.push(performance.now() - readTime(new Uint8Array(e.data as ArrayBuffer)));
      if (samples.length < n) return sendNext();
      clearTimeout(timer);
      channel.onmessage = null;
      resolve(samples);
    };
    sendNext();
  });
}

function rawClose(): void {
  raw?.channel.close();
  raw?.pc.close();
  raw = undefined;
}

const api = {
  rawOffer,
  rawAnswer,
  rawAccept,
  rawRtt,
  rawClose,
  hostStart,
  hostReset,
  hostCounts,
  hostView,
  guestJoin,
  guestLeave,
  guestKind,
  guestRtt,
  guestThroughput,
  closeAll(): void {
    rawClose();
    guestLeave();
    close(host);
    host = undefined;
  },
};
export type BenchApi = typeof api;

declare global {
  interface Window {
    bench: BenchApi;
  }
}
window.bench = api;
