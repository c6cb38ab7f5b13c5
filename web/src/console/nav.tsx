/**
 * A role's screens as tabs, addressed by the URL's hash (`#receipts`, `#alerts/123`), so that
 * the back button, a reload and a bookmark land on the same screen.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Tab {
  /** The hash's first segment. */
  id: string;
  zh: string;
  en: string;
  /** The screen; `rest` is the hash after the tab's segment (`123` in `#alerts/123`). */
  render: (rest: string) => preact.ComponentChild;
}

function currentHash(): string {
  return decodeURIComponent(location.hash.replace(/^#/, ''));
}

export function useHash(): string {
  const [hash, setHash] = useState(currentHash);
  useEffect(() => {
    const onChange = () => setHash(currentHash());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export function go(hash: string): void {
  location.hash = hash;
}

export function Tabs(props: { label: string; tabs: Tab[] }) {
  const hash = useHash();
  const [first, ...rest] = hash.split('/');
  const active = props.tabs.find((t) => t.id === first) ?? props.tabs[0]!;
  return (
    <>
      <nav class="console-tabs" aria-label={props.label}>
        <ul>
          {props.tabs.map((t) => (
            <li key={t.id}>
              <a
                href={`#${t.id}`}
                aria-current={t === active ? 'page' : undefined}
                data-testid={`tab-${t.id}`}
              >
                {t.zh} <span lang="en">{t.en}</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {active.render(active.id === first ? rest.join('/') : '')}
    </>
  );
}
