// trit serve through the official OpenAI client: chat (plain and streamed), completions, tools,
// logprobs, errors (401, 400, 413), usage, 8 concurrent clients equal to running alone at
// temperature 0, a disconnect that cancels its generation, n choices and batched prompts,
// logit_bias, models.retrieve, reasoning_effort, and the CORS preflight a browser sends for the
// client's own headers.
// Env: TRIT_BASE_URL (http://127.0.0.1:PORT), TRIT_API_KEY. Exit code 0 when all pass.
import assert from "node:assert/strict";
import OpenAI from "openai";

const base = process.env.TRIT_BASE_URL;
const key = process.env.TRIT_API_KEY;
assert.ok(base && key, "TRIT_BASE_URL and TRIT_API_KEY are required");
const client = new OpenAI({ baseURL: base + "/v1", apiKey: key, maxRetries: 0, timeout: 120000 });
const chat = (extra) => ({ messages: [{ role: "user", content: "Tell me about whales." }], model: "m", ...extra });
let checks = 0;
const check = async (name, fn) => {
  await fn();
  checks++;
  console.log("ok -", name);
};
const expectError = async (status, fn, word) => {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, "an APIError: " + e);
    assert.equal(e.status, status, e.message);
    assert.ok(e.error && typeof e.error.message === "string", "OpenAI error body");
    if (word) assert.ok(e.error.message.includes(word), `"${e.error.message}" names ${word}`);
    return;
  }
  assert.fail(`expected HTTP ${status}`);
};
const metric = async (name) => {
  const text = await (await fetch(base + "/metrics", { headers: { Authorization: "Bearer " + key } })).text();
  const m = text.match(new RegExp("^" + name + " (\\S+)$", "m"));
  assert.ok(m, name + " in /metrics");
  return Number(m[1]);
};

await check("models", async () => {
  const models = await client.models.list();
  assert.equal(models.data.length, 1);
  assert.equal(models.data[0].object, "model");
});

await check("chat, not streamed, with usage", async () => {
  const r = await client.chat.completions.create(chat({ max_tokens: 12, temperature: 0 }));
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 5);
  assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 12);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

await check("chat, streamed, equals not streamed; include_usage", async () => {
  const req = chat({ max_tokens: 16, temperature: 0, seed: 1 });
  const whole = await client.chat.completions.create(req);
  const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } });
  let text = "", finish = null, usage = null, chunks = 0;
  for await (const c of stream) {
    chunks++;
    assert.equal(c.object, "chat.completion.chunk");
    if (c.usage) usage = c.usage;
    if (!c.choices.length) continue;
    text += c.choices[0].delta.content ?? "";
    finish = c.choices[0].finish_reason ?? finish;
  }
  assert.ok(chunks >= 3, "several chunks");
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.deepEqual(usage.completion_tokens, whole.usage.completion_tokens);
  assert.ok(usage.prompt_tokens_details.cached_tokens > 0, "the repeated prompt came from the slot cache");
});

await check("max_completion_tokens and stop", async () => {
  const r = await client.chat.completions.create(chat({ max_completion_tokens: 3, temperature: 0 }));
  assert.ok(r.usage.completion_tokens <= 3);
  const long = await client.chat.completions.create(chat({ max_tokens: 20, temperature: 0 }));
  const text = long.choices[0].message.content;
  if (text.length >= 4) {
    const stop = text.slice(2, 4);
    const cut = await client.chat.completions.create(chat({ max_tokens: 20, temperature: 0, stop: [stop] }));
    assert.equal(cut.choices[0].message.content, text.slice(0, text.indexOf(stop)));
    assert.equal(cut.choices[0].finish_reason, "stop");
  }
});

await check("sampling parameters and seed", async () => {
  const req = chat({ max_tokens: 10, temperature: 1.2, top_p: 0.9, top_k: 20, min_p: 0.01, seed: 42,
                     presence_penalty: 0.5, frequency_penalty: 0.3 });
  const a = await client.chat.completions.create(req);
  const b = await client.chat.completions.create(req);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content, "same seed, same text");
});

