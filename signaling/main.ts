import { networkInterfaces } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { startServer } from './app.ts';
import { helpText, parseConfig, settingsMarkdown } from './config.ts';
import { createLogger } from './log.ts';
import { redactRedisUrl } from './redis-cluster.ts';

/**
 * The young generation stays at V8's initial size (1 MB semi-spaces) instead of growing up to
 * 16 MB. What lives here (sockets, lobbies, seats) is long-lived and goes to the old space; the
 * young generation only ever holds each message's garbage, and V8 grew it once and for good
 * whenever many connections arrived together: ~0.6 KB per idle connection at 5,000 (README,
 * Benchmarks). V8 reads this flag each time it would grow the space, so it can be set here
 * rather than on every command line that starts the server.
 */
const YOUNG_GENERATION_GROWTH = '--semi-space-growth-factor=1';

/** `npm start`: read the configuration, serve, print where to go, shut down cleanly. */
async function main(): Promise<void> {
  setFlagsFromString(YOUNG_GENERATION_GROWTH);
  const argv = process.argv.slice(2);
  if (argv.includes('--help-markdown')) {
    console.log(settingsMarkdown());
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText());
    return;
  }
  const parsed = parseConfig(argv, process.env);
  if (!parsed.ok) {
    console.error(`lanparty: ${parsed.error}`);
    process.exit(2);
  }
  const config = parsed.value;
  const log = createLogger(config.logLevel);
  const server = await startServer(config, log).catch((error: Error) => {
    console.error(`lanparty: ${error.message}`);
    process.exit(1);
  });
  // Before the banner: whoever reads it may signal at once, and an unhandled SIGTERM kills.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // A hard deadline, whatever happens: platforms kill us soon after SIGTERM anyway.
    setTimeout(() => process.exit(0), config.shutdownTimeoutMs + 1000).unref();
    server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  if (server.engine !== 'native') {
    log.warn(
      'uWebSockets.js has no native binary for this Node version: running the slow JS fallback',
    );
  }
  const lan =
    config.publicUrl || !['0.0.0.0', '::'].includes(config.host)
      ? []
      : lanUrls(server.url, server.port);
  const stun = server.stun
    ? `STUN on udp port ${server.stun.port}${server.stun.stack === 'dual' ? ' (IPv4 and IPv6)' : ''}`
    : 'STUN off';
  log.info(
    {
      url: server.url,
      engine: server.engine,
      port: server.port,
      stunPort: server.stun?.port ?? 0,
      // The URLs only: the TURN secret is never logged.
      turnUrls: config.turnUrls,
      node: server.federation.nodeId,
      // Without its user and password.
      redis: config.redis === '' ? 'off' : redactRedisUrl(config.redis),
    },
    'lanparty is running',
  );
  // The one line a person needs, plain, whatever the log format.
  console.log(
    `\n  lanparty is up: open ${server.url}${lan.map((u) => `\n  on your network:  ${u}`).join('')}\n  ${stun}${config.turnUrls.length > 0 ? `, TURN credentials for ${config.turnUrls.join(', ')}` : ''}\n`,
  );
}

function lanUrls(url: string, port: number): string[] {
  const scheme = new URL(url).protocol;
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => `${scheme}//${a?.address}:${port}`);
}

main();
