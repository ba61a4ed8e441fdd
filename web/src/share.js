// Shareable links: the designs and options, deflated and base64url-encoded
// into the URL's hash (`#s=...`), so nothing leaves the browser.

function toBase64Url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipe(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** The hash fragment (without '#') that encodes `state`. */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify({ v: 1, ...state }));
  return `s=${toBase64Url(await pipe(json, new CompressionStream('deflate-raw')))}`;
}

/** The state in a hash fragment, or null if there is none. Throws on a
 * damaged link, with a message that says which part is damaged. */
export async function decodeState(hash) {
  const m = /(?:^#?|&)s=([^&]*)/.exec(hash);
  if (!m) return null;
  const data = m[1];
  const bad = /[^A-Za-z0-9_-]/.exec(data);
  if (bad) {
    throw new Error(`the data after #s= holds \`${bad[0]}\` at character ${bad.index + 1}, which a share link never contains (was it edited or wrapped by a mail program?)`);
  }
  if (data.length === 0) throw new Error('the link ends at #s= and holds no designs');
  if (data.length % 4 === 1) throw new Error(`the data after #s= is ${data.length} characters long, which no share link is: it was cut short or has a character too many`);
  let bytes;
  try {
    bytes = await pipe(fromBase64Url(data), new DecompressionStream('deflate-raw'));
  } catch {
    throw new Error(`the ${data.length} characters after #s= do not decompress: the link was cut short or altered (copy it again from the page that made it)`);
  }
  let state;
  try {
    state = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`the link decompresses but does not hold the page's data (${e.message})`);
  }
  if (state?.v !== 1) throw new Error(`the link was made by another version of the playground (version ${JSON.stringify(state?.v)}; this page reads version 1)`);
  if (!Array.isArray(state.designs) || !state.designs.every((d) => d && typeof d.name === 'string' && typeof d.text === 'string')) {
    throw new Error('the link holds no list of designs with a name and text each');
  }
  return state;
}
