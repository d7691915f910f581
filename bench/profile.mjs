// A CPU profile of a running worker, through workerd's inspector (the
// DevTools protocol that `wrangler dev --inspector-port` exposes).
//
//   node bench/profile.mjs <inspector port[,port…]> <seconds> <out.cpuprofile>
//
// Samples every 100 µs for <seconds>, writes the profile (open it in
// Chrome's DevTools, Performance tab) and prints the functions with the
// most self time. Rust functions appear under their demangled wasm names.
import { writeFileSync } from "node:fs";
import WebSocket from "ws";

const [port, seconds = "5", out = "keyward.cpuprofile"] = process.argv.slice(2);
if (!port) {
  console.error("usage: node bench/profile.mjs <inspector port> <seconds> <out>");
  process.exit(2);
}

// workerd lists each worker as its own target on its own inspector
// port; wrangler's (the first port) proxies one of them. Any port that
// answers /json is asked: the edge worker answers the profiled calls.
const targets = [];
for (const p of port.split(',')) {
  try {
    const listed = await (await fetch(`http://127.0.0.1:${p}/json`)).json();
    if (Array.isArray(listed)) targets.push(...listed);
  } catch { /* not an inspector */ }
}
const named = (re) => targets.find((t) => re.test(`${t.id} ${t.title} ${t.url}`));
const target = named(/keyward-edge/i) ?? named(/keyward/i) ?? targets[0];
if (!target) throw new Error("no inspector target");
console.error(`profiling ${target.title} (of ${targets.map((t) => t.title).join(', ')})`);

const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((ok, fail) => {
  ws.once("open", ok);
  ws.once("error", fail);
});
let next = 1;
const waiting = new Map();
ws.on("message", (data) => {
  const msg = JSON.parse(data.toString());
  if (msg.id && waiting.has(msg.id)) {
    waiting.get(msg.id)(msg);
    waiting.delete(msg.id);
  }
});
const send = (method, params = {}) =>
  new Promise((ok) => {
    const id = next++;
    waiting.set(id, ok);
    ws.send(JSON.stringify({ id, method, params }));
  });

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const { result, error } = await send("Profiler.stop");
if (error || !result) throw new Error(`Profiler.stop: ${JSON.stringify(error)}`);
const profile = result.profile;
writeFileSync(out, JSON.stringify(profile));

// The glue's functions are anonymous (`name: function(...)` in an object
// of imports, minified): name each by the wasm-bindgen import it sits in,
// read from the script's source at the sample's position.
const sources = new Map();
const glueName = new Map();
{
  await send("Debugger.enable");
  const frames = new Map();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    if (!f.functionName && f.url.endsWith("index.js")) frames.set(`${f.scriptId}:${f.lineNumber}:${f.columnNumber}`, f);
  }
  for (const [key, f] of frames) {
    if (!sources.has(f.scriptId)) {
      const r = await send("Debugger.getScriptSource", { scriptId: f.scriptId });
      sources.set(f.scriptId, (r.result?.scriptSource ?? "").split("\n"));
    }
    const line = sources.get(f.scriptId)[f.lineNumber] ?? "";
    const before = line.slice(Math.max(0, f.columnNumber - 400), f.columnNumber);
    const names = [...before.matchAll(/(__wbg_[A-Za-z0-9_]+?|__wbindgen_[A-Za-z0-9_]+?)(_[0-9a-f]{16})?\s*:/g)];
    const found = names.length ? names[names.length - 1][1] : null;
    // Not an import: the entry's own code (worker-build's shim), named by
    // the text it starts with.
    const text = line.slice(f.columnNumber, f.columnNumber + 48).replace(/\s+/g, " ");
    glueName.set(key, found ? `glue ${found}` : `shim "${text}"`);
  }
}
ws.close();

// Self time per function, and inclusive time (a function counted once per
// sample in whose stack it appears), over the samples spent in code.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const idle = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);
const label = (f) => {
  const glue = glueName.get(`${f.scriptId}:${f.lineNumber}:${f.columnNumber}`);
  if (glue) return `${glue} [index.js]`;
  const where = f.url ? f.url.split("/").pop().replace(/-[0-9a-f]{8,}$/, "") : "";
  // Rust symbols: drop crate hashes, keep the path.
  const fn = (f.functionName || "(anonymous)").replace(/\[[0-9a-f]{16}\]/g, "");
  return where ? `${fn} [${where}]` : fn;
};
const category = (f) =>
  f.url.includes(".wasm")
    ? "Rust (wasm)"
    : f.url.endsWith("index.js")
      ? "JS glue (wasm-bindgen, index.js)"
      : f.url
        ? `JS ${f.url.split("/").pop()}`
        : "runtime built-ins (no script)";
const selfTime = new Map();
const inclusive = new Map();
const categories = new Map();
let busy = 0;
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const f = byId.get(id).callFrame;
  if (idle.has(f.functionName)) return;
  busy += dt;
  selfTime.set(label(f), (selfTime.get(label(f)) ?? 0) + dt);
  categories.set(category(f), (categories.get(category(f)) ?? 0) + dt);
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const name = label(byId.get(n).callFrame);
    if (!seen.has(name) && !idle.has(byId.get(n).callFrame.functionName)) {
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    }
  }
});
const pct = (t) => `${((t / busy) * 100).toFixed(1).padStart(5)} %`;
const top = (m, n, only = () => true) =>
  [...m].filter(([k]) => only(k)).sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(
  `profile: ${(total / 1e6).toFixed(1)} s sampled, ${((busy / total) * 100).toFixed(0)} % of it running code; shares below are of that`,
);
console.log("\nby kind of code (self time):");
for (const [k, t] of top(categories, 10)) console.log(`  ${pct(t)}  ${k}`);
console.log("\nfunctions, self time:");
for (const [k, t] of top(selfTime, 25)) console.log(`  ${pct(t)}  ${k.slice(0, 120)}`);
console.log("\nKeyward's Rust functions, inclusive time:");
for (const [k, t] of top(inclusive, 30, (k) => /keyward|worker::|serde|time::/.test(k)))
  console.log(`  ${pct(t)}  ${k.slice(0, 120)}`);
