// tool_choice -> a forced call: each accepted form, each rejected one (400 naming tool_choice),
// the grammar a chat request then runs under (only the call, in the template's format, with
// conforming arguments), random weights still writing a parsed call, and the parsed answer
// (streamed and not).
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "engine/conversation.h"
#include "engine/engine.h"
#include "engine/grammar/grammar_matcher.h"
#include "server/api_error.h"
#include "server/generation_stream.h"
#include "server/openai_request.h"
#include "server/tool_choice.h"

namespace trit {
namespace {

using json = nlohmann::json;
using server::ApiError;
using server::resolve_tool_choice;

const json kTools = json::parse(R"([
  {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
  {"type": "function", "function": {"name": "send_mail"}}])");

const std::string kForcedWeather = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\":";

// The ApiError a tool_choice gets (fails the test when there is none).
ApiError rejection(const json& choice, const json* tools) {
  try {
    resolve_tool_choice(&choice, tools);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << choice.dump();
  return ApiError(0, "");
}

TEST(ToolChoice, AbsentAutoAndNoneForceNothing) {
  const json null_choice = nullptr, automatic = "auto", none = "none";
  for (const json* tools : {&kTools, static_cast<const json*>(nullptr)}) {  // none of them needs tools
    for (const json* c : {static_cast<const json*>(nullptr), &null_choice, &automatic}) {
      server::ToolChoice r = resolve_tool_choice(c, tools);
      EXPECT_FALSE(r.forced);
      EXPECT_TRUE(r.tools_in_prompt);
    }
    server::ToolChoice r = resolve_tool_choice(&none, tools);
    EXPECT_FALSE(r.forced);
    EXPECT_FALSE(r.tools_in_prompt);
  }
}

TEST(ToolChoice, RequiredForcesAnyCall) {
  const json c = "required";
  server::ToolChoice r = resolve_tool_choice(&c, &kTools);
  EXPECT_TRUE(r.tools_in_prompt);
  EXPECT_TRUE(r.forced);
  EXPECT_EQ(r.function, "");
}

TEST(ToolChoice, NamedFunctionForcesItsCall) {
  const json c = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  server::ToolChoice r = resolve_tool_choice(&c, &kTools);
  EXPECT_TRUE(r.tools_in_prompt);
  EXPECT_TRUE(r.forced);
  EXPECT_EQ(r.function, "get_weather");
}

TEST(ToolChoice, RejectionsName400AndToolChoice) {
  struct Case {
    json choice;
    bool with_tools;
    std::string expect;  // a word the message must contain
  };
  const std::vector<Case> cases = {
      {"required", false, "required"},
      {"sometimes", true, "none, auto, required"},
      {42, true, "string or an object"},
      {json::array({"get_weather"}), true, "string or an object"},
      {{{"type", "function"}, {"function", {{"name", "get_time"}}}}, true, "get_time"},
      {{{"type", "function"}, {"function", {{"name", "get_weather"}}}}, false, "no 'tools'"},
      {{{"type", "function"}}, true, "\"function\": {\"name\""},
      {{{"type", "function"}, {"function", "get_weather"}}, true, "\"function\": {\"name\""},
      {{{"type", "function"}, {"function", {{"name", 7}}}}, true, "\"function\": {\"name\""},
      {{{"type", "function"}, {"function", {{"name", ""}}}}, true, "\"function\": {\"name\""},
      {{{"type", "tool"}, {"function", {{"name", "get_weather"}}}}, true, "\"type\": \"function\""},
      {{{"function", {{"name", "get_weather"}}}}, true, "\"type\": \"function\""},
  };
  const json empty = json::array();
  for (const Case& c : cases) {
    ApiError e = rejection(c.choice, c.with_tools ? &kTools : nullptr);
    EXPECT_EQ(e.status(), 400) << c.choice.dump();
    EXPECT_EQ(e.param(), "tool_choice") << c.choice.dump();
    EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << c.choice.dump() << ": " << e.what();
  }
  // An empty tools array is no tools.
  EXPECT_EQ(rejection("required", &empty).status(), 400);
  // The unknown-name message lists what there is.
  ApiError e = rejection({{"type", "function"}, {"function", {{"name", "x"}}}}, &kTools);
  EXPECT_NE(std::string(e.what()).find("get_weather, send_mail"), std::string::npos) << e.what();
}

class ForcedChatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions o;
    o.threads = 1;
    o.context = 2048;
    engine_ = std::make_unique<engine::Engine>(test::make_model("tiny", "q2_0", 7), o);
    ctx_.tokenizer = &engine_->tokenizer();
    ctx_.context = 2048;
  }
  json body(const json& tool_choice, bool thinking = true) const {
    json b = {{"messages", {{{"role", "user"}, {"content", "Weather in Oslo?"}}}},
              {"tools", kTools},
              {"chat_template_kwargs", {{"enable_thinking", thinking}}}};
    if (!tool_choice.is_null()) b["tool_choice"] = tool_choice;
    return b;
  }
  std::string prompt_text(const server::GenerationRequest& g) const {
    return engine_->tokenizer().decode(g.scheduled.prompt);
  }
  static bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  }
  std::unique_ptr<engine::Engine> engine_;
  server::RequestContext ctx_;
};