await check("completions, plain and streamed", async () => {
  const r = await client.completions.create({ model: "m", prompt: "Once upon a time", max_tokens: 8, temperature: 0 });
  assert.equal(r.object, "text_completion");
  assert.equal(typeof r.choices[0].text, "string");
  assert.ok(r.usage.completion_tokens >= 1);
  const s = await client.completions.create({ model: "m", prompt: "Once upon a time", max_tokens: 8, temperature: 0, stream: true });
  let text = "";
  for await (const c of s) text += c.choices[0]?.text ?? "";
  assert.equal(text, r.choices[0].text);
  const ids = await client.completions.create({ model: "m", prompt: [72, 101, 108], max_tokens: 2, temperature: 0 });
  assert.equal(ids.usage.prompt_tokens, 3);
});

await check("logprobs", async () => {
  const r = await client.chat.completions.create(chat({ max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 3, ignore_eos: true }));
  const lp = r.choices[0].logprobs.content;
  assert.equal(lp.length, 4);
  for (const t of lp) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[2].logprob);
    assert.equal(t.logprob, t.top_logprobs[0].logprob, "greedy takes the most likely token");
  }
});

await check("tools: request with tools and a tool-result round trip", async () => {
  const tools = [{ type: "function", function: { name: "get_weather", description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
  const r = await client.chat.completions.create({ model: "m", tools, tool_choice: "auto", max_tokens: 8, temperature: 0,
    messages: [{ role: "user", content: "Weather in Paris?" }] });
  assert.ok(["stop", "length", "tool_calls"].includes(r.choices[0].finish_reason));
  const round = await client.chat.completions.create({ model: "m", tools, max_tokens: 4, temperature: 0, messages: [
    { role: "user", content: "Weather in Paris?" },
    { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function",
      function: { name: "get_weather", arguments: "{\"city\": \"Paris\"}" } }] },
    { role: "tool", tool_call_id: "call_1", content: "{\"temp\": 21}" }] });
  assert.ok(round.usage.prompt_tokens > r.usage.prompt_tokens, "the tool call and result are in the prompt");
});

await check("errors: 401, 400, 413", async () => {
  const bad = new OpenAI({ baseURL: base + "/v1", apiKey: "wrong", maxRetries: 0 });
  await expectError(401, () => bad.chat.completions.create(chat({ max_tokens: 2 })));
  await expectError(400, () => client.chat.completions.create(chat({ max_tokens: 0 })), "max_tokens");
  await expectError(400, () => client.chat.completions.create({ model: "m", messages: [{ role: "robot", content: "x" }] }), "robot");
  await expectError(400, () => client.chat.completions.create(chat({ temperature: "warm" })), "temperature");
  await expectError(400, () => client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x ".repeat(20000) }] }), "context");
  await expectError(413, () => client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x".repeat(70000) }] }));
});

await check("8 concurrent clients equal the same requests alone (temperature 0)", async () => {
  const prompts = ["The sea", "A ship sailed", "Whales are", "Call me Ishmael", "The harbour at dawn",
                   "Rope and sail", "Storm warning", "Captain Ahab said"];
  const req = (p) => ({ model: "m", messages: [{ role: "user", content: p }], max_tokens: 24, temperature: 0 });
  const alone = [];
  for (const p of prompts) alone.push((await client.chat.completions.create(req(p))).choices[0].message.content);
  const together = await Promise.all(prompts.map((p) => client.chat.completions.create(req(p))));
  together.forEach((r, i) => assert.equal(r.choices[0].message.content, alone[i], `request ${i} differs under batching`));
  const streamed = await Promise.all(prompts.map(async (p) => {
    let text = "";
    for await (const c of await client.chat.completions.create({ ...req(p), stream: true })) text += c.choices[0]?.delta?.content ?? "";
    return text;
  }));
  streamed.forEach((t, i) => assert.equal(t, alone[i], `streamed request ${i} differs under batching`));
});

// Reads `chunks` chunks of a stream, leaves, and expects the server to cancel the generation (not
// to run it to the end of the context). extra: request fields.
const expectAbandonedStreamCancelled = async (chunks, extra) => {
  const before = await metric("trit_requests_cancelled_total");
  const controller = new AbortController();
  const stream = await client.chat.completions.create(chat({ max_tokens: 100000, ignore_eos: true, stream: true, ...extra }),
                                                      { signal: controller.signal });
  let n = 0;
  try {
    for await (const c of stream) if (++n === chunks) controller.abort();
  } catch (e) { /* the abort */ }
  let after = before;
  for (let i = 0; i < 300 && after === before; i++) {  // up to 30 s on a loaded machine
    await new Promise((r) => setTimeout(r, 100));
    after = await metric("trit_requests_cancelled_total");
  }
  assert.equal(after, before + 1, "the server cancelled the abandoned stream");
  assert.equal(await metric("trit_slots_busy"), 0);
};

await check("a client that disconnects cancels its generation", async () => {
  await expectAbandonedStreamCancelled(3, {});
});

// Every token is <tool_call>: the stream holds the open call back, so the role chunk is all that
// reaches the client and only the server's keep-alive probe can see that it left. (A random model
// that wrote <tool_call> once used to run such a stream to the end of the context.)
await check("a client that disconnects while its text is held back cancels its generation", async () => {
  const res = await fetch(base + "/tokenize", { method: "POST", headers: { Authorization: "Bearer " + key },
                                                body: JSON.stringify({ content: "<tool_call>" }) });
  const { tokens } = await res.json();
  assert.equal(tokens.length, 1, "<tool_call> is one token");
  await expectAbandonedStreamCancelled(1, { logit_bias: { [tokens[0]]: 100 } });
});

await check("models.retrieve, and a 404 model_not_found", async () => {
  const id = (await client.models.list()).data[0].id;
  const m = await client.models.retrieve(id);
  assert.equal(m.id, id);
  try {
    await client.models.retrieve("no-such-model");
    assert.fail("expected 404");
  } catch (e) {
    assert.ok(e instanceof OpenAI.NotFoundError, "NotFoundError: " + e);
    assert.equal(e.code, "model_not_found");
  }
});

await check("n choices, plain and streamed; batched prompts", async () => {
  const r = await client.chat.completions.create(chat({ n: 2, max_tokens: 6, seed: 3 }));
  assert.equal(r.choices.length, 2);
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
  const texts = ["", ""];
  const finishes = [null, null];
  for await (const c of await client.chat.completions.create(chat({ n: 2, max_tokens: 6, seed: 3, stream: true }))) {
    for (const ch of c.choices) {
      texts[ch.index] += ch.delta.content ?? "";
      finishes[ch.index] = ch.finish_reason ?? finishes[ch.index];
    }
  }
  assert.deepEqual(texts, r.choices.map((c) => c.message.content), "streamed choices equal the plain ones");
  assert.ok(finishes.every((f) => f === "stop" || f === "length"));
  const batch = await client.completions.create({ model: "m", prompt: ["Once upon", "The sea"], n: 2, max_tokens: 4,
                                                  temperature: 0 });
  assert.equal(batch.choices.length, 4);
  assert.equal(batch.choices[0].text, batch.choices[1].text);
  assert.equal(batch.choices[2].text, batch.choices[3].text);
  await expectError(400, () => client.chat.completions.create(chat({ n: 50 })), "n");
});

await check("logit_bias", async () => {
  const z = (await (await fetch(base + "/tokenize", { method: "POST", headers: { Authorization: "Bearer " + key },
                                                       body: JSON.stringify({ content: "z" }) })).json()).tokens;
  assert.equal(z.length, 1);
  const r = await client.completions.create({ model: "m", prompt: "abc", max_tokens: 3, logit_bias: { [z[0]]: 100 } });
  assert.equal(r.choices[0].text, "zzz");
  await expectError(400, () => client.chat.completions.create(chat({ logit_bias: { "1": 500 } })), "logit_bias");
});

await check("reasoning_effort", async () => {
  const none = await client.chat.completions.create(chat({ max_tokens: 2, reasoning_effort: "none" }));
  const low = await client.chat.completions.create(chat({ max_tokens: 2, reasoning_effort: "low" }));
  assert.ok(none.usage.prompt_tokens > low.usage.prompt_tokens, "no thinking: an empty think block in the prompt");
  await expectError(400, () => client.chat.completions.create(chat({ reasoning_effort: "max" })), "reasoning_effort");
});

await check("CORS preflight for the client's X-Stainless-* headers", async () => {
  const asked = "authorization,content-type,x-stainless-arch,x-stainless-lang,x-stainless-os,"
              + "x-stainless-package-version,x-stainless-retry-count,x-stainless-runtime,x-stainless-timeout";
  const r = await fetch(base + "/v1/chat/completions", { method: "OPTIONS", headers: {
    Origin: "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": asked } });
  assert.equal(r.status, 204);
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  const allowed = r.headers.get("access-control-allow-headers").toLowerCase().split(/\s*,\s*/);
  for (const h of asked.split(",")) assert.ok(allowed.includes(h), h + " allowed");
});

console.log(`all client checks passed (${checks})`);
