// The server's path from generated text to OpenAI JSON, on crafted model output (a synthetic
// model will not write a tool call by itself): <think> becomes reasoning_content, <tool_call>
// becomes tool_calls with finish_reason "tool_calls", streamed and not.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "engine/engine.h"
#include "server/choices_stream.h"
#include "server/generation_stream.h"

namespace trit {
namespace {

using json = nlohmann::json;

std::vector<json> sse_payloads(const std::string& events) {
  std::vector<json> out;
  size_t pos = 0;
  while ((pos = events.find("data: ", pos)) != std::string::npos) {
    size_t end = events.find("\n\n", pos);
    std::string data = events.substr(pos + 6, end - pos - 6);
    out.push_back(data == "[DONE]" ? json("[DONE]") : json::parse(data));
    pos = end;
  }
  return out;
}

class GenerationStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions o;
    o.threads = 1;
    o.context = 64;
    engine_ = std::make_unique<engine::Engine>(test::make_model("tiny", "q2_0", 7), o);
    request_.include_usage = true;
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
  server::GenerationRequest request_;
  const std::vector<std::string> crafted_ = {"<think>\nThe user wants the weath", "er.\n</think>\n\n",
                                            "<tool_call>\n{\"name\": \"get_weather\", \"argu",
                                            "ments\": {\"city\": \"Paris\"}}\n</tool_call>"};
};

TEST_F(GenerationStreamTest, ToolCallAndReasoningNonStreaming) {
  server::GenerationStream s(true, request_, engine_->tokenizer(), "m");
  for (const auto& t : crafted_) s.accumulate(piece(t));
  s.accumulate(end(engine::StopReason::end_of_generation));
  json o = s.final_object();
  EXPECT_EQ(o["object"], "chat.completion");
  const json& choice = o["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_EQ(choice["message"]["reasoning_content"], "The user wants the weather.");
  EXPECT_TRUE(choice["message"]["content"].is_null());
  ASSERT_EQ(choice["message"]["tool_calls"].size(), 1u);
  const json& call = choice["message"]["tool_calls"][0];
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["name"], "get_weather");
  EXPECT_EQ(json::parse(call["function"]["arguments"].get<std::string>()), json({{"city", "Paris"}}));
  EXPECT_EQ(o["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(o["usage"]["completion_tokens"], 30);
  EXPECT_EQ(o["usage"]["total_tokens"], 40);
  EXPECT_EQ(o["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
}

TEST_F(GenerationStreamTest, ToolCallAndReasoningStreaming) {
  server::GenerationStream s(true, request_, engine_->tokenizer(), "m");
  std::string events;
  for (const auto& t : crafted_) events += s.stream_events(piece(t));
  events += s.stream_events(end(engine::StopReason::end_of_generation));
  std::vector<json> chunks = sse_payloads(events);
  ASSERT_GE(chunks.size(), 4u);
  EXPECT_EQ(chunks.back(), "[DONE]");
  EXPECT_EQ(chunks[0]["choices"][0]["delta"]["role"], "assistant");
  std::string reasoning, content;
  json calls = json::array();
  std::string finish;
  json usage;
  for (const json& c : chunks) {
    if (!c.is_object()) continue;
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    if (c.contains("usage")) usage = c["usage"];
    if (c["choices"].empty()) continue;
    const json& d = c["choices"][0]["delta"];
    if (d.contains("reasoning_content")) reasoning += d["reasoning_content"].get<std::string>();
    if (d.contains("content")) content += d["content"].get<std::string>();
    if (d.contains("tool_calls"))
      for (const json& tc : d["tool_calls"]) calls.push_back(tc);
    if (!c["choices"][0]["finish_reason"].is_null()) finish = c["choices"][0]["finish_reason"];
  }
  EXPECT_EQ(reasoning, "The user wants the weather.");
  EXPECT_EQ(content, "");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["index"], 0);
  EXPECT_EQ(calls[0]["function"]["name"], "get_weather");
  EXPECT_EQ(finish, "tool_calls");
  EXPECT_EQ(usage["total_tokens"], 40);
}

TEST_F(GenerationStreamTest, PlainTextAndLengthLimit) {
  server::GenerationStream s(true, request_, engine_->tokenizer(), "m");
  s.accumulate(piece("Hello, <b>world</b>."));
  s.accumulate(end(engine::StopReason::max_tokens));
  json o = s.final_object();
  EXPECT_EQ(o["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(o["choices"][0]["message"]["content"], "Hello, <b>world</b>.");
  EXPECT_FALSE(o["choices"][0]["message"].contains("tool_calls"));

  server::GenerationStream c(false, request_, engine_->tokenizer(), "m");
  std::string events = c.stream_events(piece("<think>raw"));
  events += c.stream_events(end(engine::StopReason::stop_string));
  auto chunks = sse_payloads(events);
  EXPECT_EQ(chunks[0]["object"], "text_completion");
  EXPECT_EQ(chunks[0]["choices"][0]["text"], "<think>raw");  // completions are not parsed
  EXPECT_EQ(chunks[chunks.size() - 3]["choices"][0]["finish_reason"], "stop");
}

// A generation the server cancelled (the shutdown drain's deadline passed) must not read as a
// normal finish: an error naming the shutdown, streamed and not, and no finish_reason.
TEST_F(GenerationStreamTest, CancelledByShutdownIsAnErrorNotAFinish) {
  for (bool chat : {true, false}) {
    server::GenerationStream s(chat, request_, engine_->tokenizer(), "m");
    s.accumulate(piece("partial"));
    s.accumulate(end(engine::StopReason::cancelled));
    json o = s.final_object();
    EXPECT_FALSE(o.contains("choices")) << o.dump();
    ASSERT_TRUE(o.contains("error")) << o.dump();
    EXPECT_NE(o["error"]["message"].get<std::string>().find("shutting down"), std::string::npos) << o.dump();

    server::GenerationStream streamed(chat, request_, engine_->tokenizer(), "m");
    std::string events = streamed.stream_events(piece("partial"));
    events += streamed.stream_events(end(engine::StopReason::cancelled));
    EXPECT_EQ(events.find("\"finish_reason\":\"stop\""), std::string::npos) << events;
    auto chunks = sse_payloads(events);
    ASSERT_GE(chunks.size(), 2u);
    EXPECT_EQ(chunks.back(), "[DONE]");
    const json& last = chunks[chunks.size() - 2];
    ASSERT_TRUE(last.contains("error")) << events;
    EXPECT_NE(last["error"]["message"].get<std::string>().find("shutting down"), std::string::npos) << events;
  }
}

// Several choices (n = 2 of one prompt): one object with both choices in index order, one id,
// usage summed with the prompt counted once; streamed, interleaved chunks carry their index and
// the usage chunk and [DONE] come once, after the last choice ends; a cut choice ends the stream
// with one error event.
TEST_F(GenerationStreamTest, SeveralChoicesMergeIntoOneAnswer) {
  request_.n = 2;
  server::ChoicesStream s(false, request_, engine_->tokenizer(), "m", 2);
  s.accumulate_choice(1, piece("second"));
  s.accumulate_choice(0, piece("first"));
  s.accumulate_choice(0, end(engine::StopReason::max_tokens));
  s.accumulate_choice(1, end(engine::StopReason::end_of_generation));
  json o = s.final_object();
  ASSERT_EQ(o["choices"].size(), 2u) << o.dump();
  EXPECT_EQ(o["choices"][0]["index"], 0);
  EXPECT_EQ(o["choices"][0]["text"], "first");
  EXPECT_EQ(o["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(o["choices"][1]["index"], 1);
  EXPECT_EQ(o["choices"][1]["text"], "second");
  EXPECT_EQ(o["choices"][1]["finish_reason"], "stop");
  EXPECT_EQ(o["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(o["usage"]["completion_tokens"], 60);
  EXPECT_EQ(o["usage"]["total_tokens"], 70);

  server::ChoicesStream streamed(true, request_, engine_->tokenizer(), "m", 2);
  std::string events = streamed.stream_choice_events(0, piece("a"));
  events += streamed.stream_choice_events(1, piece("b"));
  events += streamed.stream_choice_events(1, end(engine::StopReason::end_of_generation));
  EXPECT_EQ(events.find("[DONE]"), std::string::npos) << "choice 0 is still running";
  events += streamed.stream_choice_events(0, end(engine::StopReason::end_of_generation));
  auto chunks = sse_payloads(events);
  ASSERT_GE(chunks.size(), 4u);
  EXPECT_EQ(chunks.back(), "[DONE]");
  EXPECT_EQ(chunks[chunks.size() - 2]["usage"]["completion_tokens"], 60);
  std::string ids;
  int finishes = 0;
  for (size_t i = 0; i + 2 < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i]["id"], chunks[0]["id"]);
    for (const json& c : chunks[i]["choices"]) {
      ids += std::to_string(c["index"].get<int>());
      if (!c["finish_reason"].is_null()) ++finishes;
    }
  }
  EXPECT_EQ(finishes, 2);
  EXPECT_NE(ids.find('0'), std::string::npos);
  EXPECT_NE(ids.find('1'), std::string::npos);

  server::ChoicesStream cut(true, request_, engine_->tokenizer(), "m", 2);
  events = cut.stream_choice_events(0, piece("a"));
  events += cut.stream_choice_events(1, end(engine::StopReason::cancelled));
  events += cut.stream_choice_events(0, piece("more"));
  events += cut.stream_choice_events(0, end(engine::StopReason::cancelled));
  EXPECT_EQ(events.find("finish_reason\":\"stop"), std::string::npos) << events;
  chunks = sse_payloads(events);
  EXPECT_EQ(chunks.back(), "[DONE]");
  EXPECT_TRUE(chunks[chunks.size() - 2].contains("error")) << events;
  EXPECT_EQ(events.find("[DONE]"), events.rfind("[DONE]")) << "one end";
}

}  // namespace
}  // namespace trit
