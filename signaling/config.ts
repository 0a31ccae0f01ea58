import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { IceServer, WIRE_LIMITS } from '../shared/protocol/signaling.ts';
import { err, ok, type Result } from '../shared/result.ts';
import { NODE_ID } from './node-protocol.ts';

/**
 * Every setting of the server, its flag, its environment variable, its default and what it is
 * for. `--help` prints this table, and the README's copy is checked against `--help-markdown` by a test.
 */
type Parse<T> = (raw: string) => Result<T, string>;

const int =
  (min: number, max: number): Parse<number> =>
  (raw) => {
    const n = Number(raw);
    return Number.isInteger(n) && n >= min && n <= max
      ? ok(n)
      : err(`must be a whole number from ${min} to ${max}`);
  };
const text: Parse<string> = (raw) => ok(raw);
const bool: Parse<boolean> = (raw) =>
  /^(1|true|yes|on)$/i.test(raw)
    ? ok(true)
    : /^(0|false|no|off|)$/i.test(raw)
      ? ok(false)
      : err('must be true or false');
const logLevel: Parse<string> = (raw) =>
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw)
    ? ok(raw)
    : err('must be one of fatal, error, warn, info, debug, trace, silent');

function origin(raw: string): Result<string, string> {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return err('must be http(s)');
    return ok(url.origin);
  } catch {
    return err(`"${raw}" is not a URL`);
  }
}
const publicUrl: Parse<string> = (raw) => {
  if (raw === '') return ok('');
  const o = origin(raw);
  return o.ok ? ok(raw.replace(/\/+$/, '')) : o;
};
const origins: Parse<string[]> = (raw) => {
  const list: string[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const o = origin(item);
    if (!o.ok) return err(`${o.error} (each origin is like https://game.example.com)`);
    list.push(o.value);
  }
  return ok(list);
};
const iceServers: Parse<IceServer[]> = (raw) => {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return err('must be a JSON array like [{"urls":"stun:stun.example.com:3478"}]');
  }
  const parsed = v.safeParse(
    v.pipe(v.array(IceServer), v.maxLength(WIRE_LIMITS.ICE_SERVERS)),
    json,
  );
  return parsed.success
    ? ok(parsed.output)
    : err(`must be an array of {urls, username?, credential?}: ${parsed.issues[0].message}`);
};

/** `auto` (derived from the open-file limit at start) or a number of sockets. */
const maxConnections: Parse<number | 'auto'> = (raw) =>
  raw === 'auto' ? ok('auto') : int(16, 10_000_000)(raw);

const optionalPort: Parse<number | undefined> = (raw) =>
  raw === '' ? ok(undefined) : int(0, 65535)(raw);

/** `turn:` / `turns:` host, optional port, optional `?transport=udp|tcp` (RFC 7065). */
const TURN_URL =
  /^turns?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?(?:\?transport=(?:udp|tcp))?$/;
const turnUrls: Parse<string[]> = (raw) => {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const url of list) {
    const m = TURN_URL.exec(url);
    const port = m?.[2] === undefined ? 1 : Number(m[2]);
    if (!m || port < 1 || port > 65535 || url.length > 512) {
      return err(`"${url}" is not a TURN URL like turn:turn.example.com:3478?transport=udp`);
    }
  }
  // One ICE server entry carries them all, and an entry holds at most 8 URLs.
  return list.length <= 8 ? ok(list) : err('at most 8 URLs');
};

interface Setting<T> {
  readonly flag: string;
  readonly env: string;
  readonly default: string;
  readonly parse: Parse<T>;
  readonly doc: string;
  /** Its value may hold a credential: an error never repeats it. */
  readonly secret?: boolean;
}
const setting = <T>(
  flag: string,
  env: string,
  def: string,
  parse: Parse<T>,
  doc: string,
  secret = false,
): Setting<T> => ({
  flag,
  env,
  default: def,
  parse,
  doc,
  secret,
});

