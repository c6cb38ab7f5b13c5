/**
 * The WAF web ACL in front of CloudFront. CLOUDFRONT-scope web ACLs exist only in us-east-1,
 * so the ACL is created (and attached) only when the stack deploys there: a CloudFormation
 * condition on the region when the stack is environment-agnostic, a synth-time decision when
 * its region is known. Elsewhere, create it from this construct in a us-east-1 stack, or by
 * hand (docs/deployment.md, WAF), and pass its ARN as `webAclArn`.
 *
 * Rules, in order:
 * 0. AWS IP reputation list (block).
 * 1. Rate limit per client address on the public (anonymous) routes of ROUTES (block).
 * 2. AWS Common rule set, with SizeRestrictions_BODY counted rather than blocked: a receipt
 *    PDF posted for verification (~35 KB) or a catalogue CSV is over its 8 KB limit.
 * 3. AWS Known bad inputs (block).
 * 4. SizeRestrictions_BODY's label blocks, except on the routes whose body is a file (PDF
 *    upload, CSV import); JSON bodies stay limited to 8 KB.
 * About 940 WCU of the 1,500 included.
 */
import { Aws, CfnCondition, Fn, Stack, Token } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { isPublic, ROUTES } from '../lambdas/runtime/routes.js';

/** The route whose body may be large: a PDF posted for verification. */
export const PDF_UPLOAD_PATH = '/v1/verify/pdf';

/** The paths of the routes whose body is a file (not JSON), exempt from the 8 KB body limit. */
export function fileBodyPaths(): string[] {
  const paths = [...new Set(ROUTES.filter((r) => r.body && r.body.type !== 'json').map((r) => r.path))];
  const parameterized = paths.filter((p) => p.includes('{'));
  if (parameterized.length)
    throw new Error(`file-body routes must have fixed paths: ${parameterized.join(', ')}`);
  return paths.sort();
}
const BODY_SIZE_LABEL = 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body';

/** The path prefixes of the public routes (cut at the first parameter), none inside another. */
export function publicPathPrefixes(): string[] {
  const prefixes = [...new Set(ROUTES.filter(isPublic).map((r) => r.path.split('{')[0]!.replace(/\/$/, '')))];
  return prefixes.filter((p) => !prefixes.some((q) => q !== p && p.startsWith(q))).sort();
}

const startsWith = (path: string): wafv2.CfnWebACL.StatementProperty => ({
  byteMatchStatement: {
    fieldToMatch: { uriPath: {} },
    positionalConstraint: 'STARTS_WITH',
    searchString: path,
    textTransformations: [{ priority: 0, type: 'NONE' }],
  },
});

/** One path, or any of several. */
function anyPath(paths: string[], constraint: 'STARTS_WITH' | 'EXACTLY'): wafv2.CfnWebACL.StatementProperty {
  const match = (path: string) => ({
    byteMatchStatement: { ...startsWith(path).byteMatchStatement!, positionalConstraint: constraint },
  });
  return paths.length === 1 ? match(paths[0]!) : { orStatement: { statements: paths.map(match) } };
}

const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

function managed(name: string, priority: number, overrides: string[] = []): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ruleActionOverrides: overrides.length
          ? overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } }))
          : undefined,
      },
    },
    visibilityConfig: visibility(name),
  };
}

export interface WebFirewallProps {
  /** Requests per client address in 5 minutes on the public routes. */
  rateLimit: number;
}

export class WebFirewall extends Construct {
  readonly webAcl?: wafv2.CfnWebACL;
  /** The ARN to attach to the distribution (conditional when the region is a token). */
  readonly webAclArn?: string;

  constructor(scope: Construct, id: string, props: WebFirewallProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== 'us-east-1') return;

    const publicRoutes = anyPath(publicPathPrefixes(), 'STARTS_WITH');

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'feeproof: rate limit on public routes, AWS managed rules',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('feeproof'),
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        {
          name: 'PublicRoutesRatePerAddress',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.rateLimit,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: publicRoutes,
            },
          },
          visibilityConfig: visibility('PublicRoutesRatePerAddress'),
        },
        managed('AWSManagedRulesCommonRuleSet', 2, ['SizeRestrictions_BODY']),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 3),
        {
          name: 'BodySizeExceptFileUploads',
          priority: 4,
          action: { block: {} },
          statement: {
            andStatement: {
              statements: [
                { labelMatchStatement: { scope: 'LABEL', key: BODY_SIZE_LABEL } },
                { notStatement: { statement: anyPath(fileBodyPaths(), 'EXACTLY') } },
              ],
            },
          },
          visibilityConfig: visibility('BodySizeExceptFileUploads'),
        },
      ],
    });

    if (Token.isUnresolved(region)) {
      const inUsEast1 = new CfnCondition(this, 'InUsEast1', {
        expression: Fn.conditionEquals(Aws.REGION, 'us-east-1'),
      });
      this.webAcl.cfnOptions.condition = inUsEast1;
      this.webAclArn = Token.asString(Fn.conditionIf(inUsEast1.logicalId, this.webAcl.attrArn, Aws.NO_VALUE));
    } else {
      this.webAclArn = this.webAcl.attrArn;
    }
  }
}
