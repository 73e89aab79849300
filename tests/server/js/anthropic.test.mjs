// trit serve through the official Anthropic client (@anthropic-ai/sdk, pinned): messages.create
// plain and streamed (the stream's final message equals the whole answer at temperature 0), a
// tool round trip (tool_choice naming the tool or any: always one tool_use with input per its schema,
// streamed as input_json_delta; then the tool_result turn), thinking,
// count_tokens, the x-api-key header, and errors in Anthropic's shape.
// Env: TRIT_BASE_URL (http://127.0.0.1:PORT), TRIT_API_KEY. Exit code 0 when all pass.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";

const base = process.env.TRIT_BASE_URL;
const key = process.env.TRIT_API_KEY;
assert.ok(base && key, "TRIT_BASE_URL and TRIT_API_KEY are required");
const client = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0, timeout: 120000 });
const ask = (extra) => ({
  model: "trit",
  max_tokens: 16,
  temperature: 0,
  messages: [{ role: "user", content: "Tell me about whales." }],
  ...extra,
});
let checks = 0;
const check = async (name, fn) => {
  await fn();
  checks++;
  console.log("ok -", name);
};
const expectError = async (status, type, fn, word) => {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof Anthropic.APIError, "an APIError: " + e);
    assert.equal(e.status, status, e.message);
    assert.equal(e.error?.type, "error", "Anthropic error body: " + JSON.stringify(e.error));
    assert.equal(e.type, type, e.message);
    assert.equal(typeof e.apiMessage, "string");
    if (word) assert.ok(e.apiMessage.includes(word), `"${e.apiMessage}" names ${word}`);
    return;
  }
  assert.fail(`expected HTTP ${status}`);
};
const assertMessage = (m) => {
  assert.equal(m.type, "message");
  assert.equal(m.role, "assistant");
  assert.match(m.id, /^msg_/);
  assert.equal(typeof m.model, "string");
  assert.ok(Array.isArray(m.content) && m.content.length >= 1);
  assert.ok(["end_turn", "max_tokens", "stop_sequence", "tool_use"].includes(m.stop_reason), m.stop_reason);
  assert.ok(m.usage.input_tokens + (m.usage.cache_read_input_tokens ?? 0) > 5);
  assert.ok(m.usage.output_tokens >= 1);
};
const textOf = (m) => m.content.filter((b) => b.type === "text").map((b) => b.text).join("");