/** `redis://` or `rediss://` (TLS), with an optional user, password and database number. */
const redisUrl: Parse<string> = (raw) => {
  if (raw === '') return ok('');
  try {
    const url = new URL(raw);
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      return err('must start with redis:// or rediss://');
    }
    if (!/^\/?\d*$/.test(url.pathname)) return err('the path must be a database number');
    return ok(raw);
  } catch {
    return err('is not a URL like redis://:password@127.0.0.1:6379/0');
  }
};
const nodeId: Parse<string> = (raw) =>
  raw === '' || NODE_ID.test(raw) ? ok(raw) : err('1 to 64 letters, digits, or . _ : -');

export const SETTINGS = {
  host: setting(
    'host',
    'HOST',
    '0.0.0.0',
    text,
    'Interface to listen on (every interface, so LAN friends can join).',
  ),
  port: setting('port', 'PORT', '8080', int(0, 65535), 'TCP port (0 picks a free one).'),
  publicUrl: setting(
    'public-url',
    'PUBLIC_URL',
    '',
    publicUrl,
    'URL players use, for share links behind a proxy (default: the address the browser used).',
  ),
  allowedOrigins: setting(
    'allowed-origins',
    'ALLOWED_ORIGINS',
    '',
    origins,
    "Comma-separated extra origins allowed to open `/ws` (the server's own origin and the public URL's are always allowed).",
  ),
  iceServers: setting(
    'ice-servers',
    'ICE_SERVERS',
    '[]',
    iceServers,
    'JSON array of more STUN/TURN servers handed to browsers after ours, e.g. `[{"urls":"stun:stun.example.com:3478"}]` (with our STUN and TURN, 8 entries at most in all).',
  ),
  stunPort: setting(
    'stun-port',
    'STUN_PORT',
    '',
    optionalPort,
    'UDP port of the built-in STUN server (default: the same number as the TCP port, also the one `--port 0` picked); `0` turns it off.',
  ),
  stunRate: setting(
    'stun-rate',
    'STUN_RATE',
    '20',
    int(1, 1_000_000),
    'STUN answers per second to one address (requests beyond get none).',
  ),
  stunBurst: setting(
    'stun-burst',
    'STUN_BURST',
    '100',
    int(1, 1_000_000),
    'Burst allowance for the STUN rate.',
  ),
  turnUrls: setting(
    'turn-urls',
    'TURN_URLS',
    '',
    turnUrls,
    'Comma-separated `turn:`/`turns:` URLs of a TURN server that shares `--turn-secret` (e.g. coturn).',
  ),
  turnSecret: setting(
    'turn-secret',
    'TURN_SECRET',
    '',
    text,
    "The TURN server's `static-auth-secret` (16 characters at least): every welcome gets a credential made from it; the secret itself is never sent or logged. Give both TURN settings or neither.",
  ),
  turnTtl: setting(
    'turn-ttl',
    'TURN_TTL',
    '3600',
    int(60, 7 * 24 * 3600),
    'Seconds a minted TURN credential stays valid (a reconnect or resume gets a fresh one).',
  ),
  cert: setting(
    'cert',
    'TLS_CERT',
    '',
    text,
    'PEM certificate file: serve HTTPS/WSS directly (with `--key`).',
  ),
  key: setting('key', 'TLS_KEY', '', text, 'PEM private key file for `--cert`.'),
  trustProxy: setting(
    'trust-proxy',
    'TRUST_PROXY',
    'false',
    bool,
    'Take the client address from `X-Forwarded-For` and scheme from `X-Forwarded-Proto` (only behind your own proxy).',
  ),
  webRoot: setting('web-root', 'WEB_ROOT', 'dist/web', text, 'Folder of the built web app.'),
  logLevel: setting(
    'log-level',
    'LOG_LEVEL',
    'info',
    logLevel,
    'fatal, error, warn, info, debug, trace, silent.',
  ),
  lobbyCapacity: setting(
    'lobby-capacity',
    'LOBBY_CAPACITY',
    '8',
    int(2, WIRE_LIMITS.PLAYERS),
    'Seats in a new lobby unless the host asks for another number.',
  ),
  maxLobbyCapacity: setting(
    'max-lobby-capacity',
    'MAX_LOBBY_CAPACITY',
    '32',
    int(2, WIRE_LIMITS.PLAYERS),
    'Most seats a host may ask for (at most 32).',
  ),
  maxSpectators: setting(
    'max-spectators',
    'MAX_SPECTATORS',
    '16',
    int(0, WIRE_LIMITS.SPECTATORS),
    'Most spectators watching one lobby, on top of its seats (`join_refused` / `spectators_full` beyond; 0: nobody may watch).',
  ),
  maxLobbies: setting(
    'max-lobbies',
    'MAX_LOBBIES',
    '10000',
    int(1, 1_000_000),
    'Most lobbies open at once (`server_full` beyond).',
  ),
  nameMaxLength: setting(
    'name-max-length',
    'NAME_MAX_LENGTH',
    '24',
    int(1, WIRE_LIMITS.NAME),
    'Display names are cleaned, trimmed and cut to this many characters.',
  ),
  graceMs: setting(
    'grace-ms',
    'GRACE_MS',
    '30000',
    int(0, 3_600_000),
    'How long a dropped player keeps its seat.',
  ),
  maxFrameBytes: setting(
    'max-frame-bytes',
    'MAX_FRAME_BYTES',
    '65536',
    int(1024, 16 * 1024 * 1024),
    'Largest WebSocket message accepted (close 1009 beyond; over twice this, the connection is cut).',
  ),
  maxStrikes: setting(
    'max-strikes',
    'MAX_STRIKES',
    '10',
    int(1, 1000),
    'Invalid messages tolerated before closing with 4002.',
  ),
  connMessageRate: setting(
    'conn-message-rate',
    'CONN_MESSAGE_RATE',
    '2000',
    int(1, 1_000_000),
    'Messages per second one connection may send (4003 beyond).',
  ),
  connMessageBurst: setting(
    'conn-message-burst',
    'CONN_MESSAGE_BURST',
    '10000',
    int(1, 10_000_000),
    'Burst allowance for the connection rate.',
  ),
  addressMessageRate: setting(
    'address-message-rate',
    'ADDRESS_MESSAGE_RATE',
    '10000',
    int(1, 10_000_000),
    'Messages per second all connections of one address may send (4004 beyond).',
  ),
  addressMessageBurst: setting(
    'address-message-burst',
    'ADDRESS_MESSAGE_BURST',
    '50000',
    int(1, 100_000_000),
    'Burst allowance for the address rate.',
  ),
  connectionsPerAddress: setting(
    'connections-per-address',
    'CONNECTIONS_PER_ADDRESS',
    '32',
    int(1, 1_000_000),
    'Open connections per address (HTTP 429 beyond).',
  ),
  abuseCooldownMs: setting(
    'abuse-cooldown-ms',
    'ABUSE_COOLDOWN_MS',
    '10000',
    int(0, 3_600_000),
    'After a connection is cut off for flooding or bad messages (4002/4003/4004), its address may not reconnect for this long (HTTP 429).',
  ),
  lobbiesPerAddress: setting(
    'lobbies-per-address',
    'LOBBIES_PER_ADDRESS',
    '10',
    int(1, 1_000_000),
    'Lobbies created (or re-claimed) from one address that may be open at once (`rate_limited` beyond).',
  ),
  createsPerMinute: setting(
    'creates-per-minute',
    'CREATES_PER_MINUTE',
    '10',
    int(1, 1_000_000),
    'Creates and re-claims per address per minute, also the burst (`rate_limited` beyond).',
  ),
  resumesPerMinute: setting(
    'resumes-per-minute',
    'RESUMES_PER_MINUTE',
    '600',
    int(1, 1_000_000),
    'Resume attempts per address per minute, also the burst (`rate_limited` beyond; the page retries).',
  ),
  emptyLobbyGraceMs: setting(
    'empty-lobby-grace-ms',
    'EMPTY_LOBBY_GRACE_MS',
    '10000',
    int(0, 3_600_000),
    'A lobby with nobody connected ends this long after its last player dropped; one whose host dropped before ever answering a heartbeat (and that no guest joined) ends after `HEARTBEAT_TIMEOUT_MS` (a page that reloads is back by then).',
  ),
  maxConnections: setting(
    'max-connections',
    'MAX_CONNECTIONS',
    'auto',
    maxConnections,
    'Most open sockets: `auto` is the open-file limit (`ulimit -n`) less 64. WebSocket upgrades beyond get 503; while the process has that many files open it stops accepting (see Limits and what an abuser gets).',
  ),
  joinsPerMinute: setting(
    'joins-per-minute',
    'JOINS_PER_MINUTE',
    '30',
    int(1, 1_000_000),
    'Join attempts per address per minute, also the burst (`join_rate_limited` beyond).',
  ),
  heartbeatIntervalMs: setting(
    'heartbeat-interval-ms',
    'HEARTBEAT_INTERVAL_MS',
    '1000',
    int(100, 60_000),
    'A socket silent this long is pinged (busy sockets never are).',
  ),
  heartbeatTimeoutMs: setting(
    'heartbeat-timeout-ms',
    'HEARTBEAT_TIMEOUT_MS',
    '1750',
    int(200, 400_000),
    'Silence after which a socket is dropped as half-open (4006): the lobby hears of it within 2 s.',
  ),
  helloTimeoutMs: setting(
    'hello-timeout-ms',
    'HELLO_TIMEOUT_MS',
    '10000',
    int(100, 600_000),
    'Time to create, join or resume after connecting (4007).',
  ),
  relayDropBytes: setting(
    'relay-drop-bytes',
    'RELAY_DROP_BYTES',
    '262144',
    int(0, 1 << 30),
    'Droppable relay frames are dropped while the receiver has this much unsent.',
  ),
  sendLimitBytes: setting(
    'send-limit-bytes',
    'SEND_LIMIT_BYTES',
    '4194304',
    int(65536, 1 << 30),
    'A receiver with this much unsent data is closed (4005), unless one sender is to blame (then that sender gets 4011).',
  ),
  relayPairRate: setting(
    'relay-pair-rate',
    'RELAY_PAIR_RATE',
    '262144',
    int(1024, 1 << 30),
    'Bytes per second one player may relay to another while that one has over `RELAY_DROP_BYTES` unsent; past the burst the sender is cut off (4011).',
  ),
  relayPairBurst: setting(
    'relay-pair-burst',
    'RELAY_PAIR_BURST',
    '1048576',
    int(1024, 1 << 30),
    'Burst allowance for the relay pair rate, in bytes (below `SEND_LIMIT_BYTES`).',
  ),
  signalRate: setting(
    'signal-rate',
    'SIGNAL_RATE',
    '10',
    int(1, 1_000_000),
    'Signals per second one player may send to another (4011 beyond the burst).',
  ),
  signalBurst: setting(
    'signal-burst',
    'SIGNAL_BURST',
    '100',
    int(1, 1_000_000),
    'Burst allowance for the signal rate.',
  ),
  controlFrameRate: setting(
    'control-frame-rate',
    'CONTROL_FRAME_RATE',
    '10',
    int(1, 1_000_000),
    'WebSocket pings and pongs per second one connection may send, with a burst of 3 s worth (4003 beyond); each also counts as a message.',
  ),
  shutdownTimeoutMs: setting(
    'shutdown-timeout-ms',
    'SHUTDOWN_TIMEOUT_MS',
    '3000',
    int(0, 60_000),
    'On SIGTERM/SIGINT, wait this long for sockets to close before exiting.',
  ),
  // ---- host migration ----
  hostMigrationMs: setting(
    'host-migration-ms',
    'HOST_MIGRATION_MS',
    '1500',
    int(0, 600_000),
    'A host whose connection closed or was lost hands its lobby to a guest after this long unless it is back (a reload keeps the host role); a host that presses Leave, or whose tab says it is closing rather than reloading, hands it over at once. Above `--grace-ms`, migration is off: the lobby ends as before.',
  ),
  lobbySecret: setting(
    'lobby-secret',
    'LOBBY_SECRET',
    '',
    text,
    '16+ characters: signs the ownership of lobbies whose host changed, so their new host can re-claim them after a restart. Default: a random one per start, so such lobbies are lost on a restart (lobbies that never changed host are not affected).',
  ),
  // ---- several nodes ----
  redis: setting(
    'redis',
    'REDIS_URL',
    '',
    redisUrl,
    'Redis to share lobbies with other nodes, e.g. `redis://:password@10.0.0.5:6379/0` (see Running several nodes). Without it the server runs alone, all in memory. The password is never logged.',
    true,
  ),
  nodeId: setting(
    'node-id',
    'NODE_ID',
    '',
    nodeId,
    "This node's name among the others (default: host name and port, e.g. `game1:8081`); shown in `/healthz` and `/metrics`.",
  ),
  nodeTimeoutMs: setting(
    'node-timeout-ms',
    'NODE_TIMEOUT_MS',
    '3000',
    // At least two of the owners' beats (`CLUSTER_LIMITS.BEAT_INTERVAL_MS`).
    int(2000, 600_000),
    'With `--redis`: a node that owns a lobby of our players and is silent this long is taken for dead; its players here are told to reconnect (1001) and resume on a live node.',
  ),
} as const;

