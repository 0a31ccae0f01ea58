import WebSocket from 'ws';
import {
  type SavedSeat,
  SignalingClient,
  type SignalingClientOptions,
  type SocketLike,
} from '../../web/net/signaling-client.ts';

/**
 * The page's own networking code run in Node against a real server: the signaling client over
 * the `ws` package, which sends the page's origin (the server checks it) as a browser would.
 */
export function nodeSignalingClient(
  baseUrl: string,
  hello: SignalingClientOptions['hello'],
  saved?: SavedSeat,
): SignalingClient {
  return new SignalingClient({
    server: baseUrl,
    hello,
    ...(saved === undefined ? {} : { saved }),
    socket: (url) => new WebSocket(url, { origin: baseUrl }) as unknown as SocketLike,
  });
}

/** The page's worker clock at ~120 Hz of real time, for a GameRunner in Node. */
export function nodeClock(onTick: (now: number) => void): () => void {
  const timer = setInterval(() => onTick(performance.now()), 8);
  return () => clearInterval(timer);
}
