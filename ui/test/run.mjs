// run.mjs - browser tests of the Stash UI plugin: headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core; no browser
// download) opens the harness page (test/harness.jsx: window.PluginApi as
// Stash provides it) served by a small server that forwards /graphql to
// the real fake-stash, which runs the real stash2plex binary for
// runPluginOperation. The library is synced for real by the binary first.
//
// usage: node run.mjs <build dir> <ui build dir>   (ctest ui/browser)
// Exits 77 with a loud message when Chromium or the npm packages are
// missing (scripts/install-deps.sh installs both). Screenshots go to
// <ui build dir>/shots (docs/ui/ holds committed copies).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, request } from "node:http";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [buildDir, uiDir] = process.argv.slice(2);
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";

function skip(why) {
  console.error(`\n*** SKIP ui/browser: ${why}\n*** run scripts/install-deps.sh (installs chromium and the npm packages)\n`);
  process.exit(77);
}
if (!buildDir || !uiDir) {
  console.error("usage: node run.mjs <build dir> <ui build dir>");
  process.exit(2);
}
if (!existsSync(chromium)) skip(`no Chromium at ${chromium}`);
let pw;
try {
  pw = await import("playwright-core");
} catch (e) {
  skip(`playwright-core is not installed in ui/node_modules (${e.message})`);
}
for (const f of ["stash2plex.js", "stash2plex.css", "harness.js", "bootstrap.min.css"])
  if (!existsSync(join(uiDir, f))) skip(`${join(uiDir, f)} was not built (make ui)`);

const SCENES = 12;
const TOKEN = "ui-test-token-5d1e";
const shots = join(uiDir, "shots");
mkdirSync(shots, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), "s2p-ui-"));
const procs = [];

// Start a fake; resolve with its service and control ports.
async function startFake(name, extra) {
  const pf = join(tmp, `${name}.port`);
  const cf = join(tmp, `${name}.ctl`);
  const p = spawn(join(buildDir, `fake-${name.replace(/2$/, "")}`),
    ["--port", "0", "--port-file", pf, "--control-port-file", cf, "--scenes", String(SCENES), "--seed", "9", ...extra],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, STASH2PLEX_AUTODRAIN: "0" } });
  let log = "";
  p.stderr.on("data", (d) => { log += d; });
  procs.push(p);
  for (let i = 0; i < 200; i++) {
    if (existsSync(pf) && existsSync(cf)) {
      return { port: +readFileSync(pf, "utf8"), ctl: +readFileSync(cf, "utf8"), log: () => log };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fake-${name} did not start: ${log}`);
}

async function http(port, method, path, body) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

let stash, stash2, plex, server, base, browser;
let target; // the fake Stash /graphql goes to

async function op(args) {
  const r = await http(stash.port, "POST", "/graphql", {
    query: "mutation($a: Map) { runPluginOperation(plugin_id: \"Stash2Plex\", args: $a) }",
    variables: { a: args },
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.errors, undefined, JSON.stringify(r.json.errors));
  return r.json.data.runPluginOperation;
}

// Static files and /graphql forwarded to the fake Stash (body and cookie).
function serve() {
  const files = {
    "/harness.js": [join(uiDir, "harness.js"), "text/javascript"],
    "/bootstrap.min.css": [join(uiDir, "bootstrap.min.css"), "text/css"],
    "/plugin/Stash2Plex/javascript": [join(uiDir, "stash2plex.js"), "text/javascript"],
    "/plugin/Stash2Plex/css": [join(uiDir, "stash2plex.css"), "text/css"],
  };
  return createServer((req, res) => {
    const path = req.url.split("?")[0];
    if (path === "/graphql") {
      const fwd = request({ host: "127.0.0.1", port: target.port, path: "/graphql", method: req.method,
        headers: { ...req.headers, host: `127.0.0.1:${target.port}` } }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      fwd.on("error", () => { res.writeHead(502); res.end("bad gateway"); });
      req.pipe(fwd);
      return;
    }
    const f = files[path];
    if (f) {
      res.writeHead(200, { "Content-Type": f[1] });
      res.end(readFileSync(f[0]));
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(readFileSync(join(here, "index.html")));
  });
}

let okScene, deadScene, retryScene, deadId;

before(async () => {
  plex = await startFake("plex", ["--token", TOKEN]);
  stash = await startFake("stash", ["--plugin-exec", join(buildDir, "stash2plex"), "--plugin-dir", tmp]);
  // A Stash whose Stash2Plex is not installed (runPluginOperation fails).
  stash2 = await startFake("stash2", []);
  assert.equal((await http(stash.ctl, "POST", "/settings",
    { plex_url: `http://127.0.0.1:${plex.port}`, plex_token: TOKEN, max_retries: 1 })).status, 200);
  // One scene's file is unknown to Plex (it waits for a retry); Plex
  // fails the first edit (that scene is dead-lettered).
  retryScene = 4;
  assert.equal((await http(stash.ctl, "POST", `/scene/${retryScene}`, { files: ["/data/videos/gone/missing.mp4"] })).status, 200);
  assert.equal((await http(plex.ctl, "POST", "/fault", { mode: "status", status: 500, method: "PUT", count: 1 })).status, 200);
  await op({ mode: "all" });
  await op({ mode: "process_queue" });
  const dl = (await op({ mode: "status" })).dead_letters;
  assert.equal(dl.total, 1);
  deadScene = dl.newest[0].scene_id;
  deadId = dl.newest[0].id;
  okScene = deadScene === 1 ? 2 : 1;
  target = stash;
  server = serve();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await pw.chromium.launch({ executablePath: chromium, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.close();
  for (const p of procs) p.kill("SIGTERM");
  rmSync(tmp, { recursive: true, force: true });
});

async function newPage(width, height) {
  const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: "dark",
    deviceScaleFactor: width < 600 ? 2 : 1 });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.errors = errors;
  return page;
}

