#!/usr/bin/env node
// Aggregate decode throughput of `trit serve` at 1, 4 and 8 concurrent streams (a benchmark, not
// a test). Starts the server itself on a free loopback port with --parallel = the largest stream
// count, warms it up, then for each stream count runs that many streamed chat requests at once
// (ignore_eos, fixed max_tokens) and reports
//   aggregate decode tokens/s = tokens after each stream's first / (last end - earliest decode start)
// where a stream's decode start is its end minus the decode time the server reports for it
// (timings.predicted_ms: first to last sampled token), so prompt processing is left out. Only Node's built-in fetch is used.
// Each stream count runs -r times, the counts interleaved round by round (this machine's memory
// bandwidth drifts by tens of percent over minutes, which one run per count would fold into the
// speed-up); the table gives mean ± standard deviation and the speed-up is the ratio of means.
//
// With --json-schema FILE every other stream (the 2nd, 4th, ...) is constrained to that schema
// (response_format json_schema), and thinking is off in all of them (a grammar starts after the
// think block, which a random-weight model never closes): the cost of constrained decoding inside
// a batch. A constrained stream ends when its JSON is complete, so it may decode fewer tokens;
// the aggregate counts the tokens each stream decoded.
//
//   node bench/bench_server.mjs --trit build/trit -m model.gguf [-t 8] [-n 64] [-r 3] [--streams 1,4,8]
//                               [--json-schema schema.json]
//   (with no -m: makes the 1.7b preset with `trit mkmodel` into /tmp)
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const trit = opt("--trit", "build/trit");
let model = opt("-m", "");
const threads = opt("-t", "0");
const tokens = Number(opt("-n", "64"));
const repetitions = Number(opt("-r", "3"));
const streams = opt("--streams", "1,4,8").split(",").map(Number);
const parallel = Math.max(...streams);
const schemaFile = opt("--json-schema", "");
const schema = schemaFile ? JSON.parse(readFileSync(schemaFile, "utf8")) : null;

if (!model) {
  model = "/tmp/trit-bench-1.7b-q2_0.gguf";
  if (!existsSync(model)) {
    console.error("making the 1.7b preset model:", model);
    execFileSync(trit, ["mkmodel", "--preset", "1.7b", "--type", "q2_0", "-o", model, "-q"], { stdio: "inherit" });
  }
}

const server = spawn(trit, ["serve", "-m", model, "--host", "127.0.0.1", "--port", "0", "--parallel", String(parallel),
  "-c", "1024", "-t", threads], { stdio: ["ignore", "pipe", "inherit"] });
const base = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (d) => {
    out += d;
    const m = out.match(/listening on (http:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  server.on("exit", (code) => reject(new Error("trit serve exited with " + code)));
});
for (;;) {
  try {
    if ((await fetch(base + "/health")).status === 200) break;
  } catch (e) { /* not yet */ }
  await new Promise((r) => setTimeout(r, 200));
}

async function stream(i, n) {
  const res = await fetch(base + "/v1/chat/completions", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "Stream " + i + ": tell a story." }], stream: true,
      max_tokens: n, temperature: 0, ignore_eos: true, stream_options: { include_usage: true },
      ...(schema ? { chat_template_kwargs: { enable_thinking: false } } : {}),
      ...(schema && i % 2 === 1
        ? { response_format: { type: "json_schema", json_schema: { name: "bench", schema } } } : {}) }),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let timings = null, usage = null, buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const line = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      // Only the last chunks carry usage and timings. Parsing every token's chunk would spend this
      // 2-core machine's CPU (shared with the server) on the client.
      if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
      if (!line.includes('"usage"') && !line.includes('"timings"')) continue;
      const j = JSON.parse(line.slice(6));
      if (j.usage) usage = j.usage;
      if (j.timings) timings = j.timings;
    }
  }
  const end = performance.now();
  return { first: end - timings.predicted_ms, end, generated: usage.completion_tokens };
}

async function run(k, n) {
  const results = await Promise.all(Array.from({ length: k }, (_, i) => stream(i, n)));
  const firstFirst = Math.min(...results.map((r) => r.first));
  const lastEnd = Math.max(...results.map((r) => r.end));
  const decoded = results.reduce((s, r) => s + r.generated - 1, 0);
  return decoded / ((lastEnd - firstFirst) / 1000);
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const stddev = (v) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)));

try {
  await run(1, 4);  // warm-up
  const samples = new Map(streams.map((k) => [k, []]));
  for (let r = 0; r < repetitions; ++r)
    for (const k of streams) {
      const tps = await run(k, tokens);
      samples.get(k).push(tps);
      console.error(`round ${r + 1}, streams ${k}: ${tps.toFixed(2)} tokens/s`);
    }
  for (const k of streams) {
    const v = samples.get(k);
    console.log(`streams ${k}${schema && k > 1 ? " (half constrained)" : ""}: aggregate decode ${mean(v).toFixed(2)} ± ${stddev(v).toFixed(2)} tokens/s ` +
      `(${(mean(v) / k).toFixed(2)} per stream, ${v.length} runs)`);
  }
  const one = samples.get(1);
  for (const k of streams)
    if (one && k > 1) console.log(`speed-up at ${k} streams: ${(mean(samples.get(k)) / mean(one)).toFixed(2)}x`);
} finally {
  server.kill("SIGTERM");
}
