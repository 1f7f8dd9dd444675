// The web console in headless Chromium (issue #16), driven by playwright-core
// with Debian's /usr/bin/chromium. Started by console_e2e.sh, which runs
// `coffer serve`, makes the S3 traffic and computes the simulator's expected
// answers with `coffer policy eval`; everything comes in through CONSOLE_*.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const env = process.env;
const endpoint = env.CONSOLE_ENDPOINT;
const shots = env.CONSOLE_SHOTS;
const cases = JSON.parse(readFileSync(env.CONSOLE_CASES, 'utf8'));
const failures = [];
const dialogs = [];
const pageErrors = [];
const started = Date.now();

function log(...args) {
  console.error(`[console_e2e ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);
}
function check(cond, what) {
  if (cond) {
    log('ok  ', what);
  } else {
    log('FAIL', what);
    failures.push(what);
  }
}

function aws(key, secret, args, extraEnv = {}) {
  return execFileSync('/usr/bin/aws', ['--endpoint-url', endpoint, ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, ...extraEnv },
    timeout: 60000,
    encoding: 'utf8',
  });
}

// A page on another origin (localhost vs 127.0.0.1, another port) that tries
// to make the logged-in browser change something in the console.
function startEvilSite(target) {
  const page = `<!doctype html><title>evil</title>
<form id="f" method="POST" action="${target}/console/api/admin/service-accounts" enctype="text/plain">
<input name='{"parent":"bob","x":"' value='"}'></form>
<script>
fetch(${JSON.stringify(target)} + '/console/api/admin/service-accounts', {method: 'POST', mode: 'no-cors',
  credentials: 'include', headers: {'content-type': 'text/plain'}, body: '{"parent":"bob"}'})
  .finally(() => document.getElementById('f').submit());
</script>`;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const VIEWS = ['info', 'reconcile', 'users', 'groups', 'policies', 'buckets', 'identity-providers',
  'audit-targets', 'kms', 'simulator', 'audit', 'sessions', 'service-accounts'];

async function openView(page, name) {
  await page.evaluate((n) => { location.hash = '#' + n; }, name);
  await page.waitForSelector(`#view[data-loaded="${name}"]`, { timeout: 15000 });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

async function login(page, key, secret) {
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 15000 });
  await page.fill('#access-key', key);
  await page.fill('#secret-key', secret);
  await page.click('#login-button');
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
    const page = context.pages()[0] || await context.newPage();
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await run(context, page);
  } finally {
    await context.close();
  }
}

