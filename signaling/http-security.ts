import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

/**
 * Headers for every HTML page (every response also gets `Referrer-Policy: no-referrer` and
 * `X-Content-Type-Options: nosniff`): a strict Content Security Policy (scripts only from this origin, no
 * inline script, no eval), no framing, no referrer (a share link carries the lobby's secret in
 * its path), no sniffing, and no powerful features the game does not use.
 *
 * `styleHashes`: the page's own inline `<style>` blocks, allowed by hash. Lit components style
 * through constructed style sheets (`adoptedStyleSheets`), which CSP does not govern. The host's
 * game clock is a Worker made from a Blob URL, hence `worker-src blob:`.
 */
export function pageHeaders(styleHashes: readonly string[]): [string, string][] {
  const styles = ["'self'", ...styleHashes.map((h) => `'sha256-${h}'`)].join(' ');
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    `style-src ${styles}`,
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return [
    ['content-security-policy', csp],
    ['x-frame-options', 'DENY'],
    [
      'permissions-policy',
      'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()',
    ],
  ];
}

/** Base64 SHA-256 of each inline `<style>` block of an HTML page, for `style-src`. */
export function inlineStyleHashes(html: string): string[] {
  return [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) =>
    createHash('sha256')
      .update(m[1] ?? '')
      .digest('base64'),
  );
}

/**
 * The names this server answers to, against DNS rebinding: a page on an attacker's name that
 * re-points that name at this server sends `Host` and `Origin` with the attacker's name. An IP
 * literal cannot be re-bound, `localhost` is the browser's own, the machine's host name (and
 * its mDNS `.local`), the public URL's and every allowed origin's host are ours.
 */
export function ownHostNames(publicUrl: string, allowedOrigins: readonly string[]): Set<string> {
  const names = new Set(['localhost']);
  const machine = hostname().toLowerCase();
  if (machine !== '') names.add(machine).add(`${machine}.local`);
  for (const url of [publicUrl, ...allowedOrigins]) {
    if (url !== '') names.add(new URL(url).hostname.toLowerCase());
  }
  return names;
}

/** Whether a `Host` header (name or address, optional port) names this server. */
export function isOwnHost(host: string, names: ReadonlySet<string>): boolean {
  const name = host
    .replace(/:\d{1,5}$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  return isIP(name) !== 0 || names.has(name) || name.endsWith('.localhost');
}
