/** The local sign-in page (the stand-in for Cognito's managed login), in the public pages' look. */
import type { LocalUser } from './sign-in.js';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const ROLE_LABELS: Record<LocalUser['role'], string> = {
  finance: '财政局 <span lang="en">Finance bureau</span>',
  collector: '收费窗口 <span lang="en">Collecting department</span>',
  auditor: '电子监察 <span lang="en">Auditor</span>',
};

/** The authorization request's parameters, carried through the form unchanged. */
const CARRIED = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
];

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="/styles.css">
  <style>
    .users { list-style: none; padding: 0; display: grid; gap: .5rem; max-width: 36rem; }
    .users .button { width: 100%; justify-content: flex-start; text-align: left; }
    .role { margin-top: 1.5rem; }
  </style>
</head>
<body>
  <header class="site-header">
    <div class="wrap site-header__inner">
      <span class="brand">非税收入电子票据 <span lang="en">feeproof</span></span>
    </div>
  </header>
  <main id="main" class="wrap">
${body}
  </main>
</body>
</html>
`;
}

/** One button per local user; choosing one signs in as that user (no password: this is a local stand-in). */
export function signInPage(users: readonly LocalUser[], params: Record<string, string>): string {
  const hidden = CARRIED.filter((name) => params[name] !== undefined)
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params[name]!)}">`)
    .join('\n      ');
  const groups = (['collector', 'finance', 'auditor'] as const)
    .map((role) => {
      const members = users.filter((u) => u.role === role);
      if (!members.length) return '';
      const buttons = members
        .map(
          (u) =>
            `<li><button class="button button--secondary" type="submit" name="username" value="${escapeHtml(u.username)}" data-testid="user-${escapeHtml(u.username)}">${escapeHtml(u.name)} <span class="mono">${escapeHtml(u.username)}</span></button></li>`,
        )
        .join('\n          ');
      return `<section class="role" aria-labelledby="role-${role}">
        <h2 id="role-${role}">${ROLE_LABELS[role]}</h2>
        <ul class="users">
          ${buttons}
        </ul>
      </section>`;
    })
    .join('\n      ');
  return page(
    '登录 Sign in · feeproof',
    `    <h1>登录 <span lang="en" class="en">Sign in</span></h1>
    <p class="lead">本地登录：选择一个本地用户（数据目录中的 users.json）。
      <span lang="en" class="en">Local sign-in: choose a local user (users.json in the data directory). In AWS this is Cognito's managed login.</span></p>
    <form method="post" action="/login">
      ${hidden}
      ${groups}
    </form>`,
  );
}

export function signInProblemPage(problem: string): string {
  return page(
    '登录失败 Sign-in failed · feeproof',
    `    <h1>无法登录 <span lang="en" class="en">Cannot sign in</span></h1>
    <p class="notice notice--error" role="alert">${escapeHtml(problem)}</p>
    <p><a href="/console">返回管理控制台 <span lang="en">Back to the console</span></a></p>`,
  );
}
