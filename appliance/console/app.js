// Coffer's web console (issue #16). Plain JavaScript, no framework, no network
// beyond this appliance's own /console/api/.
//
// SECURITY: everything the server sends is data. It is put on the page with
// textContent and createElement only: no markup is ever parsed from a string,
// no eval, no inline handlers (the CSP forbids them anyway). The only secret
// the page ever holds is what the operator types into the login form, sent
// once and cleared; afterwards the session lives in an HttpOnly cookie and the
// CSRF token in this module's memory.
'use strict';

(() => {
  let csrfToken = '';
  let tailTimer = null;

  // ---- DOM helpers: text only --------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function pre(text, id) {
    const props = { class: 'json' };
    if (id) props.id = id;
    return el('pre', props, text);
  }

  const $ = (id) => document.getElementById(id);

  // ---- The console API ---------------------------------------------------------------------

  class SessionEnded extends Error {}

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET' && method !== 'HEAD') headers['X-Coffer-Csrf'] = csrfToken;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch('/console/api/' + path, init);
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = { Message: text };
      }
    }
    if (response.status === 401 && path !== 'login' && path !== 'session') {
      showLogin('Your session has ended. Log in again.');
      throw new SessionEnded();
    }
    return { status: response.status, data };
  }

  const admin = (method, path, body) => api(method, 'admin/' + path, body);

  // A refusal or error as the view shows it.
  function problem(result) {
    const data = result.data || {};
    if (result.status === 403) {
      return el('p', { class: 'denied' }, 'Not permitted: your policies do not allow this view (',
        data.Code || 'AccessDenied', ').');
    }
    if (result.status === 501) {
      return el('p', { class: 'muted' }, 'Not available on this appliance: ', data.Message || '');
    }
    return el('p', { class: 'error' }, 'Error ', String(result.status), ': ',
      data.Code || '', ' ', data.Message || '');
  }

  // ---- Rendering JSON as tables ------------------------------------------------------------

  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const LINE_KEYS = /plan|error|errors|reason|reasons|drift/i;

  function cell(key, value) {
    if (value === null || value === undefined || value === '') return el('span', { class: 'muted' }, '—');
    if (typeof value === 'boolean') {
      // A true drift, dirty or revoked flag is a warning, not good news.
      const bad = value && /drift|dirty|revoked|dropped|failed/i.test(key);
      return el('span', { class: bad ? 'bad' : (value ? 'yes' : 'no') }, value ? 'yes' : 'no');
    }
    if (typeof value === 'string') {
      if (value.includes('\n')) return pre(value);
      const trimmed = value.trim();
      if (/policy|document/i.test(key) && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
        try {
          return pre(JSON.stringify(JSON.parse(trimmed), null, 2));
        } catch (e) {
          return pre(value);
        }
      }
      return document.createTextNode(value);
    }
    if (Array.isArray(value) && value.every((v) => !isObject(v) && !Array.isArray(v))) {
      if (value.length === 0) return el('span', { class: 'muted' }, 'none');
      if (LINE_KEYS.test(key)) return pre(value.join('\n'));
      return document.createTextNode(value.join(', '));
    }
    if (Array.isArray(value) && value.every(isObject) && !/policy|document|statement/i.test(key)) {
      return table(value);
    }
    if (isObject(value) && !/policy|document|statement|context/i.test(key) &&
        Object.values(value).every((v) => !isObject(v) && !Array.isArray(v))) {
      return keyValues(value);
    }
    return pre(JSON.stringify(value, null, 2));
  }

  function table(rows, columns, onRow) {
    if (rows.length === 0) return el('p', { class: 'muted' }, 'None.');
    if (!columns) {
      columns = [];
      for (const row of rows) {
        for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
      }
    }
    const head = el('tr', {}, ...columns.map((c) => el('th', {}, typeof c === 'string' ? c : c.title)));
    const body = el('tbody');
    for (const row of rows) {
      const tr = el('tr');
      for (const c of columns) {
        const value = typeof c === 'string' ? row[c] : c.value(row);
        tr.append(el('td', {}, value instanceof Node ? value : cell(typeof c === 'string' ? c : c.title, value)));
      }
      if (onRow) onRow(tr, row);
      body.append(tr);
    }
    return el('table', { class: 'grid' }, el('thead', {}, head), body);
  }

  function keyValues(object) {
    const body = el('tbody');
    for (const [key, value] of Object.entries(object)) {
      body.append(el('tr', {}, el('th', {}, key), el('td', {}, cell(key, value))));
    }
    return el('table', { class: 'kv' }, body);
  }

  // An answer: its lists of records become tables with a heading, the rest a
  // key/value table.
  function documentView(data) {
    const out = el('div');
    if (Array.isArray(data)) {
      out.append(data.every(isObject) ? table(data) : cell('', data));
      return out;
    }
    if (!isObject(data)) {
      out.append(cell('', data));
      return out;
    }
    const scalars = {};
    const lists = [];
    for (const [key, value] of Object.entries(data)) {
      if (Array.isArray(value) && value.length > 0 && value.every(isObject)) lists.push([key, value]);
      else scalars[key] = value;
    }
    if (Object.keys(scalars).length > 0) out.append(keyValues(scalars));
    for (const [key, value] of lists) out.append(el('h3', {}, key), table(value));
    return out;
  }

  // ---- Views -------------------------------------------------------------------------------

  function simpleView(path, intro) {
    return async (view) => {
      if (intro) view.append(el('p', { class: 'muted' }, intro));
      const holder = el('div', { class: 'content' }, el('p', { class: 'muted' }, 'Loading…'));
      view.append(holder);
      const result = await admin('GET', path);
      clear(holder).append(result.status === 200 ? documentView(result.data) : problem(result));
    };
  }

  async function reconcileView(view) {
    const holder = el('div', { class: 'content' }, el('p', { class: 'muted' }, 'Loading…'));
    view.append(holder);
    const result = await admin('GET', 'reconcile');
    clear(holder);
    if (result.status !== 200) {
      holder.append(problem(result));
      return;
    }
    const data = Object.assign({}, result.data);
    const drift = data.drift;
    holder.append(el('p', { class: drift ? 'badge warn' : 'badge ok', id: 'reconcile-drift' },
      drift ? 'Drift: the store or the repo differs from the applied revision' : 'No drift'));
    holder.append(documentView(data));
  }

  async function policiesView(view) {
    const holder = el('div', { class: 'content' }, el('p', { class: 'muted' }, 'Loading…'));
    view.append(holder);
    const result = await admin('GET', 'policies');
    clear(holder);
    if (result.status !== 200) {
      holder.append(problem(result));
      return;
    }
    const list = Array.isArray(result.data) ? result.data : (result.data.policies || []);
    if (list.length === 0) holder.append(el('p', { class: 'muted' }, 'No policies.'));
    for (const policy of list) {
      const doc = policy.document !== undefined ? policy.document : policy.policy;
      const meta = Object.assign({}, policy);
      delete meta.document;
      delete meta.policy;
      holder.append(el('section', { class: 'policy card' }, el('h3', {}, policy.name || ''),
        keyValues(meta), pre(typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2))));
    }
  }

  function field(label, input) {
    return el('label', {}, label, input);
  }

  async function simulatorView(view) {
    view.append(el('p', { class: 'muted' },
      'Evaluates a request against the principal\'s policies as the store has them; the same answer as `coffer policy eval`.'));
    const principal = el('input', { id: 'sim-principal', placeholder: 'user name' });
    const action = el('input', { id: 'sim-action', placeholder: 's3:GetObject' });
    const resource = el('input', { id: 'sim-resource', placeholder: 'arn:aws:s3:::bucket/key' });
    const context = el('textarea', { id: 'sim-context', rows: '4', placeholder: '{"aws:SourceIp": "10.0.0.1"}' });
    const out = el('div', { id: 'sim-result', class: 'content' });
    const form = el('form', { class: 'card form', id: 'sim-form' },
      field('Principal', principal), field('Action', action), field('Resource', resource),
      field('Context (JSON object, optional)', context),
      el('button', { type: 'submit', id: 'sim-run' }, 'Evaluate'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clear(out);
      let ctx = {};
      if (context.value.trim()) {
        try {
          ctx = JSON.parse(context.value);
        } catch (e) {
          out.append(el('p', { class: 'error' }, 'The context is not JSON: ', e.message));
          return;
        }
      }
      const result = await admin('POST', 'policy/simulate', {
        principal: principal.value.trim(), action: action.value.trim(),
        resource: resource.value.trim(), context: ctx,
      });
      if (result.status !== 200) {
        out.append(problem(result));
        return;
      }
      const d = result.data || {};
      const decision = String(d.decision || d.effect || (d.allowed ? 'allow' : 'deny')).toLowerCase();
      const allowed = decision === 'allow' || decision === 'allowed';
      out.append(el('p', { id: 'sim-decision', class: allowed ? 'badge ok' : 'badge deny' },
        allowed ? 'allow' : 'deny'));
      const statement = isObject(d.statement) ? (d.statement.id || JSON.stringify(d.statement)) : 'none';
      out.append(el('p', {}, 'Reason: ', el('code', { id: 'sim-reason' }, String(d.reason || ''))));
      out.append(el('p', {}, 'Deciding statement: ', el('code', { id: 'sim-statement' }, statement)));
      if (d.explanation) out.append(pre(String(d.explanation), 'sim-explanation'));
      out.append(el('details', {}, el('summary', {}, 'JSON'), pre(JSON.stringify(d, null, 2), 'sim-json')));
    });
    view.append(form, out);
  }

  // The audit log: search, and a live tail that polls with the after= cursor.
  function auditSummary(item) {
    const entry = isObject(item.entry) ? item.entry : item;
    const apiField = isObject(entry.api) ? entry.api : {};
    return {
      time: entry.time || entry.timestamp || '',
      user: [entry.parentUser, entry.accessKey].filter((v) => v).join(' / '),
      api: apiField.name || (typeof entry.api === 'string' ? entry.api : '') || entry.apiName || '',
      bucket: apiField.bucket || entry.bucket || '',
      object: apiField.object || entry.object || '',
      status: apiField.statusCode || entry.statusCode || apiField.status || entry.status || '',
    };
  }

  async function auditView(view) {
    const inputs = {};
    const fields = [['user', 'User'], ['bucket', 'Bucket'], ['api', 'API (e.g. PutObject)'],
      ['status', 'Status (e.g. 403)'], ['since', 'Since (RFC 3339)'], ['until', 'Until (RFC 3339)']];
    const form = el('form', { class: 'card form inline', id: 'audit-form' });
    for (const [name, label] of fields) {
      inputs[name] = el('input', { id: 'audit-' + name, name });
      form.append(field(label, inputs[name]));
    }
    const live = el('input', { type: 'checkbox', id: 'audit-live' });
    const showConsole = el('input', { type: 'checkbox', id: 'audit-console' });
    form.append(el('button', { type: 'submit', id: 'audit-search' }, 'Search'),
      el('label', { class: 'check' }, live, ' Live tail'),
      el('label', { class: 'check' }, showConsole, ' Show the console\'s own reads'));
    const rowsBody = el('tbody', { id: 'audit-rows' });
    const columns = ['time', 'user', 'api', 'bucket', 'object', 'status'];
    // Entries newest first; the tail asks for what came after the newest seen.
    const grid = el('table', { class: 'grid clickable', id: 'audit-table' },
      el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {}, c)))), rowsBody);
    const detail = pre('Click an entry to see its JSON.', 'audit-detail');
    const note = el('p', { class: 'muted', id: 'audit-note' });
    view.append(form, note, el('div', { class: 'split' }, el('div', { class: 'scroll' }, grid), detail));
    let cursor = '';

    // The console's own reads (this page's polling among them) are hidden
    // unless asked for.
    const consoleReads = (item) => {
      const e = isObject(item.entry) ? item.entry : item;
      return e.requestMethod === 'GET' && String(e.requestPath || '').startsWith('/console/');
    };

    function addRows(entries, atTop) {
      const shown = showConsole.checked ? entries : entries.filter((e) => !consoleReads(e));
      const rows = shown.map((entry) => {
        const s = auditSummary(entry);
        const tr = el('tr', { class: 'audit-row' }, ...columns.map((c) => el('td', {}, String(s[c]))));
        tr.addEventListener('click', () => {
          detail.textContent = JSON.stringify(isObject(entry.entry) ? entry.entry : entry, null, 2);
        });
        return tr;
      });
      if (atTop) rowsBody.prepend(...rows);
      else rowsBody.append(...rows);
    }

    function query(after) {
      const params = new URLSearchParams();
      for (const [name] of fields) if (inputs[name].value.trim()) params.set(name, inputs[name].value.trim());
      if (after) params.set('after', after);
      params.set('limit', '200');
      return 'audit/log?' + params.toString();
    }

    function entriesOf(data) {
      if (Array.isArray(data)) return data;
      return (data && (data.entries || data.events || data.records)) || [];
    }

    function newCursor(data) {
      if (data && data.latestSeq !== undefined && data.latestSeq !== null) return String(data.latestSeq);
      return cursor;
    }

    async function search() {
      const result = await admin('GET', query(''));
      clear(rowsBody);
      clear(note);
      if (result.status !== 200) {
        note.append(problem(result));
        return;
      }
      const entries = entriesOf(result.data);
      addRows(entries, false);
      cursor = newCursor(result.data);
      note.append(String(entries.length) + ' entries.');
    }

    async function tail() {
      if (!$('audit-rows')) return stopTail();
      try {
        const result = await admin('GET', query(cursor));
        if (result.status !== 200) return;
        const entries = entriesOf(result.data);
        if (entries.length > 0) addRows(entries, true);
        cursor = newCursor(result.data);
      } catch (e) {
        stopTail();
      }
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      search();
    });
    live.addEventListener('change', () => {
      stopTail();
      if (live.checked) tailTimer = setInterval(tail, 2000);
    });
    await search();
  }

  function stopTail() {
    if (tailTimer !== null) clearInterval(tailTimer);
    tailTimer = null;
  }

  // A button that asks again before it acts (no dialogs: the page never calls
  // alert/confirm).
  function confirmButton(label, confirmLabel, action) {
    const button = el('button', { type: 'button', class: 'danger' }, label);
    let armed = false;
    button.addEventListener('click', async () => {
      if (!armed) {
        armed = true;
        button.textContent = confirmLabel;
        return;
      }
      button.disabled = true;
      await action();
    });
    return button;
  }

  // "Whose?": the admin API lists the caller's own by default and another
  // user's (or everyone's, for root) when asked and allowed.
  function ownerFilter(id, reload) {
    const input = el('input', { id, placeholder: 'your own when empty' });
    const form = el('form', { class: 'card form inline', id: id + '-form' }, field('User', input),
      el('button', { type: 'submit', id: id + '-show' }, 'Show'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      reload();
    });
    const query = () => (input.value.trim() ? '?user=' + encodeURIComponent(input.value.trim()) : '');
    return { form, query };
  }

  async function sessionsView(view) {
    view.append(el('p', { class: 'muted' }, 'Temporary credentials issued by STS. Revoking one refuses its next request.'));
    const holder = el('div', { class: 'content' });
    const status = el('p', { id: 'sessions-status' });
    const owner = ownerFilter('sessions-user', () => load());
    view.append(owner.form, status, holder);
    const load = async () => {
      const result = await admin('GET', 'sts-sessions' + owner.query());
      clear(holder);
      if (result.status !== 200) {
        holder.append(problem(result));
        return;
      }
      const list = result.data.sessions || [];
      holder.append(table(list, null, (tr, row) => {
        tr.append(el('td', {}, row.revoked ? 'revoked' : confirmButton('Revoke', 'Confirm revoke', async () => {
          const r = await admin('DELETE', 'sts-sessions/' + encodeURIComponent(row.accessKey));
          clear(status).append(r.status < 300 ? 'Revoked ' + row.accessKey + '.' : problem(r));
          await load();
        })));
      }));
    };
    await load();
  }

  async function serviceAccountsView(view) {
    view.append(el('p', { class: 'muted' }, 'Access keys that act as their parent user, optionally narrowed by their own policy.'));
    const parent = el('input', { id: 'sa-parent', placeholder: 'your own user when empty' });
    const description = el('input', { id: 'sa-description' });
    const expiration = el('input', { id: 'sa-expiration', placeholder: '2030-01-01T00:00:00Z (optional)' });
    const policy = el('textarea', { id: 'sa-policy', rows: '4', placeholder: 'policy JSON (optional)' });
    const created = el('div', { id: 'sa-created' });
    const form = el('form', { class: 'card form', id: 'sa-form' }, el('h3', {}, 'Create a service account'),
      field('Parent user', parent), field('Description', description), field('Expiration', expiration),
      field('Policy', policy), el('button', { type: 'submit', id: 'sa-create' }, 'Create'));
    const holder = el('div', { class: 'content' });
    const owner = ownerFilter('sa-user', () => load());
    view.append(form, created, owner.form, holder);
    const load = async () => {
      const result = await admin('GET', 'service-accounts' + owner.query());
      clear(holder);
      if (result.status !== 200) {
        holder.append(problem(result));
        return;
      }
      holder.append(table(result.data.accounts || [], null, (tr, row) => {
        tr.append(el('td', {}, confirmButton('Delete', 'Confirm delete', async () => {
          const r = await admin('DELETE', 'service-accounts/' + encodeURIComponent(row.accessKey));
          clear(created).append(r.status < 300 ? el('p', {}, 'Deleted ' + row.accessKey + '.') : problem(r));
          await load();
        })));
      }));
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clear(created);
      const body = {};
      if (parent.value.trim()) body.parent = parent.value.trim();
      if (description.value.trim()) body.description = description.value.trim();
      if (expiration.value.trim()) body.expiration = expiration.value.trim();
      if (policy.value.trim()) {
        try {
          body.policy = JSON.parse(policy.value);
        } catch (e) {
          created.append(el('p', { class: 'error' }, 'The policy is not JSON: ', e.message));
          return;
        }
      }
      const result = await admin('POST', 'service-accounts', body);
      if (result.status !== 200) {
        created.append(problem(result));
        return;
      }
      // Shown once: the secret is not kept anywhere by the console.
      created.append(el('div', { class: 'card secret' },
        el('p', {}, 'Copy the secret now: it is shown once.'),
        keyValues({ accessKey: result.data.accessKey, secretKey: result.data.secretKey, parent: result.data.parent })));
      await load();
    });
    await load();
  }

  const VIEWS = [
    ['info', 'Server', simpleView('info')],
    ['reconcile', 'Reconcile', reconcileView],
    ['users', 'Users', simpleView('users')],
    ['groups', 'Groups', simpleView('groups')],
    ['policies', 'Policies', policiesView],
    ['buckets', 'Buckets', simpleView('buckets')],
    ['identity-providers', 'Identity providers', simpleView('identity-providers')],
    ['audit-targets', 'Audit targets', simpleView('audit/targets')],
    ['kms', 'Key service', simpleView('kms/status')],
    ['simulator', 'Policy simulator', simulatorView],
    ['audit', 'Audit log', auditView],
    ['sessions', 'STS sessions', sessionsView],
    ['service-accounts', 'Service accounts', serviceAccountsView],
  ];

  async function route() {
    stopTail();
    const name = (location.hash || '#info').slice(1);
    const entry = VIEWS.find((v) => v[0] === name) || VIEWS[0];
    for (const link of $('nav').querySelectorAll('a')) {
      link.classList.toggle('active', link.dataset.view === entry[0]);
    }
    const view = clear($('view'));
    view.dataset.view = entry[0];
    view.append(el('h2', {}, entry[1]));
    try {
      await entry[2](view);
    } catch (e) {
      if (!(e instanceof SessionEnded)) view.append(el('p', { class: 'error' }, 'Error: ', e.message));
    }
    view.dataset.loaded = entry[0];
  }

  // ---- Login and session -------------------------------------------------------------------

  function showApp(session) {
    csrfToken = session.csrfToken;
    $('who').textContent = session.user + (session.accessKey && session.accessKey !== session.user ? ' (' + session.accessKey + ')' : '');
    $('logout').hidden = false;
    $('login-view').hidden = true;
    $('app').hidden = false;
    route();
  }

  async function showLogin(message) {
    stopTail();
    csrfToken = '';
    $('who').textContent = '';
    $('logout').hidden = true;
    $('app').hidden = true;
    clear($('view'));
    $('login-view').hidden = false;
    $('login-error').textContent = message || '';
    const oidc = clear($('oidc-logins'));
    try {
      const result = await api('GET', 'oidc/providers');
      for (const provider of (result.data && result.data.providers) || []) {
        oidc.append(el('a', { class: 'button', href: '/console/oidc/start?provider=' + encodeURIComponent(provider.name) },
          'Log in with ' + provider.name));
      }
    } catch (e) {
      // No OIDC login then.
    }
  }

  async function login(event) {
    event.preventDefault();
    const accessKey = $('access-key').value.trim();
    const secretKey = $('secret-key').value;
    const sessionToken = $('session-token').value.trim();
    // The secret leaves the page once and is not kept.
    $('secret-key').value = '';
    $('session-token').value = '';
    const body = { accessKey, secretKey };
    if (sessionToken) body.sessionToken = sessionToken;
    const result = await api('POST', 'login', body);
    if (result.status !== 200) {
      $('login-error').textContent = (result.data && result.data.Message) || 'Login failed.';
      return;
    }
    if (!location.hash) location.hash = '#info';
    showApp(result.data);
  }

  async function logout() {
    try {
      await api('POST', 'logout');
    } finally {
      showLogin('You have logged out.');
    }
  }

  async function start() {
    const nav = $('nav');
    for (const [name, title] of VIEWS) {
      nav.append(el('a', { href: '#' + name, 'data-view': name, id: 'nav-' + name }, title));
    }
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    window.addEventListener('hashchange', () => {
      if (!$('app').hidden) route();
    });
    const session = await api('GET', 'session');
    if (session.status === 200) showApp(session.data);
    else showLogin('');
  }

  document.addEventListener('DOMContentLoaded', start);
})();
