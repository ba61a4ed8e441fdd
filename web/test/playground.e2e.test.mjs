// The playground as a home-lab operator uses it, in real headless Chromium
// (Debian's, never a download): the results fit the screen at 1280 px and
// on a 390 px phone, every column header is explained, and nothing typed
// is lost (autosave and its restore prompt, the leave-page warning, undo
// for a removed design, damaged share links that say what is wrong, a
// stale error box cleared, a bad target CI refused, the export card hidden
// before a run, unique names for a copied design). Screenshots go to
// web/test-results/ (git-ignored).

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromiumMissing, distDir, hasim, launchChromium, model, serve, webDir } from './helpers.mjs';

const A = 'homelab-k3s-as-written.toml';
const B = 'homelab-k3s-spread.toml';
const artifacts = join(webDir, 'test-results');
const missing = chromiumMissing();

let server, context, page, base, userDataDir;
const pageErrors = [];
const dialogs = [];

before(async () => {
  if (missing) return;
  mkdirSync(artifacts, { recursive: true });
  server = await serve(distDir);
  base = `http://127.0.0.1:${server.address().port}/`;
  userDataDir = mkdtempSync(join(tmpdir(), 'hasim-chromium-'));
  context = await launchChromium(userDataDir, { viewport: { width: 1280, height: 900 } });
  page = context.pages()[0] || (await context.newPage());
  watch(page);
});

