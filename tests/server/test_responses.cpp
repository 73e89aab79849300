// The Responses API (/v1/responses): crafted model output through ResponsesStream (a synthetic
// model writes no <think> or <tool_call> by itself), input items rendered as the Qwen3 chat
// template renders a conversation, the bounded response store, and `trit serve` over HTTP:
// malformed fields (400 naming the field), previous_response_id chaining, GET/DELETE, the event
// order of a stream, a function call round trip, and the official client (Node).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "engine/engine.h"
#include "engine/grammar/grammar_matcher.h"
#include "server/api_error.h"
#include "serve_process.h"
#include "server/response_store.h"
#include "server/responses_request.h"
#include "server/responses_items.h"
#include "server/responses_stream.h"
#include "tokenizer/chat.h"

namespace trit {
namespace {

using json = nlohmann::json;

struct Event {
  std::string type;
  json data;
};

// "event: X\ndata: {...}\n\n" blocks; the event name must match the payload's type.
std::vector<Event> sse_events(const std::string& text) {
  std::vector<Event> out;
  size_t pos = 0;
  while ((pos = text.find("event: ", pos)) != std::string::npos) {
    const size_t nl = text.find('\n', pos);
    const size_t end = text.find("\n\n", nl);
    const std::string type = text.substr(pos + 7, nl - pos - 7);
    EXPECT_EQ(text.compare(nl + 1, 6, "data: "), 0) << text.substr(pos, 80);
    json data = json::parse(text.substr(nl + 7, end - nl - 7));
    EXPECT_EQ(data["type"], type);
    out.push_back({type, std::move(data)});
    pos = end;
  }
  return out;
}

std::vector<std::string> types_of(const std::vector<Event>& events) {
  std::vector<std::string> t;
  for (const Event& e : events) t.push_back(e.type);
  return t;
}

class ResponsesStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions o;
    o.threads = 1;
    o.context = 64;
    engine_ = std::make_unique<engine::Engine>(test::make_model("tiny", "q2_0", 7), o);
    request_.echo = {{"instructions", nullptr}, {"tools", json::array()}};
    request_.input_items = server::normalize_input("What is the weather in Paris?");
    request_.history = json::array();
  }
  engine::RequestOutput piece(const std::string& text) {
    engine::RequestOutput out;
    out.text = text;
    return out;
  }
  engine::RequestOutput end(engine::StopReason reason) {
    engine::RequestOutput out;
    out.done = true;
    out.result.reason = reason;
    out.result.prompt_tokens = 10;
    out.result.cached_tokens = 4;
    out.result.generated_tokens = 30;
    return out;
  }
  std::unique_ptr<engine::Engine> engine_;
  server::GenerationRequest generation_;
  server::ResponsesRequest request_;
  server::ResponseStore store_;
  const std::vector<std::string> crafted_ = {"<think>\nThe user wants the weath", "er.\n</think>\n\n", "Let me look.",
                                            "<tool_call>\n{\"name\": \"get_weather\", \"argu",
                                            "ments\": {\"city\": \"Paris\"}}\n</tool_call>\n"};
};

