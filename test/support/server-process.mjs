// Child processes for tests and benchmarks: the built server as `npm start` runs it, any other
// program (redis-server, a balancer, coturn), and `until` to wait on them. One helper for the
// vitest suites, the web-test-runner config and the benchmarks (plain JavaScript, so
// `node test/bench/*.mjs` can import it without a TypeScript loader).
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
export const SERVER_MAIN = join(ROOT, 'dist/server/main.js');

/** What the server prints once it accepts connections (see signaling/main.ts). */
const UP = /lanparty is up: open (https?:\/\/\S+)\n/;
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
 * @property {NodeJS.ProcessEnv} [env] default: this process's
 */

/**
 * @typedef {object} ServerProcess
 * @property {string} url the page's address
 * @property {number} port
 * @property {() => import('node:child_process').ChildProcess} child the current process
 * @property {() => string} output everything it printed (stdout and stderr), over every restart
 * @property {(signal?: NodeJS.Signals) => Promise<Exit>} stop sends `signal` (default SIGTERM)
 *   and waits for the exit (SIGKILL after 10 s)
 * @property {() => Promise<Exit>} kill SIGKILL, as a crash would
 * @property {() => Promise<void>} restart starts it again on the same port
 */

/**
 * Starts `node dist/server/main.js` on `--host`, `--port` and `--log-level` (then `flags`) and
 * resolves once it prints that it is up. The process is killed if this one exits first.
 * @param {ServerOptions} [options]
 * @returns {Promise<ServerProcess>}
 */
export async function startServerProcess(options = {}) {
  const port = options.port ?? (await freePort());
  const address = options.address ?? '127.0.0.1';
  const [command = process.execPath, ...args] = [
    ...(options.prefix ?? []),
    process.execPath,
    SERVER_MAIN,
    ...['--host', options.host ?? address, '--port', String(port)],
    ...['--log-level', options.logLevel ?? 'warn'],
    ...(options.flags ?? []),
  ];
  let earlier = '';
  /** @type {Child} */
  let current;
  const launch = async () => {
    // A restart's banner is looked for in the new process's output only.
    earlier += current?.output() ?? '';
    current = startChild(command, args, { env: options.env });
    await serverUp(current);
  };
  await launch();
  return {
    url: `http://${address}:${port}`,
    port,
    child: () => current.process,
    output: () => earlier + current.output(),
    stop: (signal) => current.stop(signal),
    kill: () => current.stop('SIGKILL'),
    restart: launch,
  };
}

/**
 * @typedef {object} Exit how a child process ended
 * @property {number | null} code
 * @property {NodeJS.Signals | null} signal
 */

/**
 * @typedef {object} Child a child process whose output is kept, for assertions and diagnosing
 * @property {import('node:child_process').ChildProcess} process
 * @property {() => string} stdout everything it wrote to stdout so far
 * @property {() => string} stderr everything it wrote to stderr so far
 * @property {() => string} output both, in the order they came
 * @property {Promise<Exit>} exited
 * @property {() => boolean} running
 * @property {(signal?: NodeJS.Signals) => Promise<Exit>} stop sends `signal` (default SIGTERM)
 *   unless it has exited, and waits for the exit (SIGKILL after `killAfterMs`)
 */

/**
 * Spawns `command` (not through a shell) with its output kept; it is killed if this process
 * exits first. The one wrapper for every child a test or benchmark starts.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ env?: NodeJS.ProcessEnv | undefined, cwd?: string, killAfterMs?: number }} [options]
 *   default: this process's environment, ROOT, and 10 s from a `stop` to a SIGKILL
 * @returns {Child}
 */
export function startChild(command, args, options = {}) {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  // Decoded by the stream, so a character split across two chunks stays whole.
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    output += chunk;
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  /** @type {Promise<Exit>} */
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    exited,
    running,
    stop: async (signal = 'SIGTERM') => {
      if (!running()) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? STOP_TIMEOUT_MS);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
  };
}

/**
 * Waits (polling every 10 ms) until `check` holds; a check that throws ends the wait with its
 * error. For the Node-side tests and the benchmarks.
 * @param {() => boolean | Promise<boolean>} check
 * @param {number} [timeoutMs] default 5 s
 * @param {string} [what] named in the timeout's error
 * @returns {Promise<void>}
 */
export async function until(check, timeoutMs = 5000, what = 'the condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Resolves with the address `child`, the built server, prints once it accepts connections.
 * Rejects, with its output, if it exits first or is not up within 30 s (it is killed then).
 * @param {Child} child
 * @returns {Promise<string>}
 */
export function serverUp(child) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.process.kill('SIGKILL');
      reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms: ${child.output()}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      const url = UP.exec(child.stdout())?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      child.process.stdout?.off('data', check);
      resolve(url);
    };
    child.process.stdout?.on('data', check);
    child.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before starting: ${child.output()}`));
    });
    check();
  });
}
