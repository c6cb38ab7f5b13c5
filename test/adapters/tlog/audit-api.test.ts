import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditApiError, apiGet } from '../../../lambdas/adapters/tlog/audit-api.js';

/** How `log audit` reads the service: throttles waited out, 404 as absent, the rest refused by name. */
let server: Server;
let base: string;
const seen: { path: string; auth?: string }[] = [];
let throttled = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url!, auth: req.headers.authorization });
    if (req.url === '/throttled' && throttled++ < 2) {
      res.writeHead(throttled === 1 ? 429 : 503, { 'retry-after': '1' }).end('slow down');
      return;
    }
    if (req.url === '/throttled')
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":1}');
    if (req.url === '/gone') return res.writeHead(404).end();
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('apiGet', () => {
  it('waits out a 429 and a 503 (Retry-After) and answers the JSON, sending the token each time', async () => {
    const api = { base, token: 'jwt' };
    expect(await apiGet(api, '/throttled')).toEqual({ ok: 1 });
    expect(seen.filter((s) => s.path === '/throttled')).toEqual(
      Array.from({ length: 3 }, () => ({ path: '/throttled', auth: 'Bearer jwt' })),
    );
  });

  it('answers null for a 404 and refuses anything else, naming the URL and the status', async () => {
    expect(await apiGet({ base }, '/gone')).toBeNull();
    const refused = await apiGet({ base }, '/v1/audit/receipts').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuditApiError);
    expect((refused as AuditApiError).status).toBe(401);
    expect((refused as Error).message).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/v1\/audit\/receipts answered 401/,
    );
  });

  it('says which URL could not be reached', async () => {
    const down = await apiGet({ base: 'http://127.0.0.1:1' }, '/v1/stats').catch((e: unknown) => e);
    expect((down as AuditApiError).status).toBe(0);
    expect((down as Error).message).toMatch(/^GET http:\/\/127\.0\.0\.1:1\/v1\/stats failed/);
  });
});
