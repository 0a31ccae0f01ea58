/**
 * The app's service worker. It caches nothing; its one job is to tell a page that it is being
 * reloaded. A closing tab and a reloading one look the same to the page and to the server (a
 * `pagehide`, then the WebSocket closes with 1001), but a reload is a navigation, and every
 * navigation in the app passes through here first. So the page hears "you are being reloaded"
 * before it goes, and a host page that goes without hearing it is closing: it says so and the
 * server hands its lobby over at once instead of waiting for it to come back (host migration).
 *
 * Chromium gives no `replacesClientId`, so every open page of the app at the navigation's URL is
 * told: a second tab on the same lobby link (rare) only makes its host wait as before.
 */
import { RELOAD_NOTICE, RELOAD_NOTICE_ACK_MS, urlWithoutHash } from './app/reload-notice.ts';

/** The few service-worker types used here (the DOM and WebWorker libraries clash in one project). */
interface FetchEvent extends Event {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface WindowClient {
  readonly url: string;
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
  if (event.request.mode !== 'navigate') return;
  // The old page unloads only once this response is given: tell it first (briefly), then load.
  event.respondWith(
    tellPages(event.request.url).then(
      () => fetch(event.request),
      () => fetch(event.request),
    ),
  );
});

/** Tells each page at `url` that it is being reloaded; waits for their replies, briefly. */
async function tellPages(url: string): Promise<void> {
  const target = urlWithoutHash(url);
  const pages = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const replies = pages
    .filter((page) => urlWithoutHash(page.url) === target)
    .map(
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
