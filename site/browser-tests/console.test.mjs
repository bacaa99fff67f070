// Browser tests of the Cryo console, in headless Debian chromium driven by playwright-core.
// Run by the JUnit tests in site/src/test (they start the console, agents and jobs, and write the
// configuration this reads):  node console.test.mjs CONFIG.json
// Prints "ok - STEP" per step and "measure NAME MS" per measured figure; exits 1 on the first failure.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const deadline = (ms) => ({ timeout: ms });
const WAIT = config.waitMillis || 60000;

let context;
let page;
const errors = [];
const failed = [];
let allowedRefusals = 0;

function ok(step) {
  console.log(`ok - ${step}`);
}

async function shot(name, width, height) {
  if (width) await page.setViewportSize({ width, height });
  fs.mkdirSync(config.screenshots, { recursive: true });
  await page.screenshot({ path: path.join(config.screenshots, `${name}.png`), fullPage: false });
}

async function signIn(token, who) {
  await page.goto(config.url + '/cluster');
  await page.locator('#token').waitFor(deadline(WAIT));
  await page.fill('#token', token);
  await page.click('#sign-in-form button[type=submit]');
  await page.locator('#who-name').filter({ hasText: who }).waitFor(deadline(WAIT));
}

async function signOut() {
  await page.click('#sign-out');
  await page.locator('#token').waitFor(deadline(WAIT));
}

async function api(pathname, token, options = {}) {
  const response = await fetch(config.url + pathname, { method: options.method || 'GET',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: options.body });
  return { status: response.status, body: await response.json() };
}

async function clickAndConfirm(button, reason) {
  await button.click();
  await page.locator('#confirm[open]').waitFor(deadline(WAIT));
  if (reason) await page.fill('#confirm-reason', reason);
  await page.click('#confirm-ok');
}

async function waitFor(what, predicate, millis = WAIT) {
  const end = Date.now() + millis;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`not seen within ${millis} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function clusterLists(nodes) {
  await page.goto(config.url + '/cluster');
  for (const n of nodes) await page.locator(`li.node[data-node="${n}"]`).waitFor(deadline(WAIT));
  ok(`the cluster page lists ${nodes.join(' and ')}`);
}

async function jobShowsItsCheckpointAge(job) {
  await page.click('nav a[data-page=jobs]');
  const row = page.locator(`#jobs-table tr[data-job="${job}"]`);
  await row.waitFor(deadline(WAIT));
  await waitFor(`job ${job} with a checkpoint age`, async () => {
    await page.click('nav a[data-page=jobs]');
    return /ago/.test(await row.locator('td.age').textContent({ timeout: WAIT }));
  }, config.checkpointWaitMillis || WAIT);
  ok(`job ${job} appears with its checkpoint age (${(await row.locator('td.age').textContent()).trim()})`);
}

async function refusedActionChangesNothing(job, ownerToken) {
  // unauthenticated: no credentials at all
  const anonymous = await page.evaluate(async (url) => {
    const r = await fetch(url + '/api/actions/disable', { method: 'POST', credentials: 'omit',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ job: '1' }) });
    return { status: r.status, body: await r.json() };
  }, config.url);
  allowedRefusals++;
  if (anonymous.status !== 401 || !/not signed in/.test(anonymous.body.error)) {
    throw new Error(`an unauthenticated action was not refused: ${JSON.stringify(anonymous)}`);
  }
  ok(`an unauthenticated action is refused: ${anonymous.body.error}`);
  // unauthorised: a signed-in user who is neither the owner nor an operator
  const before = (await api(`/api/jobs?filter=${job}`, ownerToken)).body.jobs.find((j) => j.job === job);
  await page.click('nav a[data-page=jobs]');
  const row = page.locator(`#jobs-table tr[data-job="${job}"]`);
  await row.waitFor(deadline(WAIT));
  allowedRefusals++;
  await clickAndConfirm(row.locator('button[data-action=disable]'));
  const alert = page.locator('#alert');
  await alert.filter({ hasText: 'permission denied' }).waitFor(deadline(WAIT));
  const message = (await alert.textContent()).trim();
  if (!message.includes(`job ${job}`) || !message.includes('only its owner, root or a')) {
    throw new Error(`unclear refusal: ${message}`);
  }
  const after = (await api(`/api/jobs?filter=${job}`, ownerToken)).body.jobs.find((j) => j.job === job);
  if (before.disabled !== after.disabled || after.disabled) throw new Error('the refused action changed the job');
  ok(`an unauthorised user's action is refused with "${message}" and changes nothing`);
  await shot('refused', 1366, 768);
}

async function keyboardReachesJobs() {
  await page.goto(config.url + '/cluster');
  await page.locator('li.node').first().waitFor(deadline(WAIT));
  await page.keyboard.press('Tab');   // skip link
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement && document.activeElement.dataset.page === 'jobs')) break;
  }
  await page.keyboard.press('Enter');
  await page.locator('#jobs-table').waitFor(deadline(WAIT));
  ok('the keyboard alone reaches the jobs page (Tab, Enter)');
}

