/**
 * DynamoDB's item size, by its documented rules (Developer Guide, "Item sizes and formats"):
 * an attribute's name in UTF-8 plus its value; a string its UTF-8 bytes, binary its bytes, a
 * number about one byte per two significant digits plus one, a boolean or null one byte, a
 * list or map 3 bytes plus 1 per element plus the elements (a map's with their names).
 */
export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + Buffer.byteLength(name) + valueSize(value), 0);
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/^-|\./g, '').replace(/^0+/, '').replace(/e.*$/, '');
    return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Set) return [...value].reduce((n, v) => n + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n, v) => n + 1 + valueSize(v), 0);
  if (typeof value === 'object')
    return 3 + Object.entries(value).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueSize(v), 0);
  throw new Error(`no DynamoDB size for ${typeof value}`);
}

/** Write request units of one item written in a transaction: 2 per started KB. */
export const transactionalWru = (bytes: number) => 2 * Math.ceil(bytes / 1024);
/** Write request units of one index entry kept up to date (projection ALL): 1 per started KB. */
export const indexWru = (bytes: number) => Math.ceil(bytes / 1024);
