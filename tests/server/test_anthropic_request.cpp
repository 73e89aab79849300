// Anthropic Messages requests -> prompts, and output -> Anthropic responses, without a server:
// the conversation's blocks as the Qwen3 template renders them (tool_use, tool_result, thinking),
// tools and tool_choice converted to OpenAI's shapes, thinking on and off, every malformed field a
// 400 naming it, and AnthropicStream's events and final message for thinking, text and tool calls.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "engine/engine.h"
#include "server/anthropic_request.h"
#include "server/anthropic_stream.h"
#include "server/api_error.h"

namespace trit {
namespace {

using json = nlohmann::json;

const json kTools = json::parse(R"([
  {"name": "get_weather", "description": "Weather now", "input_schema": {"type": "object",
   "properties": {"city": {"type": "string"}}}},
  {"name": "send_mail", "input_schema": {"type": "object"}}])");

class AnthropicRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions o;
    o.threads = 1;
    o.context = 2048;
    engine_ = std::make_unique<engine::Engine>(test::make_model("tiny", "q2_0", 7), o);
    ctx_.tokenizer = &engine_->tokenizer();
    ctx_.context = 2048;
  }
  static json body(json messages) {
    return {{"model", "m"}, {"max_tokens", 64}, {"messages", std::move(messages)}};
  }
  static json hello() { return body({{{"role", "user"}, {"content", "Hello"}}}); }
  std::string prompt(const json& b) const {
    return engine_->tokenizer().decode(server::parse_anthropic_request(b, ctx_).scheduled.prompt);
  }
  // The ApiError a body gets (fails the test when there is none).
  server::ApiError rejection(const json& b) const {
    try {
      server::parse_anthropic_request(b, ctx_);
    } catch (const server::ApiError& e) {
      return e;
    }
    ADD_FAILURE() << "accepted: " << b.dump();
    return server::ApiError(0, "");
  }
  static bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  }
  std::unique_ptr<engine::Engine> engine_;
  server::RequestContext ctx_;
};

TEST_F(AnthropicRequestTest, ToolRoundTripRendersAsTheTemplateWritesIt) {
  json b = body(json::parse(R"([
    {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
    {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "I should call the tool.", "signature": "sig"},
      {"type": "redacted_thinking", "data": "xyz"},
      {"type": "text", "text": "Let me check."},
      {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "Sunny, 21C"}]},
      {"type": "tool_result", "tool_use_id": "toolu_2", "content": "lost", "is_error": true}]}])"));
  b["system"] = json::parse(R"([{"type": "text", "text": "You are terse."},
                                {"type": "text", "text": "Answer in French.", "cache_control": {"type": "ephemeral"}}])");
  b["tools"] = kTools;
  b["metadata"] = {{"user_id", "u1"}};
  const std::string p = prompt(b);
  EXPECT_EQ(p.find("<|im_start|>system\nYou are terse.\n\nAnswer in French."), 0u) << p;
  for (const char* piece : {"\"description\": \"Weather now\"", "\"name\": \"get_weather\"",
                            "\"parameters\": {\"properties\": {\"city\"", "\"name\": \"send_mail\""})
    EXPECT_NE(p.find(piece), std::string::npos) << piece << " in\n" << p;
  // After the last user query the assistant turn keeps its reasoning.
  EXPECT_NE(p.find("<|im_start|>assistant\n<think>\nI should call the tool.\n</think>\n\nLet me check.\n<tool_call>\n"
                   "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("<|im_start|>user\n<tool_response>\nSunny, 21C\n</tool_response>\n<tool_response>\nError: lost\n"
                   "</tool_response><|im_end|>"),
            std::string::npos)
      << p;
  // thinking absent: off, as Anthropic's default.
  EXPECT_TRUE(ends_with(p, "<|im_start|>assistant\n<think>\n\n</think>\n\n")) << p;
}

TEST_F(AnthropicRequestTest, TextDocumentsAreText) {
  json b = body(json::parse(R"([{"role": "user", "content": [
    {"type": "document", "title": "Notes", "source": {"type": "text", "media_type": "text/plain", "data": "Whales sing."}},
    {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "Krill."}]}},
    {"type": "text", "text": "Summarize."}]}])"));
  EXPECT_NE(prompt(b).find("<|im_start|>user\nNotes\n\nWhales sing.\n\nKrill.\n\nSummarize.<|im_end|>"), std::string::npos)
      << prompt(b);
}

