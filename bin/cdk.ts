/**
 * The CDK app (cdk.json: `npx tsx bin/cdk.ts`). Synthesis runs offline: without
 * CDK_DEFAULT_ACCOUNT/REGION the stack is environment-agnostic.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FeeproofStack } from '../lib/feeproof-stack.js';

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new FeeproofStack(app, 'FeeproofStack', {
  env: account && region ? { account, region } : undefined,
  mfa: app.node.tryGetContext('feeproof:mfa') === 'REQUIRED' ? 'REQUIRED' : 'OPTIONAL',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
