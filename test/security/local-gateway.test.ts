/**
 * What the local server answers before any handler runs, as API Gateway would. Request targets
 * that are not plain paths, sent raw (fetch would normalise them): read as a path, each answered
 * with a JSON error, the server staying up (`//host:port/...` once threw out of the request
 * listener and ended the process). Bodies over a route's limit: 413 naming that route's limit.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestUrl } from '../../lambdas/local/server.js';
import { DEFAULT_MAX_BODY, ROUTES } from '../../lambdas/runtime/routes.js';
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

it("refuses a body over the route's own limit with 413 naming that limit", async () => {
  const limit = ROUTES.find((r) => r.id === 'fileComplaint')!.body!.maxBytes!;
  const res = await fetch(`${svc.url}/v1/complaints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Past the largest body any route takes, where reading used to stop.
    body: JSON.stringify({
      text: 'x'.repeat(Math.max(...ROUTES.map((r) => r.body?.maxBytes ?? DEFAULT_MAX_BODY))),
    }),
  });
  expect(res.status).toBe(413);
  expect((await res.json()).message).toBe(`the body must be at most ${limit} bytes`);
});

it('refuses a missing, an invalid and an expired token with 401, a challenge and a message that tell them apart', async () => {
  const { issueToken, loadIssuerKey } = await import('../../lambdas/local/tokens.js');
  const expired = await issueToken(await loadIssuerKey(svc.dataDir), { role: 'auditor', ttlSeconds: -60 });
  const refusal = async (token?: string) => {
    const res = await fetch(`${svc.url}/v1/ranges`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() };
  };
  expect(await refusal()).toMatchObject({
    status: 401,
    challenge: 'Bearer',
    body: { error: 'unauthorized', message: 'a valid bearer token is required' },
  });
  expect(await refusal('not-a-jwt')).toMatchObject({
    status: 401,
    challenge: 'Bearer error="invalid_token", error_description="the token is not valid"',
    body: { error: 'unauthorized', message: 'the token is not valid: sign in again for a new one' },
  });
  expect(await refusal(expired)).toMatchObject({
    status: 401,
    challenge: 'Bearer error="invalid_token", error_description="the token has expired"',
    body: { error: 'unauthorized', message: 'the token has expired: sign in again for a new one' },
  });
});
