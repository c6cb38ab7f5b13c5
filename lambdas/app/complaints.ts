import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { ComplaintRepository } from '../adapters/dynamo/complaint-repo.js';
import { newEvent, recordEvent } from '../adapters/dynamo/events.js';
import { readOrCreateKeyFile } from '../adapters/key-file.js';
import { logger } from '../adapters/logger.js';
import {
  ADDRESS_COUNTER_DAYS,
  type Complaint,
  type ComplaintRequest,
  complaintAlert,
  complaintDayViolations,
  complaintSubject,
  LOOKUP_CODE_LENGTH,
} from '../core/complaints.js';
import { dateInZone } from '../core/dates.js';
import { AppError, conflict, notFound } from '../core/errors.js';
import type { EventType } from '../core/ports.js';
import { CHECK_CODE_ALPHABET } from '../core/receipt.js';
import type { Config } from '../runtime/config.js';
import { isKnownDepartment, unknownDepartmentViolation } from './departments.js';
import type { Deps } from './deps.js';

/** The payer's side is anonymous; events name this actor. */
const PAYER = 'payer';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Characters of the check-code alphabet (no 0/O, 1/I), from the CSPRNG. */
function randomCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i++) code += CHECK_CODE_ALPHABET[randomInt(CHECK_CODE_ALPHABET.length)];
  return code;
}

/** Local address keys by file, each read (or made) once per process. */
const keyFiles = new Map<string, Promise<string>>();

/** The deployment's HMAC key for addresses (Config.complaintAddressKey). */
function addressKey(config: Config): Promise<string> {
  const source = config.complaintAddressKey;
  if (source.kind === 'value') return Promise.resolve(source.value);
  let key = keyFiles.get(source.path);
  if (!key) {
    key = readOrCreateKeyFile(source.path, () => `${randomBytes(32).toString('base64url')}\n`).then(
      (text) => text.trim(),
      (error) => {
        keyFiles.delete(source.path);
        throw error;
      },
    );
    keyFiles.set(source.path, key);
  }
  return key;
}

/**
 * The per-address counter's key: an HMAC of the day and the address under the deployment's
 * secret, so that a stored key cannot be reversed by hashing the IPv4 space (a plain hash could).
 */
async function addressHash(config: Config, day: string, address: string): Promise<string> {
  return createHmac('sha256', await addressKey(config))
    .update(`${day}|${address}`)
    .digest('hex');
}

const repo = (deps: Deps) => new ComplaintRepository(deps.db, deps.config.tables);

const tooMany = (message: string) => new AppError('rate_limited', message, [], { 'retry-after': '3600' });

/**
 * Files a complaint: a receipt named must be genuine (its check code proves the payer holds it),
 * or the department and day named must be real (refuseUnknownDepartmentOrDay); the form's
 * limits hold per address and per receipt, and a filled honeypot is refused. The complaint, its
 * counters and its event are one write; the alert follows (a failure to raise it is logged, as
 * for every alert). Answers the number and the lookup code, which only this answer ever shows.
 */
export async function fileComplaint(
  deps: Deps,
  input: ComplaintRequest,
  address: string,
): Promise<{ id: string; code: string; status: 'open' }> {
  if (input.website)
    throw new AppError('bad_request', 'the complaint cannot be accepted', [
      { path: 'website', rule: 'honeypot', message: 'website must be left empty' },
    ]);
  const complaints = repo(deps);
  let department = input.department;
  if (input.receipt) {
    const { checkCode, ...ref } = input.receipt;
    department = await complaints.receiptDepartment(ref, checkCode);
    if (!department)
      throw new AppError('unprocessable', 'no genuine receipt has this code, number and check code', [
        {
          path: 'receipt',
          rule: 'receipt_not_found',
          message: 'check the receipt code, number and check code',
        },
      ]);
  } else await refuseUnknownDepartmentOrDay(deps, input.department!, input.date!);
  const limits = deps.config.complaintLimits;
  for (let attempt = 0; ; attempt++) {
    const now = deps.now();
    const day = dateInZone(now);
    const code = randomCode(LOOKUP_CODE_LENGTH);
    const complaint: Complaint = {
      id: `TS-${day.replaceAll('-', '')}-${randomCode(8)}`,
      codeHash: sha256(code),
      category: input.category,
      text: input.text,
      department: department!,
      ...(input.receipt
        ? { receipt: { code: input.receipt.code, number: input.receipt.number } }
        : { date: input.date }),
      filedAt: now.toISOString(),
      status: 'open',
      hasContact: input.contact !== undefined,
    };
    // The event keeps what the payer said, never the contact (events are never rewritten).
    const event = newEvent(
      'complaint.filed',
      PAYER,
      complaint.id,
      {
        category: complaint.category,
        text: complaint.text,
        department: complaint.department,
        subject: complaintSubject(complaint),
        hasContact: complaint.hasContact,
      },
      now,
    );
    const refused = await complaints.file(
      complaint,
      input.contact,
      {
        addressHash: await addressHash(deps.config, day, address),
        day,
        addressCounterExpires: Math.floor(now.getTime() / 1000) + ADDRESS_COUNTER_DAYS * 86_400,
        perAddressPerDay: limits.perAddressPerDay,
        perReceipt: limits.perReceipt,
      },
      event,
    );
    if (refused === 'address_limit')
      throw tooMany(`at most ${limits.perAddressPerDay} complaints a day may be filed from one address`);
    if (refused === 'receipt_limit')
      throw tooMany(`at most ${limits.perReceipt} complaints may be filed about one receipt`);
    if (refused === 'id_taken' && attempt < 3) continue;
    if (refused) throw new AppError('service_unavailable', 'retry later', [], { 'retry-after': '1' });
    await deps.audit.raise(complaintAlert(complaint), now).catch((error) => {
      logger.warn('alert evaluation failed: complaint', { error, complaint: complaint.id });
    });
    return { id: complaint.id, code, status: 'open' };
  }
}

