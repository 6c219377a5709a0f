// Browser test of the web UI: a real oxios-host (started here) and Debian's
// chromium, driven headless by playwright-core (no browser is downloaded).
//
// Env (set by CTest, see tests/CMakeLists.txt):
//   OXIOS_HOST_BIN       the oxios-host binary
//   OXIOS_PLUGIN         web_plugin.so; OXIOS_PLUGIN_NEXT the "-next" build for the reload
//   OXIOS_WEB_UI_DIR     the built UI directory (default: <dir of OXIOS_PLUGIN>/ui)
//   OXIOS_ARTIFACTS_DIR  where screenshots go (default: $OXIOS_BUILD_DIR/artifacts)
//   OXIOS_CHROMIUM       the browser (default /usr/bin/chromium)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run this test through ctest)`);
  return v;
}

const HOST_BIN = need('OXIOS_HOST_BIN');
const PLUGIN = need('OXIOS_PLUGIN');
const PLUGIN_NEXT = need('OXIOS_PLUGIN_NEXT');
const UI_DIR = process.env.OXIOS_WEB_UI_DIR || path.join(path.dirname(PLUGIN), 'ui');
const ARTIFACTS =
  process.env.OXIOS_ARTIFACTS_DIR ||
  path.join(process.env.OXIOS_BUILD_DIR || path.join(here, '..', '..', 'build'), 'artifacts');
const CHROMIUM = process.env.OXIOS_CHROMIUM || '/usr/bin/chromium';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'oxios-browser-'));
const pluginDir = path.join(root, 'plugins');
const workspace = path.join(root, 'workspace');
fs.mkdirSync(pluginDir);
fs.mkdirSync(workspace);
fs.writeFileSync(path.join(root, 'config.json'), '{}');
fs.copyFileSync(PLUGIN, path.join(pluginDir, 'web_plugin.so'));

let host = null;
let browser = null;
const cleanups = [];

/** Starts oxios-host; resolves with {proc, port, log()} once it listens. */
function startHost(port = 0) {
  return new Promise((resolve, reject) => {
    const args = ['--config', path.join(root, 'config.json'), '--plugins', pluginDir, '--workspace', workspace,
      '--port', String(port)];
    const proc = spawn(HOST_BIN, args, {
      env: { ...process.env, OXIOS_WEB_UI_DIR: UI_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`oxios-host did not start:\n${out}\n${err}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]), log: () => `${out}\n${err}` });
      }
    });
    proc.stderr.on('data', (d) => {
      err += d;
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oxios-host exited (${code}) at start:\n${out}\n${err}`));
    });
  });
}

async function stopHost(h) {
  if (!h || h.proc.exitCode !== null || h.proc.signalCode !== null) return;
  const exited = new Promise((r) => h.proc.once('exit', r));
  h.proc.kill('SIGTERM');
  const t = setTimeout(() => h.proc.kill('SIGKILL'), 15000);
  await exited;
  clearTimeout(t);
}

/** Installs a plugin the way a deploy does: temp name, then rename. */
function installPlugin(so) {
  const tmp = path.join(pluginDir, '.web_plugin.so.tmp');
  fs.copyFileSync(so, tmp);
  fs.renameSync(tmp, path.join(pluginDir, 'web_plugin.so'));
}

after(async () => {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      /* best effort */
    }
  }
  if (process.exitCode === undefined || process.exitCode === 0) fs.rmSync(root, { recursive: true, force: true });
  else console.error(`kept ${root} for inspection`);
});

