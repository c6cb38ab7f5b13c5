import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, ORIGIN_VERIFY_HEADER } from '../../lambdas/runtime/env.js';
import { registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The fence around the execute-api endpoint (lib/api.ts): where the stack configures the
 * secret, every handler refuses a request without CloudFront's header before it runs. The
 * local service is the same handlers; here it is configured as the stack configures Lambda.
 */
const SECRET = 'a-secret-only-cloudfront-knows-0123456789';
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ env: { [ENV.originVerify]: SECRET } });
});
afterAll(async () => {
  delete process.env[ENV.originVerify];
  await svc?.stop();
});

describe('a request that did not come through CloudFront', () => {
  it('is refused with 403 when the header is missing or wrong, and served with the secret', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { [ORIGIN_VERIFY_HEADER]: 'guess' },
      { [ORIGIN_VERIFY_HEADER]: `${SECRET}x` },
    ];
    for (const headers of wrong) {
      const res = await svc.api('GET', '/health', { headers });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'forbidden' });
    }
    expect((await svc.api('GET', '/health', { headers: { [ORIGIN_VERIFY_HEADER]: SECRET } })).status).toBe(
      200,
    );
  });

  it('is refused before the handler runs, even with a valid token: no number is taken', async () => {
    const token = await svc.token({ role: 'collector', department: 'ZRZY' });
    let key = 0;
    const charge = (headers: Record<string, string>) =>
      svc.api('POST', '/v1/receipts', {
        token,
        json: registrationCharge(),
        headers: { 'idempotency-key': `origin-verify-${++key}-${Date.now()}`, ...headers },
      });
    const through = { [ORIGIN_VERIFY_HEADER]: SECRET };
    const first = await charge(through);
    expect(first.status).toBe(201);
    expect((await charge({})).status).toBe(403);
    const next = await charge(through);
    expect(next.status).toBe(201);
    expect(next.body.code).toBe(first.body.code);
    expect(Number(next.body.number)).toBe(Number(first.body.number) + 1);
  });

  it('is served where no secret is configured (the local server, with no CloudFront in front)', async () => {
    delete process.env[ENV.originVerify];
    expect((await svc.api('GET', '/health')).status).toBe(200);
  });
});