/** Timings of the node-to-node layer that are not worth a setting. */
export const CLUSTER_LIMITS = {
  /** Time to live of a lobby's claim in Redis: a killed node's lobbies are free again after it. */
  CLAIM_TTL_MS: 15_000,
  /** Claims are renewed this often (three times per time to live). */
  REFRESH_MS: 5_000,
  /** Owners tell the nodes holding their players' sockets they are alive this often. */
  BEAT_INTERVAL_MS: 1_000,
  /**
   * After Redis comes back, a lobby it does not know yet may be one whose node has not renewed
   * its claim: joins, resumes and re-claims of it get `cluster_unavailable` (retried) this long.
   */
  REJOIN_MS: 3_000,
  /** Start-up waits this long for Redis, then goes on without it (it connects when it can). */
  CONNECT_WAIT_MS: 3_000,
} as const;

/**
 * A TURN secret shorter than this is refused: every player receives a credential that is an
 * HMAC of it, so a short secret could be found offline from one credential.
 */
export const TURN_SECRET_MIN_LENGTH = 16;

/** A lobby secret shorter than this is refused: ownership tokens are HMACs of it. */
export const LOBBY_SECRET_MIN_LENGTH = 16;

/** Limits of the built-in STUN server that are not worth a setting. */
export const STUN_LIMITS = {
  /** Client addresses whose rate is tracked at once; beyond, the oldest is forgotten. */
  MAX_TRACKED_ADDRESSES: 50_000,
  /** How often addresses idle long enough to have a full bucket again are forgotten. */
  SWEEP_INTERVAL_MS: 10_000,
  /**
   * With `--port 0` and no `--stun-port`, the free TCP port picked may be taken over UDP: try
   * this many TCP ports before giving up.
   */
  PORT_ATTEMPTS: 8,
} as const;

