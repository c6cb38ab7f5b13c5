/**
 * The public site: a private S3 bucket holding ./web, served by CloudFront through Origin
 * Access Control, with the API under the same distribution at /v1/* and /health (so the
 * pages call the API same-origin, without CORS).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { ConsoleConfig } from '../web/src/console/auth.js';
import type { CustomDomain } from './config.js';

const CONSOLE_CONFIG_KEY = 'console/config.json';

/** Not deployed from web/: sources and tooling files. */
export const WEB_EXCLUDE = ['src', 'src/**', '**/*.ts', '.gitignore', '**/.DS_Store'];

/** Paths of the distribution that go to the API rather than the bucket. */
export const API_PATH_PATTERNS = ['/v1/*', '/health'];
/**
 * Public GET routes whose answers say how long they may be cached (`cache-control: public,
 * max-age=…`): CloudFront keeps them that long, keyed by the query string. Listed before
 * `/v1/*`, which they are inside of.
 */
// /v1/stats and /v1/supervision (issue 15): open data, answered with max-age 300.
export const CACHED_API_PATHS = [
  '/v1/catalogue',
  '/v1/openapi.json',
  '/v1/keys',
  '/v1/stats',
  '/v1/supervision',
];

/** The account-wide names (response headers policy, OAC): unique per stack and region. */
export const accountWideName = (suffix: string) => `${Aws.STACK_NAME}-${Aws.REGION}-${suffix}`;

/**
 * Same-origin pages: scripts, styles, fonts and fetches from the site itself only; QR codes
 * may be `data:` images. No inline scripts or styles.
 */
