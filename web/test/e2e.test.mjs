// End to end in real headless Chromium: the built playground served from a
// local static server. It compares two bundled designs and checks every
// rendered number against the real `hasim` binary's JSON for the same seed,
// marks a broken model's error at its line, cancels a long run and checks
// the page still answers, restores a shared link, sweeps a parameter, shows
// the exact analysis of a design as `hasim exact` prints it, and imports
// dropped keepalived.conf files as `hasim import` does.
//
// Chromium comes from Debian (`apt-get install chromium`): this test never
// downloads a browser. Under CI=true a missing browser is a failure.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromiumMissing, distDir, hasim, launchChromium, model, repoRoot, serve, webDir } from './helpers.mjs';

const A = 'homelab-k3s-as-written.toml';
const B = 'homelab-k3s-spread.toml';
const SEED = '7';
const N = '400';
const HORIZON = '5y';
const SWEEP_VALUES = '5m,1h,4h';
const SWEEP_N = '100';
const artifacts = join(webDir, 'test-results');

const missing = chromiumMissing();

let server, context, page, base, userDataDir;
const pageErrors = [];

before(async () => {
  if (missing) return;
  mkdirSync(artifacts, { recursive: true });
  server = await serve(distDir);
  base = `http://127.0.0.1:${server.address().port}/`;
  userDataDir = mkdtempSync(join(tmpdir(), 'hasim-chromium-'));
  context = await launchChromium(userDataDir, { acceptDownloads: true, viewport: { width: 1440, height: 1000 } });
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
});

