// `hasim report` in real headless Chromium: the report the `hasim` binary
// writes for two bundled designs is opened from a file:// URL. It must load
// nothing else, log no error, show every section (in the contents too) and
// draw its charts with a real size, on screen and in print.
//
// The same browser set-up as e2e.test.mjs (helpers.mjs): Debian's chromium, never a
// downloaded one; under CI=true a missing browser is a failure.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromiumMissing, hasim, launchChromium, webDir } from './helpers.mjs';

const SECTIONS = ['Summary', 'Results', 'Top downtime causes', 'Validation warnings', 'Capacity', 'Charts', 'Designs', 'Glossary', 'Reproduce'];
const artifacts = join(webDir, 'test-results');

const missing = chromiumMissing();

// A4 landscape is 297 mm wide; at this resolution a millimetre is
// DPI / 25.4 pixels.
const DPI = 50;

/** The pages of a PDF as greyscale rasters, from poppler's pdftoppm. */
function printedPages(pdfFile) {
  const out = join(dir, 'page');
  execFileSync('pdftoppm', ['-r', String(DPI), '-gray', pdfFile, out]);
  return readdirSync(dir)
    .filter((f) => f.startsWith('page') && f.endsWith('.pgm'))
    .sort()
    .map((f) => {
      // A binary PGM: "P5", width, height, maxval, one byte per pixel.
      const buf = readFileSync(join(dir, f));
      const head = buf.toString('latin1', 0, 64).split(/\s+/);
      assert.equal(head[0], 'P5', `${f} is not a binary PGM`);
      const [width, height] = [Number(head[1]), Number(head[2])];
      const pixels = buf.subarray(buf.length - width * height);
      const inkPixels = pixels.filter((v) => v < 200).length;
      return { width, height, pixels, inkPixels };
    });
}

/** Where a page has ink within `mm` of its edges (less 2 mm of slack). */
function marginInk(p, mm) {
  const m = Math.floor(((mm - 2) * DPI) / 25.4);
  const spots = [];
  for (let y = 0; y < p.height; y++) {
    for (let x = 0; x < p.width; x++) {
      const inMargin = x < m || x >= p.width - m || y < m || y >= p.height - m;
      if (inMargin && p.pixels[y * p.width + x] < 200) spots.push(`(${x}, ${y})`);
    }
  }
  return spots;
}

let context, page, userDataDir, dir, url;
const pageErrors = [];
const requests = [];

before(async () => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), 'hasim-report-'));
  const file = join(dir, 'report.html');
  const r = hasim([
    'report',
    'models/homelab-k3s-as-written.toml',
    'models/homelab-k3s-spread.toml',
    '-n', '200', '--seed', '7', '--horizon', '5y',
    '-o', file,
  ]);
  assert.equal(r.status, 0, r.stderr);
  url = pathToFileURL(file).href;
  mkdirSync(artifacts, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'hasim-chromium-'));
  context = await launchChromium(userDataDir, { viewport: { width: 1280, height: 900 } });
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  page.on('request', (q) => requests.push(q.url()));
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Width and height of every chart, and of the largest line or bar in it. */
function chartSizes() {
  return page.$$eval('figure svg', (svgs) =>
    svgs.map((s) => {
      const box = s.getBoundingClientRect();
      const marks = [...s.querySelectorAll('polyline, rect')].map((m) => m.getBBox());
      return {
        width: box.width,
        height: box.height,
        marks: marks.length,
        largest: Math.max(0, ...marks.map((b) => b.width * b.height)),
      };
    }),
  );
}

