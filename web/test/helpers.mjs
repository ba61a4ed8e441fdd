// Shared by the tests: paths, the real `hasim` binary, the wasm package and a
// static file server.

import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import zlib, { brotliCompressSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(webDir, '..');
export const distDir = join(webDir, 'dist');

/** The `hasim` binary built by `cargo build -p sim-cli` (or $HASIM_BIN). */
export function hasimBin() {
  if (process.env.HASIM_BIN) return process.env.HASIM_BIN;
  const meta = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: repoRoot, encoding: 'utf8' }),
  );
  const bin = join(meta.target_directory, 'debug', 'hasim');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo build -p sim-cli\` first`);
  return bin;
}

/** Runs hasim; returns {stdout, stderr, status}. */
export function hasim(args, cwd = repoRoot) {
  const r = spawnSync(hasimBin(), args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** The wasm package, instantiated synchronously for node. */
export async function loadEngine() {
  const pkg = join(distDir, 'pkg');
  if (!existsSync(join(pkg, 'sim_wasm.js'))) throw new Error('web/dist is missing: run web/build.sh first');
  const mod = await import(join(pkg, 'sim_wasm.js'));
  mod.initSync({ module: readFileSync(join(pkg, 'sim_wasm_bg.wasm')) });
  return mod;
}

export function model(file) {
  return readFileSync(join(repoRoot, 'models', file), 'utf8');
}

/** Debian's Chromium (the tests never download one); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const INSTALL = 'sudo apt-get update && sudo apt-get install -y chromium   (or run scripts/web-test.sh, which does it)';

/**
 * Why the browser tests cannot run, or null when they can. Under CI=true a
 * missing browser is a failure; elsewhere the tests are skipped, loudly.
 */
export function chromiumMissing() {
  if (existsSync(CHROMIUM)) return null;
  const missing = `Chromium is not installed at ${CHROMIUM}; the browser test needs it. Install it with:\n    ${INSTALL}`;
  if (process.env.CI === 'true') {
    throw new Error(`CI=true and ${missing}`);
  }
  console.error(`\n*** SKIPPING the browser test: ${missing}\n`);
  return missing;
}

/** Headless Chromium with its profile in `userDataDir`; `options` (viewport...) add to the defaults. */
export async function launchChromium(userDataDir, options = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    ...options,
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.toml': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

// Text and wasm are worth compressing; images and the rest are sent as they are.
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.wasm', '.toml', '.svg', '.map', '.txt']);
const compressed = new Map(); // `${path}\0${mtime}\0${encoding}` -> Buffer

/** The encoding to answer `accept` with: brotli, then gzip, else none. */
function encodingFor(accept = '') {
  const offered = accept.split(',').map((s) => s.trim().split(';')[0]);
  if (offered.includes('br')) return 'br';
  if (offered.includes('gzip')) return 'gzip';
  return null;
}

/**
 * Serves `dir` on 127.0.0.1 at `port` (0: any free port); resolves to the
 * server. Text and the wasm go brotli- or gzip-compressed when the browser
 * accepts it (compressed once per file version and kept in memory), and
 * every answer carries an ETag with `Cache-Control: no-cache`: the browser
 * keeps its copy and revalidates it, and an unchanged file costs a 304
 * instead of a download. (The file names carry no content hash, so a
 * longer max-age could serve a stale engine after a rebuild.)
 */
export function serve(dir, port = 0) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let path = normalize(join(dir, decodeURIComponent(url.pathname)));
    if (!path.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) {
      res.writeHead(404).end('not found');
      return;
    }
    const st = statSync(path);
    const ext = extname(path);
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const headers = { 'content-type': TYPES[ext] || 'application/octet-stream', 'cache-control': 'no-cache', etag, vary: 'accept-encoding' };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const enc = COMPRESSIBLE.has(ext) ? encodingFor(req.headers['accept-encoding']) : null;
    if (!enc) {
      res.writeHead(200, { ...headers, 'content-length': st.size });
      createReadStream(path).pipe(res);
      return;
    }
    const key = `${path}\0${st.mtimeMs}\0${enc}`;
    let body = compressed.get(key);
    if (!body) {
      const raw = readFileSync(path);
      body =
        enc === 'br'
          ? brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
          : gzipSync(raw, { level: 9 });
      compressed.set(key, body);
    }
    res.writeHead(200, { ...headers, 'content-encoding': enc, 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

// `node test/helpers.mjs DIR PORT`: serve a directory by hand (npm run serve).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] || distDir);
  const port = Number(process.argv[3] || 8080);
  serve(dir, port).then(() => console.log(`serving ${dir} on http://127.0.0.1:${port}/`));
}