TEST_F(AnthropicRequestTest, ThinkingToolChoiceAndSampling) {
  json on = hello();
  on["max_tokens"] = 2048;
  on["thinking"] = {{"type", "enabled"}, {"budget_tokens", 1024}};
  EXPECT_TRUE(ends_with(prompt(on), "<|im_start|>assistant\n"));
  EXPECT_EQ(server::parse_anthropic_request(on, ctx_).scheduled.options.thinking_budget, 1024);  // enforced by the engine
  json adaptive = hello();
  adaptive["thinking"] = {{"type", "adaptive"}};
  EXPECT_TRUE(ends_with(prompt(adaptive), "<|im_start|>assistant\n"));
  EXPECT_EQ(server::parse_anthropic_request(adaptive, ctx_).scheduled.options.thinking_budget, -1);
  json off = hello();
  off["thinking"] = {{"type", "disabled"}};
  const std::string plain = prompt(off);
  EXPECT_TRUE(ends_with(plain, "</think>\n\n"));

  json tool = hello();
  tool["tools"] = kTools;
  tool["tool_choice"] = {{"type", "tool"}, {"name", "send_mail"}};
  server::GenerationRequest g = server::parse_anthropic_request(tool, ctx_);
  // A forced call is a grammar (structured_output.h), not text in the prompt.
  EXPECT_TRUE(g.scheduled.options.grammar);
  EXPECT_TRUE(ends_with(engine_->tokenizer().decode(g.scheduled.prompt), "</think>\n\n"));
  tool["tool_choice"] = {{"type", "any"}, {"disable_parallel_tool_use", true}};
  EXPECT_TRUE(server::parse_anthropic_request(tool, ctx_).scheduled.options.grammar);
  tool["tool_choice"] = {{"type", "auto"}};
  EXPECT_FALSE(server::parse_anthropic_request(tool, ctx_).scheduled.options.grammar);
  tool["tool_choice"] = {{"type", "none"}};
  server::GenerationRequest none = server::parse_anthropic_request(tool, ctx_);
  EXPECT_FALSE(none.tools_given);
  EXPECT_EQ(engine_->tokenizer().decode(none.scheduled.prompt), plain);

  json s = hello();
  s["temperature"] = 0.5;
  s["top_p"] = 0.9;
  s["top_k"] = 7;
  s["stop_sequences"] = {"END", "\n\n"};
  s["stream"] = true;
  server::GenerationRequest r = server::parse_anthropic_request(s, ctx_);
  EXPECT_FLOAT_EQ(r.scheduled.options.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.scheduled.options.sampling.top_p, 0.9f);
  EXPECT_EQ(r.scheduled.options.sampling.top_k, 7);
  EXPECT_EQ(r.scheduled.options.stop, (std::vector<std::string>{"END", "\n\n"}));
  EXPECT_EQ(r.scheduled.options.max_tokens, 64);
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.model, "m");

  EXPECT_EQ(server::count_anthropic_tokens(hello(), ctx_),
            static_cast<int64_t>(server::parse_anthropic_request(hello(), ctx_).scheduled.prompt.size()));
  json huge = hello();
  huge["messages"][0]["content"] = std::string(5000, 'x');
  EXPECT_GT(server::count_anthropic_tokens(huge, ctx_), 2048);  // counted, not refused
}

TEST_F(AnthropicRequestTest, LastAssistantMessagePrefillsTheAnswer) {
  json b = hello();
  b["messages"].push_back({{"role", "assistant"}, {"content", "{\"answer\":"}});
  server::GenerationRequest g = server::parse_anthropic_request(b, ctx_);
  EXPECT_EQ(engine_->tokenizer().decode(g.scheduled.prompt), prompt(hello()) + "{\"answer\":");
  b["tools"] = kTools;
  EXPECT_TRUE(ends_with(prompt(b), "</think>\n\n{\"answer\":"));

  b["tool_choice"] = {{"type", "any"}};
  EXPECT_NE(std::string(rejection(b).what()).find("tool_choice"), std::string::npos);
  json space = hello();
  space["messages"].push_back({{"role", "assistant"}, {"content", "Sure "}});
  EXPECT_NE(std::string(rejection(space).what()).find("messages[1].content"), std::string::npos);
  json alone = body({{{"role", "assistant"}, {"content", "Hi"}}});
  EXPECT_NE(std::string(rejection(alone).what()).find("messages[0].role"), std::string::npos);
}

