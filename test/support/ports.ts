import { type AddressInfo, createServer } from 'node:net';

/**
 * A TCP port of 127.0.0.1 that is free now. Servers that restart in a test get a fixed port:
 * uSockets sets SO_REUSEADDR only for a fixed port, so the restarted server can listen while
 * the old connections are in TIME_WAIT.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