async function atRiskThenMoved(node, job, eccFiles, otherNode) {
  for (const file of eccFiles) fs.writeFileSync(file + '.new', `${config.eccRaiseTo}\n`), fs.renameSync(file + '.new', file);
  ok(`raised ${node}'s ECC counters to ${config.eccRaiseTo}`);
  await page.goto(config.url + '/cluster');
  await page.locator(`li.node[data-node="${node}"].at-risk`).waitFor(deadline(config.moveWaitMillis || WAIT));
  ok(`${node} turns at-risk in the page`);
  await shot('cluster-at-risk', 1366, 768);
  await page.click('nav a[data-page=activity]');
  const decision = page.locator('#journal li.event-decision').filter({ hasText: `node ${node}` })
    .filter({ hasText: `job ${job}` });
  await decision.first().waitFor(deadline(config.moveWaitMillis || WAIT));
  ok(`the journal shows ${node}'s evacuation of job ${job} live: ${(await decision.first().textContent()).replace(/\s+/g, ' ').trim()}`);
  await shot('activity', 1366, 768);
  if (otherNode) {
    await jobRunsOn(job, otherNode, { from: node, reason: 'health' });
    await schedulerSays(node, /^(drained|draining)\b.*cryo health/);
  }
}

/** The node's card shows the scheduler's state for it (from the adapter's nodeState), matching {@code pattern}. */
async function schedulerSays(node, pattern) {
  await waitFor(`${node}'s scheduler state matching ${pattern}`, async () => {
    await page.goto(config.url + '/cluster');
    const dd = page.locator(`li.node[data-node="${node}"] dd.scheduler-state`);
    await dd.waitFor(deadline(WAIT));
    return pattern.test((await dd.textContent()).trim());
  });
  const text = (await page.locator(`li.node[data-node="${node}"] dd.scheduler-state`).textContent()).trim();
  ok(`the cluster page shows ${node}'s scheduler state: ${text}`);
}

async function jobRunsOn(job, node, move) {
  let seen;
  await waitFor(`job ${job} running on ${node}${move ? `, its catalog recording the move from ${move.from} (${move.reason})` : ''}`,
    async () => {
      const jobs = (await api(`/api/jobs?filter=${job}`, config.tokens.operator)).body.jobs;
      // running there, and its new run's process recorded by cr_run: checkpointable again
      seen = jobs.find((j) => j.job === job);
      const last = seen && seen.moves && seen.moves[seen.moves.length - 1];
      return seen && seen.node === node && seen.state === 'RUNNING' && seen.processNode === node && seen.checkpointable
        && (!move || (last && last.from === move.from && last.to === node && last.reason === move.reason));
    }, config.moveWaitMillis || WAIT);
  await page.click('nav a[data-page=jobs]');
  const row = page.locator(`#jobs-table tr[data-job="${job}"]`).filter({ hasText: node });
  await row.waitFor(deadline(WAIT));
  if (move) {
    await row.locator('td.moves').filter({ hasText: `→ ${node} (${move.reason})` }).waitFor(deadline(WAIT));
    const restarts = (await row.locator('td.restarts').textContent()).trim();
    if (restarts !== String(seen.restarts) || !seen.restarts) throw new Error(`restarts shown ${restarts}, recorded ${seen.restarts}`);
    ok(`job ${job} runs on ${node}; the jobs page shows ${restarts} restart(s) and where it ran: ${(await row.locator('td.moves').textContent()).trim()}`);
  } else {
    ok(`job ${job} runs on ${node}`);
  }
}

async function historyPage(job, reasons, intervalSeconds) {
  const { body } = await api(`/api/jobs/${job}/checkpoints`, config.tokens.operator);
  if (body.intervalSource !== 'recorded' || body.intervalSeconds !== intervalSeconds) {
    throw new Error(`the interval cr_run recorded is not shown: ${body.intervalSeconds} (${body.intervalSource})`);
  }
  await page.goto(`${config.url}/jobs/${job}`);
  await page.locator('#history tr.move').nth(reasons.length - 1).waitFor(deadline(WAIT));
  const rows = await page.locator('#history tr.move').allTextContents();
  const shown = reasons.slice().reverse();
  for (let i = 0; i < shown.length; i++) {
    if (!rows[i].includes(shown[i])) throw new Error(`history row ${i} is "${rows[i]}", not a ${shown[i]} move`);
  }
  await shot('job-history', 1366, 768);
  ok(`job ${job}'s page shows its history (${rows.length} restarts: ${reasons.join(', ')}) and its recorded interval of ${intervalSeconds} s`);
}

