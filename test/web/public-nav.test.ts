import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PUBLIC_PAGES = ['index', 'catalogue', 'verify', 'complaint', 'stats'];

/** The links of a page's main navigation, and the one it marks as the current page. */
function nav(page: string) {
  const html = readFileSync(join('web', `${page}.html`), 'utf8');
  const list = /<ul class="nav">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  return {
    links: [...list.matchAll(/href="([^"]+)"/g)].map((m) => m[1]),
    current: /href="([^"]+)" aria-current="page"/.exec(list)?.[1],
  };
}

describe('the public pages', () => {
  it('share one main navigation, each marking itself when it is in it', () => {
    const navs = PUBLIC_PAGES.map(nav);
    expect(navs[0]!.links).toEqual(['catalogue.html', 'verify.html', 'stats.html']);
    for (const [i, page] of PUBLIC_PAGES.entries()) {
      expect(navs[i]!.links, page).toEqual(navs[0]!.links);
      if (navs[0]!.links.includes(`${page}.html`)) expect(navs[i]!.current, page).toBe(`${page}.html`);
    }
  });
});