TEST_F(AnthropicRequestTest, MalformedFieldsAre400NamingTheField) {
  struct Bad {
    json body;
    std::string expect;  // in the message
  };
  auto with = [](const char* key, json value) {
    json b = hello();
    b[key] = std::move(value);
    return b;
  };
  auto user = [](json content) { return body({{{"role", "user"}, {"content", std::move(content)}}}); };
  json no_max = hello();
  no_max.erase("max_tokens");
  json no_model = hello();
  no_model.erase("model");
  json tools_ok = with("tools", kTools);
  auto tool_choice = [&](json c) {
    json b = tools_ok;
    b["tool_choice"] = std::move(c);
    return b;
  };
  const std::vector<Bad> bad = {
      {no_max, "'max_tokens' is required"},
      {with("max_tokens", 0), "max_tokens"},
      {with("max_tokens", "many"), "max_tokens"},
      {no_model, "'model'"},
      {with("model", 5), "model"},
      {body(json::array()), "messages"},
      {with("messages", "hi"), "messages"},
      {body({{{"role", "system"}, {"content", "x"}}}), "messages[0].role"},
      {body({{{"role", "user"}}}), "messages[0].content"},
      {body({{{"role", "user"}, {"content", 5}}}), "messages[0].content"},
      {user(json::array()), "messages[0].content"},
      {user({{{"type", "image"}, {"source", {{"type", "base64"}}}}}), "messages[0].content[0].type"},
      {user({{{"type", "image"}}}), "text only"},
      {user({{{"type", "document"}}}), "messages[0].content[0].source"},
      {user({{{"type", "document"}, {"source", {{"type", "base64"}, {"media_type", "application/pdf"}, {"data", "JVBE"}}}}}),
       "text only"},
      {user({{{"type", "document"}, {"source", {{"type", "text"}}}}}), "messages[0].content[0].source.data"},
      {user({{{"type", "hologram"}}}), "messages[0].content[0].type"},
      {user({{{"text", "no type"}}}), "messages[0].content[0].type"},
      {user({{{"type", "text"}}}), "messages[0].content[0].text"},
      {user({{{"type", "tool_use"}, {"id", "t"}, {"name", "x"}, {"input", json::object()}}}),
       "messages[0].content[0].type"},
      {user({{{"type", "tool_result"}}}), "messages[0].content[0].tool_use_id"},
      {user({{{"type", "tool_result"}, {"tool_use_id", "t"}, {"content", 5}}}), "messages[0].content[0].content"},
      {user({{{"type", "tool_result"}, {"tool_use_id", "t"}, {"content", {{{"type", "image"}}}}}}),
       "messages[0].content[0].content[0].type"},
      {user({{{"type", "tool_result"}, {"tool_use_id", "t"}, {"is_error", "yes"}}}), "is_error"},
      {body({{{"role", "user"}, {"content", "q"}},
             {{"role", "assistant"}, {"content", {{{"type", "tool_use"}, {"id", "t"}, {"name", "x"}}}}}}),
       "messages[1].content[0].input"},
      {body({{{"role", "user"}, {"content", "q"}},
             {{"role", "assistant"}, {"content", {{{"type", "thinking"}, {"thinking", 1}}}}}}),
       "messages[1].content[0].thinking"},
      {body({{{"role", "user"}, {"content", "q"}},
             {{"role", "assistant"}, {"content", {{{"type", "tool_result"}, {"tool_use_id", "t"}}}}}}),
       "messages[1].content[0].type"},
      {with("system", 5), "system"},
      {with("system", json::array({{{"type", "image"}}})), "system[0].type"},
      {with("stop_sequences", "END"), "stop_sequences"},
      {with("stop_sequences", {""}), "stop_sequences"},
      {with("stop_sequences", {1}), "stop_sequences"},
      {with("temperature", "warm"), "temperature"},
      {with("top_p", 7), "top_p"},
      {with("top_k", -1), "top_k"},
      {with("stream", "yes"), "stream"},
      {with("metadata", "x"), "metadata"},
      {with("metadata", {{"user_id", 5}}), "metadata.user_id"},
      {with("mcp_servers", {{{"type", "url"}, {"url", "https://example.com/sse"}, {"name", "x"}}}), "mcp_servers"},
      {with("mcp_servers", 5), "mcp_servers"},
      {with("tools", "x"), "tools"},
      {with("tools", {{{"description", "no name"}, {"input_schema", json::object()}}}), "tools[0].name"},
      {with("tools", {{{"name", "x"}}}), "tools[0].input_schema"},
      {with("tools", {{{"name", "x"}, {"input_schema", json::object()}, {"description", 5}}}), "tools[0].description"},
      {with("tools", {{{"type", "web_search_20250305"}, {"name", "web_search"}}}), "tools[0].type"},
      {tool_choice("any"), "tool_choice"},
      {tool_choice({{"type", "function"}}), "tool_choice.type"},
      {tool_choice({{"type", "tool"}}), "tool_choice.name"},
      {tool_choice({{"type", "tool"}, {"name", "nope"}}), "tool_choice.name"},
      {tool_choice({{"type", "auto"}, {"disable_parallel_tool_use", "no"}}), "disable_parallel_tool_use"},
      {with("tool_choice", {{"type", "any"}}), "no 'tools'"},
      {with("thinking", "on"), "thinking"},
      {with("thinking", {{"type", "maybe"}}), "thinking.type"},
      {with("thinking", {{"type", "enabled"}}), "thinking.budget_tokens"},
      {with("thinking", {{"type", "enabled"}, {"budget_tokens", 100}}), "thinking.budget_tokens"},
      {with("thinking", {{"type", "enabled"}, {"budget_tokens", 2048}}), "thinking.budget_tokens"},  // >= max_tokens
      {user(std::string(5000, 'x')), "context"},
  };
  for (const Bad& b : bad) {
    server::ApiError e = rejection(b.body);
    EXPECT_EQ(e.status(), 400) << b.body.dump();
    EXPECT_NE(std::string(e.what()).find(b.expect), std::string::npos)
        << "message for " << b.body.dump().substr(0, 200) << ": " << e.what();
  }
}

