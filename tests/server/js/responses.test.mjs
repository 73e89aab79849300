// trit serve's Responses API through the official OpenAI client (responses.create as Codex CLI
// and the Agents SDK call it): a plain response (output_text, usage, retrieve, input items,
// delete), a streamed one (event order, sequence numbers, stream().finalResponse()), a function
// tool round trip chained with previous_response_id, tool_choice forcing a call whose arguments
// follow the schema (streamed too), responses.parse with zodTextFormat (text.format json_schema),
// and the errors clients see (400 naming the field, 404 for an unknown previous_response_id).
// Env: TRIT_BASE_URL (http://127.0.0.1:PORT), TRIT_API_KEY. Exit code 0 when all pass.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { z } from "zod";

const base = process.env.TRIT_BASE_URL;
const key = process.env.TRIT_API_KEY;
assert.ok(base && key, "TRIT_BASE_URL and TRIT_API_KEY are required");
const client = new OpenAI({ baseURL: base + "/v1", apiKey: key, maxRetries: 0, timeout: 120000 });
// Thinking off: the synthetic test model never closes a <think> block, so its text is the answer.
const ask = (extra) => ({ model: "m", input: "Tell me about whales.", max_output_tokens: 8, temperature: 0,
                          reasoning: { effort: "minimal" }, ...extra });
let checks = 0;
const check = async (name, fn) => {
  await fn();
  checks++;
  console.log("ok -", name);
};
const expectError = async (status, param, fn) => {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, "an APIError: " + e);
    assert.equal(e.status, status, e.message);
    assert.ok(e.error && typeof e.error.message === "string", "OpenAI error body");
    assert.equal(e.error.param, param, e.error.message);
    return;
  }
  assert.fail(`expected HTTP ${status}`);
};
const checkUsage = (r) => {
  assert.ok(r.usage.input_tokens > 0);
  assert.ok(r.usage.output_tokens > 0 && r.usage.output_tokens <= 8, "max_output_tokens holds");
  assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
  assert.equal(typeof r.usage.input_tokens_details.cached_tokens, "number");
  assert.equal(typeof r.usage.output_tokens_details.reasoning_tokens, "number");
};

let plain;
await check("responses.create: output_text and usage", async () => {
  plain = await client.responses.create(ask({ instructions: "Answer briefly.", metadata: { run: "test" } }));
  assert.equal(plain.object, "response");
  assert.match(plain.id, /^resp_/);
  assert.ok(["completed", "incomplete"].includes(plain.status), plain.status);
  if (plain.status === "incomplete") assert.equal(plain.incomplete_details.reason, "max_output_tokens");
  assert.ok(plain.output_text.length > 0, "the SDK's output_text is the message text");
  const message = plain.output.find((o) => o.type === "message");
  assert.equal(message.role, "assistant");
  assert.equal(message.content[0].type, "output_text");
  assert.equal(plain.instructions, "Answer briefly.");
  assert.deepEqual(plain.metadata, { run: "test" });
  assert.equal(plain.max_output_tokens, 8);
  checkUsage(plain);
});

await check("retrieve, input_items and delete a stored response", async () => {
  const again = await client.responses.retrieve(plain.id);
  assert.equal(again.id, plain.id);
  assert.deepEqual(again.output, plain.output);
  const items = await client.responses.inputItems.list(plain.id);
  assert.equal(items.data.length, 1);
  assert.equal(items.data[0].role, "user");
  assert.equal(items.data[0].content[0].text, "Tell me about whales.");
  const stored = await client.responses.create(ask({ input: "Delete me." }));
  await client.responses.del(stored.id);
  await expectError(404, "response_id", () => client.responses.retrieve(stored.id));
  const unstored = await client.responses.create(ask({ store: false }));
  await expectError(404, "response_id", () => client.responses.retrieve(unstored.id));
});

await check("streamed: events in order, the final response completed", async () => {
  const stream = await client.responses.create(ask({ stream: true }));
  const events = [];
  for await (const e of stream) events.push(e);
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ["response.created", "response.in_progress"]);
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
  const last = events[events.length - 1];
  assert.ok(["response.completed", "response.incomplete"].includes(last.type), last.type);
  const order = ["response.output_item.added", "response.content_part.added", "response.output_text.delta",
                 "response.output_text.done", "response.content_part.done", "response.output_item.done"];
  const seen = order.map((t) => types.indexOf(t));
  assert.ok(seen.every((i) => i > 1), "every message event is there: " + types.join(", "));
  assert.deepEqual([...seen].sort((a, b) => a - b), seen, "message events in order: " + types.join(", "));
  const text = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");
  assert.equal(events.find((e) => e.type === "response.output_text.done").text, text);
  const message = last.response.output.find((o) => o.type === "message");
  assert.equal(message.content[0].text, text);
  checkUsage(last.response);

  // The SDK's helper accumulates the same events into the final response.
  const helper = client.responses.stream(ask());
  let deltas = "", ending;
  helper.on("response.output_text.delta", (e) => (deltas += e.delta));
  helper.on("event", (e) => (ending = e.type));
  const final = await helper.finalResponse();
  assert.match(final.id, /^resp_/);
  // The helper takes the response of response.completed; after response.incomplete (the test
  // model writes until max_output_tokens) it keeps its own snapshot, built from the events.
  if (ending === "response.completed") assert.equal(final.status, "completed");
  else assert.equal(ending, "response.incomplete");
  const finalText = final.output.find((o) => o.type === "message").content[0].text;
  assert.equal(finalText, deltas);
  assert.equal(finalText, text, "temperature 0: the same text streamed or not");
});

