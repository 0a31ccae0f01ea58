/**
 * A clock that keeps its rate in a background tab. Browsers run a hidden page's timers about
 * once a second, but a dedicated Worker's timers keep their rate and its messages reach the
 * hidden page at once; so the host's game loop is driven from a Worker. Returns a stop function.
 */
export function startWorkerClock(onTick: (now: number) => void, intervalMs = 4): () => void {
  const source = `setInterval(() => postMessage(0), ${Math.max(1, Math.floor(intervalMs))});`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  worker.onmessage = () => onTick(performance.now());
  return () => worker.terminate();
}
