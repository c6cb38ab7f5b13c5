import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { getDeps } from '../app/deps.js';
import { catalogueAsOf, groupVersions, versionAsOf } from '../core/catalogue.js';
import { dateInZone } from '../core/dates.js';
import { notFound } from '../core/errors.js';
import { versionOut } from '../core/schemas.js';
import { groupHandler } from './http/group.js';
import { json } from './http/types.js';
import { openApiDocument } from './openapi.js';

/** Public reads: health, the published catalogue, the OpenAPI document. No token needed. */
export const handler = groupHandler('public', {
  health: async () => {
    const { db, config } = getDeps();
    await db.send(new DescribeTableCommand({ TableName: config.tables.catalogue }));
    return json(200, { status: 'ok', time: new Date().toISOString() });
  },

  listCatalogue: async (req) => {
    const { catalogue, now } = getDeps();
    const query = req.input.query;
    const asOf = query.asOf ?? dateInZone(now());
    const versions = await catalogue.allVersions();
    const items = catalogueAsOf(versions, asOf, query.department).map(versionOut);
    return json(200, { asOf, count: items.length, items }, { 'cache-control': 'public, max-age=60' });
  },

  getCatalogueItem: async (req) => {
    const { catalogue, now } = getDeps();
    const code = req.input.params.itemCode;
    const versions = await catalogue.versionsOf(code);
    if (versions.length === 0) throw notFound(`item ${code} is not in the catalogue`);
    const current =
      versionAsOf(groupVersions(versions).get(code)!, dateInZone(now())) ?? versions[versions.length - 1]!;
    return json(200, { ...versionOut(current), versions: versions.map(versionOut) });
  },

  openapi: async () => {
    const url = getDeps().config.publicUrl;
    if (openapi?.url !== url) openapi = { url, document: openApiDocument(url) };
    return json(200, openapi.document, { 'cache-control': 'public, max-age=300' });
  },
});

/** Built from the schemas once per process (a few ms each time otherwise). */
let openapi: { url: string; document: ReturnType<typeof openApiDocument> } | undefined;
