import { readCsv } from '../adapters/csv.js';
import { MAX_VERSIONS_PER_WRITE } from '../adapters/dynamo/catalogue-repo.js';
import { newEvent } from '../adapters/dynamo/events.js';
import { getDeps } from '../app/deps.js';
import type { ItemVersion } from '../core/catalogue.js';
import {
  type ChangeStamp,
  newItemVersion,
  revisedVersion,
  statusVersion,
} from '../core/catalogue-changes.js';
import { catalogueRows, inCsvTerms } from '../core/catalogue-import.js';
import { dateInZone } from '../core/dates.js';
import { AppError, badRequest } from '../core/errors.js';
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

/** The finance bureau's changes to the catalogue. Each one adds versions and an event, atomically. */
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
    const text = (req.rawBody as Buffer).toString('utf8');
    if (text.includes('\uFFFD')) throw badRequest('the CSV must be UTF-8 encoded');
    const { rows, errors } = catalogueRows(readCsv(text));
    if (rows.length + errors.length > MAX_VERSIONS_PER_WRITE)
      throw new AppError(
        'payload_too_large',
        `an import holds at most ${MAX_VERSIONS_PER_WRITE} rows; split the file`,
      );
    const existing = await catalogue.versionsByCode(rows.map((r) => r.code));
    const s = changeStamp(req);
    const versions: ItemVersion[] = [];
    for (const { rowNumber, effectiveFrom, reason, ...item } of rows) {
      const history = existing.get(item.code);
      try {
        if (!history)
          versions.push(newItemVersion(item, reason ?? '目录导入 / catalogue import', s, 'import'));
        else {
          if (!effectiveFrom)
            throw badRequest('', [
              {
                path: 'effective_from',
                rule: 'required',
                message: `item ${item.code} exists: effective_from is required to add a version`,
              },
            ]);
          const { code, ...fields } = item;
          versions.push(
            revisedVersion(
              history,
              code,
              fields,
              effectiveFrom,
              reason ?? '目录导入 / catalogue import',
              s,
              'import',
            ),
          );
        }
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        errors.push({
          row: rowNumber,
          violations: e.details.length
            ? e.details.map(inCsvTerms)
            : [{ path: 'row', rule: e.code, message: e.message }],
        });
      }
    }
    if (errors.length) {
      errors.sort((a, b) => a.row - b.row);
      throw badRequest(
        `${errors.length} row(s) are invalid; nothing was imported`,
        errors.flatMap((e) =>
          e.violations.map((v) => ({ ...v, path: `row ${e.row}: ${v.path}`, row: e.row })),
        ),
      );
    }
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
});
