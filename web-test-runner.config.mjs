// Browser tests in real Chromium (`npx wtr --config web-test-runner.config.mjs`).
//
// A real lanparty server runs beside the test runner for the whole run: the build is brought up
// to date, then `node dist/server/main.js` starts on a free port of 127.0.0.1, allowing the test
// runner's origin to open /ws. Tests ask for its address with
// `executeServerCommand('lanparty-server')`. Because the server sends no CORS headers (its page
// is always same-origin), the served files are also reachable through this runner's own origin
// under /lanparty/ (and /assets/, for the page's script): a byte-for-byte pass-through.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultReporter } from '@web/test-runner';
import { playwrightLauncher } from '@web/test-runner-playwright';
import * as esbuild from 'esbuild';
import { oneFileOptions } from './esbuild.config.mjs';
import {
  buildIfNeeded,
  SHARED_ADDRESS_FLAGS,
  startServerProcess,
} from './test/support/server-process.mjs';

const root = dirname(fileURLToPath(import.meta.url));
/** @type {import('./test/support/server-process.mjs').ServerProcess | undefined} */
let lanparty;

/** Builds if a source changed, then starts the server, letting the test runner's origin in. */
async function startLanparty(allowedOrigins) {
  buildIfNeeded();
  lanparty = await startServerProcess({
    // Every test page shares one address: lobbies per address are not these tests' subject.
    flags: ['--allowed-origins', allowedOrigins.join(','), ...SHARED_ADDRESS_FLAGS],
  });
}

async function stopLanparty() {
  await lanparty?.stop();
  lanparty = undefined;
}

/** The server's address for browser code, and its lifetime bound to the test runner's. */
function lanpartyPlugin() {
  return {
    name: 'lanparty-server',
    async serverStart({ config }) {
      const origins = [`http://${config.hostname}:${config.port}`];
      if (config.hostname !== '127.0.0.1') origins.push(`http://127.0.0.1:${config.port}`);
      await startLanparty(origins);
    },
    async serverStop() {
      await stopLanparty();
      blockUdp(false);
    },
    async executeCommand({ command }) {
      switch (command) {
        case 'lanparty-server':
          if (!lanparty) throw new Error('the lanparty server is not running');
          return { url: lanparty.url, proxy: '/lanparty' };
        case 'lanparty-restart': {
          // Stop (SIGTERM: clients are told the server is going away) and start again on the
          // same port; the new process knows no lobby until hosts re-claim theirs.
          if (!lanparty) throw new Error('the lanparty server is not running');
          await lanparty.stop();
          await lanparty.restart();
          return { url: lanparty.url };
        }
        case 'block-udp':
          return blockUdp(true);
        case 'unblock-udp':
          return blockUdp(false);
        default:
          return undefined;
      }
    },
  };
}

/**
 * Cuts (or restores) every UDP packet on the loopback interface, IPv4 and IPv6: live WebRTC
 * connections between local browsers go silent at once, as when a network path dies. Needs root
 * and iptables (test/run-all.mjs and .ci/run install it); says why when it cannot.
 */
function blockUdp(block) {
  const rule = ['INPUT', '-i', 'lo', '-p', 'udp', '-j', 'DROP'];
  for (const tool of ['iptables', 'ip6tables']) {
    // Delete every copy first, so the rules never pile up.
    while (spawnSync(tool, ['-D', ...rule]).status === 0);
    if (block) {
      const added = spawnSync(tool, ['-A', ...rule], { encoding: 'utf8' });
      if (added.status !== 0) {
        blockUdp(false);
        return {
          ok: false,
          reason: `${tool}: ${added.error?.message ?? added.stderr.trim()} (needs root and iptables)`,
        };
      }
    }
  }
  return { ok: true };
}

/**
 * Test files are bundled by esbuild with the app's own options (shims for simple-peer included),
 * so browser tests run the code as it ships. The test runner's own modules stay external and are
 * resolved by the runner.
 */
function bundleTestsPlugin() {
  return {
    name: 'bundle-tests',
    async serve(context) {
      if (!/^\/test\/browser\/.+\.test\.ts$/.test(context.path)) return undefined;
      const result = await esbuild.build({
        ...oneFileOptions(),
        entryPoints: [join(root, context.path)],
        write: false,
        sourcemap: 'inline',
        external: ['@web/test-runner-commands', 'chai'],
      });
      return { body: result.outputFiles[0].text, type: 'js' };
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
  files: [process.env.WTR_FILES ?? 'test/browser/**/*.test.ts'],
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
  plugins: [bundleTestsPlugin(), lanpartyPlugin()],
  middleware: [lanpartyProxy],
  reporters: [defaultReporter(), totalsReporter()],
  // A shared, noisy machine: generous limits.
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  testsFinishTimeout: 120_000,
  testFramework: { config: { timeout: 15_000 } },
};
