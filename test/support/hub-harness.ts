import { readRelayHeader } from '../../shared/protocol/relay-frame.ts';
import {
  type ClientMessage,
  decodeServerMessage,
  type LobbyView,
  type ServerMessage,
} from '../../shared/protocol/signaling.ts';
import { type Config, defaultConfig } from '../../signaling/config.ts';
import { Hub, type Peer, type SocketPort } from '../../signaling/hub.ts';

/**
 * The Hub in this process, with no sockets: each connection is a `FakePort` that queues what the
 * hub sends, and time is a number the test moves. Every reply is decoded with the same schemas
 * the browser uses, so a message the hub could not legally send fails at once.
 */
export class FakePort implements SocketPort {
  /** Everything the hub sent, in order: decoded text messages and binary frames. */
  readonly received: (ServerMessage | Uint8Array)[] = [];
  /** The lobby as the last `welcome` or `lobby` message showed it. */
  lastLobby: LobbyView | undefined;
  /** Every host key this socket was sent (in a `welcome` or a `promoted`). */
  readonly hostKeys = new Set<string>();
  closed: { code: number; reason: string } | undefined;
  pings = 0;
  /** What the hub reads as this socket's unsent bytes (a test raises it to play a slow reader). */
  buffered = 0;

  sendText(text: string): void {
    if (this.closed) throw new Error(`hub sent on a closed socket: ${text}`);
    const decoded = decodeServerMessage(text);
    if (!decoded.ok) throw new Error(`hub sent an invalid message: ${text}`);
    const m = decoded.value;
    if (m.type === 'welcome' || m.type === 'lobby') this.lastLobby = m.lobby;
    if ((m.type === 'welcome' || m.type === 'promoted') && m.hostKey !== undefined)
      this.hostKeys.add(m.hostKey);
    this.received.push(m);
  }
  sendBinary(bytes: Uint8Array): void {
    if (this.closed) throw new Error('hub sent a frame on a closed socket');
    // The hub stamps the caller's buffer in place; keep what went out at this moment.
    this.received.push(bytes.slice());
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  ping(): void {
    this.pings++;
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
}

/** One connection as a test sees it. */
export interface Conn {
  readonly port: FakePort;
  readonly peer: Peer;
  readonly ip: string;
}

/** A Hub with fake sockets and a clock that moves only when told. */
export class HubHarness {
  time = 1_000_000;
  readonly config: Config;
  hub: Hub;

  constructor(overrides: Partial<Config> = {}) {
    this.config = defaultConfig({ logLevel: 'silent', ...overrides });
    this.hub = new Hub(this.config, () => this.time);
  }

  /** A new server process: it remembers nothing; the old connections are simply gone. */
  restart(): void {
    this.hub = new Hub(this.config, () => this.time);
  }

  /** Opens a connection from `ip`, as the uWS edge does after its upgrade checks. */
  connect(ip = '10.0.0.1', baseUrl = 'http://lanparty.test'): Conn | undefined {
    if (this.hub.admits(ip) !== 'ok') return undefined;
    const port = new FakePort();
    return { port, ip, peer: this.hub.open(port, ip, baseUrl) };
  }

  send(conn: Conn, message: ClientMessage | string): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    this.hub.text(conn.peer, text, Buffer.byteLength(text));
  }

  sendBinary(conn: Conn, frame: Uint8Array): void {
    this.hub.binary(conn.peer, frame);
  }

  /** The socket closes from the client's side (or the network). */
  drop(conn: Conn): void {
    conn.port.closed ??= { code: 1006, reason: '' };
    this.hub.closed(conn.peer);
  }

  /** Moves time on, running the hub's periodic work every `TICK_MS` as the edge does. */
  advance(ms: number, tickMs = 250): void {
    const end = this.time + ms;
    while (this.time < end) {
      this.time = Math.min(end, this.time + tickMs);
      this.hub.tick();
    }
  }

  /** Server messages of `type` this connection has received, oldest first. */
  static messages<T extends ServerMessage['type']>(
    conn: Conn,
    type: T,
  ): Extract<ServerMessage, { type: T }>[] {
    return conn.port.received.filter(
      (m): m is Extract<ServerMessage, { type: T }> =>
        !(m instanceof Uint8Array) && m.type === type,
    );
  }

  /** The sender stamped in a relayed frame. */
  static stampOf(frame: Uint8Array): number {
    const header = readRelayHeader(frame);
    if (!header.ok) throw new Error(`hub sent a bad relay frame: ${header.error}`);
    return header.value.peer;
  }
}