after(async () => {
  await context?.close();
  server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

function watch(p) {
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  p.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  // The leave-page warning: recorded, then accepted so navigation goes on.
  p.on('dialog', (d) => {
    dialogs.push(d.type());
    d.accept();
  });
}

async function open(url = base, p = page) {
  await p.goto(url);
  await p.waitForSelector('body[data-ui="ready"][data-engine="ready"]', { timeout: 30000 });
}

async function loadExample(index, file, p = page) {
  await p.click(`.tab[data-index="${index}"]`);
  await p.selectOption('#examples', file);
  const name = file.replace(/\.toml$/, '');
  await p.waitForFunction(
    ([i, n]) => {
      const t = document.querySelector(`.tab[data-index="${i}"]`);
      return t && t.textContent === n && !document.getElementById('validation-status').textContent.startsWith('checking');
    },
    [index, name],
    { timeout: 30000 },
  );
}

async function runCompare(p = page, n = '100') {
  await p.fill('#replications', n);
  await p.fill('#horizon', '5y');
  await p.click('#run');
  await p.waitForFunction(() => !document.body.dataset.running, null, { timeout: 60000 });
  assert.match(await p.textContent('#status'), /^done in/);
}

/** A GitHub-flavoured Markdown line as the plain text it renders to:
 * strong and code markers dropped, backslash escapes undone. */
function gfmPlain(line) {
  return line
    .replace(/\\(.)|\*\*|` ([^`]*) `|`([^`]*)`/g, (_, esc, a, b) => esc ?? a ?? b ?? '')
    .trim();
}

/** The summary `hasim report --format gfm` opens with: the verdict line of
 * each service and the first finding of each design. */
function cliSummary(args) {
  const r = hasim(['report', ...args, '--format', 'gfm', '-o', '-']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const verdicts = {};
  const first = {};
  const bullets = new Set(lines.filter((l) => l.startsWith('- ')).map((l) => gfmPlain(l.slice(2))));
  lines.forEach((l, i) => {
    let m;
    if ((m = /^\*\*([^*]+)\*\*: /.exec(l))) verdicts[m[1]] = gfmPlain(l);
    if ((m = /^### What to fix first in (.+)$/.exec(l))) {
      const bullet = lines.slice(i + 1).find((x) => x.startsWith('- '));
      first[m[1]] = gfmPlain(bullet.slice(2));
    }
  });
  return { verdicts, first, bullets };
}

/** axe-core's serious and critical violations on the page as it is now
 * (axe from web/node_modules, injected into the page). */
async function axeSerious(p, what) {
  await p.addScriptTag({ path: join(webDir, 'node_modules/axe-core/axe.min.js') });
  const found = await p.evaluate(async () =>
    (await window.axe.run(document)).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`),
  );
  assert.deepEqual(found, [], `axe-core on ${what}`);
}

/** Everything wider than the window, and every table box that scrolls sideways. */
function overflow(p) {
  return p.evaluate(() => ({
    page: document.documentElement.scrollWidth - window.innerWidth,
    tables: [...document.querySelectorAll('.service > .table-wrap')].map((w) => w.scrollWidth - w.clientWidth),
    charts: [...document.querySelectorAll('svg.chart')].map((c) => c.getBoundingClientRect().right - window.innerWidth),
  }));
}

test('before a run: no export card; a bad target CI is refused; "+" names the copy uniquely', { skip: missing ?? false }, async () => {
  await open();
  assert.ok(await page.isHidden('#exports'), 'the export card is hidden before any run');
  await loadExample(0, A);
  await loadExample(1, B);
  // "+" twice: two copies of the spread design, each with its own file
  // name and model name, so a comparison can tell all four apart.
  await page.click('#add-design');
  await page.click('#add-design');
  const tabs = await page.$$eval('.tab:not(.add)', (ts) => ts.map((t) => t.textContent));
  assert.equal(new Set(tabs).size, tabs.length, `tab names are unique: ${tabs}`);
  assert.equal(await page.inputValue('#design-name'), 'homelab-k3s-spread-copy-2.toml');
  assert.match(await page.inputValue('#model'), /^name = "homelab-k3s-spread-copy-2"$/m);
  // A target CI that is not a number is refused, in the engine's words.
  await page.fill('#target-ci', 'abc');
  await page.click('#run');
  assert.match(await page.textContent('#run-error pre'), /target CI is a fraction between 0 and 1 \(0\.05 means ±5%\), got `abc`/);
  assert.ok(await page.isHidden('#exports'));
  await page.fill('#target-ci', '');
  // Remove the two copies again; the second removal is undone, then redone.
  await page.click('#remove-design');
  await page.waitForSelector('#undo-bar:not([hidden])');
  assert.equal(await page.textContent('#undo-bar .undo-text'), 'Removed homelab-k3s-spread-copy-2.');
  await page.click('#remove-design');
  assert.equal((await page.$$('.tab:not(.add)')).length, 2);
  await page.click('#undo');
  const back = await page.$$eval('.tab:not(.add)', (ts) => ts.map((t) => t.textContent));
  assert.deepEqual(back, ['homelab-k3s-as-written', 'homelab-k3s-spread', 'homelab-k3s-spread-copy']);
  assert.equal(await page.inputValue('#design-name'), 'homelab-k3s-spread-copy.toml');
  await page.click('#remove-design');
  assert.equal((await page.$$('.tab:not(.add)')).length, 2);
});

test('the verdict comes first, in the words and numbers of hasim report', { skip: missing ?? false }, async () => {
  await runCompare();
  // The page runs no design search (it would simulate every design of the
  // model's [design] space), so neither does the CLI here.
  const cli = cliSummary([`models/${A}`, `models/${B}`, '-n', '100', '--seed', '1', '--horizon', '5y', '--no-design-search']);
  const shown = await page.$$eval('#verdicts .verdict', (ps) => ps.map((p) => ({ service: p.dataset.service, text: p.textContent.trim() })));
  assert.ok(shown.length >= 1, 'one verdict per service');
  assert.deepEqual(shown.map((v) => v.service), Object.keys(cli.verdicts));
  for (const v of shown) assert.equal(v.text, cli.verdicts[v.service], `${v.service}: the page's verdict is hasim report's`);
  // The verdict's direction is the comparison's: "less" exactly when the
  // difference in the table (hasim compare's) is below zero.
  const compare = JSON.parse(hasim(['compare', `models/${A}`, `models/${B}`, '-n', '100', '--seed', '1', '--horizon', '5y', '--export-json', '-']).stdout);
  for (const v of shown) {
    const delta = Number(await page.getAttribute(`.service[data-service="${v.service}"] tr[data-design="homelab-k3s-spread"] td[data-field="delta"]`, 'data-value'));
    const c = JSON.stringify(compare).includes(String(delta));
    assert.ok(c, `the table's difference ${delta} is hasim compare's`);
    assert.match(v.text, delta < 0 ? / less downtime a year / : / more downtime a year /);
  }
  // Above the tables: the verdict card is the first result card.
  assert.equal(await page.$eval('#results > .card', (c) => c.id), 'verdicts');
  // Then the largest cause of each design's downtime, as the review's first bullet.
  for (const [design, text] of Object.entries(cli.first)) {
    assert.equal((await page.textContent(`#verdicts .fix-first[data-design="${design}"] .finding.first`)).trim(), text);
  }
  // The folded rest (further causes, structure, single failures) is the
  // review's list items, each as hasim report writes it.
  const folded = await page.$$eval('#verdicts .fix-first li', (lis) => lis.map((li) => li.textContent.trim()));
  assert.ok(folded.length >= 2);
  for (const f of folded) assert.ok(cli.bullets.has(f), `hasim report lists: ${f}`);
  await page.screenshot({ path: join(artifacts, 'playground-verdict.png'), fullPage: false });
  // "Review" downloads the design review of this comparison, rendered in
  // the page's engine from the run it already has (the native test
  // the_playground_review_is_the_cli_report holds its bytes to hasim
  // report's): its first page says each verdict the page shows.
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click('#export-review')]);
  assert.match(dl.suggestedFilename(), /^review-.+\.html$/);
  const html = readFileSync(await dl.path(), 'utf8');
  assert.match(html, /^<!DOCTYPE html>/i);
  const plain = html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
  for (const v of shown) assert.ok(plain.includes(v.text), `the downloaded review says: ${v.text}`);
});

test('at 1280 px the comparison fits: Δ next to the sticky name, every header explained', { skip: missing ?? false }, async () => {
  const o = await overflow(page);
  assert.equal(o.page, 0, 'the page does not scroll sideways');
  for (const t of o.tables) assert.ok(t <= 0, `a results table scrolls sideways by ${t} px at 1280 px`);
  // The difference is the second column, right after the design's name,
  // and the name stays put if a table ever scrolls.
  const heads = await page.$$eval('.service > .table-wrap th', (ths) => ths.map((th) => ({ field: th.dataset.field, title: th.title, text: th.textContent })));
  const first = heads.filter((h) => h.field === 'design');
  assert.ok(first.length >= 1);
  const perTable = await page.$$eval('.service > .table-wrap table', (ts) => ts.map((t) => [...t.rows[0].cells].map((c) => c.dataset.field)));
  for (const cols of perTable) assert.deepEqual(cols.slice(0, 2), ['design', 'delta']);
  assert.equal(await page.$eval('.service td.design', (td) => getComputedStyle(td).position), 'sticky');
  // Every header has a plain-language explanation, in its tooltip and in
  // the visible legend.
  for (const h of heads) assert.ok(h.title.length > 20, `header ${h.text} is explained: "${h.title}"`);
  const legend = await page.$$eval('.legend dd', (dds) => dds.map((d) => d.dataset.field));
  for (const f of perTable[0]) assert.ok(legend.includes(f), `the legend explains ${f}`);
  assert.ok(await page.isVisible('.legend dl'));
  assert.ok(await page.isVisible('#exports'), 'the export card shows after a run');
  await axeSerious(page, 'the comparison at 1280 px');
  await page.screenshot({ path: join(artifacts, 'playground-1280.png'), fullPage: true });
});

test('at 390 px nothing scrolls sideways, Run is on the first screen and the charts fit', { skip: missing ?? false }, async () => {
  const phone = await context.newPage();
  watch(phone);
  await phone.setViewportSize({ width: 390, height: 844 });
  await open(base, phone);
  await loadExample(0, A, phone);
  await loadExample(1, B, phone);
  await phone.evaluate(() => window.scrollTo(0, 0));
  const fab = await phone.$eval('#run-fab', (b) => {
    const r = b.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, visible: getComputedStyle(b).display !== 'none' };
  });
  assert.ok(fab.visible && fab.bottom <= 844 && fab.top >= 0, `Run is on the first screen: ${JSON.stringify(fab)}`);
  await phone.fill('#replications', '100');
  await phone.fill('#horizon', '5y');
  await phone.click('#run-fab');
  await phone.waitForFunction(() => !document.body.dataset.running && /^done in/.test(document.getElementById('status').textContent), null, { timeout: 60000 });
  const o = await overflow(phone);
  assert.equal(o.page, 0, 'the page does not scroll sideways at 390 px');
  for (const c of o.charts) assert.ok(c <= 0, `a chart sticks out by ${c} px`);
  // A table too wide for a phone scrolls inside its box, the name and the
  // difference first.
  const cols = await phone.$eval('.service > .table-wrap table', (t) => [...t.rows[0].cells].slice(0, 2).map((c) => c.dataset.field));
  assert.deepEqual(cols, ['design', 'delta']);
  await axeSerious(phone, 'the comparison at 390 px');
  await phone.screenshot({ path: join(artifacts, 'playground-390.png'), fullPage: true });
  await phone.close();
});