TEST_F(ResponsesStreamTest, ReasoningMessageAndFunctionCallItems) {
  server::ResponsesStream s(generation_, request_, engine_->tokenizer(), "m", store_);
  for (const auto& t : crafted_) s.accumulate(piece(t));
  s.accumulate(end(engine::StopReason::end_of_generation));
  const json r = s.final_object();
  EXPECT_EQ(r["object"], "response");
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["incomplete_details"], nullptr);
  ASSERT_EQ(r["output"].size(), 3u) << r.dump();
  EXPECT_EQ(r["output"][0]["type"], "reasoning");
  EXPECT_EQ(r["output"][0]["content"][0]["text"], "The user wants the weather.");
  EXPECT_EQ(r["output"][1]["type"], "message");
  EXPECT_EQ(r["output"][1]["content"][0]["type"], "output_text");
  EXPECT_EQ(r["output"][1]["content"][0]["text"], "Let me look.");
  const json& call = r["output"][2];
  EXPECT_EQ(call["type"], "function_call");
  EXPECT_EQ(call["name"], "get_weather");
  EXPECT_EQ(json::parse(call["arguments"].get<std::string>()), json({{"city", "Paris"}}));
  EXPECT_EQ(call["call_id"].get<std::string>().rfind("call_", 0), 0u);
  EXPECT_EQ(r["usage"]["input_tokens"], 10);
  EXPECT_EQ(r["usage"]["input_tokens_details"]["cached_tokens"], 4);
  EXPECT_EQ(r["usage"]["output_tokens"], 30);
  EXPECT_EQ(r["usage"]["total_tokens"], 40);
  EXPECT_GT(r["usage"]["output_tokens_details"]["reasoning_tokens"].get<int>(), 0);

  // Stored with its conversation: the input, then the output items.
  auto stored = store_.get(r["id"]);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->response, r);
  ASSERT_EQ(stored->conversation.size(), 4u);
  EXPECT_EQ(stored->conversation[0]["role"], "user");
  EXPECT_EQ(stored->conversation[3]["type"], "function_call");
}

TEST_F(ResponsesStreamTest, StreamedEventsInOrderEndAsTheSameObject) {
  generation_.stream = true;
  server::ResponsesStream s(generation_, request_, engine_->tokenizer(), "m", store_);
  std::string text;
  for (const auto& t : crafted_) text += s.stream_events(piece(t));
  text += s.stream_events(end(engine::StopReason::end_of_generation));
  const std::vector<Event> events = sse_events(text);
  const std::vector<std::string> expected = {
      "response.created", "response.in_progress",
      "response.output_item.added", "response.reasoning_text.delta", "response.reasoning_text.delta",
      "response.reasoning_text.done", "response.output_item.done",
      "response.output_item.added", "response.content_part.added", "response.output_text.delta",
      "response.output_text.done", "response.content_part.done", "response.output_item.done",
      "response.output_item.added", "response.function_call_arguments.delta",
      "response.function_call_arguments.done", "response.output_item.done",
      "response.completed"};
  ASSERT_EQ(types_of(events), expected) << text;
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].data["sequence_number"], i);
  EXPECT_EQ(events[0].data["response"]["status"], "in_progress");
  EXPECT_EQ(events[0].data["response"]["output"], json::array());
  EXPECT_EQ(events[9].data["delta"], "Let me look.");
  EXPECT_EQ(events[9].data["output_index"], 1);
  EXPECT_EQ(events[15].data["name"], "get_weather");
  const json& final = events.back().data["response"];
  EXPECT_EQ(final["status"], "completed");
  ASSERT_EQ(final["output"].size(), 3u);
  EXPECT_EQ(final["output"][2]["arguments"], events[15].data["arguments"]);
  EXPECT_EQ(final, s.final_object());
}

TEST_F(ResponsesStreamTest, CutByMaxTokensIsIncompleteAndFailuresFail) {
  generation_.stream = true;
  {
    server::ResponsesStream s(generation_, request_, engine_->tokenizer(), "m", store_);
    std::string text = s.stream_events(piece("Whales are"));
    text += s.stream_events(end(engine::StopReason::max_tokens));
    const std::vector<Event> events = sse_events(text);
    EXPECT_EQ(events.back().type, "response.incomplete");
    const json& r = events.back().data["response"];
    EXPECT_EQ(r["status"], "incomplete");
    EXPECT_EQ(r["incomplete_details"]["reason"], "max_output_tokens");
    EXPECT_EQ(r["output"][0]["status"], "incomplete");
  }
  {
    server::ResponsesStream s(generation_, request_, engine_->tokenizer(), "m", store_);
    engine::RequestOutput failed = end(engine::StopReason::end_of_generation);
    failed.result.error = "out of memory";
    const std::vector<Event> events = sse_events(s.stream_events(piece("Wh")) + s.stream_events(failed));
    EXPECT_EQ(events.back().type, "response.failed");
    EXPECT_EQ(events.back().data["response"]["status"], "failed");
    EXPECT_NE(events.back().data["response"]["error"]["message"].get<std::string>().find("out of memory"),
              std::string::npos);
    EXPECT_FALSE(store_.get(s.id())) << "a failed response is not stored";
  }
}