await check("function tool round trip with previous_response_id", async () => {
  const tools = [{ type: "function", name: "get_weather", description: "Weather for a city", strict: true,
                   parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"],
                                 additionalProperties: false } }];
  const first = await client.responses.create(ask({ input: "What is the weather in Paris?", tools,
                                                    tool_choice: "auto", parallel_tool_calls: false }));
  assert.equal(first.tools[0].name, "get_weather");
  assert.equal(first.tool_choice, "auto");
  assert.equal(first.parallel_tool_calls, false);
  // The test model writes no real calls: the client's own call and its result carry the turn.
  const call = first.output.find((o) => o.type === "function_call") ??
               { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' };
  const second = await client.responses.create(ask({
    previous_response_id: first.id, tools,
    input: [call, { type: "function_call_output", call_id: call.call_id, output: '{"temp": 21}' }],
  }));
  assert.equal(second.previous_response_id, first.id);
  assert.ok(second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens,
            "the first turn, the call and its result are in the prompt");
  const items = await client.responses.inputItems.list(second.id, { order: "asc" });
  assert.deepEqual(items.data.map((i) => i.type), ["function_call", "function_call_output"]);
  // A third turn chains onto the second (which holds the first); tools are per request, as in OpenAI.
  const third = await client.responses.create(ask({ previous_response_id: second.id, tools, input: "Thanks!" }));
  assert.ok(third.usage.input_tokens > second.usage.input_tokens);
});

// Enums, numbers and booleans only, so that rambling random weights still finish (as in
// structured.test.mjs).
const Thing = z.object({
  color: z.enum(["red", "green", "blue"]),
  count: z.number().int(),
  ok: z.boolean(),
  size: z.enum(["S", "M", "L"]).nullable(),
});

await check("responses.parse with zodTextFormat returns a parsed object", async () => {
  for (let seed = 1; seed <= 3; seed++) {
    const response = await client.responses.parse(ask({
      seed, temperature: 1, max_output_tokens: 400, text: { format: zodTextFormat(Thing, "thing") } }));
    assert.equal(response.status, "completed", response.output_text);
    assert.ok(response.output_parsed, "parsed: " + response.output_text);
    assert.deepEqual(Thing.parse(response.output_parsed), response.output_parsed);
    assert.deepEqual(JSON.parse(response.output_text), response.output_parsed);
    assert.equal(response.text.format.type, "json_schema");
    assert.equal(response.text.format.name, "thing");
  }
});

await check("tool_choice forces a function_call whose arguments follow the schema", async () => {
  // A grammar over the parameters: random weights still answer with the call (the city bounded,
  // so that it also finishes).
  const tools = [{ type: "function", name: "get_weather", strict: true,
                   parameters: { type: "object", properties: { city: { type: "string", maxLength: 12 } },
                                 required: ["city"], additionalProperties: false } }];
  const assertCall = (r) => {
    assert.equal(r.status, "completed", JSON.stringify(r.output));
    assert.equal(r.output.length, 1, JSON.stringify(r.output));
    const call = r.output[0];
    assert.equal(call.type, "function_call");
    assert.equal(call.name, "get_weather");
    const args = JSON.parse(call.arguments);
    assert.deepEqual(Object.keys(args), ["city"], call.arguments);
    assert.ok(typeof args.city === "string" && [...args.city].length <= 12, call.arguments);
    return call;
  };
  const forced = ask({ input: "What is the weather in Paris?", tools, max_output_tokens: 400 });
  const named = await client.responses.create({ ...forced, tool_choice: { type: "function", name: "get_weather" } });
  assert.deepEqual(named.tool_choice, { type: "function", name: "get_weather" });
  assertCall(named);

  const stream = client.responses.stream({ ...forced, tool_choice: "required" });
  let deltas = "", done;
  stream.on("response.function_call_arguments.delta", (e) => (deltas += e.delta));
  stream.on("response.function_call_arguments.done", (e) => (done = e.arguments));
  const call = assertCall(await stream.finalResponse());
  assert.equal(deltas, call.arguments);
  assert.equal(done, call.arguments);
});

await check("errors: 400 naming the field, 404 for an unknown previous_response_id", async () => {
  await expectError(400, "tools", () => client.responses.create(ask({ tools: [{ type: "web_search_preview" }] })));
  await expectError(400, "text.format", () => client.responses.create(ask({
    text: { format: { type: "json_schema", name: "x", schema: { type: "string", pattern: "^a+$" } } } })));
  await expectError(400, "max_output_tokens", () => client.responses.create(ask({ max_output_tokens: 0 })));
  await expectError(400, "input", () => client.responses.create(ask({ input: [{ role: "wizard", content: "hi" }] })));
  await expectError(404, "previous_response_id", () =>
    client.responses.create(ask({ previous_response_id: "resp_does_not_exist" })));
  // A stream whose request is refused fails before any event.
  await expectError(400, "temperature", () => client.responses.create(ask({ stream: true, temperature: 7 })));
});

console.log(`all responses checks passed (${checks})`);
