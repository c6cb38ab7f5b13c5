import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/tlog');
export const vectors = JSON.parse(readFileSync(join(FIXTURES, 'vectors.json'), 'utf8'));

export const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
export const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** Every JSON probe under a fixtures directory, with its path relative to it. */
export function probes<T>(dir: string): { file: string; probe: T }[] {
  const out: { file: string; probe: T }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json'))
        out.push({ file: p.slice(FIXTURES.length + 1), probe: JSON.parse(readFileSync(p, 'utf8')) });
    }
  };
  walk(join(FIXTURES, dir));
  return out;
}
