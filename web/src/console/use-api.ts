/**
 * Reading the API from a screen: one answer (`useApi`), a list a page at a time (`usePaged`),
 * a PDF as a blob link (`usePdfUrl`), and the one way a refusal reads (`errorText`).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { type ApiErrorBody, apiFetch, apiJson } from './api.js';
import { NETWORK_ERROR_WORDS, refusalText } from './errors.js';

export const NETWORK_ERROR = `${NETWORK_ERROR_WORDS.zh} ${NETWORK_ERROR_WORDS.en}`;

/** A refusal as one line, in Chinese and the server's English (errors.ts), then the status. */
export function errorText(status: number, body: ApiErrorBody | null): string {
  return refusalText(status, body);
}

/** An API read: loading (no data, no error), its answer, or why it failed; `reload` reads again. */
export function useApi<T>(path: string | null) {
  // The answer is kept with its path: another path shows loading, not the last one's answer.
  const [answer, setAnswer] = useState<{ path: string; data: T } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!path) return;
    let current = true;
    setError(null);
    apiJson<T & ApiErrorBody>(path).then(
      (a) => {
        if (!current) return;
        if (a.status === 200) setAnswer({ path, data: a.body });
        else setError(errorText(a.status, a.body));
      },
      () => current && setError(NETWORK_ERROR),
    );
    return () => {
      current = false;
    };
  }, [path, count]);
  const reload = useCallback(() => setCount((c) => c + 1), []);
  return { data: answer && answer.path === path ? answer.data : null, error, reload };
}

/**
 * A list read a page at a time by its cursor (`{ items, cursor }`), each page added below the
 * last by `more`; a new `query` reads from the start. `pathOf` adds the cursor to the query.
 */
export function usePaged<T>(query: string, pathOf: (cursor: string | null) => string) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const load = async (from: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const answer = await apiJson<{ items: T[]; cursor: string | null } & ApiErrorBody>(pathOf(from));
      if (answer.status !== 200) return setError(errorText(answer.status, answer.body));
      setItems((prev) => (from ? [...prev, ...answer.body.items] : answer.body.items));
      setCursor(answer.body.cursor);
    } catch {
      setError(NETWORK_ERROR);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load(null);
  }, [query]);
  return { items, setItems, cursor, loading, error, more: () => cursor && load(cursor) };
}

/**
 * A PDF route needs the bearer token, so a plain link cannot open it: fetched, then linked as a
 * blob. A receipt still being completed answers 409 for a moment: retried shortly.
 */
export function usePdfUrl(path: string | null): { url: string | null; failed: boolean } {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!path) return;
    let made: string | null = null;
    let live = true;
    setUrl(null);
    setFailed(false);
    (async () => {
      for (let attempt = 0; attempt < 5 && live; attempt++) {
        const res = await apiFetch(path);
        if (res.ok) {
          made = URL.createObjectURL(await res.blob());
          if (live) setUrl(made);
          return;
        }
        if (res.status !== 409) break;
        await new Promise((ok) => setTimeout(ok, 1000));
      }
      if (live) setFailed(true);
    })().catch(() => live && setFailed(true));
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [path]);
  return { url, failed };
}