async function run(context, page) {
  // ---- The page and its headers.
  const doc = await page.goto(endpoint + '/console/', { waitUntil: 'load' });
  const headers = doc.headers();
  check(doc.status() === 200, 'GET /console/ answers 200');
  check((headers['content-security-policy'] || '').includes("default-src 'self'") &&
    (headers['content-security-policy'] || '').includes("frame-ancestors 'none'") &&
    !(headers['content-security-policy'] || '').includes('unsafe-inline'), 'strict CSP on the page');
  check(headers['x-content-type-options'] === 'nosniff', 'nosniff');
  check(headers['referrer-policy'] === 'no-referrer', 'no-referrer');
  await page.waitForSelector('#login-form', { state: 'visible' });
  await shot(page, 'login');

  // ---- A wrong secret, and an access key that is markup, are refused as text.
  await login(page, "<img src=x onerror=alert('login')>", 'wrong-secret-123');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  check(await page.locator('#app').isHidden(), 'a wrong login does not open the console');

  // ---- Log in as the operator (consoleAdmin).
  const loginResponse = page.waitForResponse((r) => r.url().endsWith('/console/api/login'));
  await login(page, env.CONSOLE_OPS_KEY, env.CONSOLE_OPS_SECRET);
  const setCookie = (await (await loginResponse).allHeaders())['set-cookie'] || '';
  check(/HttpOnly/i.test(setCookie) && /SameSite=Strict/i.test(setCookie) &&
    /Path=\/console/.test(setCookie), 'session cookie is HttpOnly, SameSite=Strict, Path=/console');
  check(!endpoint.startsWith('https') || /;\s*Secure/i.test(setCookie), 'cookie is Secure under TLS');
  await page.waitForSelector('#view[data-loaded="info"]', { timeout: 15000 });
  check((await page.textContent('#who')).includes('ops'), 'the header names the logged-in user');
  const storage = await page.evaluate(() => ({
    cookie: document.cookie, local: localStorage.length, session: sessionStorage.length,
    secret: document.getElementById('secret-key').value,
  }));
  check(storage.cookie === '' && storage.local === 0 && storage.session === 0 && storage.secret === '',
    'no secret or session id is readable by the page after login');

  // ---- Every view, with a screenshot; consoleAdmin is refused nothing.
  for (const name of VIEWS) {
    await openView(page, name);
    if (name === 'audit') await page.waitForSelector('#audit-note:not(:empty)', { timeout: 15000 });
    await shot(page, name);
    const denied = await page.locator('#view .denied').count();
    check(denied === 0, `view ${name} opens for consoleAdmin`);
  }

  // ---- Users, policies (HTML/JS in the policy text shown as text), buckets.
  await openView(page, 'users');
  const usersText = await page.textContent('#view');
  check(usersText.includes('bob') && usersText.includes('ops'), 'users view lists bob and ops');
  await openView(page, 'policies');
  const policiesText = await page.textContent('#view');
  check(policiesText.includes("<script>alert('policy')</script>") &&
    policiesText.includes("<img src=x onerror=alert('policy-img')>"),
  'policy text with <script>/<img onerror> is shown as text');
  await openView(page, 'buckets');
  check((await page.textContent('#view')).includes(env.CONSOLE_BUCKET), 'buckets view lists the bucket');

  // ---- The audit log: the aws CLI's requests, searched; the entry's JSON on click.
  await openView(page, 'audit');
  await page.fill('#audit-user', 'bob');
  await page.click('#audit-search');
  await page.waitForSelector('#audit-rows tr', { timeout: 15000 });
  const rows = await page.$$eval('#audit-rows tr', (trs) => trs.map((tr) =>
    Array.from(tr.children).map((td) => td.textContent)));
  const keyRow = rows.find((r) => r[2] === 'PutObject' && r[4] === env.CONSOLE_XSS_KEY);
  check(keyRow !== undefined, 'the audit view shows bob\'s PutObject of the HTML-named key');
  check(rows.some((r) => r[2] === 'GetObject' && r[5] === '403'), 'the audit view shows the denied GET (403)');
  check(rows.some((r) => r[4] === env.CONSOLE_XSS_KEY2), 'the <script> key is shown as text');
  await page.locator('#audit-rows tr', { hasText: env.CONSOLE_XSS_KEY }).first().click();
  const detail = await page.textContent('#audit-detail');
  check(detail.includes('"object"') && detail.includes(env.CONSOLE_XSS_KEY.replace(/"/g, '\\"')),
    'clicking an entry shows its JSON');
  await shot(page, 'audit-search');
  await page.fill('#audit-user', '');
  await page.fill('#audit-api', 'GetObject');
  await page.fill('#audit-status', '403');
  await page.click('#audit-search');
  await page.waitForFunction(() => document.getElementById('audit-note').textContent.includes('entries'));
  const filtered = await page.$$eval('#audit-rows tr', (trs) => trs.map((tr) =>
    Array.from(tr.children).map((td) => td.textContent)));
  check(filtered.length > 0 && filtered.every((r) => r[2] === 'GetObject' && r[5] === '403'),
    'search by API and status keeps only matching entries');
  // Live tail: a new request appears without searching again.
  await page.fill('#audit-api', '');
  await page.fill('#audit-status', '');
  await page.click('#audit-search');
  await page.waitForFunction(() => document.getElementById('audit-note').textContent.includes('entries'));
  await page.check('#audit-live');
  const tailKey = `tail-${Date.now()}.txt`;
  aws(env.CONSOLE_BOB_KEY, env.CONSOLE_BOB_SECRET,
    ['s3api', 'put-object', '--bucket', env.CONSOLE_BUCKET, '--key', tailKey, '--body', env.CONSOLE_CASES]);
  const tailed = await page.waitForFunction((k) => Array.from(document.querySelectorAll('#audit-rows td'))
    .some((td) => td.textContent === k), tailKey, { timeout: 15000 }).then(() => true, () => false);
  check(tailed, 'the live tail shows a new PutObject');
  await shot(page, 'audit-tail');
  await page.uncheck('#audit-live');

  // ---- The policy simulator agrees with `coffer policy eval`.
  await openView(page, 'simulator');
  for (const c of cases) {
    await page.fill('#sim-principal', c.principal);
    await page.fill('#sim-action', c.action);
    await page.fill('#sim-resource', c.resource);
    await page.fill('#sim-context', JSON.stringify(c.context));
    await page.click('#sim-run');
    await page.waitForSelector('#sim-decision, #sim-result .error, #sim-result .denied', { timeout: 15000 });
    const got = await page.locator('#sim-decision').textContent().catch(() => 'error');
    check(got === c.decision, `simulator ${c.action} ${c.resource} ${JSON.stringify(c.context)}: ` +
      `console ${got}, coffer policy eval ${c.decision}`);
    // The whole explanation is the CLI's, but for the policy's name (the CLI
    // names it by its file, the store by its config name).
    const explanation = await page.locator('#sim-explanation').textContent().catch(() => '');
    const cli = c.cli.split(c.policyPath).join('bob-rw');
    check(explanation.trim() === cli.trim(), `simulator explanation equals coffer policy eval's (${c.action})`);
  }
  await shot(page, 'simulator-result');

  // ---- Service accounts: create (secret shown once), then delete.
  await openView(page, 'service-accounts');
  await page.fill('#sa-parent', 'bob');
  await page.click('#sa-create');
  await page.waitForSelector('#sa-created .secret', { timeout: 15000 });
  const created = await page.textContent('#sa-created');
  const saKey = (created.match(/accessKey([A-Z0-9]{20})/) || [])[1];
  check(saKey !== undefined, 'a service account is created and its key shown');
  await page.fill('#sa-user', 'bob');
  await page.click('#sa-user-show');
  await page.waitForSelector(`#view table.grid td:text-is("${saKey}")`, { timeout: 15000 });
  await shot(page, 'service-accounts-created');
  const saRow = page.locator('#view table.grid tr', { hasText: saKey });
  await saRow.locator('button.danger').click();
  await saRow.locator('button.danger').click();
  await page.waitForFunction((k) => !Array.from(document.querySelectorAll('#view table.grid td'))
    .some((td) => td.textContent === k), saKey, { timeout: 15000 });
  check(true, 'the service account is deleted from the console');

  // ---- STS sessions: bob assumes a role with the aws CLI; the operator revokes it.
  let sts = null;
  try {
    sts = JSON.parse(aws(env.CONSOLE_BOB_KEY, env.CONSOLE_BOB_SECRET,
      ['sts', 'assume-role', '--role-arn', 'arn:xxx:xxx:xxx:xxxx', '--role-session-name', 'console-e2e']));
  } catch (e) {
    log('assume-role failed:', String(e.stderr || e));
  }
  check(sts !== null, 'bob gets STS credentials with the aws CLI');
  if (sts) {
    const sessionKey = sts.Credentials.AccessKeyId;
    await openView(page, 'sessions');
    await page.fill('#sessions-user', 'bob');
    await page.click('#sessions-user-show');
    await page.waitForSelector(`#view td:text-is("${sessionKey}")`, { timeout: 15000 });
    await shot(page, 'sessions');
    const row = page.locator('#view table.grid tr', { hasText: sessionKey });
    await row.locator('button.danger').click();
    await row.locator('button.danger').click();
    await page.waitForFunction(() => document.getElementById('sessions-status').textContent.startsWith('Revoked'),
      null, { timeout: 15000 });
    let refused = false;
    try {
      aws(sts.Credentials.AccessKeyId, sts.Credentials.SecretAccessKey,
        ['s3api', 'list-objects-v2', '--bucket', env.CONSOLE_BUCKET],
        { AWS_SESSION_TOKEN: sts.Credentials.SessionToken });
    } catch (e) {
      refused = true;
    }
    check(refused, 'the revoked session is refused by S3');
  }

  // ---- CSRF: a same-origin call without the token, and a cross-site page.
  const noToken = await page.evaluate(async () => {
    const r = await fetch('/console/api/admin/service-accounts', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"parent":"bob"}' });
    return { status: r.status, body: await r.text() };
  });
  check(noToken.status === 403 && noToken.body.includes('CsrfTokenInvalid'),
    `a POST without the CSRF token is refused (${noToken.status})`);
  const evil = await startEvilSite(endpoint);
  const evilUrl = `http://localhost:${evil.address().port}/`;
  const evilStatuses = [];
  const evilPage = await context.newPage();
  evilPage.on('response', (r) => {
    if (r.url().includes('/console/api/')) evilStatuses.push(r.status());
  });
  evilPage.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  await evilPage.goto(evilUrl);
  await evilPage.waitForTimeout(2000);
  await evilPage.close();
  evil.close();
  check(evilStatuses.length > 0 && evilStatuses.every((s) => s === 403 || s === 401),
    `cross-site POSTs are refused (${evilStatuses.join(',')})`);
  await openView(page, 'service-accounts');
  const accounts = await page.evaluate(async () => {
    const r = await fetch('/console/api/admin/service-accounts?user=bob');
    return (await r.json()).accounts || [];
  });
  check(accounts.length === 0, 'no service account was made by the cross-site page or the token-less POST');

  // ---- Admin and reconcile changes are in the audit log too.
  await openView(page, 'audit');
  for (const [api, user] of [['AddServiceAccount', 'ops'], ['DeleteServiceAccount', 'ops'],
    ['RevokeTokens', 'ops'], ['ConfigApply', '']]) {
    await page.fill('#audit-api', api);
    await page.fill('#audit-user', user);
    await page.click('#audit-search');
    await page.waitForFunction((a) => document.getElementById('audit-note').textContent.includes('entries') &&
      Array.from(document.querySelectorAll('#audit-rows tr')).every((tr) => tr.children[2].textContent === a),
    api, { timeout: 15000 }).catch(() => {});
    const n = await page.locator('#audit-rows tr').count();
    check(n > 0, `the audit log has ${api} entries${user ? ' by ' + user : ''} (${n})`);
  }
  await shot(page, 'audit-admin-changes');

  // ---- A broken revision: the reconcile view shows its errors with file:line:col.
  appendFileSync(path.join(env.CONSOLE_REPO, 'coffer.toml'),
    '\n[users.carol]\nsecret = "env:E2E_BOB_SECRET"\npolicies = ["no-such-policy"]\n');
  let shown = '';
  for (let i = 0; i < 30 && !/coffer\.toml:\d+:\d+/.test(shown); i++) {
    await page.waitForTimeout(1000);
    await openView(page, 'info');
    await openView(page, 'reconcile');
    shown = await page.textContent('#view');
  }
  check(/coffer\.toml:\d+:\d+/.test(shown) && shown.includes('no-such-policy'),
    'the reconcile view shows the broken revision\'s error with file:line:col');
  await shot(page, 'reconcile-error');

  // ---- Logout ends the session server-side.
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 15000 });
  const after = await page.evaluate(async () => (await fetch('/console/api/session')).status);
  check(after === 401, 'after logout the session is gone (401)');
  await shot(page, 'logged-out');

  // ---- bob sees what his policies allow: the IAM views say "not permitted".
  await login(page, env.CONSOLE_BOB_KEY, env.CONSOLE_BOB_SECRET);
  await page.waitForSelector('#view[data-loaded]', { timeout: 15000 });
  await openView(page, 'users');
  check(await page.locator('#view .denied').count() === 1, 'bob sees "not permitted" on the users view');
  await shot(page, 'not-permitted');
  await openView(page, 'service-accounts');
  check(await page.locator('#view .denied').count() === 0, 'bob may list his own service accounts');
  // The simulator with a principal that is markup: shown as text, nothing runs.
  await openView(page, 'simulator');
  await page.fill('#sim-principal', "<img src=x onerror=alert('principal')>");
  await page.fill('#sim-action', 's3:GetObject');
  await page.fill('#sim-resource', 'arn:aws:s3:::console-e2e/a');
  await page.click('#sim-run');
  await page.waitForSelector('#sim-result > *', { timeout: 15000 });

  // ---- Nothing ran: no dialog, no injected element, no page error.
  const injected = await page.evaluate(() => document.querySelectorAll('#view img, #view script').length);
  check(injected === 0, 'no <img>/<script> element was created from data');
  check(dialogs.length === 0, `no dialog fired (${dialogs.join(' | ')})`);
  check(pageErrors.length === 0, `no page errors (${pageErrors.join(' | ')})`);
}

const timer = setTimeout(() => {
  log('FAIL: the browser test took longer than 120 s');
  process.exit(1);
}, 120000);
main().then(() => {
  clearTimeout(timer);
  if (failures.length > 0) {
    log(`${failures.length} check(s) failed:`);
    for (const f of failures) log('  ' + f);
    process.exit(1);
  }
  log('all checks passed');
}, (e) => {
  clearTimeout(timer);
  log('FAIL:', e && e.stack ? e.stack : String(e));
  process.exit(1);
});
