/**
 * The staff console (管理控制台): sign-in, then the screens of the signed-in role. This slice
 * has the collecting department's cashier screen; the finance bureau's and the auditors'
 * screens come next.
 */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { configureApi } from './api.js';
import { type ConsoleConfig, completeSignIn, currentUser, signOut, startSignIn, type User } from './auth.js';
import { Cashier, Issued, type IssuedReceipt } from './cashier.js';
import { Bi } from './ui.js';

const ROLE_NAMES = {
  collector: ['收费窗口', 'Collecting department'],
  finance: ['财政局', 'Finance bureau'],
  auditor: ['电子监察', 'Auditor'],
} as const;

function Header(props: { user: User | null; config: ConsoleConfig }) {
  const { user } = props;
  return (
    <header class="site-header">
      <div class="wrap site-header__inner">
        <span class="brand">
          管理控制台 <span lang="en">feeproof console</span>
        </span>
        {user && (
          <div class="console-user">
            <span data-testid="signed-in-as">
              {user.username}
              {user.department ? ` · ${user.department}` : ''}
            </span>
            <button type="button" class="button button--secondary" onClick={() => signOut(props.config)}>
              退出 <span lang="en">Sign out</span>
            </button>
          </div>
        )}
      </div>
    </header>
  );
}

function App(props: { config: ConsoleConfig; user: User }) {
  const { user } = props;
  const [issued, setIssued] = useState<IssuedReceipt | null>(null);
  const [form, setForm] = useState(0);
  let screen: preact.ComponentChild;
  if (user.roles.includes('collector') && user.department)
    screen = issued ? (
      <Issued
        receipt={issued}
        onNext={() => {
          setIssued(null);
          setForm(form + 1);
        }}
      />
    ) : (
      <Cashier key={form} department={user.department} onIssued={setIssued} />
    );
  else
    screen = (
      <>
        <h1>
          {user.roles.map((r) => ROLE_NAMES[r][0]).join('、') || '无角色'}{' '}
          <span lang="en">{user.roles.map((r) => ROLE_NAMES[r][1]).join(', ') || 'No role'}</span>
        </h1>
        <p>
          <Bi
            zh="本角色的页面（收费目录管理、电子监察）正在建设中。"
            en="The screens of this role (catalogue management, audit) are coming next."
          />
        </p>
      </>
    );
  return (
    <>
      <a class="skip-link" href="#main">
        跳到正文 <span lang="en">Skip to content</span>
      </a>
      <Header user={user} config={props.config} />
      <main id="main" class="wrap console-main" tabIndex={-1}>
        {screen}
      </main>
    </>
  );
}

function SignedOut(props: { config: ConsoleConfig }) {
  return (
    <>
      <Header user={null} config={props.config} />
      <main id="main" class="wrap console-main">
        <h1>
          <Bi zh="已退出" en="Signed out" />
        </h1>
        <p>
          <button type="button" class="button" onClick={() => startSignIn(props.config)}>
            重新登录 <span lang="en">Sign in again</span>
          </button>
        </p>
      </main>
    </>
  );
}

async function boot() {
  const root = document.getElementById('console')!;
  const config = (await (await fetch('/console/config.json')).json()) as ConsoleConfig;
  configureApi(config);
  const signedIn = await completeSignIn(config);
  const user = signedIn ? currentUser() : null;
  if (!user) {
    if (new URLSearchParams(location.search).has('signed-out')) {
      history.replaceState(null, '', location.pathname);
      render(<SignedOut config={config} />, root);
      return;
    }
    await startSignIn(config);
    return;
  }
  render(<App config={config} user={user} />, root);
}

boot();