// Whether the request's grammar takes `text` whole.
bool grammar_takes(const server::GenerationRequest& g, const std::string& text) {
  if (!g.scheduled.options.grammar) return false;
  engine::grammar::GrammarMatcher m(g.scheduled.options.grammar);
  return m.accept(text) && m.can_end();
}

TEST_F(ForcedChatTest, ForcingSetsACallGrammarNotAPrefix) {
  const json named = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  server::GenerationRequest plain = server::parse_chat_request(body(nullptr), ctx_);
  EXPECT_FALSE(plain.scheduled.options.grammar);
  const std::string plain_text = prompt_text(plain);
  ASSERT_TRUE(ends_with(plain_text, "<|im_start|>assistant\n")) << plain_text;

  server::GenerationRequest g = server::parse_chat_request(body(named, false), ctx_);
  EXPECT_TRUE(g.tools_given);
  EXPECT_TRUE(ends_with(prompt_text(g), "<|im_start|>assistant\n<think>\n\n</think>\n\n")) << prompt_text(g);
  EXPECT_EQ(g.scheduled.options.grammar_after, "");
  EXPECT_TRUE(grammar_takes(g, kForcedWeather + " {\"city\": \"Oslo\"}}\n</tool_call>"));
  EXPECT_FALSE(grammar_takes(g, "<tool_call>\n{\"name\": \"send_mail\", \"arguments\": {}}\n</tool_call>"));
  EXPECT_FALSE(grammar_takes(g, "Sure! " + kForcedWeather + " {}}\n</tool_call>"));
  EXPECT_FALSE(grammar_takes(g, kForcedWeather + " \"Oslo\"}\n</tool_call>"));  // parameters: an object

  server::GenerationRequest r = server::parse_chat_request(body("required", false), ctx_);
  EXPECT_TRUE(grammar_takes(r, "<tool_call>\n{\"name\": \"send_mail\", \"arguments\": {\"to\": 1}}\n</tool_call>"));
  EXPECT_TRUE(grammar_takes(r, kForcedWeather + " {}}\n</tool_call>"));

  // Thinking on: the prompt is the plain one; the call is forced once </think> is written.
  server::GenerationRequest t = server::parse_chat_request(body("required"), ctx_);
  EXPECT_EQ(prompt_text(t), plain_text);
  EXPECT_EQ(t.scheduled.options.grammar_after, "</think>");
  EXPECT_TRUE(grammar_takes(t, "\n\n" + kForcedWeather + " {}}\n</tool_call>"));

  // "none": no tools in the prompt, nothing forced.
  server::GenerationRequest none = server::parse_chat_request(body("none"), ctx_);
  EXPECT_FALSE(none.scheduled.options.grammar);
  EXPECT_FALSE(none.tools_given);
  EXPECT_EQ(prompt_text(none).find("<tools>"), std::string::npos);
  EXPECT_NE(plain_text.find("<tools>"), std::string::npos);
}

