import uWS from 'uWebSockets.js';
import { accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { CloseCode, UpgradeRefusal } from '../shared/protocol/close-codes.ts';
import { normalizeLobbyShard } from '../shared/protocol/lobby-code.ts';
import { PROTOCOL_VERSION, WS_PATH } from '../shared/protocol/version.ts';
import { type ClusterPort, clusterStateName, soloCluster } from './cluster.ts';
import { CLUSTER_LIMITS, type Config, STUN_LIMITS } from './config.ts';
import { detectEngine, type UwsEngine } from './engine.ts';
import { FD_RESERVE, FdGuard, openFileLimit, resolveMaxConnections } from './fd-guard.ts';
import { Federation, SharedDirectory } from './federation.ts';
import { inlineStyleHashes, isOwnHost, ownHostNames, pageHeaders } from './http-security.ts';
import { EDGE_FLAG, Hub, Peer, type SocketPort } from './hub.ts';
import type { Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { connectRedisCluster } from './redis-cluster.ts';
import { loadStaticFiles, pickEncoding, resolveStatic } from './static-files.ts';
import { type StunServer, startStunServer } from './stun-server.ts';

/**
 * Text frames to strings, without making a Buffer per message. Native uWS closes a socket that
 * sends invalid UTF-8 in a text frame; otherwise invalid bytes become U+FFFD, as with
 * `Buffer#toString`. A leading byte order mark is kept, as `Buffer#toString` kept it (such a
 * message is then not JSON).
 */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
/** How often the hub's periodic work runs; heartbeats and grace periods are checked this often. */
const TICK_MS = 250;
/** uSockets' listen option (`ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT`, a const enum in its types). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

/** What the upgrade learnt about a socket, for its `open`. */
interface Upgrade {
  readonly ip: string;
  readonly baseUrl: string;
  /** Whether `?v=` is our protocol version. */
  readonly versionOk: boolean;
  /** The `lobby` parameter of the URL: the shard a balancer hashed on (see `LOBBY_SHARD_LENGTH`). */
  readonly shard: string | undefined;
}

/**
 * uWS copies these properties onto its socket object, out of line: up to three take 40 B, up to
 * six 64 B (memory per connection), so the upgrade's details are one object, dropped at `open`.
 */
interface SocketData {
  upgrade: Upgrade | undefined;
  peer: UwsPeer | undefined;
}

/**
 * Whether a uWS socket callback is running: uWS corks its sockets there. Sends caused by another
 * node's messages (a Redis callback) must cork themselves, or uWS may hold them back.
 */
let insideSocketCallback = false;

/** `UwsPeer.socketClosed`, one of the peer's flags. */
const SOCKET_CLOSED = EDGE_FLAG;

/**
 * A uWS socket as the hub's peer: one object per connection (memory per connection), its own
 * `port`. Every socket call is a no-op once the socket has closed.
 */
class UwsPeer extends Peer implements SocketPort {
  constructor(
    private readonly ws: uWS.WebSocket<SocketData>,
    ip: string,
    baseUrl: string,
    shard: string | undefined,
  ) {
    super(ip, baseUrl, shard);
  }
  get port(): SocketPort {
    return this;
  }
  /** uWS closed the socket, or we ended it: uWS aborts the process on use of a closed socket. */
  get socketClosed(): boolean {
    return this.hasFlag(SOCKET_CLOSED);
  }
  set socketClosed(on: boolean) {
    this.setFlag(SOCKET_CLOSED, on);
  }
  sendText(text: string) {
    if (this.socketClosed) return;
    if (insideSocketCallback) this.ws.send(text, false);
    else this.ws.cork(() => this.ws.send(text, false));
  }
  sendBinary(bytes: Uint8Array) {
    if (this.socketClosed) return;
    if (insideSocketCallback) this.ws.send(bytes, true);
    else this.ws.cork(() => this.ws.send(bytes, true));
  }
  bufferedAmount() {
    return this.socketClosed ? 0 : this.ws.getBufferedAmount();
  }
  ping() {
    if (!this.socketClosed) this.ws.ping();
  }
  close(code: number, reason: string) {
    if (this.socketClosed) return;
    // Marked first: uWS runs the close handler inside end().
    this.socketClosed = true;
    this.ws.end(code, reason);
  }
}

export interface RunningServer {
  readonly port: number;
  /** The URL to open in a browser. */
  readonly url: string;
  readonly engine: UwsEngine;
  readonly hub: Hub;
  /** This node among others (`--redis`), or alone. */
  readonly federation: Federation;
  /** The built-in STUN server on UDP, unless turned off with `--stun-port 0`. */
  readonly stun: StunServer | undefined;
  /** Stops accepting, tells clients the server is going away, and resolves when they are gone. */
  close(): Promise<void>;
}

/**
 * A node's default name: the host name and port, or a random suffix when the port is picked at
 * start (two such nodes on one machine must not share a name).
 */
function defaultNodeId(port: number): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '')
      .slice(0, 40) || 'node';
  return `${host}:${port === 0 ? Math.random().toString(36).slice(2, 10) : port}`;
}

