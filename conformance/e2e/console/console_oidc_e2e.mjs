// The console's OIDC login in headless Chromium (issue #16), driven by
// playwright-core with Debian's /usr/bin/chromium. Started by
// console_oidc_e2e.sh, which runs the OpenID provider (provider.mjs) and
// `coffer serve`; everything comes in through CONSOLE_*.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const env = process.env;
const endpoint = env.CONSOLE_ENDPOINT;
const issuer = env.CONSOLE_ISSUER;
const shots = env.CONSOLE_SHOTS;
const failures = [];
const started = Date.now();

function log(...args) {
  console.error(`[console_oidc_e2e ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);
}
function check(cond, what) {
  if (cond) {
    log('ok  ', what);
  } else {
    log('FAIL', what);
    failures.push(what);
  }
}
async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, 'oidc-' + name + '.png'), fullPage: true });
}
async function openView(page, name) {
  await page.evaluate((n) => { location.hash = '#' + n; }, name);
  await page.waitForSelector(`#view[data-loaded="${name}"]`, { timeout: 15000 });
}

// The operator's side, over the console API from Node (NODE_EXTRA_CA_CERTS trusts coffer).
async function rootConsole() {
  const r = await fetch(endpoint + '/console/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessKey: env.CONSOLE_ROOT_KEY, secretKey: env.CONSOLE_ROOT_SECRET }),
  });
  const body = await r.json();
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  return {
    async call(method, p) {
      const res = await fetch(endpoint + '/console/api/admin/' + p, {
        method, headers: { cookie, 'x-coffer-csrf': body.csrfToken, accept: 'application/json' },
      });
      return { status: res.status, data: await res.json().catch(() => null) };
    },
  };
}

// Signs in at the provider's dev pages (any password) and consents.
async function providerLogin(page, login) {
  await page.waitForSelector('input[name="login"]', { timeout: 20000 });
  check(page.url().startsWith(issuer), 'the browser is at the provider\'s login page');
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any-password');
  await shot(page, 'provider-login');
  await page.click('button[type="submit"]');
  await page.waitForSelector('button:has-text("Continue")', { timeout: 20000 });
  await page.click('button:has-text("Continue")');
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const context = await chromium.launchPersistentContext(env.CONSOLE_PROFILE, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // Air-gapped: only the two 127.0.0.1 servers (the provider's page imports a web font).
    await context.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === '127.0.0.1' ? route.continue() : route.abort();
    });
    const page = context.pages()[0] || await context.newPage();
    await run(context, page);
  } finally {
    await context.close();
  }
}

