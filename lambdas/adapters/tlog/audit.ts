import { formatYuan, parseSignedYuan } from '../../core/money.js';
import { type CheckpointPolicy, verifyCheckpoint } from '../../core/tlog/checkpoint.js';
import { decodeEntry, type LogEntry, type ReceiptEntry } from '../../core/tlog/entries.js';
import { hashesEqual, leafHash, rootFromLeafHashes } from '../../core/tlog/hash.js';
import { decodeBundle, TILE_WIDTH, tilePath } from '../../core/tlog/tiles.js';
import type { AuditApi } from './audit-api.js';
import { findings as result } from './audit-findings.js';
import { auditLedger } from './audit-ledger.js';
import { auditPublishedStats } from './audit-stats.js';
import type { Check, LogSource } from './log-verify.js';

/**
 * `feeproof log audit` (issue 13): downloads every entry of the checkpointed log and proves
 * completeness from the log alone: every number of every allocated range appears at most once
 * and only inside a range of its department, a closed range has every number up to its first
 * unused one, every reversal and red receipt names an original logged before it, and each
 * catalogue item's versions run 1, 2, 3, ... from a create or import. Optionally, against the
 * service: the published statistics recomputed from the log (`stats`, audit-stats.ts) and every
 * logged receipt looked up in the ledger (`ledger`, audit-ledger.ts).
 */

export interface AuditOptions {
  /** Compare GET /v1/stats (public) with the totals recomputed from the log. */
  stats?: AuditApi;
  /** Look up every logged receipt through the auditor API (a token of an auditor). */
  ledger?: AuditApi;
}

/** Every entry of the first `size`, from the entry bundles (a full bundle may stand for a partial one). */
export async function readLogEntries(source: LogSource, size: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let n = 0; n * TILE_WIDTH < size; n++) {
    const width = Math.min(TILE_WIDTH, size - n * TILE_WIDTH);
    const bytes =
      (await source.read(tilePath({ level: 'entries', index: n, width }))) ??
      (width < TILE_WIDTH
        ? await source.read(tilePath({ level: 'entries', index: n, width: TILE_WIDTH }))
        : null);
    if (!bytes) throw new Error(`entry bundle ${n} is missing`);
    const entries = decodeBundle(bytes);
    if (entries.length < width)
      throw new Error(`entry bundle ${n} has ${entries.length} entries, not ${width}`);
    out.push(...entries.slice(0, width));
  }
  return out;
}

export async function auditLog(
  source: LogSource,
  policy: CheckpointPolicy,
  options: AuditOptions = {},
): Promise<Check[]> {
  const note = await source.read('checkpoint');
  if (!note) throw new Error(`${source.name} has no checkpoint`);
  const { checkpoint } = verifyCheckpoint(new TextDecoder().decode(note), policy);
  const raw = await readLogEntries(source, checkpoint.size);
  const root = checkpoint.size ? rootFromLeafHashes(raw.map(leafHash)) : undefined;
  const checks: Check[] = [
    {
      ok: !root || hashesEqual(root, checkpoint.rootHash),
      name: 'entries',
      detail: `${checkpoint.size} entries hash to the signed root of the checkpoint`,
    },
  ];
  const entries: LogEntry[] = [];
  const malformed: string[] = [];
  raw.forEach((bytes, i) => {
    try {
      entries.push(decodeEntry(bytes));
    } catch (e) {
      malformed.push(`entry ${i}: ${(e as Error).message}`);
    }
  });
  checks.push(
    result('schema', `every entry parses with the schema (receipts v1 or v2, others v1)`, malformed),
  );
  checks.push(...auditEntries(entries));
  if (options.stats) checks.push(...(await auditPublishedStats(entries, options.stats)));
  if (options.ledger) checks.push(await auditLedger(entries, options.ledger));
  return checks;
}

const refKey = (r: { code: string; number: string }) => `${r.code}/${r.number}`;

/**
 * What is wrong with a v2 receipt entry's amounts (the published statistics add them up): its
 * lines must add up to its total, blue amounts not negative (an exempt line may be zero), red
 * ones not positive. v1 entries have none.
 */
function amountProblem(e: ReceiptEntry): string | null {
  if (e.v !== 2) return null;
  const fen = (y: string) => parseSignedYuan(y) ?? Number.NaN;
  const sign = e.kind === 'red' ? -1 : 1;
  if (e.lines.some((l) => !(sign * fen(l.amount) >= 0)) || !(sign * fen(e.total) >= 0))
    return `a ${e.kind} receipt with a ${e.kind === 'red' ? 'positive' : 'negative'} amount`;
  const sum = e.lines.reduce((s, l) => s + fen(l.amount), 0);
  return sum === fen(e.total) ? null : `its lines add up to ${formatYuan(sum)}, not its total ${e.total}`;
}

