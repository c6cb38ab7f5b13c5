/**
 * The staff console (管理控制台): sign-in, then the screens of the signed-in role, each role's
 * in its own folder (collector/, finance/, auditor/).
 */
import { render } from 'preact';
import { configureApi } from './api.js';
import { AuditorConsole } from './auditor/index.js';
import { type ConsoleConfig, completeSignIn, currentUser, signOut, startSignIn, type User } from './auth.js';
import { CollectorConsole } from './collector/index.js';
import { FinanceConsole } from './finance/index.js';
import { Bi } from './ui.js';

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

/** One role's screens; a user with several roles (rare) works in the first of them. */
function RoleScreens(props: { user: User }) {
  const { user } = props;
  for (const role of user.roles) {
    if (role === 'collector' && user.department) return <CollectorConsole department={user.department} />;
    if (role === 'finance') return <FinanceConsole />;
    if (role === 'auditor') return <AuditorConsole />;
  }
  return (
    <h1>
      <Bi zh="此账号没有控制台角色" en="This account has no console role" />
    </h1>
  );
}

function App(props: { config: ConsoleConfig; user: User }) {
  return (
    <>
      <a class="skip-link" href="#main">
        跳到正文 <span lang="en">Skip to content</span>
      </a>
      <Header user={props.user} config={props.config} />
      <main id="main" class="wrap console-main" tabIndex={-1}>
        <RoleScreens user={props.user} />
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
