/**
 * The bundled functions, exercised. Each function is bundled with the stack's own settings
 * (lib/bundling.ts) into a temporary directory, checked to be byte-identical to the asset the
 * synthesized stack would deploy, then run as Lambda runs it: its own process (a container),
 * `index.handler` of the package directory, the environment the stack sets (read from the
 * template), and API Gateway v2 (payload 2.0) or EventBridge events. Only what cannot exist
 * here is swapped: DynamoDB Local for DynamoDB, s3rver for S3, a local key file for the receipt
 * keys in KMS (or, to see KMS fail, a KMS endpoint that refuses connections), the fake KMS over
 * HTTP for the transparency log's Ed25519 key, the package directory for /var/task.
 *
 * Every DynamoDB call a function makes goes through a recording proxy and is checked, at the
 * end, against the IAM policies the template gives that function's role.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { receiptKey } from '../../lambdas/adapters/dynamo/keys.js';
import { DEFAULT_REREAD_MS } from '../../lambdas/adapters/dynamo/log-index.js';
import { type Deps, getDeps, resetDeps } from '../../lambdas/app/deps.js';
import { dateInZone } from '../../lambdas/core/dates.js';
import { verifyCheckpoint } from '../../lambdas/core/tlog/checkpoint.js';
import { decodeEntry } from '../../lambdas/core/tlog/entries.js';
import { leafHash } from '../../lambdas/core/tlog/hash.js';
import { verifyTlogProof } from '../../lambdas/core/tlog/proof-bundle.js';
import { decodeBundle, TILE_WIDTH, tilePath } from '../../lambdas/core/tlog/tiles.js';
import { freePort } from '../../lambdas/local/dynamodb-local.js';
import { seedDemoCatalogue } from '../../lambdas/local/seed.js';
import { ensureTables } from '../../lambdas/local/tables.js';
import { ENV, ORIGIN_VERIFY_HEADER } from '../../lambdas/runtime/env.js';
import { isPublic, ROUTES, routeKey } from '../../lambdas/runtime/routes.js';
import { TABLES, type TableId } from '../../lambdas/runtime/tables.js';
import {
  BUNDLE_FILE,
  esbuildOptions,
  FONT_FILE,
  LAMBDA_FONT_PATH,
  nodejsBundling,
} from '../../lib/bundling.js';
import { defaultHandlerEntry, PROJECT_ROOT } from '../../lib/feeproof-stack.js';
import { FUNCTION_SPECS, type FunctionName, RECOVERY } from '../../lib/functions.js';
import { LOG_RUN_SUMMARY_LOG, RECOVERY_SUMMARY_LOG, SIGNING_FAILURE_LOG } from '../../lib/observability.js';
import { LOG_INTEGRATOR, LOG_PREFIX } from '../../lib/transparency-log.js';
import { type LocalS3, startLocalS3 } from '../adapters/blobs/s3-server.js';
import { FakeKms } from '../support/fake-kms.js';
import {
  asArray,
  type Built,
  buildStack,
  FUNCTION_NAMES,
  functionOf,
  type Json,
  logicalId,
  policyRoles,
  refId,
  resources,
  type StackFunctionName,
} from './support.js';

const RUNTIME = fileURLToPath(new URL('./lambda-runtime.mjs', import.meta.url));
const LAMBDA_TASK_ROOT = '/var/task';
const PUBLIC_URL = 'https://piaoju.example.cn';

/** The functions bundled and run here: every function of the stack. */
const BUNDLED: readonly StackFunctionName[] = [...FUNCTION_NAMES, LOG_INTEGRATOR];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'feeproof-bundles-'));
const packageDir = (name: StackFunctionName) => path.join(work, name);
const prefix = `bundles${randomBytes(3).toString('hex')}`;
const tableNames = Object.fromEntries(TABLES.map((t) => [t.id, `${prefix}-${t.id}`])) as Record<
  TableId,
  string
>;
const keyPath = path.join(work, 'keys', 'signing-key.pem');

let built: Built;
let deps: Deps;
/** What stands in for the receipts bucket: an S3-compatible server (the functions' S3 client talks to it over HTTP). */
let s3: LocalS3;
/** What stands in for KMS's log key (Ed25519): the fake KMS, served over HTTP to the functions' KMS clients. */
const kms = new FakeKms({ region: 'us-east-1' });
const logKey = kms.createKey('ECC_NIST_EDWARDS25519');
let kmsServer: { endpoint: string; close(): Promise<void> } | undefined;
const metafiles = new Map<StackFunctionName, Metafile>();

const functionResource = (name: StackFunctionName) =>
  resources(built.template, 'AWS::Lambda::Function')[logicalId(functionOf(built, name))]!;

// ---------------------------------------------------------------------------------------------
// The functions as processes

interface Container {
  name: StackFunctionName;
  label: string;
  process: ChildProcess;
  /** What it asked of DynamoDB, as IAM would authorize it. */
  dynamoCalls: DynamoCall[];
  stdout: string[];
  stderr: string[];
  pending: Map<string, { resolve: (v: Json) => void; reject: (e: Error) => void }>;
}
const containers: Container[] = [];
const started = new Map<StackFunctionName, Promise<Container>>();

/**
 * The function's environment as the synthesized template sets it, with each reference
 * resolved to what stands in for it here. A reference nobody knows how to stand in for fails.
 */
