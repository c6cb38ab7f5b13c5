import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DepartmentRepository } from '../../lambdas/adapters/dynamo/departments.js';
import { checksKey } from '../../lambdas/adapters/dynamo/keys.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { issueReceipt } from '../../lambdas/app/issuing.js';
import { NumberTaker } from '../../lambdas/app/number-taker.js';
import { dateInZone } from '../../lambdas/core/dates.js';
import { receiptCode } from '../../lambdas/core/receipt.js';
import { issueReceiptRequest } from '../../lambdas/core/schemas.js';
import { diffTables, snapshotTables } from '../security/support.js';
import { expectNumbersAccountedFor } from '../support/accounting.js';
import { issue, newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * What can go wrong between ranges, batches and transactions: a closed range with another
 * queued (issue 11, defect 1), two operations on one item in one batch (defect 2), and a
 * transaction cancelled for a reason other than a failed condition (defect 3).
 */
let svc: TestService;
let finance: string;
let auditor: string;

type Send = (command: { constructor: { name: string }; input?: unknown }) => Promise<unknown>;
let originalSend: Send;

beforeAll(async () => {
  svc = await startTestService({ env: { FEEPROOF_RANGE_SIZE: '20' } });
  finance = await svc.token({ role: 'finance' });
  auditor = await svc.token({ role: 'auditor' });
  const deps = getDeps();
  originalSend = deps.db.send.bind(deps.db) as unknown as Send;
});
afterEach(() => {
  (getDeps().db as unknown as { send: Send }).send = originalSend;
});
afterAll(async () => svc?.stop());

const collector = (department: string) => svc.token({ role: 'collector', department });
const rangesOf = async (department: string) =>
  (await getDeps().ranges.listRanges()).filter((r) => r.department === department);

describe('a range closed while another is queued', () => {
  it('opens the queued range at the next charge, allocates nothing more, and reversals keep working', async () => {
    const token = await collector('ZRZY');
    const first = await issue(svc, token);
    expect(first.status).toBe(201);
    // Finance allocates a second range while the automatic one is open and partly used: it queues.
    const queued = await svc.api('POST', '/v1/ranges', {
      token: finance,
      json: { department: 'ZRZY', size: 50 },
    });
    expect(queued.status).toBe(201);
    expect(queued.body.status).toBe('queued');
    const open = (await rangesOf('ZRZY')).find((r) => r.status === 'open')!;
    const closed = await svc.api('POST', `/v1/ranges/${encodeURIComponent(open.id)}/close`, {
      token: finance,
      json: { reason: 'billing point moved' },
    });
    expect(closed.status).toBe(200);

    const before = await rangesOf('ZRZY');
    const after = await Promise.all([issue(svc, token), issue(svc, token), issue(svc, token)]);
    expect(after.map((a) => a.status)).toEqual([201, 201, 201]);
    // The numbers come from the queued range, which is now open; no range was allocated.
    const nowRanges = await rangesOf('ZRZY');
    expect(nowRanges).toHaveLength(before.length);
    const opened = nowRanges.find((r) => r.id === queued.body.id)!;
    expect(opened.status).toBe('open');
    expect(after.map((a) => Number(a.body.number)).sort()).toEqual([0, 1, 2].map((i) => opened.first + i));
    const reversal = await svc.api('POST', `/v1/receipts/${first.body.code}/${first.body.number}/reversal`, {
      token,
      json: { reason: '重复收费' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(reversal.status).toBe(201);
    await expectNumbersAccountedFor('ZRZY');
  });

  it('allocates at most one range when none is left, however often a charge is retried', async () => {
    const token = await collector('GA');
    const charge = {
      payer: { type: 'person', name: '李四' },
      lines: [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
    };
    expect((await issue(svc, token, charge)).status).toBe(201);
    const open = (await rangesOf('GA')).find((r) => r.status === 'open')!;
    await svc.api('POST', `/v1/ranges/${encodeURIComponent(open.id)}/close`, {
      token: finance,
      json: { reason: 'closed early' },
    });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await issue(svc, token, charge)).status);
    expect(answers).toEqual([201, 201, 201, 201, 201]);
    const ranges = await rangesOf('GA');
    expect(ranges.map((r) => r.status).sort()).toEqual(['closed', 'open']);
    await expectNumbersAccountedFor('GA');
  });

  it('answers 503 and raises one critical alert when a department can get no range at all', async () => {
    const token = await collector('RS');
    const deps = getDeps();
    const code = receiptCode(deps.config.regionCode, dateInZone(deps.now()));
    // Every number of the code is given away: nothing is left to allocate.
    const allocate = deps.ranges.allocateRange.bind(deps.ranges);
    deps.ranges.allocateRange = async () => {
      throw new RangeError(`receipt code ${code} has no numbers left for a range of 20`);
    };
    try {
      const charge = {
        payer: { type: 'person', name: '王五' },
        lines: [{ itemCode: 'RS-001', quantity: 1, amount: '30.00' }],
      };
      const answers = await Promise.all([issue(svc, token, charge), issue(svc, token, charge)]);
      for (const a of answers) {
        expect(a.status).toBe(503);
        expect(a.headers.get('retry-after')).toBe('1');
        expect(a.body.message).toContain('no numbers left');
      }
    } finally {
      deps.ranges.allocateRange = allocate;
    }
    const listed = await svc.api('GET', '/v1/audit/alerts?limit=500', { token: auditor });
    expect(listed.status).toBe(200);
    const ours = listed.body.items.filter(
      (a: { department: string; rule: string }) => a.department === 'RS' && a.rule === 'range_unavailable',
    );
    expect(ours).toHaveLength(1);
    expect(ours[0].severity).toBe('critical');
  });
});

describe('what finance allocates: a department of the catalogue, a name the receipt font prints', () => {
  const allocate = (json: Record<string, unknown>) => svc.api('POST', '/v1/ranges', { token: finance, json });
  const departments = async () =>
    new Map(
      (await svc.api('GET', '/v1/departments', { token: finance })).body.departments.map(
        (d: { code: string; name: string | null }) => [d.code, d.name] as const,
      ),
    );

  it('refuses a department name the font cannot print (422 unprintable_character), writing nothing', async () => {
    const nameBefore = (await departments()).get('RS');
    expect(nameBefore).toBe('某市人力资源和社会保障局');
    const before = await snapshotTables();
    const res = await allocate({ department: 'RS', size: 5, departmentName: '😀' });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error).toBe('unprocessable');
    expect(res.body.details).toEqual([
      {
        path: 'departmentName',
        rule: 'unprintable_character',
        message: 'U+1F600 😀 cannot be printed on the receipt',
      },
    ]);
    expect(diffTables(before, await snapshotTables())).toMatchObject({ added: [], changed: [], removed: [] });
    expect((await departments()).get('RS')).toBe(nameBefore);
    // RS still charges: its receipts print the name it had.
    const checked = await svc.api('POST', '/v1/charges/check', {
      token: await collector('RS'),
      json: {
        payer: { type: 'person', name: '王五' },
        lines: [{ itemCode: 'RS-001', quantity: 1, amount: '30.00' }],
      },
    });
    expect(checked.status, JSON.stringify(checked.body)).toBe(200);
  });

  it('leaves the name as it was when the allocation is refused: the name is written with the range', async () => {
    const nameBefore = (await departments()).get('ZJ');
    const rangesBefore = await rangesOf('ZJ');
    // Every allocation transaction loses its race (a failed condition): after its retries, a 409.
    (getDeps().db as unknown as { send: Send }).send = async (command) => {
      const items = (command.input as { TransactItems?: { Put?: { Item?: { sk?: string } } }[] })
        ?.TransactItems;
      if (
        command.constructor.name === 'TransactWriteCommand' &&
        items?.some((i) => i.Put?.Item?.sk === 'ALLOCATOR')
      )
        throw new TransactionCanceledException({
          message: 'Transaction cancelled [ConditionalCheckFailed]',
          $metadata: {},
          CancellationReasons: items.map((_, i) => ({ Code: i === 0 ? 'ConditionalCheckFailed' : 'None' })),
        });
      return originalSend(command);
    };
    const refused = await allocate({
      department: 'ZJ',
      size: 5,
      departmentName: '某市住房和城乡建设局（新）',
    });
    (getDeps().db as unknown as { send: Send }).send = originalSend;
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect((await departments()).get('ZJ')).toBe(nameBefore);
    expect(await rangesOf('ZJ')).toEqual(rangesBefore);

    const allocated = await allocate({
      department: 'ZJ',
      size: 5,
      departmentName: '某市住房和城乡建设局（新）',
    });
    expect(allocated.status, JSON.stringify(allocated.body)).toBe(201);
    expect((await departments()).get('ZJ')).toBe('某市住房和城乡建设局（新）');
    // The rename is in the change history, with the range it came with.
    const events = await svc.api('GET', '/v1/audit/events?type=range.allocated&limit=500', {
      token: auditor,
    });
    expect(events.body.items).toContainEqual(
      expect.objectContaining({
        subject: allocated.body.id,
        details: expect.objectContaining({ department: 'ZJ', departmentName: '某市住房和城乡建设局（新）' }),
      }),
    );
    // And as a rename, as the rename route records one: what it replaced, and why.
    const renames = async () =>
      (
        await svc.api('GET', '/v1/audit/events?type=department.renamed&limit=500', { token: auditor })
      ).body.items.filter((e: { subject: string }) => e.subject === 'ZJ');
    expect(await renames()).toEqual([
      expect.objectContaining({
        details: {
          from: nameBefore ?? null,
          to: '某市住房和城乡建设局（新）',
          reason: `named with the allocation of range ${allocated.body.id}`,
        },
      }),
    ]);
    // The same name again is no rename.
    const again = await allocate({ department: 'ZJ', size: 5, departmentName: '某市住房和城乡建设局（新）' });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(await renames()).toHaveLength(1);
  });

  it('refuses numbers for a department the catalogue does not know (422 naming it), writing nothing', async () => {
    const before = await snapshotTables();
    for (const department of ['NOSUCHDEPT', 'ZRZY1']) {
      const res = await allocate({ department, size: 5, departmentName: '某市不存在局' });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.details).toEqual([
        expect.objectContaining({ path: 'department', rule: 'unknown_department' }),
      ]);
      expect(res.body.details[0].message).toContain(department);
    }
    expect(diffTables(before, await snapshotTables())).toMatchObject({ added: [], changed: [], removed: [] });
    expect(await rangesOf('NOSUCHDEPT')).toEqual([]);
  });

  it('answers a size the receipt code has no numbers left for with a 422 naming size', async () => {
    const deps = getDeps();
    const allocateRange = deps.ranges.allocateRange.bind(deps.ranges);
    deps.ranges.allocateRange = async (_d, code, size) => {
      throw new RangeError(`receipt code ${code} has no numbers left for a range of ${size}`);
    };
    try {
      const res = await allocate({ department: 'GA', size: 1_000_000 });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.details).toEqual([
        expect.objectContaining({ path: 'size', rule: 'numbers_exhausted' }),
      ]);
    } finally {
      deps.ranges.allocateRange = allocateRange;
    }
  });
});

