// Writes <dist>/_headers: the security headers wrangler's static assets
// (and Cloudflare's) put on every file of the app, index.html and the
// single-page-application fallback for deep links included.
//
// Trunk bootstraps the wasm with one inline <script type="module">; rather
// than allowing inline script, the policy allows exactly that script, by
// the SHA-256 of its text in the built index.html. Any other inline script
// (an injected one) is refused.
//
// Usage: node scripts/headers.mjs dist
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = process.argv[2] || 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const hashes = [];
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  const [, attrs, text] = m;
  if (/\bsrc\s*=/i.test(attrs)) continue;
  hashes.push(`'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
}

const csp = [
  "default-src 'none'",
  // 'wasm-unsafe-eval': compiling the app's WebAssembly; nothing else.
  `script-src 'self' ${hashes.join(' ')} 'wasm-unsafe-eval'`.replace(/ +/g, ' '),
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const permissions = [
  'accelerometer=()', 'autoplay=()', 'camera=()', 'display-capture=()', 'encrypted-media=()',
  'fullscreen=()', 'geolocation=()', 'gyroscope=()', 'hid=()', 'idle-detection=()',
  'magnetometer=()', 'microphone=()', 'midi=()', 'payment=()', 'publickey-credentials-create=(self)', 'publickey-credentials-get=(self)',
  'screen-wake-lock=()', 'serial=()', 'usb=()', 'xr-spatial-tracking=()',
].join(', ');

const headers = `/*
  Content-Security-Policy: ${csp}
  X-Frame-Options: DENY
  Referrer-Policy: no-referrer
  X-Content-Type-Options: nosniff
  Permissions-Policy: ${permissions}
  Cross-Origin-Opener-Policy: same-origin
/__wasm_split.js
  Cache-Control: no-cache
/split_*
  Cache-Control: no-cache
/chunk_*
  Cache-Control: no-cache
`;
// The lazy pages' loader and files keep their names from build to build
// (Trunk hashes only the main wasm and its JS): a browser revalidates them
// on every load, so a cached file of an older build never meets a newer
// main wasm.
writeFileSync(join(dist, '_headers'), headers);
console.error(`[keyward] wrote ${join(dist, '_headers')} (${hashes.length} inline script hash${hashes.length === 1 ? '' : 'es'})`);
