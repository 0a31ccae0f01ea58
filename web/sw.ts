/**
 * The app's service worker. It caches nothing; its one job is to tell a page that it is being
 * reloaded. A closing tab and a reloading one look the same to the page and to the server (a
 * `pagehide`, then the WebSocket closes with 1001), but a reload is a navigation, and every
 * navigation in the app passes through here first. So the page hears "you are being reloaded"
 * before it goes, and a host page that goes without hearing it is closing: it says so and the
 * server hands its lobby over at once instead of waiting for it to come back (host migration).
 *
 * Which page is being reloaded is not known here: Chromium gives no `replacesClientId`, and a
 * page's `Client.url` stays the address it was opened at (the app moves with `pushState`). A
 * reload is known by its request (`cache` is `no-cache`, or `reload` for a hard reload), so every
 * open page of the app is told; a host in another tab that closes within seconds of it only
 * waits as before. A reload that bypasses the worker (Shift+reload) is taken for a close: that
 * host's lobby is handed over and it comes back as a guest.
 */
import { RELOAD_NOTICE, RELOAD_NOTICE_ACK_MS } from './app/reload-notice.ts';

/** The few service-worker types used here (the DOM and WebWorker libraries clash in one project). */
interface FetchEvent extends Event {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface WindowClient {
  postMessage(message: unknown, transfer: Transferable[]): void;
}
interface WorkerScope {
  readonly clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, listener: (event: Event & FetchEvent) => void): void;
}
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}

const scope = self as unknown as WorkerScope;

scope.addEventListener('install', () => {
  void scope.skipWaiting();
});
scope.addEventListener('activate', (event) => {
  (event as unknown as ExtendableEvent).waitUntil(scope.clients.claim());
});
scope.addEventListener('fetch', (event) => {
  const { mode, cache } = event.request;
  if (mode !== 'navigate' || (cache !== 'no-cache' && cache !== 'reload')) return;
  // The old page unloads only once this response is given: tell it first (briefly), then load.
  event.respondWith(
    tellPages().then(
      () => fetch(event.request),
      () => fetch(event.request),
    ),
  );
});

/** Tells every page of the app that one is being reloaded; waits for their replies, briefly. */
async function tellPages(): Promise<void> {
  const pages = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const replies = pages.map(
    (page) =>
      new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        page.postMessage({ type: RELOAD_NOTICE }, [channel.port2]);
        setTimeout(resolve, RELOAD_NOTICE_ACK_MS);
      }),
  );
  await Promise.all(replies);
}