/** What stands in for the origin-verify secret: every event apiEvent makes carries it, as CloudFront's would. */
const ORIGIN_SECRET = 'stand-in-origin-verify-secret';
/** What stands in for the log's name (its domain, in the stack). */
const LOG_ORIGIN = 'feeproof.bundles.test/log';
/** The credentials Lambda would give the role; s3rver takes these, the fake KMS takes any. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

function environmentOf(name: StackFunctionName): Record<string, string> {
  const variables: Record<string, unknown> = functionResource(name).Properties.Environment.Variables;
  const tableByRef = new Map(TABLES.map((t) => [logicalId(built.stack.tables.table(t.id)), t.id]));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) {
    if (typeof value === 'string') env[key] = value;
    else if (tableByRef.has(refId(value) ?? '')) env[key] = tableNames[tableByRef.get(refId(value)!)!];
    // The distribution's domain name, unknown until deployed.
    else if (key === ENV.publicUrl) env[key] = PUBLIC_URL;
    else if (key === ENV.kmsKeyId) env[key] = 'replaced-by-the-local-signer';
    // The transparency log: its name, and its key in the fake KMS.
    else if (key === ENV.logOrigin) env[key] = LOG_ORIGIN;
    else if (key === ENV.logKmsKeyId)
      Object.assign(env, { [key]: logKey.arn, AWS_ENDPOINT_URL_KMS: kmsServer!.endpoint, ...CREDENTIALS });
    // Receipt PDFs, export files and the log's tiles: the s3rver bucket (each under its prefix).
    else if (key === ENV.receiptsBucket || key === ENV.exportsBucket || key === ENV.logBucket)
      Object.assign(env, { [key]: s3.bucket, [ENV.s3Endpoint]: s3.endpoint, ...CREDENTIALS });
    // The Secrets Manager value CloudFront sends in the origin-verify header (apiEvent sends it too).
    else if (key === ENV.originVerify) env[key] = ORIGIN_SECRET;
    // The generated secret that keys the complaints' per-address counters.
    else if (key === ENV.complaintAddressKey) env[key] = 'stand-in-complaint-address-key';
    else throw new Error(`${name}: no stand-in for ${key} = ${JSON.stringify(value)}`);
  }
  // The font next to the bundle, where the stack's after-bundling hook copies it.
  if (env[ENV.fontPath] !== undefined) {
    if (env[ENV.fontPath] !== LAMBDA_FONT_PATH) throw new Error(`${name}: unexpected ${ENV.fontPath}`);
    env[ENV.fontPath] = path.join(packageDir(name), path.relative(LAMBDA_TASK_ROOT, LAMBDA_FONT_PATH));
  }
  return env;
}

async function startContainer(
  name: StackFunctionName,
  overrides: Record<string, string> = {},
  label: string = name,
): Promise<Container> {
  const dynamoCalls: DynamoCall[] = [];
  const dynamo = await recordingProxy(inject('dynamoEndpoint'), dynamoCalls);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // What Lambda sets.
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: `FeeproofStack-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(functionResource(name).Properties.MemorySize),
    LAMBDA_TASK_ROOT: packageDir(name),
    TZ: 'UTC',
    // What the stack sets.
    ...environmentOf(name),
    // What stands in for AWS here.
    [ENV.signer]: 'local',
    [ENV.localKeyPath]: keyPath,
    [ENV.dynamoEndpoint]: dynamo.url,
    ...overrides,
  };
  const child = fork(RUNTIME, [packageDir(name)], {
    cwd: packageDir(name),
    env,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const container: Container = {
    name,
    label,
    process: child,
    dynamoCalls,
    stdout: [],
    stderr: [],
    pending: new Map(),
  };
  containers.push(container);
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    container.stdout.push(...lines.filter(Boolean));
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => container.stderr.push(d));
  child.once('exit', () => dynamo.server.close());
  return new Promise((resolve, reject) => {
    child.on('message', (m: { ready?: true; id?: string; result?: Json; error?: string }) => {
      if (m.ready) return resolve(container);
      const waiting = container.pending.get(m.id!);
      container.pending.delete(m.id!);
      if (m.error !== undefined) waiting?.reject(new Error(`${name} threw: ${m.error}`));
      else waiting?.resolve(m.result);
    });
    child.once('exit', (code) => {
      const error = new Error(`${name} exited (${code}): ${container.stderr.join('')}`);
      reject(error);
      for (const w of container.pending.values()) w.reject(error);
    });
  });
}

/** A container of the function as deployed (signer `kms`) while KMS refuses every connection. */
async function kmsDown(name: FunctionName): Promise<Container> {
  return startContainer(
    name,
    {
      [ENV.signer]: 'kms',
      [ENV.kmsKeyId]: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
      AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${await freePort()}`,
      // Lambda gives the role's credentials in these variables.
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_SESSION_TOKEN: 'example',
    },
    `${name} (KMS down)`,
  );
}

/** The JSON lines of a log (chunks or lines). */
function jsonLines(log: string[]): Json[] {
  return log
    .join('\n')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
}

const isSigningFailure = (line: Json) =>
  SIGNING_FAILURE_LOG.field.split('.').reduce((v, k) => v?.[k], line) === SIGNING_FAILURE_LOG.value;

async function invokeIn(container: Container, event: unknown): Promise<Json> {
  const id = randomUUID();
  // The remaining time the handler sees counts down from the function's timeout in the template.
  const timeoutMs = functionResource(container.name).Properties.Timeout * 1000;
  return new Promise((resolve, reject) => {
    container.pending.set(id, { resolve, reject });
    container.process.send({ id, event, timeoutMs });
  });
}

async function invoke(name: StackFunctionName, event: unknown): Promise<Json> {
  if (!started.has(name)) started.set(name, startContainer(name));
  return invokeIn(await started.get(name)!, event);
}

// ---------------------------------------------------------------------------------------------
// DynamoDB, watched: each function's calls, checked against its role's policy in the template

interface DynamoCall {
  /** The IAM action that authorizes it (a transaction needs the action of each of its items). */
  action: string;
  table: string;
  index?: string;
  /** The partition key of the item written or read by key, or of a query (IAM's dynamodb:LeadingKeys). */
  leadingKey?: string;
  /** The attributes a read asks for (its ProjectionExpression: IAM's dynamodb:Attributes); absent: all. */
  attributes?: string[];
}

/** The attribute names of a read's ProjectionExpression, aliases resolved. */
function projected(spec: Json): { attributes?: string[] } {
  if (typeof spec.ProjectionExpression !== 'string') return {};
  const names: Record<string, string> = spec.ExpressionAttributeNames ?? {};
  return { attributes: spec.ProjectionExpression.split(',').map((n: string) => names[n.trim()] ?? n.trim()) };
}

type KeyedSpec = { TableName: string; Item?: { pk?: { S?: string } }; Key?: { pk?: { S?: string } } };
const leadingKeyOf = (spec: KeyedSpec) => {
  const key = spec.Item?.pk?.S ?? spec.Key?.pk?.S;
  return key === undefined ? {} : { leadingKey: key };
};

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

/** A PartiQL statement's call: its verb as IAM names it, its table, and the `pk = ?` parameter as leading key. */
function partiqlCall({
  Statement,
  Parameters,
}: {
  Statement: string;
  Parameters?: { S?: string }[];
}): DynamoCall {
  const [, verb, table] = /^\s*(\w+)\s+(?:FROM\s+|INTO\s+)?"([^"]+)"/i.exec(Statement) ?? [];
  const pkAt = Statement.search(/\bpk\s*=\s*\?/);
  const key = pkAt < 0 ? undefined : Parameters?.[Statement.slice(0, pkAt).split('?').length - 1]?.S;
  return {
    action: `PartiQL${verb![0]!.toUpperCase()}${verb!.slice(1).toLowerCase()}`,
    table: table!,
    ...(key === undefined ? {} : { leadingKey: key }),
  };
}

/**
 * A Query's partition key condition (`pk = :v`, or an index's own partition key): IAM's
 * dynamodb:LeadingKeys for a query of the table or of the index.
 */
function queryLeadingKey(body: Json): { leadingKey?: string } {
  const names: Record<string, string> = body.ExpressionAttributeNames ?? {};
  const partition = body.IndexName
    ? TABLES.flatMap((t) => t.indexes).find((i) => i.name === body.IndexName)?.partitionKey
    : 'pk';
  for (const [, name, value] of String(body.KeyConditionExpression ?? '').matchAll(/(#?\w+)\s*=\s*(:\w+)/g)) {
    const key = body.ExpressionAttributeValues?.[value!]?.S;
    if ((names[name!] ?? name) === partition && typeof key === 'string') return { leadingKey: key };
  }
  return {};
}

function callsOf(operation: string, body: Json): DynamoCall[] {
  const batch = (table: string, keys: KeyedSpec[]) =>
    keys.map((spec) => ({ action: operation, table, ...leadingKeyOf(spec) }));
  switch (operation) {
    case 'BatchExecuteStatement':
      return body.Statements.map(partiqlCall);
    // IAM authorizes each item of a batch by its key.
    case 'BatchGetItem':
      return Object.entries<Json>(body.RequestItems ?? {}).flatMap(([table, request]) =>
        batch(
          table,
          request.Keys.map((Key: Json) => ({ TableName: table, Key })),
        ).map((call) => ({ ...call, ...projected(request) })),
      );
    case 'BatchWriteItem':
      return Object.entries<Json[]>(body.RequestItems ?? {}).flatMap(([table, requests]) =>
        batch(
          table,
          requests.map((r) => ({ TableName: table, Item: r.PutRequest?.Item, Key: r.DeleteRequest?.Key })),
        ),
      );
    case 'Query':
      return [
        {
          action: operation,
          table: body.TableName,
          ...(body.IndexName ? { index: body.IndexName } : {}),
          ...queryLeadingKey(body),
          ...projected(body),
        },
      ];
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return body.TransactItems.map((item: Record<string, KeyedSpec>) => {
        const [kind, spec] = Object.entries(item)[0]!;
        return { action: TRANSACT_ACTIONS[kind] ?? kind, table: spec.TableName, ...leadingKeyOf(spec) };
      });
    default:
      return [
        {
          action: operation,
          table: body.TableName,
          ...(body.IndexName ? { index: body.IndexName } : {}),
          ...leadingKeyOf(body),
          ...projected(body),
        },
      ];
  }
}

/** A pass-through to DynamoDB Local that notes every call. */
async function recordingProxy(
  target: string,
  calls: DynamoCall[],
): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      try {
        calls.push(...callsOf(operation, JSON.parse(body.toString('utf8') || '{}')));
      } catch {
        calls.push({ action: `unreadable ${operation}`, table: '?' });
      }
      const upstream = http.request(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (e) => res.writeHead(502).end(String(e)));
      upstream.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Grant {
  /** `dynamodb:<Action> <table id>[/index/<name>]`. */
  access: string;
  /** Patterns of dynamodb:LeadingKeys the statement is limited to (ForAllValues:StringLike on an Allow, ForAnyValue:StringLike on a Deny). */
  leadingKeys?: string[];
  /** A Deny statement: it overrides every Allow it matches. */
  deny?: boolean;
  /** The attributes an Allow is limited to (ForAllValues:StringEquals on dynamodb:Attributes, with dynamodb:Select SPECIFIC_ATTRIBUTES). */
  attributes?: string[];
}

/** What the function's role allows on the tables, by action and resource. */
function dynamoGrants(name: StackFunctionName): Grant[] {
  const role = logicalId(functionOf(built, name).role!);
  const tableIds = new Map(TABLES.map((t) => [logicalId(built.stack.tables.table(t.id)), t.id]));
  const resourceKey = (r: Json): string | undefined => {
    if (tableIds.has(refId(r) ?? '')) return tableIds.get(refId(r)!);
    const [first, suffix] = r?.['Fn::Join']?.[1] ?? [];
    const table = tableIds.get(refId(first) ?? '');
    return table && typeof suffix === 'string' ? `${table}${suffix}` : undefined;
  };
  const grants: Grant[] = [];
  for (const policy of Object.values(resources(built.template, 'AWS::IAM::Policy'))) {
    if (!policyRoles(policy).includes(role)) continue;
    for (const statement of asArray<Json>(policy.Properties.PolicyDocument.Statement)) {
      // Only DynamoDB's statements (S3's, say, have conditions of their own, e.g. s3:prefix).
      if (!asArray<string>(statement.Action).some((a) => a.startsWith('dynamodb:'))) continue;
      const deny = statement.Effect === 'Deny';
      const conditions = Object.keys(statement.Condition ?? {});
      const leadingKeys: string[] | undefined =
        statement.Condition?.[deny ? 'ForAnyValue:StringLike' : 'ForAllValues:StringLike']?.[
          'dynamodb:LeadingKeys'
        ];
      const attributes: string[] | undefined =
        statement.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes'];
      if (
        attributes &&
        statement.Condition?.StringEqualsIfExists?.['dynamodb:Select'] !== 'SPECIFIC_ATTRIBUTES'
      )
        throw new Error('dynamodb:Attributes without dynamodb:Select SPECIFIC_ATTRIBUTES');
      if (conditions.length > (leadingKeys ? 1 : 0) + (attributes ? 2 : 0))
        throw new Error(`unexpected condition ${conditions}`);
      for (const resource of asArray(statement.Resource).map(resourceKey)) {
        if (!resource) continue;
        for (const action of asArray<string>(statement.Action))
          grants.push({
            access: `${action} ${resource}`,
            ...(leadingKeys ? { leadingKeys } : {}),
            ...(deny ? { deny } : {}),
            ...(attributes ? { attributes } : {}),
          });
      }
    }
  }
  return grants;
}

/** IAM's StringLike: `*` is any run of characters, nothing else is special. */
const like = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[^\w#-]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);

/** As IAM decides: some Allow matches and no Deny does. */
function permits(
  grants: Grant[],
  access: string,
  leadingKey: string | undefined,
  attributes?: string[],
): boolean {
  const matches = (g: Grant) =>
    g.access === access &&
    (!g.leadingKeys || (leadingKey !== undefined && g.leadingKeys.some((p) => like(p, leadingKey))));
  const allows = (g: Grant) => !g.attributes || attributes?.every((a) => g.attributes!.includes(a)) === true;
  return grants.some((g) => !g.deny && matches(g) && allows(g)) && !grants.some((g) => g.deny && matches(g));
}

/** The EMF metric names a function has written to its log so far. */
async function metricsWritten(name: FunctionName): Promise<string[]> {
  const container = await started.get(name)!;
  return container.stdout
    .filter((line) => line.startsWith('{"_aws"'))
    .flatMap((line) =>
      JSON.parse(line)._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name),
    );
}

/** Waits (briefly) until the function's log has these metrics: stdout and answers travel apart. */
async function expectMetrics(name: FunctionName, expected: string[]): Promise<void> {
  await vi.waitFor(async () => expect(await metricsWritten(name)).toEqual(expected), { timeout: 2000 });
}

// ---------------------------------------------------------------------------------------------
// Events as API Gateway (HTTP API, payload 2.0) and EventBridge send them

/** ID token claims as API Gateway's JWT authorizer passes them from Cognito: every value a string. */
function cognitoClaims(group: string, department?: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: randomUUID(),
    'cognito:groups': `[${group}]`,
    'cognito:username': `${group}-user`,
    iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example',
    aud: 'exampleclientid',
    token_use: 'id',
    auth_time: String(now),
    iat: String(now),
    exp: String(now + 3600),
    email: `${group}@example.cn`,
    email_verified: 'true',
    ...(department ? { 'custom:department': department } : {}),
  };
}

interface EventOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  binary?: Uint8Array;
  contentType?: string;
  claims?: Record<string, string>;
}

function apiEvent(routeId: string, o: EventOptions = {}) {
  const route = ROUTES.find((r) => r.id === routeId);
  if (!route) throw new Error(`no route ${routeId}`);
  const rawPath = route.path.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(o.params?.[p] ?? ''));
  const rawQueryString = new URLSearchParams(o.query ?? {}).toString();
  const headers: Record<string, string> = {
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'Amazon CloudFront',
    'x-forwarded-for': '203.0.113.7, 130.176.0.1',
    [ORIGIN_VERIFY_HEADER]: ORIGIN_SECRET,
    ...(o.json !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(o.contentType ? { 'content-type': o.contentType } : {}),
    ...(o.claims ? { authorization: 'Bearer eyJraWQiOi...' } : {}),
    ...o.headers,
  };
  const now = new Date();
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath,
    rawQueryString,
    headers,
    ...(o.query ? { queryStringParameters: o.query } : {}),
    ...(o.params ? { pathParameters: o.params } : {}),
    ...(o.json !== undefined ? { body: JSON.stringify(o.json), isBase64Encoded: false } : {}),
    ...(o.binary ? { body: Buffer.from(o.binary).toString('base64'), isBase64Encoded: true } : {}),
    ...(o.json === undefined && !o.binary ? { isBase64Encoded: false } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: headers.host,
      domainPrefix: 'abc123',
      http: {
        method: route.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '130.176.0.1',
        userAgent: 'Amazon CloudFront',
      },
      requestId: randomUUID(),
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(o.claims ? { authorizer: { jwt: { claims: o.claims, scopes: null } } } : {}),
    },
  };
}

/** An EventBridge schedule's event, from the stack's rule of that id. */
function scheduledEvent(rule = 'RecoverySchedule') {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:events:us-east-1:123456789012:rule/FeeproofStack-${rule}`],
    detail: {},
  };
}