// A synthetic model writes any bytes; the events, the object and the store take them.
TEST_F(ResponsesStreamTest, InvalidUtf8FromTheModelIsNoCrash) {
  generation_.stream = true;
  server::ResponsesStream s(generation_, request_, engine_->tokenizer(), "m", store_);
  std::string text = s.stream_events(piece("ok \xff\xfe\xc3 end"));
  text += s.stream_events(end(engine::StopReason::end_of_generation));
  const std::vector<Event> events = sse_events(text);
  EXPECT_EQ(events.back().type, "response.completed");
  EXPECT_TRUE(store_.get(s.id()));
  EXPECT_GT(store_.bytes(), 0u);
}

// What a forced tool_choice's grammar lets the model write is one function_call and no message.
TEST_F(ResponsesStreamTest, ForcedCallIsAFunctionCall) {
  server::ResponsesStream s(generation_, request_, engine_->tokenizer(), "m", store_);
  s.accumulate(piece("<tool_call>\n{\"name\": \"get_weather\", \"arguments\":"));
  s.accumulate(piece(" {\"city\": \"Oslo\"}}\n</tool_call>"));
  s.accumulate(end(engine::StopReason::end_of_generation));
  const json r = s.final_object();
  ASSERT_EQ(r["output"].size(), 1u) << r.dump();
  EXPECT_EQ(r["output"][0]["type"], "function_call");
  EXPECT_EQ(json::parse(r["output"][0]["arguments"].get<std::string>())["city"], "Oslo");
}

// A function call round trip renders as the chat template renders the same conversation given
// as chat messages: the call in the assistant turn (with its reasoning), the output as a tool turn.
// text.format (the Responses API's flat shape) -> the grammar chat's response_format makes: from
// the first token with thinking off, after </think> with it on (the reasoning stays free and the
// message is just the JSON); a forced tool call's grammar wins, as in chat.
TEST_F(ResponsesStreamTest, TextFormatSetsTheAnswersGrammar) {
  server::RequestContext ctx;
  ctx.tokenizer = &engine_->tokenizer();
  ctx.context = 512;
  const json format = {{"type", "json_schema"},
                       {"name", "answer"},
                       {"strict", true},
                       {"schema", {{"type", "object"},
                                   {"properties", {{"ok", {{"type", "boolean"}}}}},
                                   {"required", {"ok"}},
                                   {"additionalProperties", false}}}};
  auto parse = [&](const std::string& effort, json extra = json::object()) {
    json body = {{"input", "Is it sunny?"}, {"text", {{"format", format}}}, {"reasoning", {{"effort", effort}}}};
    body.update(extra);
    return server::parse_responses_request(body, ctx, store_).generation.scheduled.options;
  };
  auto takes = [](const engine::GenerateOptions& o, const std::string& text) {
    if (!o.grammar) return false;
    engine::grammar::GrammarMatcher m(o.grammar);
    return m.accept(text) && m.can_end();
  };
  const engine::GenerateOptions plain = parse("none");
  EXPECT_EQ(plain.grammar_after, "");
  EXPECT_TRUE(takes(plain, R"({"ok": true})"));
  EXPECT_FALSE(takes(plain, R"({"ok": 1})"));
  const engine::GenerateOptions thinking = parse("low");
  EXPECT_EQ(thinking.grammar_after, "</think>");
  EXPECT_TRUE(takes(thinking, "\n\n{\"ok\": false}"));
  EXPECT_TRUE(takes(parse("none", {{"text", {{"format", {{"type", "json_object"}}}}}}), R"({"any": [1]})"));
  EXPECT_FALSE(parse("none", {{"text", {{"format", {{"type", "text"}}}}}}).grammar);
  const json tools = {{{"type", "function"}, {"name", "f"}, {"parameters", {{"type", "object"}}}}};
  const engine::GenerateOptions forced =
      parse("none", {{"tools", tools}, {"tool_choice", {{"type", "function"}, {"name", "f"}}}});
  EXPECT_FALSE(takes(forced, R"({"ok": true})"));
  EXPECT_TRUE(takes(forced, "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>"));
  try {
    parse("none", {{"text", {{"format", {{"type", "json_schema"}, {"schema", {{"type", "string"}, {"format", "email"}}}}}}}});
    ADD_FAILURE() << "an unsupported keyword";
  } catch (const server::ApiError& e) {
    EXPECT_EQ(e.param(), "text.format");
    EXPECT_NE(std::string(e.what()).find("text.format.schema"), std::string::npos) << e.what();
  }
}