async function operatorMigratesNode(node, job, otherNode) {
  await page.goto(config.url + '/cluster');
  const card = page.locator(`li.node[data-node="${node}"]`);
  await card.waitFor(deadline(WAIT));
  await clickAndConfirm(card.locator('button[data-action=migrate]'), 'console browser test');
  await page.locator('#status').filter({ hasText: 'checkpointed and requeued' }).waitFor(deadline(config.moveWaitMillis || WAIT));
  const said = (await page.locator('#status').textContent()).trim();
  if (!said.includes(`job ${job} moved`)) throw new Error(`the migration did not move job ${job}: ${said}`);
  ok(`the operator's "migrate node" click: ${said}`);
  await schedulerSays(node, /^(drained|draining)\b.*console browser test/);
  if (otherNode) await jobRunsOn(job, otherNode, { from: node, reason: 'migrated' });
}

async function operatorResumes(node) {
  await page.goto(config.url + '/cluster');
  const card = page.locator(`li.node[data-node="${node}"]`);
  await card.locator('button[data-action=resume]').waitFor(deadline(WAIT));
  await clickAndConfirm(card.locator('button[data-action=resume]'));
  await page.locator('#status').filter({ hasText: `node ${node} resumed` }).waitFor(deadline(WAIT));
  ok(`the operator resumed ${node}`);
}

async function pages() {
  await page.goto(config.url + '/cluster');
  await page.locator('li.node').first().waitFor(deadline(WAIT));
  await shot('cluster', 1366, 768);
  await shot('cluster-3840', 3840, 2160);
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(config.url + '/jobs');
  await page.locator('#jobs-table tbody tr').first().waitFor(deadline(WAIT));
  await shot('jobs', 1366, 768);
  await shot('jobs-3840', 3840, 2160);
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(`${config.url}/jobs/${config.job}`);
  await page.locator('.checkpoints li').first().waitFor(deadline(WAIT));
  const restart = await page.locator('.flag-restart').count();
  if (restart !== 1) throw new Error(`the checkpoints page marks ${restart} files as the restart's`);
  await shot('job-checkpoints', 1366, 768);
  ok(`job ${config.job}'s checkpoints page shows what the engine says of each file and the one a restart uses`);
  await page.goto(config.url + '/activity');
  await page.locator('#journal').waitFor(deadline(WAIT));
  await shot('activity', 1366, 768);
  await page.goto(config.url + '/docs/README');
  await page.locator('main h1').waitFor(deadline(WAIT));
  await shot('docs', 1366, 768);
  ok('every page rendered at 1366x768 (cluster and jobs at 3840x2160 too)');
}

async function measureLoad() {
  for (const [name, pathname, ready] of [['cluster', '/cluster', 'li.node'], ['jobs', '/jobs', '#jobs-table tbody tr']]) {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const start = Date.now();
      await page.goto(config.url + pathname);
      await page.locator(ready).nth(config.expectRows[name] - 1).waitFor(deadline(120000));
      times.push(Date.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(`measure ${name}-page-load-ms ${times[1]} (median of 3: ${times.join(', ')}; ${config.expectRows[name]} rows)`);
  }
  await shot('jobs-1000', 1366, 768);
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cryo-console-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: FLAGS,
    headless: true, viewport: { width: 1366, height: 768 } });
  try {
    page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
    for (const step of config.steps) {
      switch (step) {
        case 'sign-in-stranger': await signIn(config.tokens.stranger, config.users.stranger); ok('signed in with a Slurm token'); break;
        case 'sign-in-operator': await signIn(config.tokens.operator, config.users.operator); ok('signed in as an operator'); break;
        case 'sign-out': await signOut(); break;
        case 'cluster': await clusterLists(config.nodes); break;
        case 'job-age': await jobShowsItsCheckpointAge(config.job); break;
        case 'refused': await refusedActionChangesNothing(config.job, config.tokens.operator); break;
        case 'keyboard': await keyboardReachesJobs(); break;
        case 'pages': await pages(); break;
        case 'at-risk': await atRiskThenMoved(config.riskNode, config.job, config.eccFiles, config.otherNode); break;
        case 'resume': await operatorResumes(config.resumeNode); break;
        case 'migrate': await operatorMigratesNode(config.migrateNode, config.migrateJob, config.migrateTo); break;
        case 'load': await measureLoad(); break;
        case 'history': await historyPage(config.job, config.historyReasons, config.intervalSeconds); break;
        default: throw new Error(`unknown step ${step}`);
      }
    }
    const refusals = errors.filter((e) => /status of 40[13]/.test(e));
    const others = errors.filter((e) => !/status of 40[13]/.test(e));
    if (others.length || refusals.length > allowedRefusals) {
      throw new Error(`console errors: ${JSON.stringify(errors)} (answers over 400: ${JSON.stringify(failed)})`);
    }
    ok(`no console errors (${refusals.length} expected refusal${refusals.length === 1 ? '' : 's'} logged as such)`);
  } catch (e) {
    await shot('failure').catch(() => {});
    throw e;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  console.log(`not ok - ${e.message}`);
  process.exit(1);
});
