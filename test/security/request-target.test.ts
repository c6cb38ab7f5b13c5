/**
 * Request targets that are not plain paths, sent raw (fetch would normalise them): the local
 * server reads the target as API Gateway does, as a path, and answers each with a JSON error,
 * staying up. `//host:port/...` once threw out of the request listener and ended the process.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestUrl } from '../../lambdas/local/server.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.stop());

/** One request with the target exactly as given. */
function raw(target: string, token?: string): Promise<{ status: number; body: { error?: string } }> {
  const { port } = new URL(svc.url);
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path: target, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          ok({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', fail);
    req.end();
  });
}

it('reads a target as a path: `//host/...` names no route, and no target throws', () => {
  expect(requestUrl({ url: '//evil.example/v1/ranges' })?.pathname).toBe('//evil.example/v1/ranges');
  expect(requestUrl({ url: '//evil.example:99999/v1/ranges' })?.pathname).toBe(
    '//evil.example:99999/v1/ranges',
  );
  expect(requestUrl({ url: '/v1/ranges?x=1' })?.search).toBe('?x=1');
  expect(requestUrl({ url: 'http://127.0.0.1/v1/ranges' })).toBeNull();
  expect(requestUrl({ url: '*' })).toBeNull();
});

it('answers targets that are not routes with a JSON 4xx, and stays up', async () => {
  const finance = await svc.token({ role: 'finance' });
  for (const target of ['//evil.example:99999/v1/ranges', '//evil.example/v1/ranges', '//v1/ranges']) {
    const res = await raw(target, finance);
    expect(res.status, target).toBe(404);
    expect(res.body.error, target).toBe('not_found');
  }
  // The same server, still answering.
  expect((await raw('/v1/ranges', finance)).status).toBe(200);
});
