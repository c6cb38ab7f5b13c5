/**
 * The service's API as `feeproof log audit` reads it: GET only, JSON, an optional bearer token.
 * A 429 or 503 is waited out (its Retry-After, at most 60 s, a few times) rather than reported,
 * so an audit paging through a large ledger survives the API's throttles.
 */
export interface AuditApi {
  base: string;
  token?: string;
}

const MAX_RETRIES = 5;

export class AuditApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The JSON of GET base+path, or null on 404; anything else not 2xx throws, naming the URL. */
export async function apiGet<T>(api: AuditApi, path: string): Promise<T | null> {
  const url = `${api.base.replace(/\/$/, '')}${path}`;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, { headers: api.token ? { authorization: `Bearer ${api.token}` } : {} });
    } catch (e) {
      const reason = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
      throw new AuditApiError(0, `GET ${url} failed: ${reason}`);
    }
    if (res.status === 404) return null;
    if (res.ok) return (await res.json()) as T;
    if ((res.status === 429 || res.status === 503) && attempt < MAX_RETRIES) {
      const after = Number(res.headers.get('retry-after'));
      await sleep(Math.min(60, Number.isFinite(after) && after > 0 ? after : 2 ** attempt) * 1000);
      continue;
    }
    const body = (await res.text()).slice(0, 300);
    throw new AuditApiError(res.status, `GET ${url} answered ${res.status}: ${body}`);
  }
}