test("the status page renders the synced library's real figures", async () => {
  const page = await newPage(1280, 1000);
  await page.goto(`${base}/plugin/stash2plex`);
  await page.waitForSelector(".s2p-header");
  assert.equal(await page.textContent("[data-stat=breaker] .s2p-stat-value"), "CLOSED");
  assert.equal(await page.textContent("[data-stat=queue] .s2p-stat-value"), "1"); // the retrying scene
  assert.equal(await page.textContent("[data-stat=dead] .s2p-stat-value"), "1");
  // 24 hourly and 28 six-hourly buckets in every chart, one mark each.
  for (const [range, n] of [["day", 24], ["week", 28]]) {
    const charts = await page.$$(`.s2p-chart[data-range=${range}]`);
    assert.equal(charts.length, 4);
    for (const key of ["synced", "failed", "dead", "queue", "p50", "p95"]) {
      const marks = await page.$$(`.s2p-chart[data-range=${range}] [data-point=${key}]`);
      assert.equal(marks.length, n, `${range} ${key}`);
    }
    // The bars add up to what the worker synced (SCENES - 2).
    assert.equal(await page.textContent(`.s2p-chart[data-range=${range}] [data-sum=synced]`), `Synced: ${SCENES - 2}`);
  }
  const lat = await page.$$eval(".s2p-chart[data-range=day] [data-point=p95]", (els) => els.map((e) => +e.dataset.value));
  assert.ok(lat.some((v) => v > 0), "Plex latency was measured");
  assert.equal(await page.$$eval("[data-dead-id]", (r) => r.length), 1);
  // The navigation bar links to the page.
  assert.equal(await page.$$eval("a.s2p-navlink[href='/plugin/stash2plex']", (r) => r.length), 1);
  await page.screenshot({ path: join(shots, "status-desktop.png"), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("the task buttons start the manifest's tasks", async () => {
  const page = await newPage(1280, 900);
  await page.goto(`${base}/plugin/stash2plex`);
  await page.waitForSelector(".s2p-header");
  const want = ["Process Queue", "Health Check", "Sync Recent Scenes", "Reconcile Library (Recent)"];
  const manifest = readFileSync(join(here, "..", "..", "Stash2Plex.yml"), "utf8");
  for (const t of want) {
    assert.ok(manifest.includes(`- name: ${t}\n`), `the manifest has a task "${t}"`);
    await page.click(`button[data-task="${t}"]`);
    await page.waitForSelector(`.s2p-note.s2p-ok:has-text("${t}")`);
  }
  const tasks = (await http(stash.ctl, "GET", "/tasks")).json;
  assert.deepEqual(tasks.map((t) => t.task_name), want);
  await page.context().close();
});

test("a dead letter's Retry queues the scene again, end to end", async () => {
  const page = await newPage(1280, 900);
  await page.goto(`${base}/plugin/stash2plex`);
  await page.waitForSelector(`[data-dead-id="${deadId}"]`);
  await page.click(`[data-dead-id="${deadId}"] button:has-text("Retry")`);
  await page.waitForSelector(`[data-dead-id="${deadId}"]`, { state: "detached" });
  await page.waitForSelector(`.s2p-note.s2p-ok:has-text("queued again")`);
  assert.equal(await page.textContent("[data-stat=dead] .s2p-stat-value"), "0");
  assert.equal(await page.textContent("[data-stat=queue] .s2p-stat-value"), "2");
  assert.equal((await op({ mode: "scene_status", scene_id: deadScene })).state, "pending");
  // Sync it for real, failing again: the scene is dead again.
  assert.equal((await http(plex.ctl, "POST", "/fault", { mode: "status", status: 500, method: "PUT", count: 1 })).status, 200);
  await op({ mode: "process_queue" });
  assert.equal((await op({ mode: "scene_status", scene_id: deadScene })).state, "failed");
  await page.context().close();
});

async function badge(page, id) {
  await page.goto(`${base}/scenes/${id}`);
  await page.waitForSelector(`.s2p-badge-wrap[data-s2p-scene="${id}"]:not([data-state=loading])`);
  return {
    state: await page.getAttribute(".s2p-badge-wrap", "data-state"),
    text: await page.textContent(".s2p-badge"),
    title: await page.getAttribute(".s2p-badge", "title"),
  };
}

test("the scene badge shows each state; Sync now queues the scene", async () => {
  const page = await newPage(1280, 500);
  let b = await badge(page, okScene);
  assert.equal(b.text, "Plex: in sync");
  assert.match(b.title, /^Synced .* to Plex item \d+$/);
  await page.screenshot({ path: join(shots, "scene-badge.png") });
  b = await badge(page, deadScene);
  assert.equal(b.text, "Plex: failed");
  assert.match(b.title, /Dead letter since .*: .*HTTP 500/);
  b = await badge(page, retryScene);
  assert.equal(b.text, "Plex: retrying");
  assert.match(b.title, /Attempt \d+ failed: not_found: .*missing\.mp4.*Next try/);
  b = await badge(page, 999);
  assert.equal(b.text, "Plex: not in Plex");
  b = await badge(page, okScene);
  await page.click(".s2p-sync-now");
  await page.waitForSelector(".s2p-badge-wrap[data-state=pending]");
  assert.equal(await page.textContent(".s2p-badge"), "Plex: pending");
  await page.screenshot({ path: join(shots, "scene-badge-pending.png") });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a Plex outage shows on the page (breaker, shading, outage list)", async () => {
  const now = Date.now() / 1000;
  const data = tmp;
  // What the worker leaves behind in an outage: the breaker OPEN and an
  // open outage record, reopened 20 s ago by a failed trial (a real
  // outage takes minutes: test_plex_outage).
  writeFileSync(join(data, "data", "circuit_breaker.json"), JSON.stringify(
    { state: "open", failure_count: 5, success_count: 0, opened_at: now - 20, changed_at: now - 20 }));
  writeFileSync(join(data, "data", "outage_history.json"), JSON.stringify([
    { started_at: now - 3 * 86400, ended_at: now - 3 * 86400 + 5400, duration: 5400, jobs_waited: 7 },
    { started_at: now - 1800, ended_at: null, duration: null, jobs_waited: 0 },
  ]));
  for (const [w, h, name] of [[1280, 1000, "status-outage-desktop.png"], [390, 844, "status-outage-phone.png"]]) {
    const page = await newPage(w, h);
    await page.goto(`${base}/plugin/stash2plex`);
    await page.waitForSelector(".s2p-header");
    assert.equal(await page.textContent("[data-stat=breaker] .s2p-stat-value"), "OPEN");
    assert.match(await page.textContent("[data-stat=breaker] .s2p-stat-note"), /next probe/);
    assert.equal(await page.$$eval("[data-outage=ongoing]", (r) => r.length), 1);
    assert.equal(await page.$$eval("[data-outage=ended]", (r) => r.length), 1);
    // Shaded in the day charts (the ongoing one) and the week charts (both).
    assert.equal(await page.$$eval(".s2p-chart[data-range=day] .s2p-outage", (r) => r.length), 4);
    assert.equal(await page.$$eval(".s2p-chart[data-range=week] .s2p-outage", (r) => r.length), 8);
    // Nothing wider than the screen on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page overflows by ${overflow}px at ${w}px`);
    await page.screenshot({ path: join(shots, name), fullPage: true });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test("the page and the badge say so when the plugin cannot be reached", async () => {
  target = stash2; // a Stash without Stash2Plex
  try {
    const page = await newPage(1280, 700);
    await page.goto(`${base}/plugin/stash2plex`);
    await page.waitForSelector("[role=alert]");
    const text = await page.textContent("[role=alert]");
    assert.match(text, /Stash2Plex cannot be reached\. no plugin with ID Stash2Plex/);
    assert.match(text, /Settings > Plugins/);
    await page.screenshot({ path: join(shots, "status-unreachable.png") });
    const b = await badge(page, okScene);
    assert.equal(b.state, "error");
    assert.equal(b.text, "Plex: unavailable");
    assert.match(b.title, /no plugin with ID/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    target = stash;
  }
});