test('nothing lost: autosave survives a reload, leaving warns, a fixed error clears its box', { skip: missing ?? false }, async () => {
  // A run on a broken design leaves an error box; fixing the text clears it.
  await page.click('.tab[data-index="0"]');
  const broken = model(A).replace('requires = "utility"', 'requires = "utilty"');
  await page.fill('#model', broken);
  await page.waitForSelector('.diag.error', { timeout: 15000 });
  await page.click('#run');
  await page.waitForSelector('#run-error[data-kind="ModelError"]', { timeout: 30000 });
  const edited = `${model(A)}\n# an edit that must survive a reload\n`;
  await page.fill('#model', edited);
  await page.waitForSelector('#run-error', { state: 'detached', timeout: 15000 });
  assert.match(await page.textContent('#results'), /The error is fixed; press Run/);
  // Autosaved within a second; the reload asks first, then offers it back.
  await page.waitForFunction(() => JSON.parse(localStorage.getItem('hasim-playground-autosave') || '{}').designs?.[0]?.text.includes('must survive'), null, { timeout: 5000 });
  dialogs.length = 0;
  await page.reload({ waitUntil: 'load' });
  assert.deepEqual(dialogs, ['beforeunload'], 'leaving the page with edits asks first');
  await page.waitForSelector('body[data-ui="ready"][data-engine="ready"]', { timeout: 30000 });
  await page.waitForSelector('#restore:not([hidden])', { timeout: 10000 });
  assert.match(await page.textContent('#restore .restore-text'), /Unsaved edits from .* \(2 designs: homelab-k3s-as-written, homelab-k3s-spread\)/);
  await page.screenshot({ path: join(artifacts, 'playground-restore.png'), fullPage: false });
  await page.click('#restore-yes');
  await page.click('.tab[data-index="0"]');
  assert.equal(await page.inputValue('#model'), edited);
});

