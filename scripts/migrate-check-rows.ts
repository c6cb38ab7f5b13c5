/**
 * One-off, for a deployment whose receipts table has check rows from before they moved to
 * their own partition (`CHECK#code#number`, lambdas/adapters/dynamo/keys.ts checksKey): copies
 * them to their new keys, idempotently (see migrateLegacyCheckRows). Run it with the
 * deployer's credentials (the functions' roles cannot Scan), right after deploying:
 *   AWS_REGION=cn-north-1 npx tsx scripts/migrate-check-rows.ts <receipts table name>
 * The local server runs the same migration on each start.
 */
import { migrateLegacyCheckRows } from '../lambdas/adapters/dynamo/check-repo.js';
import { createPlainClient } from '../lambdas/adapters/dynamo/client.js';

const table = process.argv[2];
if (!table) {
  process.stderr.write('usage: tsx scripts/migrate-check-rows.ts <receipts table name>\n');
  process.exit(2);
}
const db = createPlainClient({
  dynamoEndpoint: process.env.FEEPROOF_DYNAMODB_ENDPOINT,
  awsRegion: process.env.AWS_REGION ?? 'us-east-1',
});
const moved = await migrateLegacyCheckRows(db, table);
process.stdout.write(`${moved} check rows copied to their own partition\n`);
