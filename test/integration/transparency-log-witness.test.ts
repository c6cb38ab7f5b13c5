import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Witness } from '../../lambdas/adapters/tlog/witness.js';
import { verifyCheckpoint } from '../../lambdas/core/tlog/checkpoint.js';
import { logVkey } from '../../lambdas/local/log.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The local server's log submits each new checkpoint to the witnesses configured in
 * FEEPROOF_LOG_WITNESSES (C2SP tlog-witness) and serves the cosigned checkpoint, as the AWS
 * integrator does; GET /v1/keys publishes the witnesses' keys for the page to count.
 */
let svc: TestService;
let witness: Witness;
let witnessServer: Server;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-test-'));
  // The log key first (the service would make the same one), so that the witness knows the log.
  witness = await Witness.open({
    name: 'court.example/w1',
    dir: mkdtempSync(join(tmpdir(), 'feeproof-witness-')),
    logKeys: [await logVkey(dataDir)],
  });
  const listening = await witness.listen(0);
  witnessServer = listening.server;
  svc = await startTestService({
    dataDir,
    env: { FEEPROOF_LOG_WITNESSES: JSON.stringify([{ url: `${listening.url}/`, vkey: witness.vkey }]) },
  });
});
afterAll(async () => {
  await svc?.stop();
  witnessServer?.close();
  delete process.env.FEEPROOF_LOG_WITNESSES;
});

describe('the local log and its witnesses', () => {
  it('gets each new checkpoint cosigned by the configured witness and serves it cosigned', async () => {
    const zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
    expect((await issue(svc, zrzy)).status).toBe(201);
    const run = await svc.log.run();
    expect(run.witnessErrors).toEqual([]);

    const keys = await svc.api('GET', '/v1/keys');
    expect(keys.body.log.witnesses).toEqual([witness.vkey]);
    const note = await (await fetch(`${svc.url}/log/checkpoint`)).text();
    const policy = { origin: (keys.body.log.vkey as string).split('+')[0]!, logKeys: [keys.body.log.vkey] };
    const verified = verifyCheckpoint(note, { ...policy, witnessKeys: [witness.vkey], quorum: 1 });
    expect(verified.checkpoint.size).toBeGreaterThan(0);
    expect(verified.cosignatures.length).toBe(1);

    // A second receipt: a larger checkpoint, consistent with the one the witness holds, cosigned again.
    expect((await issue(svc, zrzy)).status).toBe(201);
    expect((await svc.log.run()).witnessErrors).toEqual([]);
    const next = verifyCheckpoint(await (await fetch(`${svc.url}/log/checkpoint`)).text(), {
      ...policy,
      witnessKeys: [witness.vkey],
      quorum: 1,
    });
    expect(next.checkpoint.size).toBeGreaterThan(verified.checkpoint.size);
  });
});