test('the report opens without errors and shows every section and chart', { skip: missing ?? false }, async () => {
  await page.goto(url);
  await page.waitForLoadState('load');
  assert.deepEqual(pageErrors, [], 'console or page errors');
  assert.deepEqual(requests, [url], 'the report loads nothing but itself');

  const headings = await page.$$eval('section > h2', (hs) => hs.map((h) => h.textContent));
  assert.deepEqual(headings, SECTIONS, 'the sections, the summary first');
  const contents = await page.$$eval('nav a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  const ids = await page.$$eval('section', (ss) => ss.map((s) => `#${s.id}`));
  assert.deepEqual(contents, headings.map((h, i) => [h, ids[i]]), 'the contents list every section');
  for (const s of await page.$$('section')) {
    assert.ok((await s.boundingBox()).height > 40, 'every section has content');
  }

  // The first screen (1280 x 900) answers: the verdict, whose difference
  // is the one of the results table (hasim compare's), and the first
  // thing to fix.
  const verdict = await page.$eval('#summary p', (p) => ({ top: p.getBoundingClientRect().top, text: p.textContent }));
  assert.ok(verdict.top < 900, `the verdict starts at ${verdict.top} px`);
  const delta = await page.$eval('#results table tbody tr:nth-child(2) td:last-child', (td) => td.textContent);
  const amount = delta.replace(/^−/, '').split(' (')[0];
  assert.ok(
    verdict.text.startsWith(`k3s-api: homelab-k3s-spread has ${amount} less downtime a year than the baseline homelab-k3s-as-written (significant at 95%)`),
    `${verdict.text} against the table's ${delta}`,
  );
  const fix = await page.$eval('#summary li', (li) => ({ top: li.getBoundingClientRect().top, text: li.textContent }));
  assert.ok(fix.top < 900 && fix.text.startsWith('proxmox-'), `first finding at ${fix.top} px: ${fix.text}`);

  // Nothing overflows its box at 1280 px: no table needs a scroll bar.
  const overflowing = () =>
    page.$$eval('.scroll, pre, figure', (els) =>
      els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.closest('section').id}: ${e.tagName} ${e.scrollWidth} > ${e.clientWidth}`),
    );
  assert.deepEqual(await overflowing(), [], 'boxes wider than the page at 1280 px');

  // The results table: one row per design, the second compared with the first.
  const rows = await page.$$eval('#results table', (ts) => [...ts[0].tBodies[0].rows].map((tr) => tr.textContent));
  assert.equal(rows.length, 2);
  assert.match(rows[0], /baseline/);
  assert.match(rows[1], /significant/);

  const charts = await chartSizes();
  assert.equal(charts.length, 2);
  for (const c of charts) {
    assert.ok(c.width > 300 && c.height > 150, `chart of ${c.width}×${c.height}`);
    assert.ok(c.marks > 2 && c.largest > 0, `chart draws ${c.marks} marks`);
  }
  await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });

  // In print the contents disappear and the charts still fit the page.
  // The page is A4 landscape with 12 mm margins (the report's @page): 273 mm
  // of line, 1032 CSS px, where every table must fit and the folded
  // warnings must be unfolded.
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 1032, height: 700 });
  assert.deepEqual(await overflowing(), [], 'boxes wider than the printed line');
  const folded = await page.$$eval('details pre', (ps) => ps.filter((p) => p.getBoundingClientRect().height === 0).length);
  assert.equal(folded, 0, 'warnings hidden in print');
  assert.equal(await page.$eval('nav', (n) => getComputedStyle(n).display), 'none');
  for (const c of await chartSizes()) assert.ok(c.width > 300 && c.height > 150, `printed chart of ${c.width}×${c.height}`);
  const pdf = await page.pdf({ preferCSSPageSize: true });
  assert.ok(pdf.length > 10000, `a PDF of ${pdf.length} bytes`);
  // Every printed page, rasterised by poppler's pdftoppm: content that
  // overflows the line paints into the 12 mm margins, so each page's
  // margins must be blank, and each page must carry something.
  const pdfFile = join(dir, 'report.pdf');
  writeFileSync(pdfFile, pdf);
  const pages = printedPages(pdfFile);
  assert.ok(pages.length >= 2, `${pages.length} printed pages`);
  for (const [i, p] of pages.entries()) {
    const ink = marginInk(p, 12);
    assert.deepEqual(ink, [], `page ${i + 1} of ${pages.length}: ink in the margins (overflow) at ${ink.slice(0, 5).join(', ')}`);
    assert.ok(p.inkPixels > 100, `page ${i + 1} of ${pages.length} is blank`);
  }
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(pageErrors, [], 'console or page errors');
});
