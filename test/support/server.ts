import { join } from 'node:path';
import { type RunningServer, startServer } from '../../signaling/app.ts';
import { type Config, defaultConfig, SETTINGS } from '../../signaling/config.ts';
import { createLogger } from '../../signaling/log.ts';
import { TestClient } from './client.ts';
import { ROOT } from './server-process.mjs';

export { ROOT };

/** This process's environment without any lanparty setting, so only a test's own apply. */
export const CLEAN_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !Object.values(SETTINGS).some((s) => s.env === name),
  ),
);

export interface TestServer extends RunningServer {
  readonly baseUrl: string;
  readonly config: Config;
  /** Connects a client with the server's own origin, as the served page would. */
  connect(options?: Parameters<typeof TestClient.connect>[1]): Promise<TestClient>;
}

/** A real uWS server on an ephemeral port of 127.0.0.1, in this process. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const config = defaultConfig({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    webRoot: join(ROOT, 'dist/web'),
    ...overrides,
  });
  const server = await startServer(config, createLogger(config.logLevel, false));
  const baseUrl = `${config.cert ? 'https' : 'http'}://127.0.0.1:${server.port}`;
  return Object.assign(server, {
    baseUrl,
    config,
    connect: (options: Parameters<typeof TestClient.connect>[1] = {}) =>
      TestClient.connect(baseUrl, { origin: baseUrl, ...options }),
  });
}

/** A host with a lobby and `guests` joined players; every welcome already consumed. */
export async function lobbyWith(server: TestServer, guests: number) {
  const host = await server.connect();
  host.send({ type: 'create', name: 'Host' });
  const welcome = await host.next('welcome');
  const joined = [];
  for (let i = 0; i < guests; i++) {
    const guest = await server.connect();
    guest.send({ type: 'join', code: welcome.lobby.code, name: `Guest ${i + 1}` });
    const w = await guest.next('welcome');
    joined.push({ client: guest, id: w.you, token: w.token });
  }
  // Drain the lobby updates the joins caused.
  host.texts.length = 0;
  for (const g of joined) g.client.texts.length = 0;
  return { host, welcome, code: welcome.lobby.code, guests: joined };
}
