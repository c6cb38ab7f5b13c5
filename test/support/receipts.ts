/**
 * The one HTTP client of the service, for the tests, the bench and the soak run (so nothing
 * here imports vitest), and the charges they send.
 *
 * node:http with connections kept alive: it costs about half of what fetch does per request,
 * CPU that the bench and the soak run leave to the server they measure. The agent's timeout
 * is there so that Node honours the server's `Keep-Alive: timeout=` hint (it only shortens a
 * timeout that is set) and drops an idle connection before the server closes it under a request.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 60_000 });

export interface RawResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

/** One request, its answer read whole. A `signal` that fires rejects with its reason (TimeoutError for AbortSignal.timeout). */
export function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Uint8Array;
    signal?: AbortSignal;
  } = {},
): Promise<RawResponse> {
  const { signal } = options;
  return new Promise((ok, fail) => {
    const failWith = (e: unknown) => fail(signal?.aborted ? signal.reason : e);
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            for (const v of [value ?? []].flat()) headers.append(name, v);
          ok({ status: res.statusCode ?? 0, headers, bytes: Buffer.concat(chunks) });
        });
        res.on('error', failWith);
      },
    );
    req.on('error', failWith);
    req.end(options.body);
  });
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiResponse extends RawResponse {
  /** Parsed when the answer is JSON, else its text. */
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected freely
  body: any;
}

/** A request to the API at `baseUrl`: a bearer token, a JSON body, a JSON answer parsed. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  o: RequestOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body = o.body;
  if (o.json !== undefined) {
    body = JSON.stringify(o.json);
    headers['content-type'] ??= 'application/json';
  }
  if (o.contentType) headers['content-type'] = o.contentType;
  const res = await send(baseUrl + path, { method, headers, body, signal: o.signal });
  const text = res.bytes.toString('utf8');
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  return { ...res, body: isJson ? JSON.parse(text) : text };
}

/** A valid charge of the demo catalogue: ZRZY-001, residential real-estate registration, 80 yuan per case. */
export const registrationCharge = (overrides: Record<string, unknown> = {}) => ({
  payer: { type: 'person', name: '张三', idNumber: '110101199003071234' },
  lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }],
  remark: '不动产登记',
  ...overrides,
});

/** A valid charge of the demo catalogue: GA-001, 20 yuan, for a GA collector. */
export const gaCharge = (payerName: string) => ({
  payer: { type: 'person', name: payerName },
  lines: [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
});

export const newKey = () => `key-${randomUUID()}`;

/** POST /v1/receipts as a collector's client sends a charge: its token, the body, an Idempotency-Key. */
export function sendCharge(
  baseUrl: string,
  token: string,
  body: unknown = registrationCharge(),
  key = newKey(),
  signal?: AbortSignal,
): Promise<ApiResponse> {
  return api(baseUrl, 'POST', '/v1/receipts', {
    token,
    json: body,
    headers: { 'idempotency-key': key },
    signal,
  });
}

/** sendCharge to a test service. */
export function issue(svc: { url: string }, token: string, body?: unknown, key?: string) {
  return sendCharge(svc.url, token, body, key);
}

/**
 * A GA-001 charge sent to a server run as its own process, which a test may kill: the HTTP
 * status, or 0 when the connection broke.
 */
export function sendGaCharge(url: string, token: string, key: string, payerName: string): Promise<number> {
  return sendCharge(url, token, gaCharge(payerName), key).then(
    (r) => r.status,
    () => 0,
  );
}

/** Asserts that numbers are distinct and consecutive, and returns them sorted. */
export function consecutive(numbers: string[]): number[] {
  const sorted = numbers.map(Number).sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i] !== sorted[0]! + i) throw new Error(`gap or duplicate at ${sorted[i - 1]} -> ${sorted[i]}`);
  return sorted;
}