describe('renaming a department as its receipts print it (no range needed)', () => {
  const rename = (department: string, json: Record<string, unknown>, token = finance) =>
    svc.api('PUT', `/v1/departments/${department}`, { token, json });
  const swCharge = {
    payer: { type: 'person', name: '王五' },
    lines: [{ itemCode: 'SW-001', quantity: 1, amount: '1.00' }],
  };

  it('prints the new name on the next receipt and records who renamed it, from what, and why', async () => {
    // The name it had, as written (the seed's, or null): what the answer and the event must say it replaced.
    const had = ((await getDeps().departments.name('SW', { fresh: true })) ?? null) as string | null;
    const res = await rename('SW', { name: '某市水务局（机构改革后）', reason: '机构改革' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      code: 'SW',
      name: '某市水务局（机构改革后）',
      previous: had,
      changed: true,
    });
    const sw = await collector('SW');
    const issued = await issue(svc, sw, swCharge);
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const receipt = await svc.api('GET', `/v1/receipts/${issued.body.code}/${issued.body.number}`, {
      token: sw,
    });
    expect(receipt.body.collectingUnit).toBe('某市水务局（机构改革后）');
    const listed = await svc.api('GET', '/v1/departments', { token: finance });
    expect(listed.body.departments).toContainEqual(
      expect.objectContaining({
        code: 'SW',
        name: '某市水务局（机构改革后）',
        printedAs: '某市水务局（机构改革后）',
      }),
    );
    const events = await svc.api('GET', '/v1/audit/events?type=department.renamed&limit=500', {
      token: auditor,
    });
    expect(events.body.items).toContainEqual(
      expect.objectContaining({
        type: 'department.renamed',
        subject: 'SW',
        details: { from: had, to: '某市水务局（机构改革后）', reason: '机构改革' },
      }),
    );
  });

  it('records renames that race in the order they were written: the loser reads again, dated anew', async () => {
    const deps = getDeps();
    const rival = new DepartmentRepository(deps.db, deps.config.tables.ledger);
    let raced = false;
    // Between this rename's read and its write, another process renames the department.
    const db = Object.create(deps.db, {
      send: {
        value: async (command: { constructor: { name: string } }) => {
          if (command.constructor.name === 'TransactWriteCommand' && !raced) {
            raced = true;
            await rival.rename('SW', '某市水务局（先到）', 'finance-b', '机构改革', () => new Date());
          }
          return deps.db.send(command as never);
        },
      },
    });
    const loser = new DepartmentRepository(db, deps.config.tables.ledger);
    const previous = await loser.rename(
      'SW',
      '某市水务局（后到）',
      'finance-a',
      '机构改革',
      () => new Date(),
    );
    expect(previous).toBe('某市水务局（先到）'); // it read again and replaced the rival's name
    const events = await svc.api('GET', '/v1/audit/events?type=department.renamed&limit=500', {
      token: auditor,
    });
    const [latest, before] = events.body.items as { at: string; details: { from: string; to: string } }[];
    expect(latest!.details).toMatchObject({ from: '某市水务局（先到）', to: '某市水务局（后到）' });
    expect(before!.details.to).toBe('某市水务局（先到）');
    expect(latest!.at > before!.at).toBe(true);
  });

  it("reaches another process's receipts within 10 s, the catalogue's bound (its cached name expires)", async () => {
    const deps = getDeps();
    const other = new DepartmentRepository(deps.db, deps.config.tables.ledger); // another process's
    const before = await other.name('SW');
    const renamed = await rename('SW', { name: '某市水务局（另一进程）', reason: '机构改革' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(await other.name('SW')).toBe(before); // still within its cache
    vi.setSystemTime(Date.now() + 10_000);
    try {
      expect(await other.name('SW')).toBe('某市水务局（另一进程）');
    } finally {
      vi.useRealTimers();
    }
  });

  it('lists the name as it is now, however recently this process printed the old one', async () => {
    // In AWS the rename runs in the ranges function and GET /v1/departments in catalogue-admin:
    // the listing's process has the old name cached (its receipts may print it for 10 s), but
    // what finance and auditors are shown right after a rename is the name written.
    const printedAs = async () =>
      (await svc.api('GET', '/v1/departments', { token: finance })).body.departments.find(
        (d: { code: string }) => d.code === 'SW',
      )?.printedAs;
    const deps = getDeps();
    expect(await deps.departments.name('SW')).toBe(await printedAs()); // this process holds it
    const other = new DepartmentRepository(deps.db, deps.config.tables.ledger); // the ranges function's
    await other.rename('SW', '某市水务局（列表）', 'finance', '机构改革', () => new Date());
    expect(await printedAs()).toBe('某市水务局（列表）');
  });

  it('writes nothing for the name it has already (changed: false)', async () => {
    await rename('SW', { name: '某市水务局', reason: '更正' });
    const before = await snapshotTables();
    const again = await rename('SW', { name: '某市水务局', reason: '更正' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: '某市水务局', previous: '某市水务局', changed: false });
    expect(diffTables(before, await snapshotTables())).toMatchObject({ added: [], changed: [], removed: [] });
  });

  it('refuses a department the catalogue lacks and a name the font cannot print (422), writing nothing', async () => {
    const before = await snapshotTables();
    const unknown = await rename('NOSUCHDEPT', { name: '某市不存在局', reason: '测试' });
    expect(unknown.status, JSON.stringify(unknown.body)).toBe(422);
    expect(unknown.body.details).toEqual([
      expect.objectContaining({ path: 'department', rule: 'unknown_department' }),
    ]);
    const unprintable = await rename('SW', { name: '😀', reason: '测试' });
    expect(unprintable.status, JSON.stringify(unprintable.body)).toBe(422);
    expect(unprintable.body.details).toEqual([
      { path: 'name', rule: 'unprintable_character', message: 'U+1F600 😀 cannot be printed on the receipt' },
    ]);
    const collectorToken = await collector('SW');
    expect((await rename('SW', { name: '某市水务局', reason: '测试' }, collectorToken)).status).toBe(403);
    expect(diffTables(before, await snapshotTables())).toMatchObject({ added: [], changed: [], removed: [] });
  });
});

describe('two processes taking numbers from one range', () => {
  it('the one that lost the race retries from the range its failed condition returned, reading nothing', async () => {
    const token = await collector('ZRZY');
    expect((await issue(svc, token)).status).toBe(201); // this process holds the open range now
    // Another process (dependencies of its own, so a number taker of its own) takes the next number.
    const body = registrationCharge();
    const other = await issueReceipt(
      { ...getDeps() },
      { username: 'other-process', department: 'ZRZY' },
      newKey(),
      body,
      issueReceiptRequest.parse(body),
    );
    expect(other.replayed).toBe(false);
    const rangeReads: string[] = [];
    const refused: string[] = [];
    (getDeps().db as unknown as { send: Send }).send = async (command) => {
      const key = (command.input as { Key?: { pk?: string; sk?: string } }).Key;
      if (key && (key.pk?.startsWith('RANGE#') || key.sk?.startsWith('OPEN#')))
        rangeReads.push(`${command.constructor.name} ${key.pk}`);
      try {
        return await originalSend(command);
      } catch (e) {
        refused.push((e as Error).name);
        throw e;
      }
    };
    const next = await issue(svc, token);
    expect(next.status).toBe(201);
    expect(Number(next.body.number)).toBe(Number(other.receipt.number) + 1);
    expect(refused).toEqual(['TransactionCanceledException']); // its range was one number behind
    expect(rangeReads).toEqual([]);
    await expectNumbersAccountedFor('ZRZY');
  });
});

describe('a process that lost the race to another', () => {
  it('takes again at once from the range it was told, waiting on no timer (unit)', async () => {
    const range = (next: number) => ({
      id: 'r',
      department: 'X',
      code: '11010126',
      first: 1,
      last: 1000,
      next,
      status: 'open' as const,
      allocatedAt: '',
      allocatedBy: '',
    });
    const tried: number[] = [];
    const deps = getDeps();
    const fake = {
      ...deps,
      receipts: {
        ...deps.receipts,
        takeCapacity: (entries: readonly unknown[]) => entries.length,
        // Another process takes a number before each of this one's first five tries.
        takeNumbers: async (taking: { next: number }) => {
          tried.push(taking.next);
          return tried.length <= 5
            ? ({ ok: false, reason: 'range_moved', current: range(taking.next + 1) } as const)
            : ({ ok: true } as const);
        },
      },
      ranges: { ...deps.ranges, slot: async () => ({ current: range(1), queued: [] }) },
    };
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      let taken: { number: string } | null | undefined;
      void new NumberTaker(fake)
        .take({
          department: 'X',
          code: '11010126',
          idem: {
            department: 'X',
            key: 'k',
            operation: 'issue',
            requestHash: '',
            code: '',
            number: '',
            createdAt: '',
          },
          content: {} as never,
        })
        .then((r) => {
          taken = r;
        });
      // Only real turns of the event loop pass: no timer fires.
      for (let turn = 0; turn < 50 && taken === undefined; turn++) await new Promise((r) => setImmediate(r));
      expect(tried).toEqual([1, 2, 3, 4, 5, 6]);
      expect(taken?.number).toBe('0000000006');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('one batch never writes one item twice', () => {
  /**
   * Holds the next number-taking transaction back until `release`, so that the requests sent
   * meanwhile queue behind it and are taken together in the next batch; records the names of
   * the errors DynamoDB answers.
   */
  async function holdingNextTake(start: () => Promise<unknown>) {
    const refused: string[] = [];
    let held = false;
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    (getDeps().db as unknown as { send: Send }).send = async (command) => {
      const items = (command.input as { TransactItems?: { Put?: { Item?: { sk?: string } } }[] })
        ?.TransactItems;
      if (!held && items?.some((i) => i.Put?.Item?.sk === 'RECEIPT')) {
        held = true;
        await released;
      }
      try {
        return await originalSend(command);
      } catch (e) {
        refused.push((e as Error).name);
        throw e;
      }
    };
    const first = start();
    while (!held) await new Promise((r) => setTimeout(r, 5));
    return {
      refused,
      first,
      release: async () => {
        await new Promise((r) => setTimeout(r, 300)); // what was sent is queued by now
        release();
      },
    };
  }

  it('the same Idempotency-Key twice in one batch makes one receipt and replays it', async () => {
    const token = await collector('ZRZY');
    const hold = await holdingNextTake(() => issue(svc, token));
    const key = newKey();
    const twins = [
      issue(svc, token, registrationCharge(), key),
      issue(svc, token, registrationCharge(), key),
    ];
    await hold.release();
    const answers = await Promise.all(twins);
    expect(((await hold.first) as { status: number }).status).toBe(201);
    expect(answers.map((t) => t.status).sort()).toEqual([200, 201]);
    expect(answers[0]!.body.number).toBe(answers[1]!.body.number);
    // DynamoDB refuses a transaction that writes one item twice outright (ValidationException).
    expect(hold.refused.filter((name) => name === 'ValidationException')).toEqual([]);
    await expectNumbersAccountedFor('ZRZY');
  });

  it('two reversals of one original in one batch: one red receipt, the other refused with 409', async () => {
    const token = await collector('ZRZY');
    const original = await issue(svc, token);
    expect(original.status).toBe(201);
    const hold = await holdingNextTake(() => issue(svc, token));
    const reverse = () =>
      svc.api('POST', `/v1/receipts/${original.body.code}/${original.body.number}/reversal`, {
        token,
        json: { reason: '退费' },
        headers: { 'idempotency-key': newKey() },
      });
    const both = [reverse(), reverse()];
    await hold.release();
    const answers = await Promise.all(both);
    await hold.first;
    expect(answers.map((b) => b.status).sort()).toEqual([201, 409]);
    expect(hold.refused.filter((name) => name === 'ValidationException')).toEqual([]);
    await expectNumbersAccountedFor('ZRZY');
  });

  it('batches keep apart two requests on one item, whatever order they arrive in (unit)', async () => {
    const deps = getDeps();
    const taken: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const fake = {
      ...deps,
      receipts: {
        ...deps.receipts,
        takeCapacity: (entries: readonly unknown[]) => entries.length,
        takeNumbers: async (_range: unknown, entries: readonly { idem: { key: string } }[]) => {
          const keys = entries.map((e) => e.idem.key);
          if (new Set(keys).size !== keys.length)
            throw new Error('ValidationException: two operations on one item');
          taken.push(keys);
          if (keys[0] === 'first') await gate; // everything sent meanwhile queues
          return { ok: true } as const;
        },
      },
      ranges: {
        ...deps.ranges,
        slot: async () => ({
          current: {
            id: 'r',
            department: 'X',
            code: 'c',
            first: 1,
            last: 1000,
            next: 1,
            status: 'open' as const,
            allocatedAt: '',
            allocatedBy: '',
          },
          queued: [],
        }),
      },
    };
    const taker = new NumberTaker(fake);
    const request = (key: string, reverses?: string) => ({
      department: 'X',
      code: '11010126',
      idem: {
        department: 'X',
        key,
        operation: 'issue' as const,
        requestHash: '',
        code: '',
        number: '',
        createdAt: '',
      },
      content: { reverses: reverses ? { code: '11010126', number: reverses } : undefined } as never,
    });
    const first = taker.take(request('first'));
    const rest = [
      taker.take(request('a')),
      taker.take(request('b')),
      taker.take(request('a')),
      taker.take(request('c', '0000000001')),
      taker.take(request('d', '0000000001')),
      taker.take(request('e')),
    ];
    release();
    const results = await Promise.all([first, ...rest]);
    expect(results.every((r) => r !== null)).toBe(true);
    // The batch after the held one takes one of each clashing pair; the next takes the others.
    expect(taken).toEqual([['first'], ['a', 'b', 'c', 'e'], ['a', 'd']]);
  });
});

describe('a transaction cancelled for another reason than a failed condition', () => {
  const cancelled = (code: string) =>
    new TransactionCanceledException({
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${code}, None, None]`,
      $metadata: {},
      CancellationReasons: [{ Code: code }, { Code: 'None' }, { Code: 'None' }],
    });

  /** Cancels every completing transaction (the one that writes the public check row) with `code`. */
  function cancelCompletion(code: string) {
    (getDeps().db as unknown as { send: Send }).send = async (command) => {
      const items = (command.input as { TransactItems?: { Put?: { Item?: { sk?: string } } }[] })
        ?.TransactItems;
      if (
        command.constructor.name === 'TransactWriteCommand' &&
        items?.some((i) => i.Put?.Item?.sk === checksKey({ code: '', number: '' }).sk)
      )
        throw cancelled(code);
      return originalSend(command);
    };
  }

  for (const code of ['TransactionConflict', 'ThrottlingError']) {
    it(`${code} while completing answers 503 with Retry-After, never 201 with a pending receipt`, async () => {
      const token = await collector('GA');
      const charge = {
        payer: { type: 'person', name: '赵六' },
        lines: [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
      };
      const key = newKey();
      cancelCompletion(code);
      const res = await issue(svc, token, charge, key);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      (getDeps().db as unknown as { send: Send }).send = originalSend;
      const retried = await issue(svc, token, charge, key);
      expect(retried.status).toBe(200);
      expect(retried.body.status).toBe('issued');
      await expectNumbersAccountedFor('GA');
    });
  }
});
