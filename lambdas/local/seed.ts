import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { newEvent } from '../adapters/dynamo/events.js';
import type { Deps } from '../app/deps.js';
import { createdVersion } from '../core/catalogue-changes.js';
import { dateInZone } from '../core/dates.js';
import { DEMO_CATALOGUE, DEMO_DEPARTMENTS, DEMO_NOTICE } from './demo-catalogue.js';

const SEED_MARKER = { pk: 'META#SEED', sk: 'DEMO_CATALOGUE' };

/** Seeds the demo catalogue once: the marker is written in the same transaction as the items. */
export async function seedDemoCatalogue(deps: Deps): Promise<boolean> {
  const marker = await deps.db.send(
    new GetCommand({ TableName: deps.config.tables.ledger, Key: SEED_MARKER, ConsistentRead: true }),
  );
  if (marker.Item) return false;
  for (const [department, name] of Object.entries(DEMO_DEPARTMENTS))
    await deps.departments.setName(department, name);
  const at = deps.now();
  const stamp = { actor: 'seed', at, today: dateInZone(at) };
  const versions = DEMO_CATALOGUE.map((item) =>
    createdVersion(item, `演示目录 / demo catalogue. ${DEMO_NOTICE}`, stamp, 'import'),
  );
  await deps.catalogue.addVersions(
    versions,
    newEvent(
      'catalogue.imported',
      'seed',
      `${versions.length} demo items`,
      { codes: versions.map((v) => v.code), notice: DEMO_NOTICE },
      at,
    ),
    SEED_MARKER,
  );
  return true;
}
