import { isKnownDepartment, unknownDepartment } from '../app/departments.js';
import { type Deps, getDeps } from '../app/deps.js';
import { refuseUnprintable } from '../app/printable.js';
import { superviseRangeClosed } from '../app/supervision.js';
import { dateInZone } from '../core/dates.js';
import { AppError, conflict } from '../core/errors.js';
import type { NumberRange } from '../core/numbering.js';
import { isExhausted, rangeSize, takenCount } from '../core/numbering.js';
import { formatReceiptNumber, receiptCode } from '../core/receipt.js';
import { rangeId } from '../core/schemas.js';
import { groupHandler } from './http/group.js';
import { json } from './http/types.js';

/**
 * A range as the API shows it: numbers as 10-digit strings. `next` is the next number the range
 * issues, or null once every number is taken (for a closed range: the first number left unused).
 */
export function rangeOut(r: NumberRange) {
  return {
    ...r,
    first: formatReceiptNumber(r.first),
    last: formatReceiptNumber(r.last),
    next: isExhausted(r) ? null : formatReceiptNumber(r.next),
    size: rangeSize(r),
    taken: takenCount(r),
    unused: r.last - r.next + 1,
  };
}

/**
 * Every range with the use of its numbers: issued, red, unfinished (taken, the receipt not yet
 * complete), unused (left), and unused for good once closed. A range's receipts are read from
 * the last point recovery found all complete (minutes ago), so reading them stays cheap.
 */
export async function rangesInUse(deps: Pick<Deps, 'ranges' | 'receipts'>) {
  const ranges = await deps.ranges.listRanges();
  const pending = await deps.receipts.pending(Number.POSITIVE_INFINITY, { ranges });
  const unfinished = new Map<string, number>();
  for (const p of pending) unfinished.set(p.rangeId, (unfinished.get(p.rangeId) ?? 0) + 1);
  return ranges.map((r) => {
    const out = rangeOut(r);
    const red = r.redCount ?? 0;
    const open = unfinished.get(r.id) ?? 0;
    return {
      ...out,
      issued: out.taken - red - open,
      red,
      unfinished: open,
      unusedForGood: r.status === 'closed' ? out.unused : 0,
    };
  });
}

/** Finance's allocation (it may queue); a size the receipt code has no numbers left for is a 422. */
async function allocate(
  deps: Deps,
  a: { department: string; code: string; size: number; actor: string; at: Date; departmentName?: string },
) {
  try {
    return await deps.ranges.allocateRange(
      a.department,
      a.code,
      a.size,
      a.actor,
      a.at,
      'open_or_queue',
      a.departmentName,
    );
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new AppError('unprocessable', e.message, [
      {
        path: 'size',
        rule: 'numbers_exhausted',
        message: `size is more than the numbers left: ${e.message}`,
      },
    ]);
  }
}

/**
 * The finance bureau allocates, lists and closes number ranges (billing points are departments),
 * and names the departments as their receipts print them.
 */
export const handler = groupHandler('ranges', {
  listRanges: async () => json(200, { ranges: await rangesInUse(getDeps()) }),

  allocateRange: async (req) => {
    const deps = getDeps();
    const { department, size, departmentName } = req.input.body;
    // Numbers for a department the catalogue does not know would be numbers nobody can use.
    if (!(await isKnownDepartment(deps, department, 0)))
      throw unknownDepartment(department, 'create its fee items first, then allocate its numbers');
    // A name the receipt font cannot print would make every charge of the department a 422.
    if (departmentName) await refuseUnprintable([['departmentName', departmentName]]);
    const now = deps.now();
    const code = receiptCode(deps.config.regionCode, dateInZone(now));
    const actor = req.caller!.username;
    for (let attempt = 0; attempt < 10; attempt++) {
      const range = await allocate(deps, { department, code, size, actor, at: now, departmentName });
      if (!range) continue;
      // The name was written with the range (one transaction): this process prints it at once.
      if (departmentName) deps.departments.forget(department);
      return json(201, rangeOut(range));
    }
    throw conflict('ranges were being allocated at the same time; retry');
  },

  renameDepartment: async (req) => {
    const deps = getDeps();
    const { department } = req.input.params;
    const { name, reason } = req.input.body;
    if (!(await isKnownDepartment(deps, department, 0)))
      throw unknownDepartment(department, 'only a department of the catalogue has a printed name');
    await refuseUnprintable([['name', name]]);
    const previous = await deps.departments.rename(department, name, req.caller!.username, reason, deps.now);
    // This process prints the new name at once; others within their cache's 10 s (NAME_TTL_MS).
    return json(200, {
      code: department,
      name,
      printedAs: name,
      previous: previous === null ? name : (previous ?? null),
      changed: previous !== null,
    });
  },

  closeRange: async (req) => {
    const deps = getDeps();
    const { reason } = req.input.body;
    // An id that allocation cannot have made names no range (and may pass DynamoDB's key limits).
    const id = rangeId.safeParse(req.input.params.id);
    const closed = id.success
      ? await deps.ranges.closeRange(id.data, req.caller!.username, reason, deps.now())
      : undefined;
    if (!closed)
      throw new AppError(
        'not_found',
        id.success ? `range ${id.data} does not exist` : 'no range has this id',
      );
    const out = rangeOut(closed);
    await superviseRangeClosed(deps, { id: closed.id, department: closed.department, unused: out.unused });
    return json(200, out);
  },
});