test('a damaged share link says what is wrong with it', { skip: missing ?? false }, async () => {
  const p = await context.newPage();
  watch(p);
  const cases = [
    ['#s=abc$def', /holds `\$` at character 4, which a share link never contains/],
    ['#s=', /ends at #s= and holds no designs/],
    ['#s=AAAAA', /5 characters long, which no share link is/],
    // 0xff 0xff 0xff: a deflate block of the reserved type 3.
    ['#s=____', /do not decompress: the link was cut short or altered/],
  ];
  for (const [hash, want] of cases) {
    // A change of the hash alone would not reload the page.
    await p.goto('about:blank');
    await open(`${base}${hash}`, p);
    await p.waitForSelector('#banner:not([hidden])');
    const text = await p.textContent('#banner');
    assert.match(text, /^This link is damaged and could not be opened: /, text);
    assert.match(text, want, text);
    assert.doesNotMatch(text, /Failed to fetch/);
  }
  // A link cut short mid-way: made by the page, then truncated.
  await p.click('#share');
  await p.waitForFunction(() => location.hash.startsWith('#s='));
  const good = await p.evaluate(() => location.hash);
  let data = good.slice(3, 3 + Math.floor((good.length - 3) / 2));
  if (data.length % 4 === 1) data = data.slice(0, -1);
  await p.goto('about:blank');
  await open(`${base}#s=${data}`, p);
  await p.waitForSelector('#banner:not([hidden])');
  assert.match(await p.textContent('#banner'), /do not decompress: the link was cut short or altered/);
  await p.screenshot({ path: join(artifacts, 'playground-damaged-link.png'), fullPage: false });
  await p.close();
  assert.deepEqual(pageErrors, []);
});

/** The element, cluster and service sections of a TOML model file. */
function sections(text) {
  const out = { element: [], cluster: [], service: [] };
  for (const m of text.matchAll(/^\[(sites|power|switches|domains|hosts|disks|vms|components|clusters|services)\.([^\]]+)\]\s*$/gm)) {
    const layer = m[1] === 'clusters' ? 'cluster' : m[1] === 'services' ? 'service' : 'element';
    out[layer].push(m[2]);
  }
  return out;
}