async function run(context, page) {
  const callbacks = [];
  page.on('request', (r) => {
    if (r.url().includes('/console/oidc/callback')) callbacks.push(r.url());
  });

  // ---- The login page offers the configured provider.
  await page.goto(endpoint + '/console/', { waitUntil: 'load' });
  const link = page.locator('#oidc-logins a', { hasText: 'e2eidp' });
  await link.waitFor({ state: 'visible', timeout: 20000 });
  check((await link.getAttribute('href')) === '/console/oidc/start?provider=e2eidp',
    'the login page offers "Log in with e2eidp"');
  await shot(page, 'login');

  // ---- The authorization request: code flow, PKCE S256, state and nonce.
  const authRequest = page.waitForRequest((r) => r.url().startsWith(issuer + '/auth'));
  await link.click();
  const auth = new URL((await authRequest).url());
  const q = auth.searchParams;
  check(q.get('response_type') === 'code' && q.get('client_id') === 'coffer-console' &&
    q.get('code_challenge_method') === 'S256' && /^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') || '') &&
    (q.get('state') || '').length >= 16 && (q.get('nonce') || '').length >= 16 &&
    q.get('redirect_uri') === endpoint + '/console/oidc/callback' &&
    (q.get('scope') || '').split(' ').includes('openid'),
  'the authorization request carries code + PKCE S256, state, nonce and the redirect URI');

  // ---- carol signs in at the provider and lands in the console.
  await providerLogin(page, 'carol');
  await page.waitForSelector('#view[data-loaded]', { timeout: 30000 });
  check(page.url().startsWith(endpoint + '/console/'), 'back in the console after the provider');
  const session = await page.evaluate(async () => {
    const r = await fetch('/console/api/session');
    return { status: r.status, body: await r.json() };
  });
  log('session', JSON.stringify({ ...session.body, csrfToken: undefined }));
  check(session.status === 200 && JSON.stringify(session.body).includes('carol') &&
    /session/i.test(session.body.user || ''),
  'the console session is carol\'s web-identity STS session');
  const carolKey = session.body.accessKey;
  await shot(page, 'logged-in');

  // ---- What oidc-reader allows, and nothing more.
  await openView(page, 'users');
  check(await page.locator('#view .denied').count() === 1, 'carol sees "not permitted" on the users view');
  await shot(page, 'not-permitted');
  await openView(page, 'policies');
  check(await page.locator('#view .denied').count() === 1, 'carol sees "not permitted" on the policies view');

  // ---- The operator sees it as a real STS session with exactly the claim's policy.
  const root = await rootConsole();
  const listed = await root.call('GET', 'sts-sessions');
  const mine = ((listed.data && listed.data.sessions) || []).find((s) => s.accessKey === carolKey);
  log('sts session', JSON.stringify(mine));
  check(mine !== undefined && mine.parent === 'oidc:e2eidp:carol' && !mine.revoked,
    'the STS sessions list holds carol\'s session (parent oidc:e2eidp:carol)');

  // ---- A replayed callback (same state and code) and a forged state are refused.
  check(callbacks.length === 1, 'one callback happened');
  const replay = await page.goto(callbacks[0], { waitUntil: 'load' });
  check(replay.status() === 400 && (await replay.text()).includes('InvalidState'),
    'a replayed callback (used state) is refused with InvalidState');
  const forged = await page.goto(endpoint + '/console/oidc/callback?state=forged-state-0123456789&code=x',
    { waitUntil: 'load' });
  check(forged.status() === 400, 'a forged state is refused');

  // ---- Revoking the STS session ends the console session.
  const revoked = await root.call('DELETE', 'sts-sessions/' + encodeURIComponent(carolKey));
  check(revoked.status === 200 || revoked.status === 204, `the operator revokes carol's session (${revoked.status})`);
  const afterRevoke = await page.evaluate(async () => (await fetch('/console/api/admin/sts-sessions')).status);
  check(afterRevoke === 401, `after revocation carol's console calls answer 401 (${afterRevoke})`);

  // ---- An ID token with another nonce is refused: the login is started as
  // the page would (same cookies), but the authorization URL is sent to the
  // provider with another nonce, so the provider signs a token for a nonce
  // this login never made.
  await context.clearCookies();
  await page.goto(endpoint + '/console/', { waitUntil: 'load' });
  const start = await page.request.get(endpoint + '/console/oidc/start?provider=e2eidp',
    { maxRedirects: 0 });
  const authUrl = new URL(start.headers().location || '');
  check(start.status() === 302 && authUrl.href.startsWith(issuer + '/auth?'), 'the start answers a redirect');
  authUrl.searchParams.set('nonce', 'injected-nonce-0123456789');
  await page.goto(authUrl.href);
  const nonceCallback = page.waitForResponse((r) => r.url().includes('/console/oidc/callback'),
    { timeout: 30000 });
  await providerLogin(page, 'carol');
  const refused = await nonceCallback;
  const refusedText = await refused.text();
  check(refused.status() === 401 && refusedText.includes('nonce'),
    `an ID token with another nonce is refused (${refused.status()})`);
  const noSession = await page.evaluate(async () => (await fetch('/console/api/session')).status);
  check(noSession === 401, 'no console session after the wrong nonce');
  await shot(page, 'wrong-nonce');

  // ---- The claim decides what is seen: a login whose token says
  // policy=consoleAdmin sees the users view that carol could not.
  await context.clearCookies();
  await page.goto(endpoint + '/console/', { waitUntil: 'load' });
  await page.locator('#oidc-logins a', { hasText: 'e2eidp' }).click();
  await providerLogin(page, 'consoleAdmin');
  await page.waitForSelector('#view[data-loaded]', { timeout: 30000 });
  await openView(page, 'users');
  check(await page.locator('#view .denied').count() === 0,
    'a token with policy=consoleAdmin sees the users view');
  await shot(page, 'admin-claim');
}

const timer = setTimeout(() => {
  log('FAIL: the browser test took longer than 90 s');
  process.exit(1);
}, 90000);
main().then(() => {
  clearTimeout(timer);
  if (failures.length > 0) {
    log(`${failures.length} check(s) failed:\n  ` + failures.join('\n  '));
    process.exit(1);
  }
  log('all checks passed');
  process.exit(0);
}, (e) => {
  clearTimeout(timer);
  log('FAIL:', e && e.stack ? e.stack : e);
  process.exit(1);
});
