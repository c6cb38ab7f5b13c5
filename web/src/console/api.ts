/** The console's API client: the bearer token on every request; an expired session signs in again. */
import { bearer, type ConsoleConfig, refresh, startSignIn } from './auth.js';

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export interface Violation {
  path: string;
  rule: string;
  message: string;
  line?: number;
  /** A value of the field the rule would accept (core/errors.ts Violation): the form offers it. */
  suggestion?: string;
}

export interface ApiErrorBody {
  error: string;
  message: string;
  details?: Violation[];
}

let config: ConsoleConfig;

export function configureApi(c: ConsoleConfig): void {
  config = c;
}

export function apiConfig(): ConsoleConfig {
  return config;
}

async function send(path: string, init: RequestInit): Promise<Response> {
  const token = await bearer(config);
  return fetch(`${config.api}${path}`, {
    ...init,
    headers: { ...(init.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}

/**
 * A request to the API. A 401 (the session expired) is retried once with refreshed tokens;
 * when refreshing fails the console goes to sign in again (the cashier's draft is already in
 * sessionStorage) and this never settles.
 */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let res = await send(path, init);
  if (res.status === 401 && (await refresh(config))) res = await send(path, init);
  if (res.status === 401) return startSignIn(config);
  return res;
}

export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<ApiAnswer<T>> {
  const res = await apiFetch(path, {
    ...init,
    headers: { accept: 'application/json', ...(init.headers ?? {}) },
  });
  const body = (res.headers.get('content-type') ?? '').includes('json') ? await res.json() : null;
  return { status: res.status, body: body as T };
}

/** Public routes need no token (the catalogue). */
export async function publicJson<T>(path: string): Promise<T> {
  const res = await fetch(`${config.api}${path}`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}
