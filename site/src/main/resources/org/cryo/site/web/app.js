// The Cryo console's pages: plain ES modules over the console's JSON API.  Every string from the
// API is put in the page as text (never as HTML).
import { sparkline, fmtNumber } from './charts.js';

const PAGE_SIZE = 50;
const state = { session: null, page: 'cluster', jobs: { jobs: [], total: 0, matched: 0 }, sort: { key: 'job', dir: 1 },
  filter: '', offset: 0, filterTimer: null,
  progress: new Map(), running: new Map(), events: [], timer: null, source: null };

// ------------------------------------------------------------ helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return node;
}

const $ = (id) => document.getElementById(id);

export function bytes(n) {
  if (n === undefined || n === null || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

export function age(seconds) {
  if (seconds === undefined || seconds === null) return '–';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

// Level: a shape, a word and a colour (the colour alone never tells it).
const LEVELS = { ok: '●', warn: '▲', evacuate: '◆', fail: '✖', unknown: '?' };
function levelBadge(level) {
  const l = LEVELS[level] ? level : 'unknown';
  return el('span', { class: `level level-${l}` }, el('span', { 'aria-hidden': 'true' }, LEVELS[l]), ` ${l}`);
}

function say(text) {
  $('status').textContent = text;
}

function alarm(text) {
  const box = $('alert');
  box.textContent = text;
  box.hidden = !text;
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.method === 'POST' && state.session) headers['X-Cryo-CSRF'] = state.session.csrf;
  const response = await fetch(path, { method: options.method || 'GET', headers, credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  let data = null;
  try { data = await response.json(); } catch (e) { data = { error: `HTTP ${response.status}` }; }
  if (response.status === 401) {
    showSignIn(data.error);
    throw new Error(data.error);
  }
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

// ------------------------------------------------------------ sign in

function showSignIn(why) {
  state.session = null;
  $('who').hidden = true;
  $('page').replaceChildren();
  $('sign-in').hidden = false;
  $('sign-in-why').textContent = why || '';
  $('token').focus();
}

async function signIn(event) {
  event.preventDefault();
  try {
    const s = await api('/api/login', { method: 'POST', body: { token: $('token').value } });
    $('token').value = '';
    started(s);
  } catch (e) {
    $('sign-in-why').textContent = e.message;
  }
}

async function signOut() {
  try { await api('/api/logout', { method: 'POST', body: {} }); } catch (e) { /* signed out either way */ }
  if (state.source) state.source.close();
  showSignIn('Signed out.');
}

function started(session) {
  state.session = session;
  $('sign-in').hidden = true;
  $('who').hidden = false;
  $('who-name').textContent = `${session.user}${session.privileged ? ` (${session.scheduler} operator)` : ''}`;
  listen();
  route();
}

// ------------------------------------------------------------ navigation

function route() {
  const path = location.pathname;
  const m = path.match(/^\/jobs\/([A-Za-z0-9._\[\]-]+)$/);
  state.page = m ? 'job' : path.startsWith('/jobs') ? 'jobs' : path.startsWith('/activity') ? 'activity' : 'cluster';
  for (const a of document.querySelectorAll('nav a[data-page]')) {
    const current = a.dataset.page === state.page || (state.page === 'job' && a.dataset.page === 'jobs');
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  clearInterval(state.timer);
  alarm('');
  if (state.page === 'cluster') { renderCluster(); state.timer = setInterval(renderCluster, 5000); }
  if (state.page === 'jobs') { renderJobs(); state.timer = setInterval(renderJobs, 10000); }
  if (state.page === 'job') renderJob(decodeURIComponent(m[1]));
  if (state.page === 'activity') renderActivity();
}

function go(path) {
  history.pushState(null, '', path);
  route();
  $('main').focus();
}

document.addEventListener('click', (event) => {
  const a = event.target.closest('a[href^="/"]');
  if (a && !a.getAttribute('href').startsWith('/docs') && !event.ctrlKey && !event.metaKey && event.button === 0) {
    event.preventDefault();
    go(a.getAttribute('href'));
  }
});
window.addEventListener('popstate', route);

// ------------------------------------------------------------ actions

function confirmAction(text, askReason) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-reason').hidden = !askReason;
  $('confirm-reason-label').hidden = !askReason;
  $('confirm-reason').value = '';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'
      ? { reason: $('confirm-reason').value } : null), { once: true });
    dialog.showModal();
    (askReason ? $('confirm-reason') : $('confirm-ok')).focus();
  });
}

const ACTION_TEXT = {
  checkpoint: (t) => `Checkpoint ${t} now? It runs on.`,
  vacate: (t) => `Vacate ${t}? It is checkpointed, stopped and requeued.`,
  restart: (t) => `Restart ${t} from its latest context file?`,
  disable: (t) => `Disable checkpoints of ${t}?`,
  enable: (t) => `Enable checkpoints of ${t}?`,
  migrate: (t) => `Migrate ${t}? It is drained and its checkpointable jobs are checkpointed and requeued elsewhere.`,
  drain: (t) => `Drain ${t}? Nothing new is placed there; its jobs run on.`,
  resume: (t) => `Resume ${t}? It takes new jobs again.`,
};

async function act(action, target, refresh) {
  const label = target.job ? `job ${target.job}` : `node ${target.node}`;
  const answer = await confirmAction(ACTION_TEXT[action](label), Boolean(target.node) && action !== 'resume');
  if (!answer) return;
  const body = { ...target };
  if (answer.reason) body.reason = answer.reason;
  alarm('');
  say(`${action} ${label}: running…`);
  try {
    const result = await api(`/api/actions/${action}`, { method: 'POST', body });
    const jobs = (result.jobs || []).map((j) => `job ${j.job} ${j.outcome}`).join('; ');
    say(jobs ? `${result.message}: ${jobs}` : result.message);
  } catch (e) {
    say('');
    alarm(`${action} ${label} refused: ${e.message}`);
  }
  if (refresh) refresh();
}

function actionButton(action, target, refresh, label) {
  return el('button', { type: 'button', class: `act act-${action}`, 'data-action': action,
    onclick: () => act(action, target, refresh) }, label || action);
}

// ------------------------------------------------------------ cluster

async function renderCluster() {
  let data;
  try { data = await api('/api/cluster'); } catch (e) { if (state.session) alarm(e.message); return; }
  if (state.page !== 'cluster') return;
  const cards = data.nodes.map((n) => nodeCard(n));
  const atRisk = data.nodes.filter((n) => n.atRisk).length;
  const drained = data.nodes.filter((n) => n.drained).length;
  $('page').replaceChildren(
    el('h2', {}, 'Cluster'),
    el('p', { class: 'summary' }, `${data.nodes.length} nodes, ${atRisk} at risk, ${drained} drained · ${data.scheduler} (${data.apiVersion}) · policy: poll every ${data.policy.pollInterval}${data.policy.dryRun ? ', dry run' : ''}`),
    el('ul', { class: 'nodes', 'aria-label': 'Nodes' }, cards));
}

function nodeCard(n) {
  const flags = [n.atRisk ? 'at-risk' : '', n.drained ? 'drained' : ''].filter(Boolean).join(' ');
  const charts = (n.series || []).map((s) => el('figure', { class: 'chart' }, sparkline(s),
    el('figcaption', {}, `${s.signal} · ${s.series}`, el('br'), el('small', {}, s.measure))));
  const findings = (n.findings || []).map((f) => el('li', {}, levelBadge(f.level), ` ${f.reason}`));
  const actions = state.session && state.session.privileged ? el('div', { class: 'actions' },
    actionButton('migrate', { node: n.node }, renderCluster, 'Migrate node'),
    n.drained ? actionButton('resume', { node: n.node }, renderCluster, 'Resume')
      : actionButton('drain', { node: n.node }, renderCluster, 'Drain')) : null;
  return el('li', { class: `node ${flags}`, 'data-node': n.node, 'data-level': n.level },
    el('h3', {}, n.node, ' ', levelBadge(n.level),
      n.atRisk ? el('span', { class: 'flag flag-risk' }, '⚠ at risk') : null,
      n.drained ? el('span', { class: 'flag flag-drained' }, '‖ drained') : null),
    el('dl', {},
      el('dt', {}, 'Scheduler'), el('dd', { class: `scheduler-state state-${n.scheduler.state}` }, schedulerText(n.scheduler)),
      el('dt', {}, 'Jobs'), el('dd', {}, n.jobs === undefined ? '–' : String(n.jobs)),
      el('dt', {}, 'Agent acted on'), el('dd', {}, n.acted)),
    n.error ? el('p', { class: 'error' }, n.error) : null,
    findings.length ? el('ul', { class: 'findings' }, findings) : null,
    el('div', { class: 'charts' }, charts.length ? charts : el('p', {}, 'No readings yet.')),
    actions);
}

/** "draining (MIXED+DRAIN): cryo health evacuate ..." : Cryo's word, the scheduler's, its reason. */
function schedulerText(s) {
  const native = s.native && s.native.toLowerCase() !== s.state ? ` (${s.native})` : '';
  const why = s.reason || s.console || '';
  return `${s.state}${native}${why ? `: ${why}` : ''}`;
}

// ------------------------------------------------------------ jobs

const COLUMNS = [
  ['job', 'Job'], ['owner', 'Owner'], ['state', 'State'], ['node', 'Node'], ['age', 'Latest checkpoint'],
  ['bytes', 'Size'], ['interval', 'Interval'], ['restarts', 'Restarts'], ['moves', 'Where it ran'],
];

/** The page's query: the server filters, sorts and pages (a cluster's thousand jobs cost fifty rows). */
function jobsQuery() {
  const q = new URLSearchParams({ offset: String(state.offset), limit: String(PAGE_SIZE), sort: state.sort.key,
    order: state.sort.dir > 0 ? 'asc' : 'desc' });
  if (state.filter.trim()) q.set('filter', state.filter.trim());
  return `/api/jobs?${q}`;
}

async function renderJobs() {
  if (state.loadingJobs) return;   // a large cluster's list may take longer than the refresh interval
  state.loadingJobs = true;
  try { state.jobs = await api(jobsQuery()); } catch (e) { if (state.session) alarm(e.message); return; } finally {
    state.loadingJobs = false;
  }
  if (!state.jobs.jobs.length && state.offset > 0 && state.jobs.matched) {
    state.offset = 0;   // the list shrank below this page
    renderJobs();
    return;
  }
  if (state.page !== 'jobs') return;
  if (!$('jobs-table')) {
    const filter = el('input', { id: 'job-filter', type: 'search', value: state.filter,
      placeholder: 'job, owner, node or state', oninput: (e) => {
        state.filter = e.target.value;
        state.offset = 0;
        clearTimeout(state.filterTimer);
        state.filterTimer = setTimeout(renderJobs, 250);
      } });
    const pager = el('div', { class: 'pager' },
      el('button', { type: 'button', id: 'jobs-previous', onclick: () => turn(-1) }, '← Previous'),
      el('button', { type: 'button', id: 'jobs-next', onclick: () => turn(1) }, 'Next →'));
    $('page').replaceChildren(el('h2', {}, 'Jobs'),
      el('div', { class: 'toolbar' }, el('label', { for: 'job-filter' }, 'Filter '), filter,
        el('span', { id: 'job-count', class: 'summary', 'aria-live': 'polite' }), pager),
      el('table', { id: 'jobs-table' }, el('caption', {}, 'Checkpointable jobs'), el('thead'), el('tbody')));
  }
  drawJobs();
}

function turn(pages) {
  state.offset = Math.max(0, state.offset + pages * PAGE_SIZE);
  renderJobs();
}

function drawJobs() {
  const { key, dir } = state.sort;
  const shown = state.jobs.jobs;
  const head = el('tr', {}, COLUMNS.map(([k, label]) => el('th', { scope: 'col',
    'aria-sort': k === key ? (dir > 0 ? 'ascending' : 'descending') : 'none' },
  el('button', { type: 'button', class: 'sort', onclick: () => {
    state.sort = { key: k, dir: k === key ? -dir : 1 };
    state.offset = 0;
    renderJobs();
  } }, label, k === key ? (dir > 0 ? ' ▲' : ' ▼') : ''))), el('th', { scope: 'col' }, 'Actions'));
  const rows = shown.map((j) => el('tr', { 'data-job': j.job },
    el('td', {}, el('a', { href: `/jobs/${encodeURIComponent(j.job)}` }, j.job)),
    el('td', {}, j.owner), el('td', {}, j.state), el('td', {}, j.node),
    el('td', { class: 'age' }, j.latest ? `${age(j.latest.ageSeconds)} ago` : (j.catalog || 'none')),
    el('td', {}, j.latest ? bytes(j.latest.bytes) : '–'),
    el('td', {}, intervalText(j)),
    el('td', { class: 'restarts' }, String(j.restarts ?? 0)),
    el('td', { class: 'moves' }, movesText(j.moves || [])),
    el('td', { class: 'actions' },
      actionButton('checkpoint', { job: j.job }, renderJobs, 'Checkpoint'),
      actionButton('vacate', { job: j.job }, renderJobs, 'Vacate'),
      j.disabled ? actionButton('enable', { job: j.job }, renderJobs, 'Enable')
        : actionButton('disable', { job: j.job }, renderJobs, 'Disable'))));
  const table = $('jobs-table');
  table.tHead.replaceChildren(head);
  table.tBodies[0].replaceChildren(...rows);
  const { offset, matched, total } = state.jobs;
  $('job-count').textContent = matched ? ` ${offset + 1}–${offset + shown.length} of ${matched}`
    + (matched !== total ? ` matching (${total} jobs)` : ' jobs') : ` none of ${total} jobs`;
  $('jobs-previous').disabled = offset === 0;
  $('jobs-next').disabled = offset + shown.length >= matched;
}

/** "5 s" as cr_run recorded it, "≈ 5 s" as the context files' times show it. */
function intervalText(j) {
  if (j.intervalSeconds === undefined) return '–';
  const text = age(Math.round(j.intervalSeconds));
  return j.intervalSource === 'recorded' ? text : `≈ ${text}`;
}

/** "n1 → n2 (health) → n1 (migrated)": where the job ran and why it moved, each move in the title. */
function movesText(moves) {
  if (!moves.length) return '–';
  const path = [moves[0].from === '-' ? '?' : moves[0].from];
  for (const m of moves) path.push(`→ ${m.to} (${m.reason})`);
  return el('span', { title: moves.map((m) => `${m.at}: ${m.from} → ${m.to}, ${m.reason}, from ${m.context}`).join('\n') },
    path.join(' '));
}

function historyTable(moves) {
  if (!moves.length) return el('p', { id: 'history-none' }, 'Never restarted: it runs where it started.');
  const rows = moves.slice().reverse().map((m) => el('tr', { class: `move reason-${m.reason}` },
    el('td', {}, el('time', {}, m.at)), el('td', {}, m.from), el('td', {}, m.to), el('td', {}, m.reason),
    el('td', {}, el('code', {}, m.context))));
  return el('table', { id: 'history' }, el('caption', {}, `${moves.length} restart(s), newest first`),
    el('thead', {}, el('tr', {}, ['When', 'From', 'To', 'Why it moved', 'Restarted from']
      .map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows));
}

async function renderJob(id) {
  $('page').replaceChildren(el('h2', {}, `Job ${id}: checkpoints`), el('p', {}, 'Loading…'));
  let data;
  try { data = await api(`/api/jobs/${encodeURIComponent(id)}/checkpoints`); } catch (e) {
    $('page').replaceChildren(el('h2', {}, `Job ${id}: checkpoints`), el('p', { class: 'error' }, e.message),
      el('p', {}, el('a', { href: '/jobs' }, '← Jobs')));
    return;
  }
  const files = data.checkpoints.map((c) => checkpointItem(c));
  $('page').replaceChildren(
    el('h2', {}, `Job ${data.job}: checkpoints`),
    el('p', {}, el('a', { href: '/jobs' }, '← Jobs')),
    el('dl', { class: 'facts' },
      el('dt', {}, 'Owner'), el('dd', {}, data.owner), el('dt', {}, 'State'), el('dd', {}, data.state),
      el('dt', {}, 'Catalog'), el('dd', {}, el('code', {}, data.directory)),
      el('dt', {}, 'Retention'), el('dd', {}, data.retention),
      el('dt', {}, 'A restart uses'), el('dd', {}, data.restartUses || 'nothing yet (no context file)'),
      el('dt', {}, 'Periodic interval'), el('dd', {}, data.intervalSeconds === undefined ? 'none' : intervalText(data))),
    el('div', { class: 'actions' }, actionButton('checkpoint', { job: data.job }, () => renderJob(id), 'Checkpoint now'),
      actionButton('vacate', { job: data.job }, () => renderJob(id), 'Vacate'),
      actionButton('restart', { job: data.job }, () => renderJob(id), 'Restart')),
    el('h3', {}, 'Where it ran and why it moved'), historyTable(data.moves || []),
    el('h3', {}, 'Context files'),
    files.length ? el('ol', { class: 'checkpoints', reversed: true }, files) : el('p', {}, 'No context files.'));
}

function checkpointItem(c) {
  const info = c.info || {};
  const head = el('h3', {}, el('code', {}, c.file), ` · ${bytes(c.bytes)} · ${c.at}`,
    c.restartUses ? el('span', { class: 'flag flag-restart' }, '↻ a restart uses this one') : null);
  if (info.error) return el('li', {}, head, el('p', { class: 'error' }, info.error));
  const procs = (info.processes || []).map((p) => el('tr', {},
    el('td', {}, String(p.pid)), el('td', {}, String(p.ppid)), el('td', {}, p.command), el('td', {}, p.state),
    el('td', {}, String(p.threads)), el('td', {}, bytes(p.savedBytes)),
    el('td', {}, Object.entries(p.memoryByKind).map(([k, v]) => `${k} ${bytes(v)}`).join(', ')),
    el('td', {}, Object.entries(p.descriptors).map(([k, v]) => `${v} ${k}`).join(', '))));
  const fileList = (info.processes || []).flatMap((p) => p.files.filter((f) => f.path)
    .map((f) => el('li', {}, `${p.pid} fd ${f.fd} `, el('code', {}, f.path), ` (${f.kind}, ${f.access})`)));
  return el('li', {}, head,
    el('p', {}, `Taken ${info.taken} on ${info.host} by ${info.user}, frozen ${info.frozenMillis} ms; format ${info.formatVersion}, Cryo ${info.engineVersion}`),
    el('p', {}, 'Command: ', el('code', {}, info.commandLine)),
    el('table', {}, el('caption', {}, `${info.processes.length} process(es), ${info.threads} thread(s), ${bytes(info.savedBytes)} of memory saved`),
      el('thead', {}, el('tr', {}, ['PID', 'PPID', 'Command', 'State', 'Threads', 'Saved', 'Memory by kind', 'Descriptors']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, procs)),
    fileList.length ? el('details', {}, el('summary', {}, `${fileList.length} files`), el('ul', {}, fileList)) : null);
}

// ------------------------------------------------------------ activity

function listen() {
  if (state.source) state.source.close();
  const source = new EventSource('/api/activity');
  state.source = source;
  const take = (kind) => (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (kind === 'progress') {
      if (data.state === 'done') state.progress.delete(data.job); else state.progress.set(data.job, data);
    } else {
      if (state.events.some((e) => e.id === data.id)) return;
      state.events.push(data);
      if (state.events.length > 300) state.events.shift();
      if (kind === 'action') {
        if (data.state === 'running') state.running.set(data.target, data); else state.running.delete(data.target);
      }
    }
    const badge = $('inflight');
    const busy = state.progress.size + state.running.size;
    badge.hidden = busy === 0;
    badge.textContent = busy ? `${busy} in flight` : '';
    if (state.page === 'activity') drawActivity();
  };
  source.addEventListener('decision', take('decision'));
  source.addEventListener('action', take('action'));
  source.addEventListener('progress', take('progress'));
}

function renderActivity() {
  $('page').replaceChildren(el('h2', {}, 'Activity'),
    el('section', { 'aria-labelledby': 'flight-title' }, el('h3', { id: 'flight-title' }, 'In flight'),
      el('ul', { id: 'in-flight', class: 'in-flight' })),
    el('section', { 'aria-labelledby': 'journal-title' }, el('h3', { id: 'journal-title' }, 'Journal (newest first)'),
      el('ol', { id: 'journal', class: 'journal' })));
  drawActivity();
}

function drawActivity() {
  const flight = [];
  for (const p of state.progress.values()) {
    const total = p.estimatedTotal || 0;
    const pct = total ? Math.min(100, Math.round((100 * p.written) / total)) : null;
    flight.push(el('li', { 'data-job': p.job }, `Checkpoint of job ${p.job}${p.node ? ` on ${p.node}` : ''}: ${bytes(p.written)}`,
      total ? ` of about ${bytes(total)}` : '',
      p.bytesPerSecond ? ` at ${bytes(p.bytesPerSecond)}/s` : '',
      p.leftMillis !== undefined ? `, about ${age(Math.round(p.leftMillis / 1000))} left` : '',
      el('progress', { max: 100, value: pct === null ? undefined : pct, 'aria-label': `checkpoint of job ${p.job}` })));
  }
  for (const r of state.running.values()) {
    flight.push(el('li', {}, `${r.action} ${r.target} by ${r.user}: running since ${r.at}`,
      el('progress', { 'aria-label': `${r.action} ${r.target}` })));
  }
  $('in-flight').replaceChildren(...(flight.length ? flight : [el('li', {}, 'Nothing in flight.')]));
  const items = state.events.slice().reverse().map((e) => eventItem(e));
  $('journal').replaceChildren(...items);
}

function eventItem(e) {
  if (e.kind === 'decision') {
    const jobs = (e.jobs || []).map((j) => el('li', {}, `job ${j.job}: ${j.outcome}`));
    return el('li', { class: `event event-decision level-row-${e.level}` }, el('time', {}, e.at), ' ',
      levelBadge(e.level), ` node ${e.node}: ${e.action}: ${e.outcome}`, el('br'), el('small', {}, e.reason),
      jobs.length ? el('ul', {}, jobs) : null);
  }
  const mark = { running: '…', done: '✔', refused: '⊘', failed: '✖' }[e.state] || '';
  return el('li', { class: `event event-action action-${e.state}` }, el('time', {}, e.at),
    ` ${mark} ${e.user}: ${e.action} ${e.target}: ${e.state}`, e.message ? el('br') : null,
    e.message ? el('small', {}, e.message) : null);
}

// ------------------------------------------------------------ start

async function start() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  try {
    const s = await (await fetch('/api/session', { credentials: 'same-origin' })).json();
    if (s.user) started(s); else showSignIn(s.signIn);
  } catch (e) {
    showSignIn(e.message);
  }
}

start();