test('the topology has one node per element and marks the single points of failure; clicking a host plays hasim scenario', { skip: missing ?? false }, async () => {
  await loadExample(0, A);
  await page.fill('#seed', '1');
  await page.click('#topology');
  await page.waitForSelector('svg.topology .topo-node', { timeout: 30000 });
  const nodes = await page.$$eval('svg.topology .topo-node', (ns) => ns.map((n) => ({ layer: n.dataset.layer, name: n.dataset.name, spof: n.classList.contains('spof') })));
  const want = sections(model(A));
  for (const layer of ['element', 'cluster', 'service']) {
    assert.deepEqual(nodes.filter((n) => n.layer === layer).map((n) => n.name).sort(), want[layer].slice().sort(), `one ${layer} node per ${layer} of ${A}`);
  }
  // hasim validate counts the same elements, and its single-point-of-failure
  // warnings name exactly the elements drawn red.
  const v = hasim(['validate', `models/${A}`]);
  const counted = /: ok: (\d+) elements, (\d+) clusters, (\d+) services?;/.exec(v.stdout);
  assert.ok(counted, v.stdout);
  assert.equal(nodes.filter((n) => n.layer === 'element').length, Number(counted[1]));
  assert.equal(nodes.filter((n) => n.layer === 'cluster').length, Number(counted[2]));
  const spofs = [...v.stdout.matchAll(/^warning\[single-point-of-failure\]: single point of failure: `([^`]+)`/gm)].map((m) => m[1]);
  assert.ok(spofs.length >= 3, v.stdout);
  assert.deepEqual(nodes.filter((n) => n.spof).map((n) => n.name).sort(), spofs.sort());
  // Every edge of the drawing is drawn.
  assert.ok((await page.$$('svg.topology .topo-edge')).length >= nodes.length - 1);
  await page.screenshot({ path: join(artifacts, 'playground-topology.png'), fullPage: true });

  // Clicking a host fails it: the page's scenario document is the bytes of
  // hasim scenario for the same failure, and its Gantt has a row per
  // subject of the CLI's timeline.
  await page.click('.topo-node[data-layer="element"][data-name="proxmox-1"]');
  await page.waitForSelector('.scenario-card[data-element="proxmox-1"]', { timeout: 30000 });
  const cli = hasim(['scenario', `models/${A}`, '--fail', 'proxmox-1@1m', '--seed', '1', '--export-json', '-']);
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(await page.evaluate(() => window.hasimLast.result.json), cli.stdout);
  const doc = JSON.parse(cli.stdout);
  const subjects = new Set(doc.timeline.map((e) => `${e.layer}:${e.subject}`));
  const rows = await page.$$eval('svg.gantt .gantt-row', (rs) => rs.map((r) => `${r.dataset.layer}:${r.dataset.subject}`));
  assert.deepEqual(new Set(rows), subjects);
  assert.equal(rows.length, subjects.size);
  // The service the host takes down has its bar, and the summary line says so.
  const svc = doc.services[0];
  assert.ok(svc.downtime_seconds > 0);
  assert.ok((await page.$$(`svg.gantt .gantt-row[data-layer="service"][data-subject="${svc.name}"] .gantt-bar`)).length >= 1);
  assert.match(await page.textContent('.scenario-card'), new RegExp(`${svc.name}: down `));
  // The keyboard reaches the same: Enter on a focused element fails it.
  await page.focus('.topo-node[data-layer="element"][data-name="utility"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.scenario-card[data-element="utility"]', { timeout: 30000 });
  await axeSerious(page, 'the topology and a scenario');
  await page.screenshot({ path: join(artifacts, 'playground-scenario.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test('one wasm download for the page and its workers; the server compresses and revalidates', { skip: missing ?? false }, async () => {
  const wasm = [];
  const onRequest = (r) => r.url().endsWith('/sim_wasm_bg.wasm') && wasm.push(r.url());
  context.on('request', onRequest);
  const p = await context.newPage();
  watch(p);
  await open(base, p);
  // Both workers answered (the validator's dot on every tab), and a
  // cancelled run's fresh worker loads without another download.
  await p.waitForFunction(() => document.querySelectorAll('.tab .dot.err, .tab .dot.warn, .tab .dot.ok').length >= 2, null, { timeout: 30000 });
  await p.click('#exact');
  await p.waitForFunction(() => !document.body.dataset.running, null, { timeout: 30000 });
  await p.fill('#replications', '5000000');
  await p.click('#run');
  await p.waitForFunction(() => /replications/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  await p.click('#cancel');
  await p.fill('#replications', '20');
  await p.click('#run');
  await p.waitForFunction(() => !document.body.dataset.running && /^done in/.test(document.getElementById('status').textContent), null, { timeout: 60000 });
  context.off('request', onRequest);
  assert.equal(wasm.length, 1, `the engine is fetched once: ${wasm.join(', ')}`);
  await p.close();

  // The bundled server: brotli or gzip as offered, an ETag, a 304 for an
  // unchanged file.
  const url = `${base}pkg/sim_wasm_bg.wasm`;
  const size = (await import('node:fs')).statSync(join(distDir, 'pkg/sim_wasm_bg.wasm')).size;
  for (const enc of ['br', 'gzip']) {
    const r = await fetch(url, { headers: { 'accept-encoding': enc } });
    assert.equal(r.headers.get('content-encoding'), enc);
    const sent = Number(r.headers.get('content-length'));
    assert.ok(sent < size / 1.5, `${enc}: ${sent} bytes sent for a ${size}-byte wasm`);
    assert.equal((await r.arrayBuffer()).byteLength, size, 'fetch decodes it to the file');
    console.log(`    sim_wasm_bg.wasm: ${size} bytes, ${sent} sent with ${enc}`);
  }
  const first = await fetch(url);
  const etag = first.headers.get('etag');
  assert.ok(etag);
  assert.equal(first.headers.get('cache-control'), 'no-cache');
  const again = await fetch(url, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
});

test('a comparison split over three workers gives the bytes of hasim compare', { skip: missing ?? false }, async () => {
  const p = await context.newPage();
  watch(p);
  await open(`${base}?workers=3`, p);
  await loadExample(0, A, p);
  await loadExample(1, B, p);
  await p.fill('#seed', '5');
  await p.fill('#replications', '61');
  await p.fill('#horizon', '3y');
  await p.click('#run');
  await p.waitForFunction(() => !document.body.dataset.running, null, { timeout: 60000 });
  assert.match(await p.textContent('#status'), /^done in/);
  assert.equal(await p.evaluate(() => document.body.dataset.workers), '3');
  const cli = hasim(['compare', `models/${A}`, `models/${B}`, '-n', '61', '--seed', '5', '--horizon', '3y', '--export-json', '-']);
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(await p.evaluate(() => window.hasimLast.result.json), cli.stdout);
  for (const [k, f] of [A, B].entries()) {
    const run = hasim(['run', `models/${f}`, '-n', '61', '--seed', '5', '--horizon', '3y', '--export-json', '-']);
    assert.equal(await p.evaluate((i) => window.hasimLast.result.documents[i], k), run.stdout, `${f}: the run document`);
  }
  await p.close();
  assert.deepEqual(pageErrors, []);
});

test('the keyboard leaves the editor: Tab indents, Esc then Tab moves on', { skip: missing ?? false }, async () => {
  await page.click('.tab[data-index="0"]');
  await page.focus('#model');
  await page.evaluate(() => document.getElementById('model').setSelectionRange(0, 0));
  const before = await page.inputValue('#model');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'model', 'Tab alone indents');
  assert.equal(await page.inputValue('#model'), `  ${before}`);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  const next = await page.evaluate(() => document.activeElement.id || document.activeElement.className);
  assert.notEqual(next, 'model', 'Esc then Tab leaves the editor');
  assert.equal(next, 'diagnostics', 'to the validation messages right after it');
  // And back with Shift+Tab, which never indents.
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'model');
  await page.keyboard.press('Shift+Tab');
  assert.notEqual(await page.evaluate(() => document.activeElement.id), 'model');
  await axeSerious(page, 'the editor');
});

test('a sweep of durations is drawn by value on a log scale', { skip: missing ?? false }, async () => {
  await loadExample(1, B);
  await page.click('.tab[data-index="1"]');
  const box = await page.$('#sweep-box');
  if (!(await box.evaluate((d) => d.open))) await page.click('#sweep-box summary');
  await page.fill('#sweep-path', 'hosts.proxmox-1.maintenance.0.duration');
  await page.fill('#sweep-values', '5m, 1h, 4h, 1d');
  await page.fill('#replications', '20');
  await page.fill('#horizon', '2y');
  await page.click('#sweep');
  await page.waitForFunction(() => !document.body.dataset.running, null, { timeout: 60000 });
  assert.match(await page.textContent('#status'), /^done in/);
  assert.equal(await page.getAttribute('.sweep-result svg.chart', 'data-scale'), 'log');
  // Each series' points sit at log10 of their durations: the gaps are in
  // the ratio of log(12) (5m -> 1h), log(4) (1h -> 4h) and log(6) (4h -> 1d).
  const cx = (await page.$$eval('.sweep-result svg.chart circle', (cs) => cs.map((c) => Number(c.getAttribute('cx'))))).slice(0, 4);
  const gaps = [cx[1] - cx[0], cx[2] - cx[1], cx[3] - cx[2]];
  const want = [Math.log(12), Math.log(4), Math.log(6)];
  for (let k = 0; k < 3; k++) {
    const ratio = gaps[k] / gaps[0];
    assert.ok(Math.abs(ratio - want[k] / want[0]) < 0.01, `gap ${k}: ${ratio} against ${want[k] / want[0]} (x ${cx})`);
  }
  assert.match(await page.textContent('.sweep-result svg.chart'), /\(log scale\)/);
  await page.screenshot({ path: join(artifacts, 'playground-sweep-log.png'), fullPage: true });
});
