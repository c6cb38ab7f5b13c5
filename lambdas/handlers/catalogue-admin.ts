import { readCsv } from '../adapters/csv.js';
import { MAX_VERSIONS_PER_WRITE } from '../adapters/dynamo/catalogue-repo.js';
import { newEvent } from '../adapters/dynamo/events.js';
import { getDeps } from '../app/deps.js';
import { groupVersions, type ItemVersion, inForceProblem, versionAsOf } from '../core/catalogue.js';
import {
  type ChangeStamp,
  newItemVersion,
  revisedVersion,
  statusVersion,
} from '../core/catalogue-changes.js';
import { catalogueRows, importPlan, invalidRows } from '../core/catalogue-import.js';
import { dateInZone } from '../core/dates.js';
import { AppError, notFound } from '../core/errors.js';
import { versionOut } from '../core/schemas.js';
import { groupHandler } from './http/group.js';
import { type ApiRequest, json } from './http/types.js';

function changeStamp(req: ApiRequest): ChangeStamp {
  const at = getDeps().now();
  return { actor: req.caller!.username, at, today: dateInZone(at) };
}

/** The version before a change, for the history: what an auditor compares against. */
function previousOf(versions: readonly ItemVersion[]) {
  const last = versions[versions.length - 1];
  return last ? versionOut(last) : null;
}

/**
 * An import's CSV read, checked and planned against the catalogue: what importing would write
 * and every row's errors. Shared by the import and its dry run, so the preview is the import.
 */
async function planOf(req: ApiRequest) {
  const { catalogue } = getDeps();
  const text = (req.rawBody as Buffer).toString('utf8'); // UTF-8: the request middleware checked
  const parsed = catalogueRows(readCsv(text));
  if (parsed.rows.length + parsed.errors.length > MAX_VERSIONS_PER_WRITE)
    throw new AppError(
      'payload_too_large',
      `an import holds at most ${MAX_VERSIONS_PER_WRITE} rows; split the file`,
    );
  // A file that is wrong as a whole (its header, or no rows) has no rows to preview.
  if (parsed.lines.length === 0) throw invalidRows(parsed.errors);
  const existing = await catalogue.versionsByCode(parsed.rows.map((r) => r.code));
  const stamp = changeStamp(req);
  return { parsed, plan: importPlan(parsed, existing, stamp), stamp };
}

/**
 * The finance bureau's changes to the catalogue (each one adds versions and an event,
 * atomically), the dry run of an import, and the finance bureau's reads: every item in any
 * state, an item's history with the document behind each status change, the departments.
 */