/** Starts the server: web app, `/ws`, `/healthz` and `/metrics` on one port. */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const nodeId = config.nodeId || defaultNodeId(config.port);
  const cluster =
    config.redis === ''
      ? soloCluster(nodeId)
      : await connectRedisCluster(
          {
            url: config.redis,
            nodeId,
            claimTtlMs: CLUSTER_LIMITS.CLAIM_TTL_MS,
            connectWaitMs: CLUSTER_LIMITS.CONNECT_WAIT_MS,
          },
          log,
          (count) => log.warn({ count }, 'lobbies served here are claimed by another node'),
        );
  return startNode(config, log, cluster).catch(async (error) => {
    await cluster.close();
    throw error;
  });
}

function startNode(config: Config, log: Logger, cluster: ClusterPort): Promise<RunningServer> {
  const tls = config.cert !== '';
  const scheme = tls ? 'https' : 'http';
  let app: uWS.TemplatedApp;
  try {
    app = tls ? createTlsApp(config.cert, config.key) : uWS.App();
  } catch (error) {
    // Rejected, not thrown, so start-up prints one line instead of a stack trace.
    return Promise.reject(error);
  }
  const engine = detectEngine();
  // One info line per lobby and link event: what an operator needs to follow a party.
  const hub = new Hub(config, Date.now, new SharedDirectory<Peer>(cluster), (event) =>
    log.info(event, event.event),
  );
  const federation = new Federation(
    hub,
    cluster,
    {
      nodeTimeoutMs: config.nodeTimeoutMs,
      beatIntervalMs: CLUSTER_LIMITS.BEAT_INTERVAL_MS,
      refreshMs: CLUSTER_LIMITS.REFRESH_MS,
      rejoinMs: CLUSTER_LIMITS.REJOIN_MS,
      // Server messages (a welcome with 32 players) may be longer than what a client may send.
      maxPayload: config.maxFrameBytes + 65_536,
    },
    Date.now,
    // Not a microtask: uWS callbacks do not run Node's queues at once, setImmediate always runs.
    setImmediate,
  );
  /** The built-in STUN server, once bound (right after the TCP port, below). */
  let stun: StunServer | undefined;
  const metrics = createMetrics(
    hub,
    engine,
    () => stun?.stats,
    federation,
    () => clusterStateName(cluster),
  );
  const files = loadStaticFiles(config.webRoot);
  const index = files.get('/index.html');
  const htmlHeaders = pageHeaders(index ? inlineStyleHashes(index.body.toString('utf8')) : []);
  const ownNames = ownHostNames(config.publicUrl, config.allowedOrigins);
  const fdLimit = openFileLimit();
  hub.maxConnections = resolveMaxConnections(config.maxConnections, fdLimit);
  const publicOrigin = config.publicUrl === '' ? undefined : new URL(config.publicUrl).origin;
  const startedAt = Date.now();
  /** Every socket from one origin shares one string (memory per connection). */
  const baseUrls = new Interned(64);
  let shuttingDown = false;

  /** Guards one socket callback: a bug closes only that peer, never the process. */
  const guarded = (ws: uWS.WebSocket<SocketData>, what: string, fn: (peer: Peer) => void) => {
    const { peer } = ws.getUserData();
    if (peer === undefined || peer.socketClosed) return;
    insideSocketCallback = true;
    try {
      fn(peer);
    } catch (error) {
      log.error({ err: error, what, ip: peer.ip }, 'socket handler failed');
      hub.stats.reject('internal_error');
      peer.close(CloseCode.INTERNAL_ERROR, 'internal error');
      federation.closed(peer);
    } finally {
      insideSocketCallback = false;
    }
  };

  app.ws<SocketData>(WS_PATH, {
    compression: uWS.DISABLED,
    // Twice the limit, so that an oversized message is still read and refused with 1009 and a
    // reason; beyond this uWS drops the connection without a close frame (1006 at the client).
    maxPayloadLength: config.maxFrameBytes * 2,
    // A backstop for memory: the hub closes slow receivers with a clear code before this.
    maxBackpressure: config.sendLimitBytes + config.maxFrameBytes * 2,
    closeOnBackpressureLimit: 1,
    // A backstop behind the hub's own heartbeat; uWS refuses (and aborts) above 960 s.
    idleTimeout: Math.min(
      960,
      Math.max(8, Math.ceil((config.heartbeatTimeoutMs * 2) / 1000 / 4) * 4),
    ),
    sendPingsAutomatically: false,

    upgrade: answered(log, (res, req, context) => {
      // Everything from req is read now: it is gone once this callback returns.
      const origin = req.getHeader('origin');
      const host = req.getHeader('host');
      const forwardedFor = req.getHeader('x-forwarded-for');
      const forwardedProto = req.getHeader('x-forwarded-proto');
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const versionOk = req.getQuery('v') === String(PROTOCOL_VERSION);
      const shard = normalizeLobbyShard(req.getQuery('lobby') ?? '');
      const ip = clientAddress(res, config.trustProxy ? forwardedFor : '');
      const ownScheme =
        config.trustProxy && /^https?$/.test(forwardedProto) ? forwardedProto : scheme;
      const ownOrigin = isHostHeader(host) ? `${ownScheme}://${host}` : undefined;
      const refuse = (status: number, text: string, reason: string) => {
        hub.stats.reject(reason);
        res.cork(() => res.writeStatus(`${status} ${text}`).end(`${text}: ${reason}`));
      };
      if (shuttingDown)
        return refuse(UpgradeRefusal.SHUTTING_DOWN, 'Service Unavailable', 'shutting_down');
      // DNS rebinding: a page on a foreign name that now points here sends that name as both
      // Host and Origin. Only names that are ours make the Host our origin.
      if (origin !== '' && origin === ownOrigin && !isOwnHost(host, ownNames)) {
        return refuse(UpgradeRefusal.ORIGIN_NOT_ALLOWED, 'Forbidden', 'host_not_allowed');
      }
      // Browsers always send Origin; a script can send any Origin it likes, so a missing one is
      // let through and everything else must match exactly.
      if (
        origin !== '' &&
        origin !== ownOrigin &&
        origin !== publicOrigin &&
        !config.allowedOrigins.includes(origin)
      ) {
        return refuse(UpgradeRefusal.ORIGIN_NOT_ALLOWED, 'Forbidden', 'origin_not_allowed');
      }
      const admitted = hub.admits(ip);
      if (admitted === 'server_busy') {
        return refuse(UpgradeRefusal.SERVER_BUSY, 'Service Unavailable', admitted);
      }
      if (admitted !== 'ok') {
        return refuse(UpgradeRefusal.TOO_MANY_CONNECTIONS, 'Too Many Requests', admitted);
      }
      const baseUrl = ownOrigin ?? `${scheme}://localhost:${port}`;
      res.cork(() =>
        res.upgrade<SocketData>(
          {
            upgrade: { ip, baseUrl: baseUrls.intern(baseUrl), versionOk, shard },
            peer: undefined,
          },
          key,
          protocol,
          extensions,
          context,
        ),
      );
    }),

    open: (ws) => {
      const data = ws.getUserData();
      const upgrade = data.upgrade;
      data.upgrade = undefined;
      if (upgrade === undefined || !upgrade.versionOk) {
        hub.stats.reject('protocol_mismatch');
        // No peer: the close handler has nothing to tell the hub.
        ws.end(CloseCode.PROTOCOL_MISMATCH, `server speaks protocol v${PROTOCOL_VERSION}; reload`);
        return;
      }
      data.peer = hub.admit(new UwsPeer(ws, upgrade.ip, upgrade.baseUrl, upgrade.shard));
    },

    message: (ws, message, isBinary) =>
      guarded(ws, 'message', (peer) => {
        if (isBinary) federation.binary(peer, new Uint8Array(message));
        else federation.text(peer, utf8.decode(message), message.byteLength);
      }),

    // Pings from a client are answered by uWS itself; both count against the client's rates.
    ping: (ws) => guarded(ws, 'ping', (peer) => federation.control(peer)),
    pong: (ws) => guarded(ws, 'pong', (peer) => federation.control(peer)),

    close: (ws) => {
      const { peer } = ws.getUserData();
      if (peer === undefined) return;
      peer.socketClosed = true;
      federation.closed(peer);
    },
  });

  const health = answered(log, (res, req: uWS.HttpRequest) => {
    const head = req.getMethod() === 'head';
    const body = JSON.stringify({
      status: shuttingDown ? 'shutting_down' : 'ok',
      engine,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      connections: hub.connectionCount,
      maxConnections: hub.maxConnections,
      accepting: !(fdGuard?.paused ?? false),
      lobbies: hub.directory.size,
      node: federation.nodeId,
      redis: clusterStateName(cluster),
      cluster: {
        routedSockets: federation.routedCount,
        remotePlayers: federation.remoteCount,
        ...federation.stats,
      },
      stun:
        stun === undefined
          ? { enabled: false }
          : { enabled: true, port: stun.port, responses: stun.stats.responses },
    });
    res.cork(() => {
      res
        .writeStatus(shuttingDown ? '503 Service Unavailable' : '200 OK')
        .writeHeader('content-type', 'application/json')
        .writeHeader('cache-control', 'no-store');
      if (head) endWithoutBody(res, engine);
      else res.end(body);
    });
  });
  // HEAD too: uptime monitors and load balancers often check with HEAD.
  app.get('/healthz', health);
  app.head('/healthz', health);

  app.get(
    '/metrics',
    answered(log, (res) => {
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      metrics.metrics().then(
        (text) => {
          if (aborted) return;
          res.cork(() => res.writeHeader('content-type', metrics.contentType).end(text));
        },
        (error: unknown) => {
          log.error({ err: error }, 'metrics failed');
          if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
        },
      );
    }),
  );

  app.any(
    '/*',
    answered(log, (res, req) => {
      const method = req.getMethod();
      const path = req.getUrl();
      const ifNoneMatch = req.getHeader('if-none-match');
      const acceptEncoding = req.getHeader('accept-encoding');
      // A body after a HEAD response would be read as the start of the next response.
      const end = (body: string | Buffer) =>
        method === 'head' ? endWithoutBody(res, engine) : res.end(body);
      res.cork(() => {
        // Status lines go first: uWS sends "200 OK" as soon as a header is written.
        const secure = () =>
          res
            .writeHeader('referrer-policy', 'no-referrer')
            .writeHeader('x-content-type-options', 'nosniff');
        if (method !== 'get' && method !== 'head') {
          res.writeStatus('405 Method Not Allowed');
          secure().writeHeader('allow', 'GET, HEAD').end();
          return;
        }
        if (files.size === 0) {
          res.writeStatus('503 Service Unavailable');
          secure().writeHeader('content-type', 'text/plain; charset=utf-8');
          end(`The web app is not built (no files in ${config.webRoot}). Run: npm run build\n`);
          return;
        }
        const file = resolveStatic(files, path);
        if (file === undefined) {
          res.writeStatus('404 Not Found');
          secure().writeHeader('content-type', 'text/plain; charset=utf-8');
          end('Not found\n');
          return;
        }
        // The status goes first: uWS sends "200 OK" as soon as a header is written.
        const notModified = ifNoneMatch === file.etag;
        if (notModified) res.writeStatus('304 Not Modified');
        secure();
        if (file.contentType.startsWith('text/html')) {
          for (const [name, value] of htmlHeaders) res.writeHeader(name, value);
        }
        res
          .writeHeader('etag', file.etag)
          .writeHeader('cache-control', file.cacheControl)
          .writeHeader('vary', 'accept-encoding');
        if (notModified) {
          endWithoutBody(res, engine);
          return;
        }
        const { body, encoding } = pickEncoding(file, acceptEncoding);
        res.writeHeader('content-type', file.contentType);
        if (encoding) res.writeHeader('content-encoding', encoding);
        end(body);
      });
    }),
  );

  let port = 0;
  /** Listens on TCP port `wanted` (0: any free one); `false` when it is taken or not allowed. */
  const listenTcp = (wanted: number) =>
    new Promise<uWS.us_listen_socket | false>((resolve) => {
      // Exclusive: without it uSockets sets SO_REUSEPORT, and a second server started on the same
      // port would silently share (and split) its connections instead of failing.
      const listen = app.listen as unknown as (
        host: string,
        port: number,
        options: number,
        cb: (listenSocket: uWS.us_listen_socket | false) => void,
      ) => void;
      listen.call(app, config.host, wanted, LIBUS_LISTEN_EXCLUSIVE_PORT, resolve);
    });

  /**
   * The TCP port, then STUN on the same number over UDP (unless `--stun-port` says otherwise).
   * With `--port 0` the free TCP port picked may be taken over UDP: then another one is picked.
   */
  const listenAll = async (): Promise<uWS.us_listen_socket> => {
    const attempts =
      config.port === 0 && config.stunPort === undefined ? STUN_LIMITS.PORT_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const listenSocket = await listenTcp(config.port);
      if (!listenSocket) {
        throw new Error(`cannot listen on ${config.host}:${config.port} (in use, or not allowed)`);
      }
      port = uWS.us_socket_local_port(listenSocket);
      const stunPort = config.stunPort ?? port;
      if (stunPort === 0) return listenSocket;
      const bound = await startStunServer(
        config.host,
        stunPort,
        {
          rate: config.stunRate,
          burst: config.stunBurst,
          maxTrackedAddresses: STUN_LIMITS.MAX_TRACKED_ADDRESSES,
          sweepIntervalMs: STUN_LIMITS.SWEEP_INTERVAL_MS,
        },
        log,
      );
      if (bound.ok) {
        stun = bound.value;
        hub.stunPort = stun.port;
        return listenSocket;
      }
      uWS.us_listen_socket_close(listenSocket);
      if (bound.error.code !== 'EADDRINUSE' || attempt >= attempts) {
        throw new Error(
          `cannot use UDP port ${stunPort} on ${config.host} for STUN (${bound.error.code}): free it, or set --stun-port to another port (0 turns STUN off)`,
        );
      }
    }
  };

  let fdGuard: FdGuard | undefined;
  return listenAll().then((firstListenSocket) => {
    let listenSocket: uWS.us_listen_socket | undefined = firstListenSocket;
    if (fdLimit !== undefined) {
      // Counted with everything else the process has open; paused below the limit itself.
      const high = Math.min(hub.maxConnections, fdLimit - FD_RESERVE / 2);
      fdGuard = new FdGuard(
        high,
        high - Math.max(8, Math.floor(high / 16)),
        () => {
          log.warn({ open: fdGuard?.open, high }, 'too many open files: not accepting for now');
          if (listenSocket) uWS.us_listen_socket_close(listenSocket);
          listenSocket = undefined;
        },
        async () => {
          if (shuttingDown) return true;
          const again = await listenTcp(port);
          if (!again) return false;
          listenSocket = again;
          log.info({ open: fdGuard?.open }, 'accepting again');
          return true;
        },
      );
      fdGuard.start();
    }
    const ticker = setInterval(() => {
      try {
        hub.tick();
        federation.tick();
      } catch (error) {
        log.error({ err: error }, 'tick failed');
      }
    }, TICK_MS);
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url =
      config.publicUrl ||
      `${scheme}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
    return {
      port,
      url,
      engine,
      hub,
      federation,
      stun,
      close: async () => {
        if (shuttingDown) return;
        shuttingDown = true;
        fdGuard?.stop();
        if (listenSocket) uWS.us_listen_socket_close(listenSocket);
        listenSocket = undefined;
        const stunClosed = stun?.close();
        await federation.drain();
        hub.goingAway();
        const deadline = Date.now() + config.shutdownTimeoutMs;
        while (hub.connectionCount > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        clearInterval(ticker);
        await stunClosed;
        federation.flush();
        await cluster.close();
      },
    };
  });
}

/**
 * Wraps an HTTP or upgrade handler so that a thrown error still answers the request: uWS aborts
 * the whole process when a handler returns without responding.
 */
function answered<A extends unknown[]>(
  log: Logger,
  handler: (res: uWS.HttpResponse, ...rest: A) => void,
): (res: uWS.HttpResponse, ...rest: A) => void {
  return (res, ...rest) => {
    try {
      handler(res, ...rest);
    } catch (error) {
      log.error({ err: error }, 'http handler failed');
      try {
        res.cork(() => res.writeStatus('500 Internal Server Error').end());
      } catch {
        // Already answered before the error: nothing more to say.
      }
    }
  };
}

/** An HTTPS app; a missing file or a certificate and key that do not fit give a clear error. */
function createTlsApp(cert: string, key: string): uWS.TemplatedApp {
  for (const [flag, path] of [
    ['--cert / TLS_CERT', cert],
    ['--key / TLS_KEY', key],
  ] as const) {
    try {
      accessSync(path, constants.R_OK);
    } catch {
      throw new Error(`invalid ${flag}: cannot read ${path}`);
    }
  }
  try {
    return uWS.SSLApp({ cert_file_name: cert, key_file_name: key });
  } catch {
    throw new Error(
      `invalid --cert / TLS_CERT and --key / TLS_KEY: ${cert} and ${key} are not a PEM certificate and its key`,
    );
  }
}

/**
 * Ends a HEAD or 304 response. `end()` would announce `Content-Length: 0`, which such a response
 * must not unless the body really is empty; native uWS 20.30 aborts the process when given the
 * real length, so the header is left out. The JS fallback has no endWithoutBody (it throws).
 */
function endWithoutBody(res: uWS.HttpResponse, engine: UwsEngine): void {
  if (engine === 'native') res.endWithoutBody();
  else res.end();
}

/**
 * One copy of each of a few strings (the origins players connect through): a bounded map, so a
 * client sending many different Host headers only stops the sharing, never grows memory.
 */
class Interned {
  private readonly strings = new Map<string, string>();
  constructor(private readonly max: number) {}
  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size < this.max) this.strings.set(s, s);
    return s;
  }
}

/** The client's address: the socket's, or the first hop of X-Forwarded-For behind a trusted proxy. */
function clientAddress(res: uWS.HttpResponse, forwardedFor: string): string {
  const first = forwardedFor.split(',')[0]?.trim();
  if (first) return first;
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

/** A Host header we are willing to put into share links. */
function isHostHeader(host: string): boolean {
  return /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host);
}
