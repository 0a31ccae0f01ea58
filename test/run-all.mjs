// `npm test`: type check, lint, build, unit and server tests (vitest), browser tests
// (web-test-runner in real Chromium). Runs every stage even after a failure, then prints one
// plain line with the totals of all suites: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'test-results');
const chrome = process.env.CHROME_PATH ?? '/usr/bin/chromium';
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

let passed = 0;
let failed = 0;
const failures = [];

function run(stage, command, args) {
  console.log(`\n▶ ${stage}: ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) failures.push(`${stage} (exit ${r.status ?? r.signal})`);
  return r.status === 0;
}

/**
 * Adds a suite's counts. A suite that crashed before reporting, or exited non-zero with no
 * failed test (an error outside tests), counts as one failure, so the totals never hide it.
 */
function count(stage, ok, file, read) {
  if (!existsSync(file)) {
    failed += 1;
    failures.push(`${stage}: no results written`);
    return;
  }
  const [p, f] = read(JSON.parse(readFileSync(file, 'utf8')));
  passed += p;
  failed += f === 0 && !ok ? 1 : f;
}

/** Installs a Debian package when its binary is missing and we may (root with apt-get). */
function ensureDebianPackage(binary, pkg) {
  if (existsSync(binary)) return true;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(
      `${binary} is missing: installing the ${pkg} package with apt-get (the tests need it)…`,
    );
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit' });
  }
  return existsSync(binary);
}

/** A fresh machine may lack Chromium; as root with apt, install it, else say how. */
function ensureChromium() {
  if (
    chrome === '/usr/bin/chromium' ? ensureDebianPackage(chrome, 'chromium') : existsSync(chrome)
  ) {
    return true;
  }
  console.error(
    `Chromium not found at ${chrome}. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROME_PATH.`,
  );
  return false;
}

const npx = 'npx';
for (const project of ['shared', 'signaling', 'web', 'test']) {
  if (!run(`typecheck ${project}`, npx, ['tsc', '-p', project])) failed += 1;
}
if (!run('lint', npx, ['biome', 'check', '.'])) failed += 1;
if (!run('build', process.execPath, ['esbuild.config.mjs'])) failed += 1;

// The TURN test runs Debian's coturn on loopback; without it that test is skipped (and says so).
ensureDebianPackage('/usr/bin/turnserver', 'coturn');
// The scale-out tests run real redis-server, HAProxy and nginx on loopback (skipped without them).
ensureDebianPackage('/usr/bin/redis-server', 'redis-server');
ensureDebianPackage('/usr/sbin/haproxy', 'haproxy');
ensureDebianPackage('/usr/sbin/nginx', 'nginx');
const vitestOk = run('unit and server tests', npx, [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${join(results, 'vitest.json')}`,
]);
count('vitest', vitestOk, join(results, 'vitest.json'), (j) => [
  j.numPassedTests,
  j.numFailedTests,
]);

// Test (e) of the browser networking cuts UDP with iptables; without root it is skipped.
ensureDebianPackage('/usr/sbin/iptables', 'iptables');
if (ensureChromium()) {
  const wtrOk = run('browser tests', npx, ['wtr', '--config', 'web-test-runner.config.mjs']);
  count('web-test-runner', wtrOk, join(results, 'wtr.json'), (j) => [j.passed, j.failed]);
} else {
  failed += 1;
  failures.push('browser tests: no Chromium');
}

if (failures.length > 0)
  console.log(`\nFailed stages:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || failures.length > 0 ? 1 : 0);
