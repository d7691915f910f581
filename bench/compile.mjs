// How long V8 takes to compile each wasm module, in a fresh headless
// Chromium page per run (the same engine as workerd; node 20's V8 is too
// old for wasm-bindgen's reference types). What an isolate pays before
// its first answer.
//
//   node bench/compile.mjs <runs> <file.wasm>…   → {"<file>": median ms, …}
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [runs = '5', ...files] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const out = {};
try {
  for (const file of files) {
    const b64 = readFileSync(file).toString('base64');
    const times = [];
    for (let i = 0; i < Number(runs); i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      times.push(await page.evaluate(async (data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const t = performance.now();
        await WebAssembly.compile(bytes);
        return performance.now() - t;
      }, b64));
      await context.close();
    }
    times.sort((a, b) => a - b);
    out[file] = times[Math.floor(times.length / 2)];
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
