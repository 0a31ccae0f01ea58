// Browser tests in real Chromium (`npx wtr --config web-test-runner.config.mjs`).
//
// A real lanparty server runs beside the test runner for the whole run: the build is brought up
// to date, then `node dist/server/main.js` starts on a free port of 127.0.0.1, allowing the test
// runner's origin to open /ws. Tests ask for its address with
// `executeServerCommand('lanparty-server')`. Because the server sends no CORS headers (its page
// is always same-origin), the served files are also reachable through this runner's own origin
// under /lanparty/ (and /assets/, for the page's script): a byte-for-byte pass-through.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { playwrightLauncher } from '@web/test-runner-playwright';

const root = dirname(fileURLToPath(import.meta.url));
const SERVER_START_TIMEOUT_MS = 30_000;
const SERVER_STOP_TIMEOUT_MS = 10_000;

/** @type {{ url: string, child: import('node:child_process').ChildProcess } | undefined} */
let lanparty;

/** Builds if a source changed, then starts the server; resolves once it prints its URL. */
async function startLanparty(allowedOrigins) {
  execFileSync(process.execPath, [join(root, 'esbuild.config.mjs'), '--if-needed'], {
    cwd: root,
    stdio: 'inherit',
  });
  const child = spawn(
    process.execPath,
    [
      join(root, 'dist/server/main.js'),
      ...['--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'],
      ...['--allowed-origins', allowedOrigins.join(',')],
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // Never outlive the runner, even when it dies without stopping its plugins.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));

  let stdout = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lanparty did not start within ${SERVER_START_TIMEOUT_MS} ms: ${stdout}`));
    }, SERVER_START_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const found = stdout.match(/lanparty is up: open (http:\/\/\S+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`lanparty exited (${code ?? signal}) before starting: ${stdout}`));
    });
  });
  child.stdout.resume();
  return { url, child };
}

async function stopLanparty() {
  const running = lanparty;
  lanparty = undefined;
  if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = once(running.child, 'exit');
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), SERVER_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** The server's address for browser code, and its lifetime bound to the test runner's. */
function lanpartyPlugin() {
  return {
    name: 'lanparty-server',
    async serverStart({ config }) {
      const origins = [`http://${config.hostname}:${config.port}`];
      if (config.hostname !== '127.0.0.1') origins.push(`http://127.0.0.1:${config.port}`);
      lanparty = await startLanparty(origins);
    },
    async serverStop() {
      await stopLanparty();
    },
    executeCommand({ command }) {
      if (command !== 'lanparty-server') return undefined;
      if (!lanparty) throw new Error('the lanparty server is not running');
      return { url: lanparty.url, proxy: '/lanparty' };
    },
  };
}

/**
 * Passes /lanparty/<path> (and /assets/<file>, which the served page loads) to the real server
 * and its answer back untouched: status, headers and (still compressed) body. The response is
 * written directly, so no middleware of the runner rewrites a header on the way out.
 */
async function lanpartyProxy(ctx, next) {
  const path = ctx.path.startsWith('/lanparty/')
    ? ctx.url.slice('/lanparty'.length)
    : ctx.path.startsWith('/assets/')
      ? ctx.url
      : undefined;
  if (path === undefined || !lanparty) return next();
  const target = new URL(path, lanparty.url);
  const { host: _host, ...headers } = ctx.req.headers;
  ctx.respond = false;
  await new Promise((resolve) => {
    const upstream = request(target, { method: ctx.method, headers }, (res) => {
      ctx.res.writeHead(res.statusCode ?? 502, res.rawHeaders);
      res.pipe(ctx.res);
      res.on('end', resolve);
    });
    upstream.on('error', (error) => {
      ctx.res.writeHead(502, { 'content-type': 'text/plain' }).end(String(error));
      resolve();
    });
    ctx.req.pipe(upstream);
  });
}

/**
 * Writes the run's totals to test-results/wtr.json (`{ passed, failed, skipped }`) for
 * test/run-all.mjs to add up. A test file that failed outside any test (it did not load, say)
 * counts as one failure.
 */
function totalsReporter(file = join(root, 'test-results/wtr.json')) {
  const write = (sessions) => {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const session of sessions) {
      let failedHere = 0;
      const visit = (suite) => {
        for (const test of suite.tests) {
          if (test.skipped) skipped++;
          else if (test.passed) passed++;
          else failedHere++;
        }
        for (const child of suite.suites) visit(child);
      };
      if (session.testResults) visit(session.testResults);
      if (failedHere === 0 && (session.passed === false || session.errors.length > 0))
        failedHere = 1;
      failed += failedHere;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ passed, failed, skipped })}\n`);
  };
  return {
    onTestRunFinished({ sessions }) {
      write(sessions);
    },
  };
}

export default {
  rootDir: root,
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: true,
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      },
    }),
  ],
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), lanpartyPlugin()],
  middleware: [lanpartyProxy],
  reporters: [defaultReporter(), totalsReporter()],
  // A shared, noisy machine: generous limits.
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  testsFinishTimeout: 120_000,
  testFramework: { config: { timeout: 15_000 } },
};