const weather = {
  name: "get_weather",
  description: "The weather in a city now",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

// get_weather with the city bounded: what a forced call may write is finite.
const boundedWeather = {
  ...weather,
  input_schema: { ...weather.input_schema, properties: { city: { type: "string", maxLength: 12 } }, additionalProperties: false },
};
// A forced call's answer: one tool_use block and nothing as text, its input per the schema.
const assertForcedCall = (m) => {
  assert.equal(m.stop_reason, "tool_use", JSON.stringify(m));
  assert.equal(m.content.length, 1, JSON.stringify(m.content));
  const use = m.content[0];
  assert.equal(use.type, "tool_use");
  assert.equal(use.name, "get_weather");
  assert.match(use.id, /^toolu_/);
  assert.deepEqual(Object.keys(use.input), ["city"], JSON.stringify(use.input));
  assert.equal(typeof use.input.city, "string");
  assert.ok([...use.input.city].length <= 12, use.input.city);
};

await check("messages.create, not streamed", async () => {
  const m = await client.messages.create(ask({ system: "You answer briefly." }));
  assertMessage(m);
  assert.equal(m.content[0].type, "text");
  assert.ok(m.usage.output_tokens <= 16);
  assert.ok(["end_turn", "max_tokens"].includes(m.stop_reason));
  if (m.stop_reason === "max_tokens") assert.equal(m.usage.output_tokens, 16);
});

await check("a last assistant message prefills the answer", async () => {
  const m = await client.messages.create(
    ask({ messages: [{ role: "user", content: "Name a whale." }, { role: "assistant", content: "The" }] }),
  );
  assertMessage(m);
  assert.equal(m.content[0].type, "text");
});

await check("messages.stream equals not streamed; finalMessage, text events", async () => {
  const req = ask({ max_tokens: 20, top_k: 40, system: [{ type: "text", text: "Be brief." }] });
  const whole = await client.messages.create(req);
  const stream = client.messages.stream(req);
  let streamedText = "", types = [];
  stream.on("text", (t) => (streamedText += t));
  stream.on("streamEvent", (e) => types.push(e.type));
  const final = await stream.finalMessage();
  assertMessage(final);
  assert.equal(types[0], "message_start");
  assert.equal(types.at(-1), "message_stop");
  assert.equal(types.at(-2), "message_delta");
  assert.equal(textOf(final), textOf(whole));
  assert.equal(streamedText, textOf(whole));
  assert.equal(final.stop_reason, whole.stop_reason);
  assert.equal(final.usage.output_tokens, whole.usage.output_tokens);
  assert.ok(final.usage.cache_read_input_tokens > 0, "the repeated prompt came from the slot cache");
});

await check("stream: true iterates raw events in Anthropic's order", async () => {
  const stream = await client.messages.create(ask({ stream: true, max_tokens: 8 }));
  const types = [];
  for await (const e of stream) types.push(e.type);
  assert.equal(types[0], "message_start");
  assert.equal(types[1], "content_block_start");
  assert.ok(types.includes("content_block_stop"));
  assert.deepEqual(types.slice(-2), ["message_delta", "message_stop"]);
});

await check("stop_sequences", async () => {
  const long = await client.messages.create(ask({ max_tokens: 24 }));
  const text = textOf(long);
  if (text.length >= 4) {
    const stop = text.slice(2, 4);
    const m = await client.messages.create(ask({ max_tokens: 24, stop_sequences: [stop] }));
    assert.equal(m.stop_reason, "stop_sequence");
    assert.equal(m.stop_sequence, stop);
    assert.ok(!textOf(m).includes(stop));
  }
});

await check("thinking enabled: the answer is thinking and text blocks", async () => {
  const m = await client.messages.create(
    ask({ max_tokens: 1200, thinking: { type: "enabled", budget_tokens: 1024 }, stop_sequences: undefined, temperature: 1 }),
  );
  assertMessage(m);
  for (const b of m.content) assert.ok(["thinking", "text"].includes(b.type), b.type);
  for (const b of m.content.filter((b) => b.type === "thinking")) assert.equal(typeof b.thinking, "string");
});

await check("tool round trip: tool_choice names the tool, then a tool_result turn", async () => {
  const question = { role: "user", content: "What is the weather in Paris?" };
  // A forced call is a grammar over the tool's input_schema: random weights still answer with
  // one tool_use whose input conforms (the city bounded, so that the call also finishes).
  const m = await client.messages.create(
    ask({ max_tokens: 400, tools: [boundedWeather], tool_choice: { type: "tool", name: "get_weather" }, messages: [question] }),
  );
  assertMessage(m);
  assertForcedCall(m);
  const call = m.content[0];
  const reply = await client.messages.create(
    ask({
      max_tokens: 12,
      tools: [boundedWeather],
      messages: [
        question,
        { role: "assistant", content: m.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "Sunny, 21 C" }] },
      ],
    }),
  );
  assertMessage(reply);
  // The call and its result are in the prompt.
  assert.ok(reply.usage.input_tokens + reply.usage.cache_read_input_tokens > m.usage.input_tokens + 10);

  // Streamed, a tool_use block's input arrives as input_json_delta and is parsed by the client.
  const stream = client.messages.stream(
    ask({ max_tokens: 400, tools: [boundedWeather], tool_choice: { type: "any" }, messages: [question] }),
  );
  let jsonDeltas = 0;
  stream.on("inputJson", () => jsonDeltas++);
  const final = await stream.finalMessage();
  assertMessage(final);
  assertForcedCall(final);
  assert.ok(jsonDeltas > 0, "the input arrives as input_json_delta events");
});

await check("count_tokens", async () => {
  const params = { model: "trit", messages: [{ role: "user", content: "Tell me about whales." }] };
  const n = await client.messages.countTokens(params);
  assert.ok(Number.isInteger(n.input_tokens) && n.input_tokens > 5, JSON.stringify(n));
  const withTools = await client.messages.countTokens({ ...params, tools: [weather] });
  assert.ok(withTools.input_tokens > n.input_tokens);
  const m = await client.messages.create(ask({ max_tokens: 2 }));
  assert.equal(m.usage.input_tokens + m.usage.cache_read_input_tokens, n.input_tokens);
});

await check("x-api-key header, as Claude Code sends it", async () => {
  const res = await fetch(base + "/v1/messages", {
    method: "POST",
    headers: { "x-api-key": key, "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify(ask({ max_tokens: 2 })),
  });
  assert.equal(res.status, 200);
  assertMessage(await res.json());
});

await check("errors are Anthropic-shaped and name the field", async () => {
  await expectError(400, "invalid_request_error", () => client.messages.create(ask({ max_tokens: 0 })), "max_tokens");
  await expectError(400, "invalid_request_error", () => client.messages.create(ask({ temperature: "hot" })), "temperature");
  await expectError(
    400,
    "invalid_request_error",
    () =>
      client.messages.create(
        ask({
          messages: [
            { role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] },
          ],
        }),
      ),
    "messages[0].content[0]",
  );
  await expectError(
    400,
    "invalid_request_error",
    () => client.messages.create(ask({ tools: [weather], tool_choice: { type: "tool", name: "nope" } })),
    "tool_choice.name",
  );
  const stranger = new Anthropic({ baseURL: base, apiKey: "wrong", maxRetries: 0 });
  await expectError(401, "authentication_error", () => stranger.messages.create(ask({})));
});

console.log(`all ${checks} anthropic client checks passed`);
