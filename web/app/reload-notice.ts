/**
 * Whether this page is being reloaded rather than closed, as the service worker (web/sw.ts) tells
 * it: a reload is a navigation, which passes through the worker before the page goes. Without a
 * service worker (an insecure origin such as http://<LAN address>, or a browser without one) the
 * page never knows, and says nothing: the server then waits `--host-migration-ms` for a host
 * that went, as it would for any dropped host.
 */

/** The worker's message to a page that is about to be reloaded. */
export const RELOAD_NOTICE = 'lanparty:reloading';
/**
 * How long the worker holds a navigation for the pages' replies. A reply takes ~1 ms, so a reload
 * waits this long only for a page that cannot answer (frozen). It is generous because a page that
 * has not yet read the notice when its reload goes ahead takes its unload for a close (150 ms
 * was the likely cause of a reloaded host losing its role once in CI, on a loaded machine).
 */
export const RELOAD_NOTICE_ACK_MS = 1_000;
/**
 * A notice holds this long: the reloaded page unloads as soon as its response arrives, and a
 * notice meant for another tab must not keep this one's close unreported for long.
 */
const NOTICE_VALID_MS = 5_000;

let reloadingUntil = 0;

/**
 * Whether a reload of this page would be noticed: the worker controls the page, so every
 * navigation from it passes the worker first. Only then does a `pagehide` without a notice mean
 * the tab is closing.
 */
export function reloadsAreKnown(): boolean {
  return 'serviceWorker' in navigator && navigator.serviceWorker.controller !== null;
}

/** True from the worker's notice that a page of the app is being reloaded: this one may be. */
export function pageIsReloading(now = Date.now()): boolean {
  return now < reloadingUntil;
}

/**
 * Registers the worker and listens for its notice. Registration failing only means the page
 * cannot tell a reload from a close; nothing else depends on the worker.
 */
export function watchForReloads(): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
    if ((event.data as { type?: unknown } | null)?.type !== RELOAD_NOTICE) return;
    reloadingUntil = Date.now() + NOTICE_VALID_MS;
    event.ports[0]?.postMessage('ok');
  });
  navigator.serviceWorker.register('/sw.js').catch((error: unknown) => {
    console.info(
      `lanparty: no service worker (${String(error)}): a closed host tab is replaced after the server's wait`,
    );
  });
}
