/** Departments by the names their receipts print (GET /v1/departments: finance, auditors, collectors). */
import { useMemo } from 'preact/hooks';
import { useApi } from './use-api.js';

/** Each department's printed name by its code, once read (departments without one are left out). */
export function useDepartmentNames(): ReadonlyMap<string, string> {
  const { data } = useApi<{ departments: { code: string; name: string | null }[] }>('/v1/departments');
  return useMemo(
    () => new Map((data?.departments ?? []).flatMap((d) => (d.name ? [[d.code, d.name] as const] : []))),
    [data],
  );
}

/** A department as people read it: its name (with its code) once known, else its code. */
export function DepartmentName(props: { code: string }) {
  const name = useDepartmentNames().get(props.code);
  return name ? (
    <>
      {name} <span class="mono">({props.code})</span>
    </>
  ) : (
    <span class="mono">{props.code}</span>
  );
}
