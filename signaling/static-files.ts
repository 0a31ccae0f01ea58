import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

/** One file of the built web app, held in memory with its precompressed variants. */
export interface StaticFile {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly brotli: Buffer | undefined;
  readonly contentType: string;
  readonly cacheControl: string;
  readonly etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Files under /assets/ carry a content hash in their name, so browsers may keep them forever. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/**
 * Loads the built web app (a few small files) into memory at start, so serving is a lookup.
 * Returns an empty map when the folder does not exist (the server then explains how to build).
 */
export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(root)) return files;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      if (name.endsWith('.gz') || name.endsWith('.br')) continue;
      const url = `/${relative(root, path).split(sep).join('/')}`;
      const body = readFileSync(path);
      const variant = (ext: string) =>
        existsSync(path + ext) ? readFileSync(path + ext) : undefined;
      files.set(url, {
        body,
        gzip: variant('.gz'),
        brotli: variant('.br'),
        contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
        cacheControl: url.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      });
    }
  };
  walk(root);
  return files;
}

/** The file for a request path; app routes (`/`, `/l/<code>`) get the page itself. */
export function resolveStatic(
  files: Map<string, StaticFile>,
  path: string,
): StaticFile | undefined {
  const direct = files.get(path);
  if (direct) return direct;
  if (path === '/' || path.startsWith('/l/')) return files.get('/index.html');
  return undefined;
}

/** Picks the smallest encoding the client accepts (`q=0` refuses a coding). */
export function pickEncoding(
  file: StaticFile,
  acceptEncoding: string,
): { body: Buffer; encoding: 'br' | 'gzip' | undefined } {
  const accepts = (name: string) =>
    acceptEncoding.split(',').some((item) => {
      const [coding, ...params] = item.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return coding === name && (q === undefined || Number(q.slice(2)) > 0);
    });
  if (file.brotli && accepts('br')) return { body: file.brotli, encoding: 'br' };
  if (file.gzip && accepts('gzip')) return { body: file.gzip, encoding: 'gzip' };
  return { body: file.body, encoding: undefined };
}
