// Times a 1000-replication comparison of the two homelab designs (10y,
// seed 1) in the browser playground against `hasim compare` on the same
// machine, and checks that both give the same bytes. Run it after
// scripts/web-test.sh (which builds web/dist) and a release build of the
// CLI:
//
//   cargo build --release -p sim-cli && node web/test/timing.mjs
//
// It prints one line per measurement: the CLI with every core (-j N) and
// with one (-j 1), and the page with its workers split over the cores and
// with one worker (?workers=1). Each is the best of three runs, so a
// neighbour's burst of CPU does not decide the number.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, distDir, launchChromium, repoRoot, serve } from './helpers.mjs';

const A = 'homelab-k3s-as-written.toml';
const B = 'homelab-k3s-spread.toml';
const N = process.env.TIMING_REPLICATIONS || '1000';
const TRIES = 3;

if (!existsSync(CHROMIUM)) {
  console.error(`Chromium is not installed at ${CHROMIUM}: sudo apt-get install -y chromium`);
  process.exit(1);
}
const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: repoRoot, encoding: 'utf8' }));
const bin = process.env.HASIM_BIN || join(meta.target_directory, 'release', 'hasim');
if (!existsSync(bin)) {
  console.error(`${bin} is missing: cargo build --release -p sim-cli`);
  process.exit(1);
}
const cores = cpus().length;

function cli(threads) {
  let best = Infinity;
  let out = '';
  for (let k = 0; k < TRIES; k++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(bin, ['compare', `models/${A}`, `models/${B}`, '-n', N, '--seed', '1', '-j', String(threads), '--export-json', '-'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 << 20 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(r.status, 0, r.stderr);
    out = r.stdout;
    best = Math.min(best, ms);
  }
  return { ms: best, json: out };
}

const server = await serve(distDir);
const base = `http://127.0.0.1:${server.address().port}/`;
const profile = mkdtempSync(join(tmpdir(), 'hasim-timing-'));
const context = await launchChromium(profile, { viewport: { width: 1280, height: 900 } });

async function browser(workers) {
  const page = await context.newPage();
  await page.goto(`${base}?workers=${workers}`);
  await page.waitForSelector('body[data-ui="ready"][data-engine="ready"]', { timeout: 30000 });
  for (const [i, f] of [A, B].entries()) {
    await page.click(`.tab[data-index="${i}"]`);
    await page.selectOption('#examples', f);
  }
  await page.waitForFunction(() => !document.getElementById('validation-status').textContent.startsWith('checking'));
  await page.fill('#seed', '1');
  await page.fill('#replications', N);
  await page.fill('#horizon', '10y');
  let best = Infinity;
  let json = '';
  for (let k = 0; k < TRIES; k++) {
    // The page's own clock: from the click to the results drawn.
    await page.click('#run');
    await page.waitForFunction(() => !document.body.dataset.running, null, { timeout: 600000 });
    const status = await page.textContent('#status');
    assert.match(status, /^done in/, status);
    const ms = await page.evaluate(() => window.hasimLast.run && performance.now() - window.hasimLast.run.started);
    json = await page.evaluate(() => window.hasimLast.result.json);
    assert.equal(await page.evaluate(() => document.body.dataset.workers), String(workers));
    best = Math.min(best, ms);
  }
  await page.close();
  return { ms: best, json };
}

try {
  const many = cli(cores);
  const one = cli(1);
  const pageMany = await browser(Math.min(cores, 4));
  const pageOne = await browser(1);
  for (const r of [one, pageMany, pageOne]) assert.equal(r.json, many.json, 'every run gives the bytes of hasim compare --export-json');
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`machine: ${cores} cores (${cpus()[0].model}); ${A} vs ${B}, ${N} replications x 10y, seed 1; best of ${TRIES}; every result the same bytes`);
  console.log(`hasim compare -j ${cores} (${bin}): ${s(many.ms)}`);
  console.log(`hasim compare -j 1: ${s(one.ms)}`);
  console.log(`browser, ${Math.min(cores, 4)} workers: ${s(pageMany.ms)} (${(pageMany.ms / many.ms).toFixed(2)}x the CLI on ${cores} threads)`);
  console.log(`browser, 1 worker: ${s(pageOne.ms)} (${(pageOne.ms / one.ms).toFixed(2)}x the CLI on 1 thread)`);
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
