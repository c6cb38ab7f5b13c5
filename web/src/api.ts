/** Fetching the public API: JSON answers, with the status and headers kept. */

export interface ApiAnswer<T> {
  status: number;
  headers: Headers;
  body: T | null;
}

export interface ApiError {
  error?: string;
  message?: string;
}

/**
 * The URL of an API path such as `v1/catalogue`: relative to the page (the local server and
 * API Gateway serve both from one origin), or to `<meta name="feeproof-api" content="...">`.
 */
export function apiUrl(path: string, query: Record<string, string> = {}): string {
  const base =
    document.querySelector<HTMLMetaElement>('meta[name="feeproof-api"]')?.content || document.baseURI;
  const url = new URL(
    path.replace(/^\//, ''),
    base.endsWith('/') || base === document.baseURI ? base : `${base}/`,
  );
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
}

export async function getJson<T>(path: string, init: RequestInit = {}): Promise<ApiAnswer<T>> {
  const res = await fetch(path, {
    ...init,
    headers: { accept: 'application/json', ...(init.headers ?? {}) },
  });
  let body: T | null = null;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = (await res.json()) as T;
    } catch {
      body = null;
    }
  }
  return { status: res.status, headers: res.headers, body };
}

/** Seconds to wait from a Retry-After header (seconds or an HTTP date), when there is one. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | null {
  const value = headers.get('retry-after');
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}
