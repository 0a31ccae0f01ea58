import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let dir: string;
let server: TestServer;

/** A throwaway self-signed certificate for localhost, made with the system's openssl. */
function selfSignedCertificate(into: string): { cert: string; key: string } {
  const cert = join(into, 'cert.pem');
  const key = join(into, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost'],
        ...['-days', '1', '-keyout', key, '-out', cert],
      ],
      { stdio: 'pipe' },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'the TLS test needs the openssl command to make a self-signed certificate: apt-get install -y openssl',
      );
    }
    throw error;
  }
  return { cert, key };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lanparty-tls-'));
  server = await startTestServer(selfSignedCertificate(dir));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serving HTTPS and WSS directly (--cert, --key)', () => {
  it('the base URL is https', () => {
    expect(server.baseUrl).toBe(`https://127.0.0.1:${server.port}`);
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
  });

  it('/healthz answers over TLS', async () => {
    const r = await request(`${server.baseUrl}/healthz`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toMatchObject({ status: 'ok', engine: server.engine });
  });

  it('the page is served over TLS', async () => {
    const r = await request(`${server.baseUrl}/l/0123456789ABC`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body.toString()).toMatch(/<script type="module" src="\/assets\/app-[A-Z0-9]+\.js">/);
  });

  it('a wss:// client creates a lobby whose share link is https', async () => {
    const host = await server.connect({ origin: server.baseUrl });
    expect(host.ws.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ws\?v=1$/);
    host.send({ type: 'create', name: 'Secure' });
    const w = await host.next('welcome');
    expect(w.lobby.link).toBe(`https://127.0.0.1:${server.port}/l/${w.lobby.code}`);

    const guest = await server.connect();
    guest.send({ type: 'join', code: w.lobby.code, name: 'Guest' });
    expect((await guest.next('welcome')).lobby.players.map((p) => p.name)).toEqual([
      'Secure',
      'Guest',
    ]);
    host.close();
    guest.close();
  });

  it('plain HTTP on the TLS port is hung up on', async () => {
    await expect(
      request(`http://127.0.0.1:${server.port}/healthz`, { timeoutMs: 3000 }),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