type Settings = typeof SETTINGS;
export type Config = {
  -readonly [K in keyof Settings]: Settings[K] extends Setting<infer T> ? T : never;
};

/** The configuration with every default; tests override what they need. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const parsed = parseConfig([], {});
  if (!parsed.ok) throw new Error(parsed.error);
  return { ...parsed.value, ...overrides };
}

/**
 * Reads flags (which win) and environment variables. A bad value gives one line naming the
 * setting, for start-up to print before exiting.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Result<Config, string> {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    return err(`${(e as Error).message} (see --help)`);
  }
  const config: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const fromFlag = values[s.flag];
    const raw = typeof fromFlag === 'string' ? fromFlag : (env[s.env] ?? s.default);
    const parsed = s.parse(raw);
    if (!parsed.ok) {
      const shown = s.secret ? '' : `=${JSON.stringify(raw)}`;
      return err(`invalid --${s.flag} / ${s.env}${shown}: ${parsed.error}`);
    }
    config[key] = parsed.value;
  }
  const c = config as Config;
  if (c.lobbyCapacity > c.maxLobbyCapacity) {
    return err('invalid --lobby-capacity / LOBBY_CAPACITY: must not exceed --max-lobby-capacity');
  }
  if (c.heartbeatTimeoutMs <= c.heartbeatIntervalMs) {
    return err(
      'invalid --heartbeat-timeout-ms / HEARTBEAT_TIMEOUT_MS: must exceed --heartbeat-interval-ms',
    );
  }
  if (c.relayPairBurst >= c.sendLimitBytes) {
    return err('invalid --relay-pair-burst / RELAY_PAIR_BURST: must be below --send-limit-bytes');
  }
  if (c.relayDropBytes >= c.sendLimitBytes) {
    return err('invalid --relay-drop-bytes / RELAY_DROP_BYTES: must be below --send-limit-bytes');
  }
  if ((c.cert === '') !== (c.key === '')) {
    return err('invalid --cert / TLS_CERT and --key / TLS_KEY: give both or neither');
  }
  // Never name the secret's value in an error: these lines end up in logs.
  if ((c.turnUrls.length === 0) !== (c.turnSecret === '')) {
    return err(
      'invalid --turn-urls / TURN_URLS and --turn-secret / TURN_SECRET: give both or neither',
    );
  }
  if (c.turnSecret !== '' && c.turnSecret.length < TURN_SECRET_MIN_LENGTH) {
    return err(
      `invalid --turn-secret / TURN_SECRET: at least ${TURN_SECRET_MIN_LENGTH} characters (every player gets a credential made from it)`,
    );
  }
  if (c.lobbySecret !== '' && c.lobbySecret.length < LOBBY_SECRET_MIN_LENGTH) {
    return err(
      `invalid --lobby-secret / LOBBY_SECRET: at least ${LOBBY_SECRET_MIN_LENGTH} characters`,
    );
  }
  const ours = (c.stunPort === 0 ? 0 : 1) + (c.turnUrls.length > 0 ? 1 : 0);
  if (ours + c.iceServers.length > WIRE_LIMITS.ICE_SERVERS) {
    return err(
      `invalid --ice-servers / ICE_SERVERS: at most ${WIRE_LIMITS.ICE_SERVERS - ours} entries beside the built-in STUN${c.turnUrls.length > 0 ? ' and TURN' : ''} (a browser gets ${WIRE_LIMITS.ICE_SERVERS} at most)`,
    );
  }
  return ok(c);
}

/** The `--help` text. */
/** The settings as the README's Markdown table (`--help-markdown`); a test keeps them equal. */
export function settingsMarkdown(): string {
  const rows = Object.values(SETTINGS).map(
    (s) =>
      `| \`--${s.flag}\` | \`${s.env}\` | ${s.default === '' ? '' : `\`${s.default}\``} | ${s.doc} |`,
  );
  return ['| flag | environment | default | meaning |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

export function helpText(): string {
  const rows = Object.values(SETTINGS).map(
    (s) =>
      `  --${s.flag.padEnd(24)} ${s.env.padEnd(24)} ${(s.default || '""').padEnd(10)} ${s.doc}`,
  );
  return [
    'lanparty signaling server',
    '',
    `  ${'flag'.padEnd(26)} ${'environment'.padEnd(24)} ${'default'.padEnd(10)} meaning`,
    ...rows,
  ].join('\n');
}