/** The pages' policy; `connectTo` adds origins the scripts may call (the console's token endpoint). */
export const contentSecurityPolicy = (...connectTo: string[]) =>
  [
    "default-src 'self'",
    "img-src 'self' data:",
    "script-src 'self'",
    "style-src 'self'",
    ["connect-src 'self'", ...connectTo].join(' '),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** Where the console signs in (the console's `ConsoleConfig` less what the distribution decides). */
export interface ConsoleSignIn {
  /** Base URL of the managed login (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  authority: string;
  clientId: string;
}

/**
 * CloudFront Function on the pages: `/console` (the console's one callback URL, as the local
 * server serves it) is the object `console.html`.
 */
const PAGE_ALIASES_FUNCTION = `function handler(event) {
  var request = event.request;
  if (request.uri === '/console') request.uri = '/console.html';
  return request;
}`;

export interface WebProps {
  /** Directory deployed to the bucket; nothing is deployed while it has no files. */
  webDir: string;
  /** Domain name of the HTTP API (`<id>.execute-api.<region>.amazonaws.com`). */
  apiDomainName: string;
  /** Headers added to every request forwarded to the API: its origin-verify secret (lib/api.ts). */
  apiOriginHeaders: Record<string, string>;
  domain?: CustomDomain;
  /** WAFv2 web ACL (scope CLOUDFRONT, us-east-1) to attach. */
  webAclArn?: string;
  /** Public base URL; default: the custom domain, else the distribution's. */
  publicUrl?: string;
  consoleSignIn: ConsoleSignIn;
}

/** The scripts the pages load (`<script src="assets/…">`), which `npm run build:web` makes. */
export function missingWebBundles(webDir: string): string[] {
  if (!fs.existsSync(webDir)) return [];
  const pages = fs.readdirSync(webDir).filter((f) => f.endsWith('.html'));
  const scripts = pages.flatMap((page) =>
    [...fs.readFileSync(path.join(webDir, page), 'utf8').matchAll(/<script[^>]*\ssrc="([^"]+)"/g)]
      .map((m) => m[1]!)
      .filter((src) => !/^[a-z]+:|^\/\//i.test(src)),
  );
  return [...new Set(scripts)].filter((src) => !fs.existsSync(path.join(webDir, src.replace(/^\//, ''))));
}

export class Web extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** The origin access control CloudFront reads the stack's buckets with (the site, the log tiles). */
  readonly originAccess: cloudfront.S3OriginAccessControl;
  readonly deployment?: s3deploy.BucketDeployment;
  /** Public base URL: QR codes on receipts point here, and the console lives at `/console` under it. */
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    const missing = missingWebBundles(props.webDir);
    if (missing.length) {
      throw new Error(
        `the pages in ${props.webDir} load ${missing.join(', ')}, which do not exist: run npm run build:web (npm run synth and npm run deploy do)`,
      );
    }

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      // CloudFront standard logs are delivered with an ACL grant.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      // Versioned: a log overwritten or deleted stays recoverable until its expiry.
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the site bucket and the distribution; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'SiteBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3-site/',
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'feeproof security headers',
      responseHeadersPolicyName: accountWideName('security-headers'),
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy(props.consoleSignIn.authority),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365 * 2),
          includeSubdomains: true,
          preload: false,
          override: true,
        },
        // No X-XSS-Protection: browsers dropped the filter, and the CSP does its job.
      },
      removeHeaders: ['Server'],
    });

    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: new origins.HttpOrigin(props.apiDomainName, {
        customHeaders: props.apiOriginHeaders,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      }),
      // POST bodies must not be redirected: plain HTTP is refused rather than redirected.
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: headers,
      compress: true,
    };

    // Honours the API's max-age (default 0: nothing cached that does not say so).
    const honourMaxAge = new cloudfront.CachePolicy(this, 'HonourMaxAge', {
      cachePolicyName: accountWideName('honour-max-age'),
      comment: 'feeproof: public API reads, cached as long as their cache-control says',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.days(1),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const cachedApiBehavior: cloudfront.BehaviorOptions = {
      ...apiBehavior,
      cachePolicy: honourMaxAge,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
    this.originAccess = new cloudfront.S3OriginAccessControl(this, 'SiteAccess', {
      originAccessControlName: accountWideName('site'),
      description: 'feeproof: CloudFront reads the site bucket',
    });
    const siteAccess = this.originAccess;

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'feeproof: public pages and API',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
          originAccessControl: siteAccess,
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations: [
          {
            eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
            function: new cloudfront.Function(this, 'PageAliases', {
              comment: 'feeproof: /console is console.html',
              code: cloudfront.FunctionCode.fromInline(PAGE_ALIASES_FUNCTION),
              runtime: cloudfront.FunctionRuntime.JS_2_0,
            }),
          },
        ],
      },
      additionalBehaviors: Object.fromEntries([
        ...CACHED_API_PATHS.map((p) => [p, cachedApiBehavior]),
        ...API_PATH_PATTERNS.map((p) => [p, apiBehavior]),
      ]),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Settable only with a custom certificate (the default one is fixed; see CFR4 below).
      minimumProtocolVersion: props.domain ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      domainNames: props.domain?.domainNames,
      certificate: props.domain
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn)
        : undefined,
      webAclId: props.webAclArn,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });

    if (!props.domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without the domain prop the distribution uses the default *.cloudfront.net certificate, whose minimum TLS version cannot be set; with a domain it is TLSv1.2_2021.',
      });
    }
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'The deployment turned WAF off (waf: false, no webAclArn) or deploys outside us-east-1 without a webAclArn; synth prints a warning saying so.',
      });
    }
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'Receipts must be verifiable by anyone, wherever they are (payers abroad, foreign counterparties); no geo restriction.',
    });

    this.publicUrl = props.publicUrl ?? (props.domain ? `https://${props.domain.domainNames[0]}` : this.url);
    if (hasFiles(props.webDir)) this.deployment = this.deploy(props.webDir, props.consoleSignIn);
    else {
      Annotations.of(this).addWarningV2(
        'feeproof:emptyWebDir',
        `${props.webDir} has no files: nothing is deployed to the site bucket`,
      );
    }
  }

  /**
   * Copies the directory to the bucket and invalidates the distribution. CDK's deployment
   * handler runs with our role (only its own log group, no managed policy); the S3 and
   * CloudFront grants CDK adds to that role are acknowledged finding by finding.
   */
  private deploy(webDir: string, signIn: ConsoleSignIn): s3deploy.BucketDeployment {
    const logGroup = new logs.LogGroup(this, 'DeploymentLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'feeproof: copies web/ to the site bucket',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      // web/src is the TypeScript the build turns into web/assets; only the built site is served.
      sources: [
        s3deploy.Source.asset(webDir, { exclude: WEB_EXCLUDE }),
        // What the console reads first (web/src/console/auth.ts ConsoleConfig), as the local server answers it.
        s3deploy.Source.jsonData(CONSOLE_CONFIG_KEY, {
          ...signIn,
          redirectUri: this.consoleUrl,
          api: this.publicUrl,
        } satisfies ConsoleConfig),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
      role,
      logGroup,
    });

    const stack = Stack.of(this);
    const bootstrapAssets = `arn:<AWS::Partition>:s3:::cdk-${stack.synthesizer.bootstrapQualifier ?? 'hnb659fds'}-assets-<AWS::AccountId>-<AWS::Region>/*`;
    const siteObjects = `<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`;
    const findings: [string, string][] = [
      ['Action::s3:GetObject*', 'CDK deployment handler reads the web asset zip (object-level read actions)'],
      ['Action::s3:GetBucket*', 'CDK deployment handler reads bucket metadata of the asset and site buckets'],
      ['Action::s3:List*', 'CDK deployment handler lists the site bucket to sync it (prune)'],
      [
        'Action::s3:DeleteObject*',
        'CDK deployment handler removes site files that are no longer in web/ (prune)',
      ],
      ['Action::s3:Abort*', 'CDK deployment handler aborts failed multipart uploads to the site bucket'],
      [
        `Resource::${bootstrapAssets}`,
        'the web asset zip lives in the CDK bootstrap assets bucket under a content hash key',
      ],
      [`Resource::${siteObjects}`, 'the deployment writes every object of the site bucket'],
      [
        'Resource::*',
        'cloudfront:CreateInvalidation/GetInvalidation as granted by CDK for the distribution invalidation',
      ],
    ];
    for (const [finding, reason] of findings) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
    const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          "The runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib, not by this project; it runs only at deploy time.",
      });
    }
    return deployment;
  }

  /** The console's URL: its app client's callback and sign-out URL. */
  get consoleUrl(): string {
    return `${this.publicUrl}/console`;
  }

  /** `https://<distribution domain>`. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}

function hasFiles(dir: string): boolean {
  if (!fs.existsSync(dir)) return false;
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .some((e) => e.isFile() || (e.isDirectory() && hasFiles(path.join(dir, e.name))));
}