/**
 * A complaint without a receipt names a day that has been (not after today, not more than
 * MAX_COMPLAINT_AGE_DAYS before it) and a department of the catalogue: each is a 422 naming the
 * field, before anything is stored or counted against the address.
 */
async function refuseUnknownDepartmentOrDay(deps: Deps, department: string, date: string): Promise<void> {
  const violations = complaintDayViolations(date, dateInZone(deps.now()));
  if (!(await isKnownDepartment(deps, department)))
    violations.push(unknownDepartmentViolation(department, 'name a department of the published catalogue'));
  if (violations.length)
    throw new AppError(
      'unprocessable',
      `the complaint cannot be filed: ${violations.map((v) => v.message).join('; ')}`,
      violations,
    );
}

/** The payer's lookup: a wrong code and a missing complaint are the same miss. */
export async function lookupComplaint(
  deps: Deps,
  id: string | null,
  code: string | null,
): Promise<Complaint> {
  const found = id === null ? undefined : await repo(deps).get(id);
  const hash = sha256(code ?? '');
  if (!found || !code || found.codeHash !== hash) throw notFound('no complaint has this number and code');
  return found;
}

/** An auditor reads a complaint, contact included while it is kept: the read is recorded. */
export async function readComplaint(deps: Deps, actor: string, id: string) {
  const complaints = repo(deps);
  const found = await complaints.get(id);
  if (!found) throw notFound(`complaint ${id} does not exist`);
  const contact = found.hasContact ? await complaints.contact(id) : undefined;
  await recordEvent(
    deps.db,
    deps.config.tables.ledger,
    newEvent('complaint.read', actor, id, { contactShown: contact !== undefined }, deps.now()),
  );
  return { ...found, contact: contact ?? null };
}

type Change = { type: EventType; set: Partial<Complaint>; details: Record<string, unknown> };

/** The auditors' reply (what the payer's lookup shows) or resolution, with its event. */
async function changeComplaint(
  deps: Deps,
  actor: string,
  id: string,
  allowedFrom: readonly Complaint['status'][],
  change: (c: Complaint, at: string) => Change,
  /** Why a complaint in this status cannot change so, where more can be said than that. */
  why?: (status: Complaint['status']) => string | undefined,
): Promise<Complaint> {
  const complaints = repo(deps);
  const found = await complaints.get(id);
  if (!found) throw notFound(`complaint ${id} does not exist`);
  if (!allowedFrom.includes(found.status))
    throw conflict(`the complaint is ${found.status}`, [
      {
        path: 'status',
        rule: 'complaint_status',
        message: why?.(found.status) ?? `a ${found.status} complaint cannot change so`,
      },
    ]);
  const now = deps.now();
  const { type, set, details } = change(found, now.toISOString());
  const event = newEvent(type, actor, id, details, now);
  if (!(await complaints.change(found, set, event)))
    throw conflict('the complaint changed meanwhile; read it again');
  return { ...found, ...set };
}

export function replyToComplaint(deps: Deps, actor: string, id: string, reply: string) {
  // A reply may be corrected while the complaint is open or replied; a resolved one is closed.
  return changeComplaint(deps, actor, id, ['open', 'replied'], (_, at) => ({
    type: 'complaint.replied',
    set: { status: 'replied', reply, repliedAt: at, repliedBy: actor },
    details: { reply },
  }));
}

/**
 * Closes a replied complaint. One not yet replied to cannot be closed: the payer who filed it
 * is owed an answer, which their lookup shows, and a complaint closed unanswered would leave
 * them none.
 */
export function resolveComplaint(deps: Deps, actor: string, id: string, note?: string) {
  return changeComplaint(
    deps,
    actor,
    id,
    ['replied'],
    (_, at) => ({
      type: 'complaint.resolved',
      set: { status: 'resolved', resolvedAt: at, resolvedBy: actor },
      details: { note: note ?? null },
    }),
    (status) =>
      status === 'open'
        ? 'reply to the complaint before resolving it: the payer is owed an answer, which their lookup shows'
        : undefined,
  );
}

/**
 * The scheduled job's retention step: removes the contact of every complaint filed longer ago
 * than the retention period, each removal an event. Returns how many it removed.
 */
export async function removeExpiredContacts(deps: Deps, batch = 100): Promise<number> {
  const complaints = repo(deps);
  const days = deps.config.complaintLimits.contactRetentionDays;
  const cutoff = new Date(deps.now().getTime() - days * 86_400_000).toISOString();
  let removed = 0;
  for (;;) {
    const due = await complaints.contactsFiledBefore(cutoff, batch);
    let progress = 0;
    for (const { id, filedAt } of due) {
      const event = newEvent(
        'complaint.contact_removed',
        'retention',
        id,
        { filedAt, retentionDays: days },
        deps.now(),
      );
      if (await complaints.removeContact(id, event)) progress++;
    }
    removed += progress;
    // The index lags a removal a moment: a full batch of rows removed already ends the run.
    if (due.length < batch || progress === 0) return removed;
  }
}