const bodyOf = (result: Json) => JSON.parse(result.body);

function dirSize(dir: string): number {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .reduce(
      (sum, e) =>
        sum + (e.isDirectory() ? dirSize(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size),
      0,
    );
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  // The stack, bundled by CDK as `cdk deploy` would: its template and its assets.
  built = buildStack({ bundle: true });
  s3 = await startLocalS3();
  kmsServer = await kms.listen();

  // The same functions bundled here, with the stack's settings and its after-bundling hook.
  await Promise.all(
    BUNDLED.map(async (name) => {
      const out = packageDir(name);
      const result = await build({
        ...esbuildOptions(PROJECT_ROOT, defaultHandlerEntry(name), out),
        metafile: true,
      });
      metafiles.set(name, result.metafile!);
      const rendersPdf = name !== LOG_INTEGRATOR && FUNCTION_SPECS[name].rendersPdf;
      const hooks = nodejsBundling(rendersPdf).commandHooks!;
      for (const command of hooks.afterBundling(PROJECT_ROOT, out))
        execFileSync('bash', ['-c', command], { cwd: PROJECT_ROOT });
    }),
  );

  // The tables the stack defines, in DynamoDB Local, with the demo catalogue.
  Object.assign(process.env, {
    [ENV.dynamoEndpoint]: inject('dynamoEndpoint'),
    [ENV.logLevel]: 'silent',
    ...Object.fromEntries(TABLES.map((t) => [t.envVar, tableNames[t.id]])),
  });
  resetDeps();
  deps = getDeps();
  await ensureTables(
    new DynamoDBClient({
      endpoint: inject('dynamoEndpoint'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    deps.config.tables,
  );
  await seedDemoCatalogue(deps);
}, 240_000);

afterAll(async () => {
  for (const c of containers) if (c.process.exitCode === null) c.process.kill();
  await s3?.stop();
  await kmsServer?.close();
  kms.restore();
  fs.rmSync(work, { recursive: true, force: true });
  if (built) fs.rmSync(built.app.outdir, { recursive: true, force: true });
});

describe('the bundles', () => {
  it.each(BUNDLED)('%s: the bundle built here is the one the stack deploys', (name) => {
    const asset = path.join(built.app.outdir, functionResource(name).Metadata['aws:asset:path']);
    const deployed = fs.readFileSync(path.join(asset, BUNDLE_FILE));
    const here = fs.readFileSync(path.join(packageDir(name), BUNDLE_FILE));
    expect(here.equals(deployed), `${name}: ${BUNDLE_FILE} differs from the CDK asset ${asset}`).toBe(true);
    const files = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).sort();
    expect(files(packageDir(name))).toEqual(files(asset));
  });

  it('keeps the font and the PDF renderer out of the verification function', () => {
    const inputs = (name: FunctionName) => Object.keys(metafiles.get(name)!.inputs);
    const renderer = /@pdf-lib\/fontkit|lambdas\/adapters\/pdf\/(fonts|render)\.ts$/;
    expect(inputs('verify').filter((i) => renderer.test(i))).toEqual([]);
    expect(inputs('receipts')).toEqual(
      expect.arrayContaining(['lambdas/adapters/pdf/fonts.ts', 'lambdas/adapters/pdf/render.ts']),
    );
    expect(inputs('receipts').some((i) => i.includes('@pdf-lib/fontkit'))).toBe(true);
    expect(fs.existsSync(path.join(packageDir('verify'), 'fonts'))).toBe(false);
    expect(fs.existsSync(path.join(packageDir('receipts'), 'fonts', FONT_FILE))).toBe(true);

    const code = (name: FunctionName) => fs.statSync(path.join(packageDir(name), BUNDLE_FILE)).size;
    expect(code('verify')).toBeLessThan(code('receipts'));
    // The deployment package (what Lambda downloads and unpacks on a cold start).
    const [verify, receipts] = [dirSize(packageDir('verify')), dirSize(packageDir('receipts'))];
    expect(verify * 2, `verify ${verify} bytes, receipts ${receipts} bytes`).toBeLessThan(receipts);
  });

  it('writes Chinese text as UTF-8, not escaped', () => {
    const code = fs.readFileSync(path.join(packageDir('receipts'), BUNDLE_FILE), 'utf8');
    expect(code).toContain('非税收入电子票据');
  });
});

describe('public', () => {
  it('GET /health', async () => {
    const res = await invoke('public', apiEvent('health'));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ status: 'ok' });
  });

  it('GET /v1/catalogue: the seeded catalogue', async () => {
    const res = await invoke('public', apiEvent('listCatalogue'));
    expect(res.statusCode).toBe(200);
    const body = bodyOf(res);
    expect(body.count).toBeGreaterThan(0);
    expect(body.items.find((i: { code: string }) => i.code === 'ZRZY-001')).toMatchObject({
      department: 'ZRZY',
      standard: { type: 'fixed', amount: '80.00' },
      status: 'active',
    });
  });
});