TEST_F(ForcedChatTest, RandomWeightsStillWriteAParsedCall) {
  // A tiny model with random weights, sampled at temperature 1: every answer is a call.
  const json tools = json::parse(R"([{"type": "function", "function": {"name": "get_weather", "parameters":
      {"type": "object", "properties": {"unit": {"enum": ["c", "f"]}, "days": {"type": "integer"}},
       "required": ["unit"], "additionalProperties": false}}}])");
  json b = body("required", false);
  b["tools"] = tools;
  engine::Conversation conv(*engine_);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    server::GenerationRequest g = server::parse_chat_request(b, ctx_);
    g.scheduled.options.sampling.temperature = 1.0f;
    g.scheduled.options.sampling.seed = seed;
    std::string text;
    conv.reset();
    engine::GenerateStats stats =
        conv.generate(g.scheduled.prompt, g.scheduled.options, [&](const std::string& t) { text += t; return true; });
    EXPECT_EQ(stats.reason, engine::StopReason::end_of_generation) << text;
    auto out = tokenizer::parse_assistant_output(text);
    ASSERT_EQ(out.tool_calls.size(), 1u) << text;
    EXPECT_EQ(out.tool_calls[0].name, "get_weather");
    EXPECT_TRUE(out.tool_calls[0].arguments["unit"] == "c" || out.tool_calls[0].arguments["unit"] == "f") << text;
    EXPECT_EQ(out.content, "") << text;
  }
}

engine::RequestOutput piece(const std::string& text, bool done = false) {
  engine::RequestOutput out;
  out.text = text;
  out.done = done;
  out.result.reason = engine::StopReason::end_of_generation;
  return out;
}

TEST_F(ForcedChatTest, ForcedCallComesBackAsToolCalls) {
  server::GenerationRequest g;
  // What the grammar lets the model write, in pieces.
  const std::vector<std::string> generated = {"<tool_call>\n{\"name\": \"get_weather\", \"arguments\":",
                                              " {\"city\":", " \"Oslo\"}}\n</tool", "_call>"};

  server::GenerationStream whole(true, g, engine_->tokenizer(), "m");
  for (const auto& t : generated) whole.accumulate(piece(t));
  whole.accumulate(piece("", true));
  json o = whole.final_object();
  EXPECT_EQ(o["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(o["choices"][0]["message"]["content"].is_null());
  ASSERT_EQ(o["choices"][0]["message"]["tool_calls"].size(), 1u);
  const json& call = o["choices"][0]["message"]["tool_calls"][0];
  EXPECT_EQ(call["function"]["name"], "get_weather");
  EXPECT_EQ(json::parse(call["function"]["arguments"].get<std::string>()), json({{"city", "Oslo"}}));

  server::GenerationStream streamed(true, g, engine_->tokenizer(), "m");
  std::string events;
  for (const auto& t : generated) events += streamed.stream_events(piece(t));
  events += streamed.stream_events(piece("", true));
  std::string content, finish;
  json calls = json::array();
  for (size_t pos = 0; (pos = events.find("data: {", pos)) != std::string::npos;) {
    size_t end = events.find("\n\n", pos);
    json c = json::parse(events.substr(pos + 6, end - pos - 6));
    pos = end;
    const json& d = c["choices"][0]["delta"];
    if (d.contains("content")) content += d["content"].get<std::string>();
    if (d.contains("tool_calls"))
      for (const json& tc : d["tool_calls"]) calls.push_back(tc);
    if (!c["choices"][0]["finish_reason"].is_null()) finish = c["choices"][0]["finish_reason"];
  }
  EXPECT_EQ(content, "");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["function"]["name"], "get_weather");
  EXPECT_EQ(finish, "tool_calls");
}

}  // namespace
}  // namespace trit