engine::RequestOutput piece(const std::string& text, bool done = false,
                            engine::StopReason reason = engine::StopReason::end_of_generation) {
  engine::RequestOutput out;
  out.text = text;
  out.done = done;
  out.result.reason = reason;
  out.result.prompt_tokens = 30;
  out.result.cached_tokens = 10;
  out.result.generated_tokens = 12;
  return out;
}

struct Event {
  std::string name;
  json data;
};

std::vector<Event> parse_events(const std::string& text) {
  std::vector<Event> out;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = text.find("\n\n", pos);
    const std::string e = text.substr(pos, end - pos);
    pos = end + 2;
    const size_t nl = e.find('\n');
    EXPECT_EQ(e.rfind("event: ", 0), 0u) << e;
    EXPECT_EQ(e.compare(nl + 1, 6, "data: "), 0) << e;
    Event ev{e.substr(7, nl - 7), json::parse(e.substr(nl + 7))};
    EXPECT_EQ(ev.data["type"], ev.name) << e;
    out.push_back(ev);
  }
  return out;
}

TEST(AnthropicStream, ThinkingTextAndToolUseBlocksInOrder) {
  server::GenerationRequest g;
  g.scheduled.prompt.assign(30, 1);
  const std::vector<std::string> generated = {"<think>\nPlan", " it.\n</think>\n\nCalling", " now.\n<tool_call>\n",
                                              "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n",
                                              "</tool_call>"};
  server::AnthropicStream streamed(g, "trit-test");
  std::string text;
  for (const auto& t : generated) text += streamed.stream_events(piece(t));
  text += streamed.stream_events(piece("", true));
  const std::vector<Event> events = parse_events(text);
  std::vector<std::string> names;
  for (const Event& e : events) names.push_back(e.name);
  const std::vector<std::string> expected = {
      "message_start", "ping",                                                            // the message
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",  // thinking
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",  // text
      "content_block_start", "content_block_delta", "content_block_stop",                     // tool_use
      "message_delta", "message_stop"};
  ASSERT_EQ(names, expected) << text;
  const json& message = events[0].data["message"];
  EXPECT_EQ(message["id"].get<std::string>().rfind("msg_", 0), 0u);
  EXPECT_EQ(message["model"], "trit-test");
  EXPECT_EQ(message["role"], "assistant");
  EXPECT_EQ(message["content"], json::array());
  EXPECT_EQ(message["usage"]["input_tokens"], 30);
  std::string thinking, answer, input;
  for (const Event& e : events) {
    if (e.name != "content_block_delta") continue;
    const json& d = e.data["delta"];
    const int index = e.data["index"];
    if (d["type"] == "thinking_delta" && index == 0) thinking += d["thinking"].get<std::string>();
    if (d["type"] == "text_delta" && index == 1) answer += d["text"].get<std::string>();
    if (d["type"] == "input_json_delta" && index == 2) input += d["partial_json"].get<std::string>();
  }
  EXPECT_EQ(thinking, "Plan it.");
  EXPECT_EQ(answer, "Calling now.");
  EXPECT_EQ(json::parse(input), json({{"city", "Oslo"}}));
  EXPECT_EQ(events[2].data["content_block"], json({{"type", "thinking"}, {"thinking", ""}, {"signature", ""}}));
  EXPECT_EQ(events[6].data["content_block"], json({{"type", "text"}, {"text", ""}}));
  const json& tool = events[10].data["content_block"];
  EXPECT_EQ(tool["type"], "tool_use");
  EXPECT_EQ(tool["name"], "get_weather");
  EXPECT_EQ(tool["input"], json::object());
  EXPECT_EQ(tool["id"].get<std::string>().rfind("toolu_", 0), 0u);
  const json& delta = events[13].data;
  EXPECT_EQ(delta["delta"]["stop_reason"], "tool_use");
  EXPECT_TRUE(delta["delta"]["stop_sequence"].is_null());
  EXPECT_EQ(delta["usage"]["output_tokens"], 12);
  EXPECT_EQ(delta["usage"]["input_tokens"], 20);
  EXPECT_EQ(delta["usage"]["cache_read_input_tokens"], 10);

  server::AnthropicStream whole(g, "trit-test");
  for (const auto& t : generated) whole.accumulate(piece(t));
  whole.accumulate(piece("", true));
  const json o = whole.final_object();
  EXPECT_EQ(o["type"], "message");
  EXPECT_EQ(o["stop_reason"], "tool_use");
  ASSERT_EQ(o["content"].size(), 3u) << o.dump();
  EXPECT_EQ(o["content"][0], json({{"type", "thinking"}, {"thinking", "Plan it."}, {"signature", ""}}));
  EXPECT_EQ(o["content"][1], json({{"type", "text"}, {"text", "Calling now."}}));
  EXPECT_EQ(o["content"][2]["input"], json({{"city", "Oslo"}}));
  EXPECT_EQ(o["usage"], json({{"input_tokens", 20}, {"cache_creation_input_tokens", 0}, {"cache_read_input_tokens", 10},
                              {"output_tokens", 12}}));
}