describe('catalogue-admin', () => {
  const item = {
    code: 'BNDL-001',
    name: '测试收费项目',
    department: 'ZRZY',
    unit: '件',
    standard: { type: 'fixed', amount: '12.50' },
    basis: [{ title: '测试依据', number: '测〔2024〕1号', issuer: '财政局', date: '2024-01-01' }],
    fundManagement: 'treasury',
    validFrom: dateInZone(new Date()), // a new item takes effect today or later
  };

  it('POST /v1/catalogue/items with Cognito claims of the finance group', async () => {
    const res = await invoke(
      'catalogue-admin',
      apiEvent('createItem', { json: item, claims: cognitoClaims('finance') }),
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(bodyOf(res)).toMatchObject({ code: 'BNDL-001', version: 1, standard: { amount: '12.50' } });
    const published = await invoke(
      'public',
      apiEvent('getCatalogueItem', { params: { itemCode: 'BNDL-001' } }),
    );
    expect(published.statusCode).toBe(200);
    expect(bodyOf(published)).toMatchObject({ code: 'BNDL-001', name: '测试收费项目' });
  });

  it('refuses another group (403) and no token (401)', async () => {
    const other = { ...item, code: 'BNDL-002' };
    const collector = await invoke(
      'catalogue-admin',
      apiEvent('createItem', { json: other, claims: cognitoClaims('collector', 'ZRZY') }),
    );
    expect(collector.statusCode).toBe(403);
    const anonymous = await invoke('catalogue-admin', apiEvent('createItem', { json: other }));
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('ranges and complaints: what they check a department against', () => {
  const allocate = (json: Record<string, unknown>) =>
    invoke('ranges', apiEvent('allocateRange', { json, claims: cognitoClaims('finance') }));

  it('POST /v1/ranges: the font the bundle ships refuses an unprintable name, the catalogue an unknown department', async () => {
    const unprintable = await allocate({ department: 'ZJ', size: 5, departmentName: '😀' });
    expect(unprintable.statusCode, unprintable.body).toBe(422);
    expect(bodyOf(unprintable).details[0]).toMatchObject({
      path: 'departmentName',
      rule: 'unprintable_character',
    });
    const unknown = await allocate({ department: 'NOSUCHDEPT', size: 5 });
    expect(unknown.statusCode, unknown.body).toBe(422);
    expect(bodyOf(unknown).details[0]).toMatchObject({ path: 'department', rule: 'unknown_department' });
    const named = await allocate({ department: 'ZJ', size: 5, departmentName: '某市住房和城乡建设局' });
    expect(named.statusCode, named.body).toBe(201);
  });

  it('GET /v1/ranges, PUT /v1/departments/{department}, POST /v1/ranges/{id}/close: within the rows its role names', async () => {
    const finance = cognitoClaims('finance');
    const allocated = await allocate({ department: 'ZJ', size: 5 });
    expect(allocated.statusCode, allocated.body).toBe(201);
    const listed = await invoke('ranges', apiEvent('listRanges', { claims: finance }));
    expect(listed.statusCode, listed.body).toBe(200);
    expect(bodyOf(listed).ranges.map((r: { id: string }) => r.id)).toContain(bodyOf(allocated).id);
    const renamed = await invoke(
      'ranges',
      apiEvent('renameDepartment', {
        params: { department: 'ZJ' },
        json: { name: '某市住房和城乡建设委员会', reason: '机构改革' },
        claims: finance,
      }),
    );
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(bodyOf(renamed)).toMatchObject({ changed: true, previous: '某市住房和城乡建设局' });
    const closed = await invoke(
      'ranges',
      apiEvent('closeRange', {
        params: { id: bodyOf(allocated).id },
        json: { reason: '测试关闭' },
        claims: finance,
      }),
    );
    expect(closed.statusCode, closed.body).toBe(200);
    expect(bodyOf(closed)).toMatchObject({ status: 'closed' });
  });

  it('POST /v1/complaints: a department named without a receipt is one of the catalogue', async () => {
    const complaint = (department: string) =>
      invoke(
        'complaints',
        apiEvent('fileComplaint', {
          json: { category: 'other', text: '打包测试投诉', department, date: dateInZone(new Date()) },
        }),
      );
    const unknown = await complaint('NOSUCH');
    expect(unknown.statusCode, unknown.body).toBe(422);
    expect(bodyOf(unknown).details[0]).toMatchObject({ path: 'department', rule: 'unknown_department' });
    const filed = await complaint('GA');
    expect(filed.statusCode, filed.body).toBe(201);
  });
});

describe('receipts, verify and recovery', () => {
  let stuck: Json;
  const charge = {
    payer: { type: 'person', name: '张三' },
    lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }],
  };
  const issue = (key: string) =>
    apiEvent('issueReceipt', {
      json: charge,
      headers: { 'idempotency-key': key },
      claims: cognitoClaims('collector', 'ZRZY'),
    });
  let receipt: { code: string; number: string; checkCode: string };

  it('POST /v1/receipts: a signed receipt (201); the same key again: the same receipt (200)', async () => {
    const key = `bundle-${randomUUID()}`;
    const res = await invoke('receipts', issue(key));
    expect(res.statusCode, res.body).toBe(201);
    receipt = bodyOf(res);
    expect(receipt).toMatchObject({
      code: expect.stringMatching(/^110101\d{2}$/),
      number: expect.stringMatching(/^\d{10}$/),
      checkCode: expect.stringMatching(/^[0-9A-Z]{6}$/),
      kind: 'blue',
      status: 'issued',
      total: '80.00',
      totalInWords: '捌拾元整',
    });
    expect(bodyOf(res).verifyUrl.startsWith(`${PUBLIC_URL}/`)).toBe(true);
    const again = await invoke('receipts', issue(key));
    expect(again.statusCode).toBe(200);
    expect(bodyOf(again)).toMatchObject({ code: receipt.code, number: receipt.number });
    await expectMetrics('receipts', ['ReceiptsIssued']);
  });

  it('refuses a charge against the catalogue (422) and counts it', async () => {
    const wrong = { ...charge, lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '81.00' }] };
    const res = await invoke(
      'receipts',
      apiEvent('issueReceipt', {
        json: wrong,
        headers: { 'idempotency-key': `bundle-${randomUUID()}` },
        claims: cognitoClaims('collector', 'ZRZY'),
      }),
    );
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res).error).toBe('charge_rejected');
    await expectMetrics('receipts', ['ReceiptsIssued', 'ChargesRefused']);
  });

  it('GET /v1/verify: valid', async () => {
    const { code, number, checkCode } = receipt;
    const res = await invoke('verify', apiEvent('verifyReceipt', { query: { code, number, checkCode } }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({
      valid: true,
      status: 'issued',
      receipt: { code, number, total: '80.00', payer: { type: 'person', name: '张*' } },
    });
    const wrong = await invoke(
      'verify',
      apiEvent('verifyReceipt', {
        query: { code, number, checkCode: checkCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA' },
      }),
    );
    expect(wrong.statusCode).toBe(404);
    await expectMetrics('verify', ['Verifications', 'Verifications']);
  });

  it('GET /v1/verify/pdf, then POST it back to /v1/verify/pdf: a genuine, unaltered receipt', async () => {
    const { code, number, checkCode } = receipt;
    const pdf = await invoke('verify', apiEvent('getVerifiedPdf', { query: { code, number, checkCode } }));
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.isBase64Encoded).toBe(true);
    const bytes = Buffer.from(pdf.body, 'base64');
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const checked = await invoke(
      'verify',
      apiEvent('verifyPdf', { binary: bytes, contentType: 'application/pdf' }),
    );
    expect(checked.statusCode).toBe(200);
    const report = bodyOf(checked);
    expect(report.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(report).toMatchObject({ valid: true, receipt: { code, number } });
  });

  it('GET /v1/keys: the certificate the receipts function made on first use', async () => {
    const res = await invoke('verify', apiEvent('listKeys'));
    expect(res.statusCode).toBe(200);
    const { keys } = bodyOf(res);
    // The bureau's key and, since issue 17, the issuing department's (role unit).
    expect(keys.map((k: { role: string }) => k.role).sort()).toEqual(['supervision', 'unit']);
    for (const key of keys) {
      expect(key).toMatchObject({ status: 'current', algorithm: 'ES256' });
      expect(key.certificatePem).toContain('BEGIN CERTIFICATE');
    }
  });

  it('KMS down: 503 to retry with the same key, the number kept by a pending receipt, the failure logged', async () => {
    const key = `bundle-${randomUUID()}`;
    const res = await invokeIn(await kmsDown('receipts'), issue(key));
    expect(res.statusCode).toBe(503);
    expect(bodyOf(res).error).toBe('service_unavailable');
    expect(res.headers['retry-after']).toBeDefined();

    const pending = await deps.receipts.pending();
    expect(pending).toHaveLength(1);
    // The receipt's row itself.
    const { pk, sk } = receiptKey(pending[0]!);
    stuck = (await deps.db.send(new GetCommand({ TableName: tableNames.receipts, Key: { pk, sk } }))).Item!;
    expect(stuck.idempotencyKey).toBe(key);

    // The line the SigningFailures metric filter counts.
    const container = containers.find((c) => c.label === 'receipts (KMS down)')!;
    await vi.waitFor(() => expect(jsonLines(container.stderr).some(isSigningFailure)).toBe(true));
  });

  it('recovery, on its schedule, completes that receipt once it is a minute old and signing works', async () => {
    const key = stuck.idempotencyKey;
    // Recovery leaves receipts younger than a minute to their own request.
    expect(await invoke(RECOVERY, scheduledEvent())).toEqual({ completed: 0, failed: 0, stuck: 0 });
    await deps.db.send(
      new UpdateCommand({
        TableName: tableNames.receipts,
        Key: { pk: stuck.pk, sk: stuck.sk },
        UpdateExpression: 'SET issuedAt = :t',
        ExpressionAttributeValues: { ':t': new Date(Date.now() - 5 * 60_000).toISOString() },
      }),
    );
    // With KMS still down it fails, and says so in the line the RecoveryFailures filter counts.
    const down = await kmsDown(RECOVERY);
    expect(await invokeIn(down, scheduledEvent())).toEqual({ completed: 0, failed: 1, stuck: 0 });
    await vi.waitFor(() =>
      expect(
        jsonLines(down.stdout).filter(
          (l) => l.message === RECOVERY_SUMMARY_LOG.message && l[RECOVERY_SUMMARY_LOG.failedField] === 1,
        ),
      ).toHaveLength(1),
    );
    expect(await invoke(RECOVERY, scheduledEvent())).toEqual({ completed: 1, failed: 0, stuck: 0 });
    expect(await invoke(RECOVERY, scheduledEvent())).toEqual({ completed: 0, failed: 0, stuck: 0 });
    await expectMetrics(RECOVERY, ['ReceiptsIssued']);

    // The client's retry gets the recovered receipt, which verifies.
    const retried = await invoke('receipts', issue(key));
    expect(retried.statusCode).toBe(200);
    const recovered = bodyOf(retried);
    expect(recovered).toMatchObject({ code: stuck.code, number: stuck.number, status: 'issued' });
    expect(Number(recovered.number)).toBe(Number(receipt.number) + 1);
    const verified = await invoke(
      'verify',
      apiEvent('verifyReceipt', {
        query: { code: recovered.code, number: recovered.number, checkCode: recovered.checkCode },
      }),
    );
    expect(bodyOf(verified)).toMatchObject({ valid: true, status: 'issued' });
  });
});

describe('audit', () => {
  const auditor = () => cognitoClaims('auditor');

  it('GET /v1/audit/receipts: the receipts issued above, payer included', async () => {
    const res = await invoke(
      'audit' as FunctionName,
      apiEvent('auditReceipts', { query: { department: 'ZRZY' }, claims: auditor() }),
    );
    expect(res.statusCode, res.body).toBe(200);
    const { items } = bodyOf(res);
    expect(items.length).toBeGreaterThanOrEqual(2);
    expect(items[0]).toMatchObject({ department: 'ZRZY', payer: { name: '张三' }, total: '80.00' });
  });

  it('GET /v1/audit/alerts: the refused charge, raised by the receipts function', async () => {
    const res = await invoke('audit' as FunctionName, apiEvent('auditAlerts', { claims: auditor() }));
    expect(res.statusCode, res.body).toBe(200);
    expect(bodyOf(res).items.map((a: { rule: string }) => a.rule)).toContain('charge_refused');
  });
});

describe('log-integrator', () => {
  const schedule = () => scheduledEvent('TransparencyLogSchedule');
  const readLog = async (key: string) => {
    const out = await s3
      .client()
      .send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${LOG_PREFIX}${key}` }));
    return out.Body!.transformToByteArray();
  };

  it('on its schedule: sequences what is queued, tiles it to the bucket, signs the checkpoint with the log key in KMS', async () => {
    // A receipt, waiting for the next checkpoint.
    const issued = await invoke(
      'receipts',
      apiEvent('issueReceipt', {
        json: {
          payer: { type: 'person', name: '李四' },
          lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }],
        },
        headers: { 'idempotency-key': `bundle-${randomUUID()}` },
        claims: cognitoClaims('collector', 'ZRZY'),
      }),
    );
    expect(issued.statusCode, issued.body).toBe(201);
    const { code, number, checkCode } = bodyOf(issued);
    const query = { code, number, checkCode };
    const waiting = bodyOf(await invoke('verify', apiEvent('verifyReceipt', { query })));
    expect(waiting.log).toEqual({ salt: expect.any(String), commitment: expect.any(String) });
    expect((await invoke('verify', apiEvent('getLogProof', { query }))).statusCode).toBe(409);

    // Everything the tests above committed: the seeded catalogue, its changes, ranges, receipts.
    const run = await invoke(LOG_INTEGRATOR, schedule());
    expect(run).toMatchObject({ from: 0, published: 1, backlog: 0, witnessErrors: [] });
    expect(run.sequenced).toBeGreaterThan(5);
    expect(run.to).toBe(run.sequenced);
    // One signature, with the log key: pure Ed25519 over the note text.
    expect(kms.signCalls()).toEqual([
      expect.objectContaining({ KeyId: logKey.arn, SigningAlgorithm: 'ED25519_SHA_512', MessageType: 'RAW' }),
    ]);

    // The checkpoint in the bucket verifies with the vkey GET /v1/keys publishes (from KMS's GetPublicKey).
    const vkey: string = bodyOf(await invoke('verify', apiEvent('listKeys'))).log.vkey;
    const policy = { origin: LOG_ORIGIN, logKeys: [vkey] };
    const note = new TextDecoder().decode(await readLog('checkpoint'));
    expect(verifyCheckpoint(note, policy).checkpoint.size).toBe(run.to);

    // The receipt has its index (the verify process, which read its index block at the waiting
    // check above, reads it again once that read is a second old: log-index.ts); the entry
    // there, in the entry bundle, commits to its data; its proof verifies.
    await new Promise((r) => setTimeout(r, DEFAULT_REREAD_MS));
    const { log } = bodyOf(await invoke('verify', apiEvent('verifyReceipt', { query })));
    expect(log.index).toBeLessThan(run.to);
    const tile = Math.floor(log.index / TILE_WIDTH);
    const width = Math.min(TILE_WIDTH, run.to - tile * TILE_WIDTH);
    const bundle = decodeBundle(await readLog(tilePath({ level: 'entries', index: tile, width })));
    const entry = bundle[log.index % TILE_WIDTH]!;
    expect(decodeEntry(entry)).toMatchObject({ type: 'receipt', code, number, commitment: log.commitment });
    const proof = await invoke('verify', apiEvent('getLogProof', { query }));
    expect(proof.statusCode, proof.body).toBe(200);
    expect(verifyTlogProof(proof.body, leafHash(entry), policy)).toMatchObject({ index: log.index });

    // The summary line the LogBacklog metric filter reads (lib/observability.ts).
    const container = await started.get(LOG_INTEGRATOR)!;
    await vi.waitFor(() =>
      expect(
        jsonLines(container.stdout)
          .filter((l) => l.message === LOG_RUN_SUMMARY_LOG.message)
          .map((l) => l[LOG_RUN_SUMMARY_LOG.backlogField]),
      ).toEqual([0]),
    );
  });

  it('the next run finds nothing new: no signature, the same checkpoint', async () => {
    const note = new TextDecoder().decode(await readLog('checkpoint'));
    const run = await invoke(LOG_INTEGRATOR, schedule());
    expect(run).toMatchObject({ sequenced: 0, published: 0, backlog: 0 });
    expect(run.to).toBe(run.from);
    expect(kms.signCalls()).toHaveLength(1);
    expect(new TextDecoder().decode(await readLog('checkpoint'))).toBe(note);
  });
});

describe('every route of every bundle', () => {
  const guarded = ROUTES.filter((r) => !isPublic(r));
  it.each(guarded.map((r) => [routeKey(r), r] as const))(
    '%s: answers 401 without claims',
    async (_, route) => {
      const params = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, 'X']));
      const res = await invoke(route.group, apiEvent(route.id, { params }));
      expect(res.statusCode).toBe(401);
      expect(bodyOf(res)).toMatchObject({ error: 'unauthorized' });
    },
  );
});

describe('least privilege, exercised', () => {
  it('each function asked DynamoDB only for what its role allows in the template', () => {
    const tableIds = new Map(TABLES.map((t) => [tableNames[t.id], t.id]));
    const denied = new Set<string>();
    let calls = 0;
    for (const container of containers) {
      const grants = dynamoGrants(container.name);
      for (const call of container.dynamoCalls) {
        calls++;
        const resource = `${tableIds.get(call.table) ?? call.table}${call.index ? `/index/${call.index}` : ''}`;
        const needed = `dynamodb:${call.action} ${resource}`;
        if (!permits(grants, needed, call.leadingKey, call.attributes))
          denied.add(`${container.name}: ${needed}${call.leadingKey ? ` (${call.leadingKey})` : ''}`);
      }
    }
    expect(calls).toBeGreaterThan(20);
    expect([...denied].sort()).toEqual([]);
  });

  it('reads the Deny statements too: no role may update an event row, even one allowed other updates', () => {
    // The receipts role writes the ledger (totals, alerts, events): only the Deny stops an event update.
    const grants = dynamoGrants('receipts');
    expect(permits(grants, 'dynamodb:UpdateItem ledger', 'ALERT#x')).toBe(true);
    expect(permits(grants, 'dynamodb:PutItem ledger', 'EVENT#x')).toBe(true);
    expect(permits(grants, 'dynamodb:UpdateItem ledger', 'EVENT#x')).toBe(false);
    expect(
      permits(
        grants.filter((g) => !g.deny),
        'dynamodb:UpdateItem ledger',
        'EVENT#x',
      ),
    ).toBe(true);
  });

  it('no role but the integrator writes what the log has sequenced: its entries, counter, tree head, index blocks', () => {
    const writers = ['receipts', 'recovery', 'catalogue-admin', 'ranges', 'complaints'] as const;
    for (const name of writers) {
      const grants = dynamoGrants(name);
      for (const action of ['PutItem', 'UpdateItem'])
        for (const [table, key] of [
          ['ledger', 'LOG#0'],
          ['ledger', 'LOGHEAD'],
          ['ledger', 'LOGTREE'],
          ['receipts', 'LOGINDEX#11010126#0'],
        ])
          expect(permits(grants, `dynamodb:${action} ${table}`, key), `${name} ${action} ${key}`).toBe(false);
    }
    // What they do write beside them: the queue (a reversal's entry), the ranges' log flags.
    expect(permits(dynamoGrants('receipts'), 'dynamodb:PutItem ledger', 'LOGQ')).toBe(true);
    expect(permits(dynamoGrants('ranges'), 'dynamodb:PutItem ledger', 'LOGRANGE#x')).toBe(true);
    expect(permits(dynamoGrants(LOG_INTEGRATOR), 'dynamodb:PutItem ledger', 'LOG#0')).toBe(true);
  });

  it('logs no errors', async () => {
    for (const name of started.keys()) {
      const container = await started.get(name)!;
      expect(container.stderr.join(''), name).not.toMatch(/"level":"error"/i);
    }
  });
});
