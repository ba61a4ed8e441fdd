// The wasm package from node: the same bytes as the real `hasim` binary for
// run, compare and sweep; errors with the CLI's text; cancellation; panics.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { hasim, loadEngine, model, webDir } from './helpers.mjs';

const A = 'homelab-k3s-as-written.toml';
const B = 'homelab-k3s-spread.toml';
const OPTS = { seed: 42, replications: 300, horizon: '5y' };
const CLI_OPTS = ['-n', '300', '--seed', '42', '--horizon', '5y'];

let engine;
before(async () => {
  engine = await loadEngine();
});

function cli(args) {
  const r = hasim(args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('run gives the bytes of `hasim run --export-json`, CSV included', () => {
  const calls = [];
  const r = engine.run(`models/${A}`, model(A), JSON.stringify(OPTS), (done, total) => {
    calls.push([done, total]);
    return true;
  });
  assert.equal(r.json, cli(['run', `models/${A}`, ...CLI_OPTS, '--export-json', '-']));
  assert.equal(r.csv, cli(['run', `models/${A}`, ...CLI_OPTS, '--export-csv', '-']));
  // The Markdown comes from the renderer the CLI uses, so the bytes agree.
  assert.equal(r.markdown, cli(['run', `models/${A}`, ...CLI_OPTS, '--export-markdown', '-']));
  assert.deepEqual(calls.at(-1), [300, 300]);
  assert.equal(calls.length, 3); // batches of 100
  const recovery = JSON.parse(r.recovery);
  assert.equal(recovery[0].service, 'k3s-api');
  assert.equal(recovery[0].points.at(-1)[1], 1);
});

test('compare gives the bytes of `hasim compare`, and each design its `hasim run` bytes', () => {
  const designs = JSON.stringify([A, B].map((f) => ({ name: `models/${f}`, text: model(f) })));
  const r = engine.compare(designs, JSON.stringify(OPTS));
  const paths = [A, B].map((f) => `models/${f}`);
  assert.equal(r.json, cli(['compare', ...paths, ...CLI_OPTS, '--export-json', '-']));
  assert.equal(r.csv, cli(['compare', ...paths, ...CLI_OPTS, '--export-csv', '-']));
  const docs = JSON.parse(r.documents);
  assert.equal(docs[1], cli(['run', paths[1], ...CLI_OPTS, '--export-json', '-']));
  // The page's tables come from the renderer the CLI prints with: the head
  // line is the first line of `hasim compare`, and every availability cell
  // is text the CLI's table shows.
  const view = JSON.parse(r.view);
  const printed = cli(['compare', ...paths, ...CLI_OPTS]);
  assert.equal(view.head, printed.split('\n')[0]);
  for (const sv of view.services) {
    for (const row of sv.table.rows) {
      const cell = row.cells.find((c) => c.key === 'availability');
      assert.ok(printed.includes(cell.text), `hasim compare prints ${cell.text}`);
    }
  }
});

test('sweep gives the bytes of `hasim sweep -L`', () => {
  const path = 'hosts.proxmox-1.maintenance.0.duration';
  const r = engine.sweep(
    `models/${B}`,
    model(B),
    JSON.stringify({ seed: 3, replications: 100, horizon: '2y' }),
    JSON.stringify([{ path, values: ['5m', '30m', '2h'] }]),
  );
  // A file, not stdout: the CLI rewrites a sweep's export after every point.
  const out = join(mkdtempSync(join(tmpdir(), 'hasim-')), 'sweep.json');
  cli(['sweep', `models/${B}`, '-L', path, '5m,30m,2h', '-n', '100', '--seed', '3', '--horizon', '2y', '--export-json', out]);
  assert.equal(r.json, readFileSync(out, 'utf8'));
  assert.equal(JSON.parse(r.json).points.length, 3);
});

test('a broken model throws the CLI error text with line and column', () => {
  const text = model(A).replace('requires = "utility"', 'requires = "utilty"');
  const dir = mkdtempSync(join(tmpdir(), 'hasim-'));
  const file = join(dir, 'broken.toml');
  writeFileSync(file, text);
  const cliErr = hasim(['run', file, '-n', '10']);
  assert.notEqual(cliErr.status, 0);
  assert.throws(
    () => engine.run(file, text, '{}'),
    (e) => {
      assert.equal(e.name, 'ModelError');
      assert.equal(e.message, cliErr.stderr.trimEnd());
      assert.match(e.message, /unknown reference `utilty`/);
      assert.equal(e.diagnostics[0].snippet, 'utilty');
      assert.ok(e.diagnostics[0].line > 1);
      return true;
    },
  );
  const v = JSON.parse(engine.validate(file, text));
  assert.equal(v.ok, false);
  assert.equal(v.diagnostics[0].rendered, cliErr.stderr.trimEnd());
});

test('validate lists the design warnings of `hasim validate`', () => {
  const v = JSON.parse(engine.validate(`models/${A}`, model(A)));
  assert.equal(v.ok, true);
  const out = cli(['validate', `models/${A}`]);
  assert.ok(v.diagnostics.length > 0);
  for (const d of v.diagnostics) {
    assert.equal(d.severity, 'warning');
    assert.ok(out.includes(d.rendered), `hasim validate does not print:\n${d.rendered}`);
  }
});

test('bad options are errors, not panics', () => {
  for (const [opts, re] of [
    ['{"replications": 0}', /replications must be at least 1/],
    ['{"horizon": "forever"}', /horizon/],
    ['{"seed": "x"}', /seed/],
    ['not json', /options/],
  ]) {
    assert.throws(() => engine.run('m.toml', model(A), opts), (e) => e.name === 'InputError' && re.test(e.message));
  }
});

test('returning false from the progress callback cancels; a throwing callback too', () => {
  let calls = 0;
  const cancel = () => {
    calls += 1;
    return false;
  };
  assert.throws(() => engine.run('m.toml', model(A), '{"replications": 100000}', cancel), (e) => e.name === 'Cancelled');
  assert.equal(calls, 1);
  assert.throws(
    () => engine.run('m.toml', model(A), '{"replications": 100000}', () => {
      throw new Error('stop');
    }),
    (e) => e.name === 'Cancelled',
  );
  // The instance is still usable afterwards.
  assert.equal(JSON.parse(engine.validate('m.toml', model(B))).ok, true);
});

test('a panic traps with its message stored for the page', () => {
  assert.throws(() => engine.debugPanic(), (e) => e instanceof WebAssembly.RuntimeError);
  assert.match(globalThis.hasimLastPanic, /hasim panicked \(this is a bug\): .*debugPanic was called/s);
});

test('import gives the model `hasim import` writes, or the located error', () => {
  const dir = join(webDir, '../crates/sim-core/tests/data/import');
  const names = ['keepalived-lb1.conf', 'keepalived-lb2.conf'];
  const files = names.map((n) => ({ name: n, text: readFileSync(join(dir, n), 'utf8') }));
  const r = JSON.parse(engine.importConfigs(JSON.stringify(files)));
  assert.equal(r.ok, true);
  const scratch = mkdtempSync(join(tmpdir(), 'hasim-import-'));
  for (const f of files) writeFileSync(join(scratch, f.name), f.text);
  const printed = hasim(['import', ...names], scratch);
  rmSync(scratch, { recursive: true, force: true });
  assert.equal(printed.status, 0, printed.stderr);
  assert.equal(r.model, printed.stdout);
  const bad = JSON.parse(engine.importConfigs(JSON.stringify([{ name: 'bad.conf', text: 'vrrp_instance VI_1 {\n' }])));
  assert.equal(bad.ok, false);
  assert.equal(bad.diagnostics[0].line, 1);
  assert.match(bad.diagnostics[0].message, /never closed/);
});

test('exact gives the bytes of `hasim exact --export-json`, the cells it prints, or the located error', () => {
  for (const file of ['forty-hosts.toml', 'homelab-two-servers-raspberry-pi.toml']) {
    const r = engine.exact(`models/${file}`, model(file));
    assert.equal(r.json, cli(['exact', `models/${file}`, '--export-json', '-']));
    // Every line and cell of the page's view is text `hasim exact` prints.
    const printed = cli(['exact', `models/${file}`]);
    const view = JSON.parse(r.view);
    assert.equal(view.head, printed.split('\n')[0]);
    const lines = [...view.crews];
    const cells = view.services.rows.flatMap((row) => row.cells);
    for (const d of view.details) {
      lines.push(...d.notes, ...[d.not_solved, d.cut_sets_heading, d.importance_heading].filter(Boolean));
      cells.push(...d.cut_sets.rows.flatMap((row) => row.cells), ...d.importance.rows.flatMap((row) => row.cells));
    }
    for (const l of lines) assert.ok(printed.split('\n').includes(l), `hasim exact prints the line ${l}`);
    for (const c of cells) assert.ok(printed.includes(c.text), `hasim exact prints ${c.text}`);
  }
  // A service the library cannot solve is named with its reason, not an error.
  const pi = JSON.parse(engine.exact('pi.toml', model('homelab-two-servers-raspberry-pi.toml')).view);
  assert.ok(pi.details.some((d) => d.not_solved), 'the Longhorn volume is not solved exactly');

  const text = model(A).replace('requires = "utility"', 'requires = "utilty"');
  const dir = mkdtempSync(join(tmpdir(), 'hasim-'));
  const file = join(dir, 'broken.toml');
  writeFileSync(file, text);
  const cliErr = hasim(['exact', file]);
  rmSync(dir, { recursive: true, force: true });
  assert.notEqual(cliErr.status, 0);
  assert.throws(
    () => engine.exact(file, text),
    (e) => {
      assert.equal(e.name, 'ModelError');
      assert.equal(e.message, cliErr.stderr.trimEnd());
      assert.equal(e.diagnostics[0].snippet, 'utilty');
      return true;
    },
  );
});

test('rare gives the bytes `hasim run --estimator is` exports and prints, or its refusal', () => {
  const file = 'five-nines-3-of-5.toml';
  const calls = [];
  const r = engine.rare(`models/${file}`, model(file), JSON.stringify({ seed: 3 }), 5000, (done, total) => {
    calls.push([done, total]);
    return true;
  });
  const args = ['run', `models/${file}`, '--estimator', 'is', '--cycles', '5000', '--seed', '3'];
  assert.equal(r.json, cli([...args, '--export-json', '-']));
  assert.equal(r.text, cli(args));
  assert.deepEqual(calls.at(-1), [5000, 5000]);
  // A model with batteries does not qualify: the CLI's message.
  const ups = 'homelab-k3s-ups.toml';
  const refused = hasim(['run', `models/${ups}`, '--estimator', 'is']);
  assert.notEqual(refused.status, 0);
  assert.throws(
    () => engine.rare(`models/${ups}`, model(ups), '{}', 1000),
    (e) => {
      assert.equal(e.name, 'InputError');
      assert.match(e.message, /importance sampling needs only exponential failures/);
      assert.ok(refused.stderr.includes(e.message), refused.stderr);
      return true;
    },
  );
});

test('compare puts each service\'s exact figures beside the simulated ones', () => {
  const designs = JSON.stringify([A, B].map((f) => ({ name: `models/${f}`, text: model(f) })));
  const view = JSON.parse(engine.compare(designs, JSON.stringify(OPTS)).view);
  for (const [k, f] of [A, B].entries()) {
    const exact = JSON.parse(cli(['exact', `models/${f}`, '--export-json', '-']));
    const printed = cli(['exact', `models/${f}`]);
    const doc = JSON.parse(cli(['run', `models/${f}`, ...CLI_OPTS, '--export-json', '-']));
    for (const sv of view.services) {
      const row = sv.exact.rows[k];
      const cells = Object.fromEntries(row.cells.map((c) => [c.key, c]));
      const e = exact.services.find((s) => s.name === sv.service);
      const s = doc.points[0].services.find((x) => x.name === sv.service);
      assert.equal(cells.downtime.value, s.downtime_minutes_per_year.mean);
      if (e.solved) {
        assert.equal(cells.exact_availability.value, e.availability);
        assert.ok(printed.includes(cells.exact_downtime.text), `hasim exact prints ${cells.exact_downtime.text}`);
        // What failover costs: the simulated downtime less the exact one.
        assert.equal(cells.failover_cost.value, s.downtime_minutes_per_year.mean - e.downtime_seconds_per_year / 60);
      } else {
        assert.ok(printed.includes(cells.note.text), `hasim exact prints ${cells.note.text}`);
      }
    }
  }
});
