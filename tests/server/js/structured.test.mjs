// Structured output through the official OpenAI client: chat.completions.parse with a zod
// response format returns a parsed object, and a strict function tool with tool_choice
// "required" returns tool_calls whose arguments validate with zod. The server runs a model with
// random weights: only the grammar makes the answers conform, so 50 seeds are tried.
// Env: TRIT_BASE_URL (http://127.0.0.1:PORT). Exit code 0 when all pass.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { zodFunction, zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";

const base = process.env.TRIT_BASE_URL;
assert.ok(base, "TRIT_BASE_URL is required");
const client = new OpenAI({ baseURL: base + "/v1", apiKey: "none", maxRetries: 0, timeout: 120000 });
let checks = 0;
const check = async (name, fn) => {
  await fn();
  checks++;
  console.log("ok -", name);
};
// Thinking off: the answer starts right away (a random model might never close a think block).
const request = (seed, extra) => ({
  model: "m",
  messages: [{ role: "user", content: "Describe a thing." }],
  temperature: 1,
  seed,
  max_tokens: 2000,
  chat_template_kwargs: { enable_thinking: false },
  ...extra,
});

// Enums, numbers and booleans, so that rambling random weights still finish. (No bounded free
// strings here: JSON Schema's maxLength counts code points, zod's .max() UTF-16 units, so a
// random emoji could be within the schema yet fail zod; test_structured_output.cpp covers them.)
const Thing = z.object({
  color: z.enum(["red", "green", "blue"]),
  count: z.number().int(),
  ok: z.boolean(),
  size: z.enum(["S", "M", "L"]).nullable(),
  tags: z.array(z.enum(["new", "old"])).max(3),
});

await check("chat.completions.parse with zodResponseFormat returns a parsed object", async () => {
  for (let seed = 1; seed <= 50; seed++) {
    const completion = await client.beta.chat.completions.parse(
      request(seed, { response_format: zodResponseFormat(Thing, "thing") }),
    );
    const message = completion.choices[0].message;
    assert.equal(completion.choices[0].finish_reason, "stop", message.content);
    assert.ok(message.parsed, "parsed: " + message.content);
    assert.deepEqual(Thing.parse(message.parsed), message.parsed);
    assert.deepEqual(JSON.parse(message.content), message.parsed);
  }
});

const Weather = z.object({ city: z.enum(["Oslo", "Lima"]), unit: z.enum(["celsius", "fahrenheit"]), days: z.number().int() });

await check("a strict tool with tool_choice required returns tool_calls that validate", async () => {
  for (let seed = 1; seed <= 50; seed++) {
    const completion = await client.beta.chat.completions.parse(
      request(seed, {
        tools: [
          zodFunction({ name: "get_weather", parameters: Weather }),
          zodFunction({ name: "get_time", parameters: z.object({ zone: z.enum(["utc", "local"]) }) }),
        ],
        tool_choice: { type: "function", function: { name: "get_weather" } },
      }),
    );
    const choice = completion.choices[0];
    assert.equal(choice.finish_reason, "tool_calls", JSON.stringify(choice.message));
    assert.ok(!choice.message.content, "nothing leaks into content: " + choice.message.content);
    assert.equal(choice.message.tool_calls.length, 1);
    const call = choice.message.tool_calls[0];
    assert.equal(call.function.name, "get_weather");
    assert.deepEqual(Weather.parse(JSON.parse(call.function.arguments)), call.function.parsed_arguments);
  }
  const any = await client.chat.completions.create(
    request(9, {
      tools: [zodFunction({ name: "get_time", parameters: z.object({ zone: z.enum(["utc", "local"]) }) })],
      tool_choice: "required",
    }),
  );
  assert.equal(any.choices[0].finish_reason, "tool_calls");
  assert.equal(any.choices[0].message.tool_calls[0].function.name, "get_time");
});

await check("a schema with an unsupported keyword is a 400 naming it", async () => {
  try {
    await client.chat.completions.create(
      request(1, { response_format: zodResponseFormat(z.object({ id: z.string().regex(/^[a-z]+$/) }), "x") }),
    );
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, "an APIError: " + e);
    assert.equal(e.status, 400);
    assert.ok(e.error.message.includes("pattern"), e.error.message);
    return;
  }
  assert.fail("expected HTTP 400");
});

console.log(`all structured checks passed (${checks})`);