/** The completeness checks over parsed entries, in log order. */
export function auditEntries(entries: readonly LogEntry[]): Check[] {
  const ranges = new Map<
    string,
    { code: string; department: string; first: number; last: number; firstUnused?: number; at: number }
  >();
  const numbers: string[] = [];
  const receipts = new Map<string, { at: number; kind: 'blue' | 'red'; department: string }>();
  const reversals: string[] = [];
  const catalogue: string[] = [];
  const amounts: string[] = [];
  const versions = new Map<string, number>();
  const reversed = new Map<string, string>();
  const redOf = new Map<string, { code: string; number: string }>();

  entries.forEach((e, at) => {
    if (e.type === 'range') {
      if (e.event === 'allocated') {
        if (ranges.has(e.rangeId)) numbers.push(`range ${e.rangeId} allocated twice`);
        for (const r of ranges.values())
          if (r.code === e.code && e.first <= r.last && r.first <= e.last)
            numbers.push(`range ${e.rangeId} overlaps another of code ${e.code}`);
        ranges.set(e.rangeId, { code: e.code, department: e.department, first: e.first, last: e.last, at });
      } else {
        const r = ranges.get(e.rangeId);
        if (!r) numbers.push(`range ${e.rangeId} closed before it was allocated`);
        else r.firstUnused = e.firstUnused;
      }
    } else if (e.type === 'receipt') {
      const key = refKey(e);
      if (receipts.has(key)) numbers.push(`receipt ${key} logged twice`);
      receipts.set(key, { at, kind: e.kind, department: e.department });
      const problem = amountProblem(e);
      if (problem) amounts.push(`receipt ${key}: ${problem}`);
      const n = Number(e.number);
      const range = [...ranges.values()].find((r) => r.code === e.code && r.first <= n && n <= r.last);
      if (!range) numbers.push(`receipt ${key} is in no range allocated before it`);
      else if (range.department !== e.department)
        numbers.push(`receipt ${key} of ${e.department} is in a range of ${range.department}`);
      else if (range.firstUnused !== undefined && n >= range.firstUnused)
        numbers.push(`receipt ${key} uses a number its range's closure declared unused`);
      if (e.kind === 'red') {
        const original = e.reverses ? receipts.get(refKey(e.reverses)) : undefined;
        if (!e.reverses || !original || original.kind !== 'blue')
          reversals.push(`red receipt ${key} names no blue receipt logged before it`);
        else redOf.set(key, e.reverses);
      }
    } else if (e.type === 'reversal') {
      const original = refKey(e.original);
      if (receipts.get(original)?.kind !== 'blue')
        reversals.push(`reversal of ${original}, which is not a blue receipt logged before it`);
      if (reversed.has(original)) reversals.push(`${original} reversed twice`);
      reversed.set(original, refKey(e.reversedBy));
    } else {
      const last = versions.get(e.itemCode) ?? 0;
      if (e.version !== last + 1)
        catalogue.push(`item ${e.itemCode}: version ${e.version} follows version ${last}`);
      else if (last === 0 && e.change !== 'create' && e.change !== 'import')
        catalogue.push(`item ${e.itemCode} starts with a ${e.change}`);
      versions.set(e.itemCode, e.version);
    }
  });
  // Each red receipt and its original's status change name each other.
  for (const [red, original] of redOf)
    if (reversed.get(refKey(original)) !== red)
      reversals.push(`red receipt ${red}: its original's reversal is not logged`);
  for (const [original, red] of reversed)
    if (!redOf.has(red) && receipts.has(red))
      reversals.push(`${original} reversed by ${red}, which reverses another`);
  // A closed range accounts for every number: issued (once) below its first unused one.
  const incomplete: string[] = [];
  for (const [id, r] of ranges) {
    if (r.firstUnused === undefined) continue;
    for (let n = r.first; n < r.firstUnused; n++)
      if (!receipts.has(`${r.code}/${String(n).padStart(10, '0')}`))
        incomplete.push(`range ${id} was closed at ${r.firstUnused} but number ${n} is not logged`);
  }
  const open = [...ranges.values()].filter((r) => r.firstUnused === undefined).length;
  return [
    result('numbers', `${receipts.size} receipts, each once, inside a range of its department`, numbers),
    result(
      'closed ranges',
      `${ranges.size - open} closed ranges have every number below their first unused one`,
      incomplete,
    ),
    result(
      'reversals',
      `${reversed.size} reversals name an earlier blue original and their red receipt`,
      reversals,
    ),
    result(
      'amounts',
      'each receipt (v2) has lines that add up to its total, none negative on blue or positive on red',
      amounts,
    ),
    result(
      'catalogue',
      `${versions.size} items' versions run 1, 2, 3, ... from a create or import`,
      catalogue,
    ),
  ];
}
