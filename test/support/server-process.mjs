// The built server as a child process, as `npm start` runs it: one helper for the vitest suites,
// the web-test-runner config and the benchmarks (plain JavaScript, so `node test/bench/*.mjs`
// can import it without a TypeScript loader).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
export const SERVER_MAIN = join(ROOT, 'dist/server/main.js');

/** What the server prints once it accepts connections (see signaling/main.ts). */
const UP = /lanparty is up: open (https?:\/\/\S+)/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Flags for a test or benchmark whose players all share one address: creating lobbies and
 * joining them often is not its subject (test/server/abuse.test.ts tests those limits at their
 * defaults).
 */
export const SHARED_ADDRESS_FLAGS = Object.freeze([
  '--creates-per-minute',
  '1000',
  '--lobbies-per-address',
  '1000',
  '--joins-per-minute',
  '1000',
]);

/**
 * A TCP port of 127.0.0.1 that is free now. Servers that restart in a test get a fixed port:
 * uSockets sets SO_REUSEADDR only for a fixed port, so the restarted server can listen while
 * the old connections are in TIME_WAIT.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** Rebuilds dist/ if a source changed since the last build (esbuild.config.mjs --if-needed). */
export function buildIfNeeded() {
  execFileSync(process.execPath, [join(ROOT, 'esbuild.config.mjs'), '--if-needed'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * @typedef {object} ServerOptions
 * @property {readonly string[]} [flags] more command-line flags (after the defaults, so they win)
 * @property {number} [port] default: a free port, kept across restarts
 * @property {string} [host] the address to listen on (default `address`)
 * @property {string} [address] the address players use (default 127.0.0.1)
 * @property {readonly string[]} [prefix] a command to run the server under, e.g.
 *   `['ip', 'netns', 'exec', 'ns1']` or `['taskset', '-c', '1']` (it must exec, so that signals
 *   reach the server itself)
 * @property {string} [logLevel] default `warn`
 * @property {NodeJS.ProcessEnv} [env]
 */

/**
 * @typedef {object} ServerProcess
 * @property {string} url the page's address
 * @property {number} port
 * @property {() => import('node:child_process').ChildProcess} child the current process
 * @property {() => string} output everything it printed (stdout and stderr), for diagnosing
 * @property {() => Promise<void>} stop SIGTERM, and wait for the exit (SIGKILL after 10 s)
 * @property {() => Promise<void>} kill SIGKILL, as a crash would
 * @property {() => Promise<void>} restart starts it again on the same port
 */

/**
 * Starts `node dist/server/main.js` and resolves once it prints that it is up. The process is
 * killed if this one exits first.
 * @param {ServerOptions} [options]
 * @returns {Promise<ServerProcess>}
 */
export async function startServerProcess(options = {}) {
  const port = options.port ?? (await freePort());
  const address = options.address ?? '127.0.0.1';
  const args = [
    SERVER_MAIN,
    ...['--host', options.host ?? address, '--port', String(port)],
    ...['--log-level', options.logLevel ?? 'warn'],
    ...(options.flags ?? []),
  ];
  const [command, ...argv] = [...(options.prefix ?? []), process.execPath, ...args];
  /** @type {import('node:child_process').ChildProcess} */
  let child;
  let output = '';
  const launch = async () => {
    child = spawn(/** @type {string} */ (command), argv, {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const current = child;
    const killOnExit = () => current.kill('SIGKILL');
    process.once('exit', killOnExit);
    current.once('exit', () => process.off('exit', killOnExit));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        current.kill('SIGKILL');
        reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms: ${output}`));
      }, START_TIMEOUT_MS);
      current.stdout?.on('data', (chunk) => {
        output += chunk;
        if (UP.test(output)) {
          clearTimeout(timer);
          resolve(undefined);
        }
      });
      current.stderr?.on('data', (chunk) => {
        output += chunk;
      });
      current.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}) before starting: ${output}`));
      });
    });
  };
  /** @param {NodeJS.Signals} signal */
  const stopWith = async (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    url: `http://${address}:${port}`,
    port,
    child: () => child,
    output: () => output,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    restart: launch,
  };
}