TEST(ResponsesItems, RenderLikeTheChatConversation) {
  const json items = server::normalize_input(json::parse(R"([
    {"role": "developer", "content": "Be brief."},
    {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
    {"type": "reasoning", "summary": [], "content": [{"type": "reasoning_text", "text": "Call the tool."}]},
    {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"},
    {"type": "function_call_output", "call_id": "c1", "output": "21 C"}
  ])"));
  const auto messages = server::items_to_messages(items);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].role, "system");
  EXPECT_EQ(messages[2].role, "assistant");
  ASSERT_EQ(messages[2].tool_calls.size(), 1u);
  EXPECT_EQ(messages[2].reasoning_content, "Call the tool.");
  EXPECT_EQ(messages[3].role, "tool");
  const auto chat = tokenizer::messages_from_json(tokenizer::ordered_json::parse(R"([
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "reasoning_content": "Call the tool.",
     "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "content": "21 C"}
  ])"));
  const auto format = tokenizer::ChatFormat::qwen3();
  EXPECT_EQ(tokenizer::render_chat(format, messages), tokenizer::render_chat(format, chat));
}

TEST(ResponseStore, DropsTheLeastRecentlyUsed) {
  server::ResponseStore store(2);
  store.put("a", {json(1), json::array(), json::array()});
  store.put("b", {json(2), json::array(), json::array()});
  ASSERT_TRUE(store.get("a"));  // a is now the most recent
  store.put("c", {json(3), json::array(), json::array()});
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.get("b"));
  EXPECT_EQ(store.get("a")->response, json(1));
  EXPECT_TRUE(store.erase("c"));
  EXPECT_FALSE(store.erase("c"));
  EXPECT_EQ(store.size(), 1u);
}

TEST(ResponseStore, KeepsItsBytesWithinTheLimit) {
  const json big = std::string(400, 'x');  // about 400 bytes of JSON text
  server::ResponseStore store(100, 1000);
  store.put("a", {big, json::array(), json::array()});
  store.put("b", {big, json::array(), json::array()});
  EXPECT_EQ(store.size(), 2u);
  store.put("c", {big, json::array(), json::array()});  // over 1000 bytes: a goes
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.get("a"));
  EXPECT_LE(store.bytes(), 1000u);
  store.put("huge", {std::string(2000, 'y'), json::array(), json::array()});  // never fits
  EXPECT_FALSE(store.get("huge"));
  EXPECT_TRUE(store.get("b") && store.get("c"));
  store.put("b", {json(1), json::array(), json::array()});  // replacing counts the new size only
  EXPECT_LT(store.bytes(), 500u);
}

}  // namespace
}  // namespace trit