TEST(AnthropicStream, StopReasonsEmptyAnswersAndErrors) {
  server::GenerationRequest g;
  g.scheduled.prompt.assign(5, 1);
  // A stop sequence is named; an empty answer is one empty text block.
  engine::RequestOutput stop = piece("", true, engine::StopReason::stop_string);
  stop.result.stop_string = "END";
  server::AnthropicStream whole(g, "m");
  whole.accumulate(stop);
  json o = whole.final_object();
  EXPECT_EQ(o["stop_reason"], "stop_sequence");
  EXPECT_EQ(o["stop_sequence"], "END");
  EXPECT_EQ(o["content"], json::array({{{"type", "text"}, {"text", ""}}}));
  server::AnthropicStream streamed(g, "m");
  std::vector<Event> events = parse_events(streamed.stream_events(stop));
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[2].name, "content_block_start");
  EXPECT_EQ(events[3].name, "content_block_stop");
  EXPECT_EQ(events[4].data["delta"]["stop_sequence"], "END");

  for (auto [reason, expected] : {std::pair{engine::StopReason::max_tokens, "max_tokens"},
                                  std::pair{engine::StopReason::context_full, "model_context_window_exceeded"},
                                  std::pair{engine::StopReason::end_of_generation, "end_turn"}}) {
    server::AnthropicStream w(g, "m");
    w.accumulate(piece("hi", true, reason));
    EXPECT_EQ(w.final_object()["stop_reason"], expected);
    EXPECT_TRUE(w.final_object()["stop_sequence"].is_null());
  }

  // A generation cut by a shutdown ends in an error event, Anthropic-shaped.
  server::AnthropicStream cut(g, "m");
  std::string text = cut.stream_events(piece("partial"));
  text += cut.stream_events(piece("", true, engine::StopReason::cancelled));
  events = parse_events(text);
  EXPECT_EQ(events.back().name, "error");
  EXPECT_EQ(events.back().data["error"]["type"], "overloaded_error");
  EXPECT_NE(events.back().data["error"]["message"].get<std::string>().find("shutting down"), std::string::npos);
  server::AnthropicStream cut_whole(g, "m");
  cut_whole.accumulate(piece("", true, engine::StopReason::cancelled));
  EXPECT_EQ(cut_whole.final_object()["type"], "error");

  EXPECT_EQ(parse_events(cut.keep_alive())[0].name, "ping");
}

}  // namespace
}  // namespace trit