after(async () => {
  await context?.close();
  server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function open(url = base) {
  await page.goto(url);
  await page.waitForSelector('body[data-ui="ready"][data-engine="ready"]', { timeout: 30000 });
  // Both designs validated (a coloured dot on every tab).
  await page.waitForFunction(() => document.querySelectorAll('.tab .dot.err, .tab .dot.warn, .tab .dot.ok').length >= 2 || document.querySelectorAll('.tab:not(.add)').length < 2, null, { timeout: 30000 });
}

/** Loads bundled example `file` into design tab `index` and waits until it
 * is validated. (The page opens with the first two examples in file order,
 * which change as models are added, so the tests choose theirs.) */
async function loadExample(index, file) {
  await page.click(`.tab[data-index="${index}"]`);
  await page.selectOption('#examples', file);
  const name = file.replace(/\.toml$/, '');
  await page.waitForFunction(
    ([i, n]) => {
      const t = document.querySelector(`.tab[data-index="${i}"]`);
      return t && t.textContent === n && !document.getElementById('validation-status').textContent.startsWith('checking');
    },
    [index, name],
    { timeout: 30000 },
  );
}

async function setOptions(n, seed = SEED) {
  await page.fill('#seed', seed);
  await page.fill('#replications', n);
  await page.fill('#horizon', HORIZON);
}

async function waitIdle(timeout = 60000) {
  await page.waitForFunction(() => !document.body.dataset.running, null, { timeout });
}

function cli(args) {
  const r = hasim(args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The tables `hasim compare` prints, as {service: {design: {header: cell}}}.
 * Columns are cut where the `─` rule under the header has its gaps, so a
 * cell's own spaces never split it. */
function cliTables(stdout) {
  const out = {};
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^service (.+)$/.exec(lines[i]);
    if (!m) continue;
    const header = lines[i + 1];
    const rule = lines[i + 2];
    const spans = [...rule.matchAll(/─+/g)].map((r) => [r.index, r.index + r[0].length]);
    const cut = (line) => spans.map(([a], k) => line.slice(a, k + 1 < spans.length ? spans[k + 1][0] : undefined).trim());
    const names = cut(header);
    const rows = {};
    for (let j = i + 3; j < lines.length && lines[j].trim() !== ''; j++) {
      const cells = cut(lines[j]);
      rows[cells[0]] = Object.fromEntries(names.map((n, k) => [n, cells[k]]));
    }
    out[m[1]] = rows;
  }
  return out;
}

/** A table `hasim` prints (header at `lines[i]`, the `─` rule under it),
 * as rows of {header: cell}; it ends at a blank line or where its indent
 * does. Columns are cut where the rule has its gaps. */
function ruleTable(lines, i) {
  const rule = lines[i + 1];
  const starts = [...rule.matchAll(/─+/g)].map((r) => r.index);
  const cut = (line) => starts.map((a, k) => line.slice(a, starts[k + 1]).trim());
  const names = cut(lines[i]);
  const indent = /^ */.exec(rule)[0];
  const rows = [];
  for (let j = i + 2; j < lines.length && lines[j].trim() !== '' && lines[j].startsWith(indent); j++) {
    const cells = cut(lines[j]);
    rows.push(Object.fromEntries(names.map((n, k) => [n, cells[k]])));
  }
  return rows;
}

/** The tables `hasim exact` prints: the services, and per service its cut
 * sets and importance ranking. */
function exactTables(stdout) {
  const lines = stdout.split('\n');
  const out = { services: [], cutSets: {}, importance: {} };
  lines.forEach((l, i) => {
    let m;
    if (l.startsWith('service ') && lines[i + 1]?.startsWith('─') && out.services.length === 0) out.services = ruleTable(lines, i);
    else if ((m = /^(.+): minimal cut sets of up to \d+ parts/.exec(l))) out.cutSets[m[1]] = ruleTable(lines, i + 1);
    else if ((m = /^(.+): importance, by criticality:$/.exec(l))) out.importance[m[1]] = ruleTable(lines, i + 1);
  });
  return out;
}

// The page's columns and the headers of the same figures in the CLI's table.
const CLI_HEADERS = {
  availability: 'availability',
  nines: 'nines',
  request_availability: 'request availability',
  downtime: 'downtime/yr',
  error_weighted: 'error-weighted downtime/yr',
  outages: 'outages/yr',
  data_loss: 'data loss/yr',
  delta: 'Δ downtime/yr vs baseline',
};

test('comparison of two bundled designs shows exactly the CLI numbers', { skip: missing ?? false }, async () => {
  await open();
  await loadExample(0, A);
  await loadExample(1, B);
  const tabs = await page.$$eval('.tab:not(.add)', (ts) => ts.map((t) => t.textContent));
  assert.deepEqual(tabs, ['homelab-k3s-as-written', 'homelab-k3s-spread']);
  await setOptions(N);
  const t0 = Date.now();
  await page.click('#run');
  await waitIdle();
  const status = await page.textContent('#status');
  assert.match(status, /^done in/, status);
  console.log(`    browser: 2 designs × ${N} replications × ${HORIZON}: ${status} (${Date.now() - t0} ms wall)`);

  // Every figure the page shows is the text the CLI prints for it: both
  // render through sim-render, and this holds them to it.
  const tables = cliTables(cli(['compare', `models/${A}`, `models/${B}`, '-n', N, '--seed', SEED, '--horizon', HORIZON]));
  for (const [i, file] of [A, B].entries()) {
    const cliJson = cli(['run', `models/${file}`, '-n', N, '--seed', SEED, '--horizon', HORIZON, '--export-json', '-']);
    // The document behind the page is the CLI's, byte for byte.
    const pageJson = await page.evaluate((k) => window.hasimLast.result.documents[k], i);
    assert.equal(pageJson, cliJson, `${file}: browser JSON differs from hasim run --export-json`);
    const doc = JSON.parse(cliJson);
    for (const s of doc.points[0].services) {
      // The results table (the exact table beside it is checked below).
      const row = `.service[data-service="${s.name}"] > .table-wrap tr[data-design="${doc.model.name}"]`;
      const cells = await page.$$eval(`${row} td`, (tds) =>
        Object.fromEntries(tds.map((td) => [td.dataset.field, { text: td.textContent, ...td.dataset }])),
      );
      const printed = tables[s.name][doc.model.name];
      assert.ok(printed, `hasim compare prints a row for ${doc.model.name} under ${s.name}`);
      for (const [field, header] of Object.entries(CLI_HEADERS)) {
        // Both designs have HAProxy backends that lose requests while up,
        // so the request columns are shown by both.
        assert.ok(cells[field], `${s.name}: the page shows ${field}`);
        assert.equal(cells[field].text, printed[header], `${s.name} ${doc.model.name}: ${field} as hasim compare prints it`);
      }
      // The CLI prints p50 / p90 / p99 / max in one cell; the page shows
      // p50 and p99 with their intervals, starting with the same figure.
      const [p50] = printed['recovery p50 / p90 / p99 / max'].split(' / ');
      assert.ok(cells.recovery_p50.text.startsWith(p50), `${s.name}: ${cells.recovery_p50.text} starts with ${p50}`);
      const est = (field, e) => {
        assert.equal(Number(cells[field].value), e.mean, `${s.name} ${field} mean`);
        if (e.ci95) {
          assert.equal(Number(cells[field].ciLow), e.ci95[0], `${s.name} ${field} CI low`);
          assert.equal(Number(cells[field].ciHigh), e.ci95[1], `${s.name} ${field} CI high`);
        }
      };
      est('availability', s.availability);
      est('request_availability', s.request_availability);
      est('error_weighted', s.error_weighted_downtime_minutes_per_year);
      est('downtime', s.downtime_minutes_per_year);
      est('outages', s.outages_per_year);
      est('data_loss', s.data_loss_events_per_year);
      assert.equal(Number(cells.nines.value), s.nines);
      assert.equal(Number(cells.recovery_p50.value), s.recovery_seconds.p50);
      assert.equal(Number(cells.recovery_p99.value), s.recovery_seconds.p99);
    }
  }
  // Beside each service's results, every design's exact figures as
  // `hasim exact` prints them, and what failover costs: the simulated
  // downtime less the exact one.
  for (const file of [A, B]) {
    const exactText = cli(['exact', `models/${file}`]);
    const exact = JSON.parse(cli(['exact', `models/${file}`, '--export-json', '-']));
    const printed = exactTables(exactText).services;
    const doc = JSON.parse(cli(['run', `models/${file}`, '-n', N, '--seed', SEED, '--horizon', HORIZON, '--export-json', '-']));
    for (const s of doc.points[0].services) {
      const cells = await page.$$eval(`.service[data-service="${s.name}"] .failover-cost tr[data-design="${doc.model.name}"] td`, (tds) =>
        Object.fromEntries(tds.map((td) => [td.dataset.field, { text: td.textContent, ...td.dataset }])),
      );
      assert.equal(cells.downtime.text, tables[s.name][doc.model.name]['downtime/yr']);
      const e = exact.services.find((x) => x.name === s.name);
      if (e.solved) {
        const row = printed.find((r) => r.service === s.name);
        assert.equal(cells.exact_availability.text, row.availability);
        assert.equal(cells.exact_downtime.text, row['downtime/yr']);
        assert.equal(Number(cells.failover_cost.value), s.downtime_minutes_per_year.mean - e.downtime_seconds_per_year / 60);
      } else {
        // The reason the library gives, as `hasim exact` prints it.
        assert.ok(exactText.split('\n').includes(cells.note.text), cells.note.text);
      }
    }
  }

  // Charts: a recovery CDF and downtime by cause per service.
  assert.ok((await page.$$('.service svg.chart path')).length >= 2);
  assert.ok((await page.$$('.service svg.chart rect')).length >= 2);

  // Export JSON: two designs give `hasim compare --export-json`.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const saved = join(artifacts, 'compare.json');
  await download.saveAs(saved);
  const compareJson = cli(['compare', `models/${A}`, `models/${B}`, '-n', N, '--seed', SEED, '--horizon', HORIZON, '--export-json', '-']);
  assert.equal(readFileSync(saved, 'utf8'), compareJson);
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  await csvDl.saveAs(join(artifacts, 'compare.csv'));
  const compareCsv = cli(['compare', `models/${A}`, `models/${B}`, '-n', N, '--seed', SEED, '--horizon', HORIZON, '--export-csv', '-']);
  assert.equal(readFileSync(join(artifacts, 'compare.csv'), 'utf8'), compareCsv);

  await page.screenshot({ path: join(artifacts, 'compare.png'), fullPage: true });
});

test('a broken model shows its error at its line', { skip: missing ?? false }, async () => {
  await page.click('.tab[data-index="0"]');
  const text = model(A).replace('requires = "utility"', 'requires = "utilty"');
  await page.fill('#model', text);
  await page.waitForSelector('.diag.error', { timeout: 15000 });
  const line = text.split('\n').findIndex((l) => l.includes('"utilty"')) + 1;
  const column = text.split('\n')[line - 1].indexOf('utilty') + 1;
  const diag = await page.textContent('.diag.error pre');
  // The same text as the CLI for a file of the same name.
  const dir = mkdtempSync(join(tmpdir(), 'hasim-'));
  writeFileSync(join(dir, A), text);
  const r = hasim(['validate', A], dir);
  assert.notEqual(r.status, 0);
  assert.ok(diag.includes(`--> ${A}:${line}:${column}`), diag);
  assert.ok(r.stderr.includes(diag), `hasim validate prints (stderr):\n${r.stderr}\n--- the page shows ---\n${diag}`);
  assert.equal(await page.getAttribute('.gutter span.err', 'data-line'), String(line));
  assert.match(await page.textContent('#validation-status'), /error/);
  // Running it reports the error instead of results.
  await page.click('#run');
  await waitIdle();
  assert.match(await page.textContent('#run-error pre'), /unknown reference `utilty`/);
  await page.click('.diag.error'); // jumps to the line
  await page.screenshot({ path: join(artifacts, 'error.png'), fullPage: false });
  // Fixing it clears the error.
  await page.fill('#model', model(A));
  await page.waitForSelector('.diag.error', { state: 'detached', timeout: 15000 });
});

test('cancelling a long run keeps the page responsive', { skip: missing ?? false }, async () => {
  await setOptions('5000000');
  await page.click('#run');
  await page.waitForFunction(() => /^[1-9][\d,]* \/ 10,000,000 replications/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  const t0 = Date.now();
  await page.click('#cancel');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'cancelled', null, { timeout: 5000 });
  const cancelMs = Date.now() - t0;
  // The main thread answers at once, and live validation still works.
  const t1 = Date.now();
  assert.equal(await page.evaluate(() => 6 * 7), 42);
  assert.ok(Date.now() - t1 < 1000);
  await page.click('.tab[data-index="1"]');
  await page.fill('#model', `${model(B)}\n[services.extra]\nrequires = "nope"\n`);
  await page.waitForSelector('.diag.error', { timeout: 10000 });
  await page.fill('#model', model(B));
  await page.waitForSelector('.diag.error', { state: 'detached', timeout: 10000 });
  // And a new run works on the fresh worker.
  await setOptions('100');
  await page.click('#run');
  await waitIdle();
  assert.match(await page.textContent('#status'), /^done in/);
  console.log(`    cancel took ${cancelMs} ms`);
});

test('a shared link restores designs and options', { skip: missing ?? false }, async () => {
  await page.fill('#seed', '99');
  await page.click('#share');
  await page.waitForFunction(() => location.hash.startsWith('#s='));
  const url = await page.evaluate(() => location.href);
  const p2 = await context.newPage();
  await p2.goto(url);
  await p2.waitForSelector('body[data-ui="ready"]');
  assert.equal(await p2.inputValue('#seed'), '99');
  assert.equal((await p2.$$('.tab:not(.add)')).length, 2);
  assert.equal(await p2.inputValue('#model'), await page.evaluate(() => document.getElementById('model').value));
  await p2.close();
});

test('a sweep charts availability against the parameter', { skip: missing ?? false }, async () => {
  await page.click('.tab[data-index="1"]');
  await page.click('#sweep-box summary');
  await page.fill('#sweep-path', 'hosts.proxmox-1.maintenance.0.duration');
  await page.fill('#sweep-values', SWEEP_VALUES.replaceAll(',', ', '));
  await setOptions(SWEEP_N);
  await page.click('#sweep');
  await waitIdle();
  assert.match(await page.textContent('#status'), /^done in/);
  const points = await page.evaluate(() => JSON.parse(window.hasimLast.result.json).points.length);
  assert.equal(points, 3);
  assert.equal((await page.$$('.sweep-result svg.chart circle')).length, 3);
  // The spread homelab's API sits behind HAProxy, which sends requests to
  // dead servers until it marks them DOWN: every row shows the request
  // figures of its point, as the JSON has them.
  const doc = await page.evaluate(() => JSON.parse(window.hasimLast.result.json));
  const rows = await page.$$eval('.sweep-result tbody tr', (trs) =>
    trs.map((tr) => Object.fromEntries([...tr.cells].map((td) => [td.dataset.field, { text: td.textContent, value: td.dataset.value }]))),
  );
  const services = doc.points.flatMap((p) => p.services);
  assert.equal(rows.length, services.length);
  assert.ok(services.some((s) => s.error_weighted_downtime_minutes_per_year.mean > 0), 'requests lost while up');
  // The sweep's own table, as `hasim sweep` prints it, for the same cells.
  const printed = cli(['sweep', `models/${B}`, '-L', 'hosts.proxmox-1.maintenance.0.duration', SWEEP_VALUES, '-n', SWEEP_N, '--seed', SEED, '--horizon', HORIZON]);
  rows.forEach((r, i) => {
    const s = services[i];
    assert.equal(Number(r.request_availability.value), s.request_availability.mean);
    const ew = s.error_weighted_downtime_minutes_per_year;
    assert.equal(Number(r.error_weighted.value), ew.mean);
    for (const f of ['availability', 'request_availability', 'error_weighted', 'downtime', 'outages']) {
      assert.ok(printed.includes(r[f].text), `hasim sweep prints ${f} ${r[f].text}`);
    }
  });
  await page.screenshot({ path: join(artifacts, 'sweep.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

// The page's columns and the headers of `hasim exact`'s tables.
const EXACT_SERVICE_HEADERS = { availability: 'availability', nines: 'nines', downtime: 'downtime/yr', outages: 'outages/yr', mean_outage: 'mean outage' };
const CUT_SET_HEADERS = { share: 'share', probability: 'probability', downtime: 'downtime/yr', parts: 'parts down' };
const IMPORTANCE_HEADERS = { part: 'part', birnbaum: 'Birnbaum', criticality: 'criticality', fussell_vesely: 'Fussell-Vesely', raw: 'RAW', rrw: 'RRW' };

/** The rows of the page's table `selector`, as {field: text}. */
function pageRows(selector) {
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => Object.fromEntries([...tr.cells].map((td) => [td.dataset.field, td.textContent]))));
}

function sameRows(pageRowsList, cliRows, headers, what) {
  assert.equal(pageRowsList.length, cliRows.length, `${what}: as many rows as hasim exact prints`);
  pageRowsList.forEach((r, k) => {
    for (const [field, header] of Object.entries(headers)) {
      assert.equal(r[field], cliRows[k][header], `${what} row ${k + 1}: ${field} as hasim exact prints it`);
    }
  });
}

test('the exact view shows the cut sets and importance ranking `hasim exact` prints', { skip: missing ?? false }, async () => {
  // A design with a service the library solves (with cut sets, importance
  // and a crew's Markov chain) and one it cannot (a Longhorn volume).
  const file = 'homelab-two-servers-raspberry-pi.toml';
  await loadExample(0, file);
  await page.click('#exact');
  await waitIdle();
  assert.match(await page.textContent('#status'), /^done in/);
  const printed = cli(['exact', `models/${file}`]);
  const exact = JSON.parse(cli(['exact', `models/${file}`, '--export-json', '-']));
  const t = exactTables(printed);
  assert.equal(await page.textContent('.run-head'), printed.split('\n')[0]);
  const services = await pageRows('.exact-services');
  sameRows(services, t.services, { service: 'service', ...EXACT_SERVICE_HEADERS }, 'services');
  const solved = exact.services.filter((s) => s.solved).map((s) => s.name);
  assert.ok(solved.length > 0 && solved.length < exact.services.length, 'the model has solved and unsolved services');
  for (const svc of solved) {
    const card = `.exact-service[data-service="${svc}"]`;
    sameRows(await pageRows(`${card} .cut-sets`), t.cutSets[svc], CUT_SET_HEADERS, `${svc} cut sets`);
    sameRows(await pageRows(`${card} .importance`), t.importance[svc], IMPORTANCE_HEADERS, `${svc} importance`);
    // The notes (transients left out, approximations) are the CLI's lines.
    for (const n of await page.$$eval(`${card} .note`, (ps) => ps.map((p) => p.textContent))) {
      assert.ok(printed.split('\n').includes(n), `hasim exact prints the line ${n}`);
    }
  }
  for (const s of exact.services.filter((x) => !x.solved)) {
    const reason = await page.textContent(`.exact-service[data-service="${s.name}"] .not-solved`);
    assert.ok(printed.split('\n').includes(reason), `hasim exact prints the line ${reason}`);
    assert.ok(reason.includes(s.not_solved.reason));
  }
  const crews = await page.$$eval('.exact-summary .crew', (ps) => ps.map((p) => p.textContent));
  assert.equal(crews.length, exact.crews.length);
  for (const c of crews) assert.ok(printed.split('\n').includes(c), `hasim exact prints the line ${c}`);
  // Export JSON: the bytes of `hasim exact --export-json`.
  assert.ok(await page.isHidden('#export-csv'));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const saved = join(artifacts, 'exact.json');
  await download.saveAs(saved);
  assert.equal(readFileSync(saved, 'utf8'), cli(['exact', `models/${file}`, '--export-json', '-']));
  await page.screenshot({ path: join(artifacts, 'exact.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test('config files picked or dropped become the model `hasim import` writes', { skip: missing ?? false }, async () => {
  const dir = join(repoRoot, 'crates/sim-core/tests/data/import');
  const names = ['keepalived-lb1.conf', 'keepalived-lb2.conf'];
  const scratch = mkdtempSync(join(tmpdir(), 'hasim-import-'));
  for (const n of names) writeFileSync(join(scratch, n), readFileSync(join(dir, n)));
  const imported = hasim(['import', ...names], scratch);
  assert.equal(imported.status, 0, imported.stderr);
  const tabsBefore = (await page.$$('.tab:not(.add)')).length;
  await page.setInputFiles('#import-files', names.map((n) => join(dir, n)));
  await page.waitForFunction((n) => document.querySelectorAll('.tab:not(.add)').length === n, tabsBefore + 1, { timeout: 15000 });
  // The new design is selected: the editor holds exactly the CLI's model,
  // and the page lists what the CLI says on stderr.
  assert.equal(await page.inputValue('#model'), imported.stdout);
  const summary = await page.textContent('.import-status pre');
  for (const l of summary.split('\n')) assert.ok(imported.stderr.split('\n').includes(l), `hasim import says ${l}`);
  await page.waitForSelector('.validation-status.ok', { timeout: 15000 });

  // A broken file dropped on the editor: its located error, as the CLI
  // prints it, and no new design.
  const bad = 'vrrp_instance VI_1 {\n';
  writeFileSync(join(scratch, 'bad.conf'), bad);
  const refused = hasim(['import', 'bad.conf'], scratch);
  rmSync(scratch, { recursive: true, force: true });
  assert.notEqual(refused.status, 0);
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'bad.conf', { type: 'text/plain' }));
    document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bad);
  await page.waitForSelector('.import-error pre', { timeout: 15000 });
  const shown = await page.textContent('.import-error pre');
  assert.match(shown, /--> bad\.conf:1:/);
  assert.ok(refused.stderr.includes(shown), `hasim import prints (stderr):\n${refused.stderr}\n--- the page shows ---\n${shown}`);
  assert.equal((await page.$$('.tab:not(.add)')).length, tabsBefore + 1);
  await page.screenshot({ path: join(artifacts, 'import.png'), fullPage: false });
  assert.deepEqual(pageErrors, []);
});

test('a panic in the engine is reported and the page recovers', { skip: missing ?? false }, async () => {
  await page.evaluate(() => window.hasimDebug.panic());
  await page.waitForFunction(() => /hasim panicked \(this is a bug\).*debugPanic was called/s.test(document.getElementById('banner').textContent), null, { timeout: 10000 });
  // A fresh worker validates again.
  await page.fill('#model', `${model(B)}\n[services.extra]\nrequires = "nope"\n`);
  await page.waitForSelector('.diag.error', { timeout: 10000 });
  await page.fill('#model', model(B));
  await page.waitForSelector('.diag.error', { state: 'detached', timeout: 10000 });
});