export const handler = groupHandler('catalogue-admin', {
  createItem: async (req) => {
    const { catalogue } = getDeps();
    const { reason, ...item } = req.input.body;
    const s = changeStamp(req);
    const version = newItemVersion(item, reason ?? '新设收费项目 / new fee item', s);
    await catalogue.addVersions(
      [version],
      newEvent('catalogue.created', s.actor, item.code, { before: null, after: versionOut(version) }, s.at),
    );
    return json(201, versionOut(version), { location: `/v1/catalogue/${item.code}` });
  },

  reviseItem: async (req) => {
    const { catalogue } = getDeps();
    const code = req.input.params.itemCode;
    const { effectiveFrom, reason, ...fields } = req.input.body;
    const versions = await catalogue.versionsOf(code);
    const s = changeStamp(req);
    const version = revisedVersion(versions, code, fields, effectiveFrom, reason, s);
    await catalogue.addVersions(
      [version],
      newEvent(
        'catalogue.revised',
        s.actor,
        code,
        { before: previousOf(versions), after: versionOut(version), reason },
        s.at,
      ),
    );
    return json(200, versionOut(version));
  },

  changeItemStatus: async (req) => {
    const { catalogue } = getDeps();
    const code = req.input.params.itemCode;
    const change = req.input.body;
    const versions = await catalogue.versionsOf(code);
    const s = changeStamp(req);
    const version = statusVersion(versions, code, change, s);
    await catalogue.addVersions(
      [version],
      newEvent(
        'catalogue.status',
        s.actor,
        code,
        {
          before: previousOf(versions),
          after: versionOut(version),
          reason: change.reason,
          basis: change.basis,
        },
        s.at,
      ),
    );
    return json(200, versionOut(version));
  },

  importCatalogue: async (req) => {
    const { catalogue } = getDeps();
    const { plan, stamp: s } = await planOf(req);
    if (plan.errors.length) throw invalidRows(plan.errors);
    const versions = plan.planned.map((p) => p.version);
    await catalogue.addVersions(
      versions,
      newEvent(
        'catalogue.imported',
        s.actor,
        `${versions.length} items`,
        // The versions themselves are in the catalogue for good; the event names them (an event
        // row holding 99 full versions could pass DynamoDB's 400 KB item limit).
        { versions: versions.map((v) => ({ code: v.code, version: v.version })) },
        s.at,
      ),
    );
    return json(200, { imported: versions.length, items: versions.map(versionOut) });
  },

  previewImport: async (req) => {
    const { plan, parsed } = await planOf(req);
    const planned = new Map(plan.planned.map((p) => [p.row, p.version]));
    const errors = new Map(plan.errors.map((e) => [e.row, e.violations]));
    const rows = parsed.lines.map(({ row, cells }) => {
      const version = planned.get(row);
      return {
        row,
        cells,
        action: version ? (version.version === 1 ? 'create' : 'revise') : null,
        item: version ? versionOut(version) : null,
        violations: errors.get(row) ?? [],
      };
    });
    return json(200, {
      valid: plan.errors.length === 0,
      rowCount: rows.length,
      errorRows: errors.size,
      rows,
    });
  },

  listCatalogueItems: async (req) => {
    const { catalogue, now } = getDeps();
    const { asOf = dateInZone(now()), department } = req.input.query;
    const items = [];
    for (const versions of groupVersions(await catalogue.allVersions()).values()) {
      // An item not yet in force on the date shows its first version.
      const v = versionAsOf(versions, asOf) ?? versions[0]!;
      if (department && v.department !== department) continue;
      items.push({
        ...versionOut(v),
        state: inForceProblem(versionAsOf(versions, asOf), asOf) ?? 'in_force',
      });
    }
    items.sort((a, b) => a.department.localeCompare(b.department) || a.code.localeCompare(b.code));
    return json(200, { asOf, count: items.length, items });
  },

  itemHistory: async (req) => {
    const { catalogue, now } = getDeps();
    const code = req.input.params.itemCode;
    const versions = await catalogue.versionsOf(code);
    if (versions.length === 0) throw notFound(`item ${code} is not in the catalogue`);
    const today = dateInZone(now());
    return json(200, {
      code,
      today,
      state: inForceProblem(versionAsOf(versions, today), today) ?? 'in_force',
      versions: versions.map((v) => ({
        ...versionOut(v),
        ...(v.changeBasis ? { changeBasis: v.changeBasis } : {}),
      })),
    });
  },

  listDepartments: async () => {
    const { catalogue, departments, ranges } = getDeps();
    const [versions, allRanges] = await Promise.all([catalogue.allVersions(), ranges.listRanges()]);
    const codes = new Set([...versions.map((v) => v.department), ...allRanges.map((r) => r.department)]);
    const rows = await Promise.all(
      [...codes].sort().map(async (code) => {
        // As written now: a rename runs in another function (ranges), whose cache is not this one's.
        const name = (await departments.name(code, { fresh: true })) ?? null;
        return {
          code,
          name,
          // What a receipt prints as the collecting unit: its name, or its code while it has none.
          printedAs: name ?? code,
          items: new Set(versions.filter((v) => v.department === code).map((v) => v.code)).size,
          ranges: allRanges.filter((r) => r.department === code).length,
        };
      }),
    );
    return json(200, { departments: rows });
  },
});
