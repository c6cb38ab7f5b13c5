/** Construct ids from route groups, route ids and table ids. */

/** `catalogue-admin` -> `CatalogueAdmin`. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
