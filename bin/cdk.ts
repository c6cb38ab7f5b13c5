/**
 * The CDK app (cdk.json: `npx tsx bin/cdk.ts`), checked by cdk-nag's AwsSolutions pack on
 * every synth. Runs offline: without CDK_DEFAULT_ACCOUNT/REGION the stack is
 * environment-agnostic.
 *
 * Deployment settings (FeeproofSettings in lib/config.ts) come from the context key
 * `feeproof`, an object in cdk.json / cdk.context.json or JSON on the command line:
 *   cdk deploy -c feeproof='{"stage":"production","bureauName":"某市财政局",...}'
 * and `stackName` in the same object names the stack (default FeeproofStack); the stack's
 * account-wide names (CloudFront policies, OAC) derive from it and the region, so two stages
 * or regions can live in one account.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { FeeproofSettings } from '../lib/config.js';
import { FeeproofStack } from '../lib/feeproof-stack.js';

const app = new App();

const raw: unknown = app.node.tryGetContext('feeproof') ?? {};
const { stackName = 'FeeproofStack', ...settings } = (
  typeof raw === 'string' ? JSON.parse(raw) : raw
) as Partial<FeeproofSettings & { stackName: string }>;

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new FeeproofStack(app, stackName, {
  env: account && region ? { account, region } : undefined,
  ...settings,
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
