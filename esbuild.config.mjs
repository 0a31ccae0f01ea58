// Builds the server (dist/server) and the web app (dist/web), with gzip and brotli copies of
// every web asset so the server can send them precompressed.
//
//   node esbuild.config.mjs              build everything
//   node esbuild.config.mjs --if-needed  build only if a source is newer than the last build
//   node esbuild.config.mjs --watch      rebuild on change (used by `npm run dev`)
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const SOURCES = ['shared', 'signaling', 'web', 'package-lock.json', 'esbuild.config.mjs'];

/** Newest modification time under the given paths. */
function newest(paths) {
  let latest = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
    else latest = Math.max(latest, s.mtimeMs);
  };
  for (const p of paths) visit(join(root, p));
  return latest;
}

/** @type {import('esbuild').BuildOptions} */
export const serverOptions = {
  entryPoints: [join(root, 'signaling/main.ts')],
  outfile: join(dist, 'server/main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};

/** @type {import('esbuild').BuildOptions} */
export const webOptions = {
  entryPoints: { app: join(root, 'web/main.ts') },
  outdir: join(dist, 'web/assets'), // replaced per build by a private folder (see build())
  entryNames: '[name]-[hash]',
  // Each game (web/games/<game>/module.ts, imported with import()) is a chunk of its own, and
  // code both need goes to a shared chunk: the page loads a game when it is picked or named.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  // simple-peer expects Node's globals: `global`, `process` (injected) and the `buffer` and
  // `events` packages (plain dependencies, resolved by the bundler).
  define: { global: 'globalThis' },
  inject: [join(root, 'web/shims/process.js')],
  alias: {
    debug: join(root, 'web/shims/debug.cjs'),
    'readable-stream': join(root, 'web/shims/readable-stream.cjs'),
  },
  logLevel: 'warning',
};

/**
 * The app's build options for one bundle kept in memory (a browser test file, a test or benchmark
 * page): its shims, aliases and target, without the app's output layout, chunks (games imported
 * with import() are bundled in: no chunk to serve), minifying or source maps.
 */
export function oneFileOptions() {
  const {
    entryPoints: _entryPoints,
    outdir: _outdir,
    entryNames: _entryNames,
    splitting: _splitting,
    chunkNames: _chunkNames,
    metafile: _metafile,
    minify: _minify,
    sourcemap: _sourcemap,
    ...options
  } = webOptions;
  return options;
}

/**
 * The service worker (web/sw.ts): a classic script at the site's root, so its scope is the whole
 * app, under a fixed name (browsers look for it there at every visit; it is served `no-cache`).
 * @type {import('esbuild').BuildOptions}
 */
export const serviceWorkerOptions = {
  entryPoints: [join(root, 'web/sw.ts')],
  outfile: join(dist, 'web/sw.js'), // replaced per build by a private folder (see build())
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  logLevel: 'warning',
};

/** The entry and every chunk it imports statically: what a page loads before anything runs. */
function firstLoad(metafile, entry) {
  const names = new Set();
  const visit = (output) => {
    const name = output.split('/').pop();
    if (names.has(name)) return;
    names.add(name);
    for (const i of metafile.outputs[output]?.imports ?? [])
      if (i.kind === 'import-statement') visit(i.path);
  };
  visit(entry);
  return names;
}

/**
 * index.html with the hashed script name, then compressed copies of every text asset. Returns
 * the JavaScript sizes: the first load (the entry and the chunks it imports statically; games
 * load later) and all chunks together.
 */
function writeWebFiles(metafile, out) {
  const outputs = Object.keys(metafile.outputs);
  const app = outputs.find((o) => metafile.outputs[o].entryPoint === 'web/main.ts');
  const first = firstLoad(metafile, app);
  const script = `/assets/${app.split('/').pop()}`;
  const html = readFileSync(join(root, 'web/index.html'), 'utf8').replace('%APP_SCRIPT%', script);
  writeFileSync(join(out, 'index.html'), html);
  let jsRaw = 0;
  let jsGzip = 0;
  let entryRaw = 0;
  let entryGzip = 0;
  const compress = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        compress(path);
        continue;
      }
      if (!/\.(html|js|css|svg|json|map|webmanifest)$/.test(name)) continue;
      const body = readFileSync(path);
      const gz = gzipSync(body, { level: 9 });
      writeFileSync(`${path}.gz`, gz);
      writeFileSync(
        `${path}.br`,
        brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      );
      if (name.endsWith('.js')) {
        jsRaw += body.length;
        jsGzip += gz.length;
      }
      if (first.has(name)) {
        entryRaw += body.length;
        entryGzip += gz.length;
      }
    }
  };
  compress(out);
  return { jsRaw, jsGzip, entryRaw, entryGzip };
}

export async function build() {
  // The web app is built in a private folder and swapped in whole, so a server reading dist/web,
  // or another build running at the same time, never sees half of it.
  const out = join(dist, `web.${process.pid}.tmp`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const [, web] = await Promise.all([
    esbuild.build(serverOptions),
    esbuild.build({ ...webOptions, outdir: join(out, 'assets') }),
    esbuild.build({ ...serviceWorkerOptions, outfile: join(out, 'sw.js') }),
  ]);
  const { jsRaw, jsGzip, entryRaw, entryGzip } = writeWebFiles(web.metafile, out);
  const old = join(dist, `web.${process.pid}.old`);
  if (existsSync(join(dist, 'web'))) renameSync(join(dist, 'web'), old);
  renameSync(out, join(dist, 'web'));
  rmSync(old, { recursive: true, force: true });
  writeFileSync(stamp, new Date().toISOString());
  const kb = (raw, gz) => `${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`;
  console.log(
    `built dist/: web JS first load ${kb(entryRaw, entryGzip)}; all ${kb(jsRaw, jsGzip)}`,
  );
}

async function watch() {
  await build();
  let timer;
  const { watch: fsWatch } = await import('node:fs');
  for (const dir of ['shared', 'signaling', 'web']) {
    fsWatch(join(root, dir), { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => build().catch((e) => console.error(e.message)), 100);
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.includes('--watch')) await watch();
  else if (
    args.includes('--if-needed') &&
    existsSync(stamp) &&
    statSync(stamp).mtimeMs >= newest(SOURCES)
  ) {
    // up to date
  } else await build();
}
