/**
 * Builds the stack for the CDK tests with the feature flags of cdk.json, from the handler
 * files as they are: a missing one fails the build (no stand-in, so no suite shrinks).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ROUTE_GROUPS } from '../../lambdas/runtime/routes.js';
import type { FeeproofStackProps } from '../../lib/config.js';
import { FeeproofStack, PROJECT_ROOT } from '../../lib/feeproof-stack.js';
import { type FunctionName, RECOVERY } from '../../lib/functions.js';
import { LOG_INTEGRATOR } from '../../lib/transparency-log.js';

/** The functions the stack must have: one per route group of the route table, and the recovery job. */
export const FUNCTION_NAMES: readonly FunctionName[] = [...ROUTE_GROUPS, RECOVERY];

function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
  return cdkJson.context ?? {};
}

export interface Built {
  app: App;
  stack: FeeproofStack;
  template: Template;
}

export interface BuildOptions {
  /** Run esbuild (default false: assets are placeholders, much faster). */
  bundle?: boolean;
  props?: FeeproofStackProps;
}

export function buildStack(options: BuildOptions = {}): Built {
  const context = {
    ...cdkContext(),
    // Records each asset's directory on its resource (as the CLI does), so tests can open bundles.
    'aws:cdk:enable-asset-metadata': true,
    ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
  };
  const app = new App({ context });
  const stack = new FeeproofStack(app, 'FeeproofStack', options.props);
  const template = Template.fromStack(stack);
  return { app, stack, template };
}

/** Every function of the stack by name: the route groups', the recovery job's, the log integrator. */
export type StackFunctionName = FunctionName | typeof LOG_INTEGRATOR;

/** The function construct of a name; throws if the stack has none (never skipped). */
export function functionOf(built: Built, name: StackFunctionName) {
  const fn =
    name === LOG_INTEGRATOR
      ? built.stack.transparencyLog.integrator
      : name === RECOVERY
        ? built.stack.functions.recovery
        : built.stack.functions.byGroup.get(name);
  if (!fn) throw new Error(`the stack has no function ${name}`);
  return fn;
}

/** cdk-nag's AwsSolutions findings not acknowledged in the app (cdk-nag 3 reports through policy validation). */
export function nagFindings(built: Built): string[] {
  return new AwsSolutionsChecks()
    .validateScope(built.app)
    .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

/** A construct's logical id in its stack's template (of its default child: the resource). */
export const logicalId = (c: IConstruct): string =>
  Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);

export function functionId(built: Built, name: StackFunctionName): string {
  return logicalId(functionOf(built, name));
}

/** The template resource of a function, by name. */
export function functionResource(built: Built, name: StackFunctionName): Resources[string] {
  return resources(built.template, 'AWS::Lambda::Function')[functionId(built, name)]!;
}

/** CloudFormation JSON, navigated freely by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: template JSON has no static type
export type Json = any;

/** Resources of a type, by logical id. */
export type Resources = Record<
  string,
  { Type: string; Properties: Json; DeletionPolicy?: string; UpdateReplacePolicy?: string; Metadata?: Json }
>;

export function resources(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` or `{ Ref: id }` -> id. */
export function refId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return v.Ref;
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  }
  return undefined;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every policy statement of the template: IAM policies and roles, key and bucket policies. */
export function allStatements(template: Template): { resource: string; statement: Json }[] {
  const out: { resource: string; statement: unknown }[] = [];
  for (const [id, r] of Object.entries(template.toJSON().Resources as Resources)) {
    const p = r.Properties ?? {};
    const docs = [
      p.PolicyDocument,
      p.KeyPolicy,
      ...asArray(p.Policies).map((x: { PolicyDocument: unknown }) => x.PolicyDocument),
    ];
    for (const doc of docs) {
      for (const statement of asArray((doc as { Statement?: unknown[] } | undefined)?.Statement)) {
        out.push({ resource: id, statement });
      }
    }
  }
  return out;
}

/** The Allow statements of the IAM policies attached to a role (by logical id). */
export function roleAllows(built: Built, roleId: string): Json[] {
  const policies = resources(built.template, 'AWS::IAM::Policy');
  return allStatements(built.template)
    .filter(({ resource }) => policies[resource] && policyRoles(policies[resource]!).includes(roleId))
    .map(({ statement }) => statement)
    .filter((s) => s.Effect === 'Allow');
}

/** The logical ids of the roles an IAM policy is attached to. */
export function policyRoles(policy: Resources[string]): string[] {
  return asArray(policy.Properties.Roles)
    .map(refId)
    .filter((x): x is string => !!x);
}