test('the web UI chats, lists sessions, survives a plugin reload and a host restart', { timeout: 180000 }, async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  assert.ok(fs.existsSync(path.join(UI_DIR, 'index.html')), `no index.html in ${UI_DIR}`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  host = await startHost();
  cleanups.push(() => stopHost(host));
  const base = `http://127.0.0.1:${host.port}`;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // launch() gives the browser a fresh temporary profile (--user-data-dir).
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  cleanups.push(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket|EventSource|ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.setDefaultTimeout(20000);
  const t0 = Date.now();
  // Each step is logged with its start time: a slow step shows in the CI log.
  const step = (name) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${name}`);

  try {
    // The page's first session list is fetched at once but delivered only
    // after the first reply: the refresh the reply asks for must not be lost
    // in the one still in flight (it was, under load).
    let releaseFirstList;
    const firstListHeld = new Promise((resolve) => (releaseFirstList = resolve));
    let listsSeen = 0;
    await page.route(/\/api\/sessions\?limit=100$/, async (route) => {
      if (++listsSeen > 1) return route.continue();
      const stale = await route.fetch();
      await firstListHeld;
      await route.fulfill({ response: stale });
    });

    step(`the page loads from the plugin, with its module script`);
    const res = await page.goto(`${base}/`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^text\/html/);
    await page.getByRole('heading', { name: 'Talk to the Oxios kernel' }).waitFor();
    const conn = page.locator('#conn');
    await page.waitForFunction(() => document.getElementById('conn').dataset.state === 'open');
    assert.equal(await page.locator('#conn-text').textContent(), 'Connected');
    await page.locator('#st-version').filter({ hasText: /^0\.4\.0$/ }).waitFor();

    step(`a message and its streamed echo`);
    const input = page.getByLabel('Message', { exact: true });
    await input.fill('hello from the browser');
    await input.press('Enter');
    const replies = page.locator('#messages li.assistant:not(.error) .bubble');
    await replies.filter({ hasText: 'echo: hello from the browser' }).waitFor();
    releaseFirstList();
    assert.equal(await page.locator('#messages li.user').count(), 1);
    assert.equal(await page.locator('#messages li.error').count(), 0);

    step(`the session appears in the list (titled by its first message)`);
    const sessions = page.locator('#sessions li');
    await sessions.filter({ hasText: 'hello from the browser' }).waitFor();
    assert.equal(await sessions.count(), 1);
    assert.match((await page.locator('#sessions li.active').textContent()) ?? '', /1 message/);
    const sessionId = await page.locator('#sessions li').first().getAttribute('data-id');
    assert.match(sessionId, /^[A-Za-z0-9_-]+$/);

    step(`the live event feed shows kernel events`);
    await page.waitForFunction(() => document.querySelectorAll('#events li').length > 0);

    step(`plugin reload: invisible to the chat; the status shows the new version`);
    installPlugin(PLUGIN_NEXT);
    await page.locator('#st-version').filter({ hasText: `${process.env.OXIOS_VERSION}-next` }).waitFor({ timeout: 30000 });
    await page.locator('#st-reloads').filter({ hasText: /^1/ }).waitFor();
    await page.waitForFunction(() => document.getElementById('conn').dataset.state === 'open');
    await input.fill('second message after the reload');
    await input.press('Enter');
    await replies.filter({ hasText: 'echo: second message after the reload' }).waitFor();
    await page.locator('#sessions li').filter({ hasText: '2 messages' }).waitFor();

    step(`host restart: the chat shows "reconnecting", then reconnects by itself`);
    const port = host.port;
    await stopHost(host);
    await page.waitForFunction(() => document.getElementById('conn').dataset.state === 'reconnecting');
    assert.match(await page.locator('#conn-text').textContent(), /Reconnecting/);
    host = await startHost(port);
    await page.waitForFunction(() => document.getElementById('conn').dataset.state === 'open', null, {
      timeout: 30000,
    });
    await input.fill('third message after the restart');
    await input.press('Enter');
    await replies.filter({ hasText: 'echo: third message after the restart' }).waitFor();
    await page.locator('#sessions li').filter({ hasText: '3 messages' }).waitFor();
    assert.equal(await page.locator('#messages li.error').count(), 0);

    step(`history: a new chat, then reopen the session from the list`);
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('heading', { name: 'Talk to the Oxios kernel' }).waitFor();
    assert.equal(await page.locator('#messages li').count(), 0);
    await page.locator('#sessions li .session-open').first().click();
    await replies.filter({ hasText: 'echo: third message after the restart' }).waitFor();
    assert.equal(await page.locator('#messages li.user').count(), 3);
    assert.equal(await page.locator('#messages li.assistant').count(), 3);
    const order = await page.locator('#messages li .bubble').allTextContents();
    assert.deepEqual(order, [
      'hello from the browser',
      'echo: hello from the browser',
      'second message after the reload',
      'echo: second message after the reload',
      'third message after the restart',
      'echo: third message after the restart',
    ]);
    await page.locator('#st-version').filter({ hasText: `${process.env.OXIOS_VERSION}-next` }).waitFor({ timeout: 15000 });

    step(`keyboard: the composer is focused and Shift+Enter makes a new line`);
    await input.focus();
    await input.pressSequentially('line one');
    await input.press('Shift+Enter');
    await input.pressSequentially('line two');
    assert.equal(await input.inputValue(), 'line one\nline two');
    await input.fill('');

    step(`the screenshot: the artifact a person looks at`);
    await conn.waitFor();
    await page.locator('#events-state').filter({ hasText: 'live' }).waitFor();
    const shot = path.join(ARTIFACTS, 'ui.png');
    await page.screenshot({ path: shot });
    assert.ok(fs.statSync(shot).size > 10000, 'screenshot is not empty');
    console.log(`screenshot: ${shot}`);

    step(`a phone-sized window: the sidebar collapses behind a button`);
    await page.setViewportSize({ width: 390, height: 800 });
    assert.equal(await page.locator('#sidebar').isVisible(), false);
    await page.getByRole('button', { name: 'Show conversations' }).click();
    await page.locator('#sidebar').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.locator('#sidebar').waitFor({ state: 'hidden' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-phone.png') });

    assert.deepEqual(problems, []);
  } catch (e) {
    try {
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-failure.png') });
    } catch {
      /* the page may be gone */
    }
    console.error(host ? host.log() : '(no host)');
    throw e;
  }
});
