// Anthropic's Messages API on a running `trit serve`: x-api-key, errors in Anthropic's shape on
// /v1/messages (and OpenAI's elsewhere), answers and streamed events over HTTP, a tool round trip,
// count_tokens, a full queue as overloaded_error; and the official Anthropic client's suite
// (tests/server/js/anthropic.test.mjs).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/test_util.h"
#include "node_suite.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

const httplib::Headers kKey = {{"x-api-key", "sekret"}, {"anthropic-version", "2023-06-01"}};

json ask(json extra = json::object()) {
  json b = {{"model", "trit"},
            {"max_tokens", 8},
            {"temperature", 0},
            {"messages", {{{"role", "user"}, {"content", "Tell me about whales."}}}}};
  b.update(extra);
  return b;
}

// The Anthropic error of a response: {"type": "error", "error": {"type", "message"}}.
json anthropic_error(const httplib::Result& res) {
  if (!res) return nullptr;
  try {
    json body = json::parse(res->body);
    if (body.value("type", "") != "error" || !body.contains("error")) return nullptr;
    return body["error"];
  } catch (const json::exception&) {
    return nullptr;
  }
}

struct Event {
  std::string name;
  json data;
};

std::vector<Event> sse_events(const std::string& body) {
  std::vector<Event> out;
  for (size_t pos = 0; pos < body.size();) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) end = body.size();
    const std::string e = body.substr(pos, end - pos);
    pos = end + 2;
    const size_t nl = e.find('\n');
    if (e.rfind("event: ", 0) != 0 || nl == std::string::npos || e.compare(nl + 1, 6, "data: ") != 0) {
      ADD_FAILURE() << "not an Anthropic SSE event: " << e;
      continue;
    }
    out.push_back({e.substr(7, nl - 7), json::parse(e.substr(nl + 7))});
  }
  return out;
}

TEST(AnthropicServe, MessagesOverHttp) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 1024 --parallel 2 --api-key sekret");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);

  // Keys: x-api-key or Authorization: Bearer; errors on /v1/messages are Anthropic-shaped.
  auto no_key = c.Post("/v1/messages", ask().dump(), "application/json");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 401);
  EXPECT_EQ(anthropic_error(no_key)["type"], "authentication_error") << no_key->body;
  auto wrong = c.Post("/v1/messages", {{"x-api-key", "nope"}}, ask().dump(), "application/json");
  EXPECT_EQ(wrong->status, 401);
  auto bearer = c.Post("/v1/messages", {{"Authorization", "Bearer sekret"}}, ask().dump(), "application/json");
  EXPECT_EQ(bearer->status, 200) << bearer->body;
  auto models = c.Get("/v1/models", {{"x-api-key", "sekret"}});
  EXPECT_EQ(models->status, 200);
  auto openai_401 = c.Get("/v1/models");
  EXPECT_EQ(openai_401->status, 401);
  EXPECT_TRUE(json::parse(openai_401->body)["error"].contains("param")) << "OpenAI's shape off /v1/messages";

  struct Bad {
    std::string body, expect;
  };
  const std::vector<Bad> bad = {
      {"{not json", "JSON"},
      {"[1]", "object"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "hi"}]})", "max_tokens"},
      {ask({{"max_tokens", -1}}).dump(), "max_tokens"},
      {ask({{"messages", {{{"role", "user"}, {"content", {{{"type", "image"}}}}}}}}).dump(), "messages[0].content[0]"},
      {ask({{"tool_choice", {{"type", "any"}}}}).dump(), "tool_choice"},
      {ask({{"thinking", {{"type", "enabled"}}}}).dump(), "thinking.budget_tokens"},
      {ask({{"messages", {{{"role", "user"}, {"content", std::string(3000, 'x')}}}}}).dump(), "context"},
  };
  for (const Bad& b : bad) {
    auto res = c.Post("/v1/messages", kKey, b.body, "application/json");
    ASSERT_TRUE(res) << b.body;
    EXPECT_EQ(res->status, 400) << b.body;
    json err = anthropic_error(res);
    ASSERT_TRUE(err.is_object()) << res->body;
    EXPECT_EQ(err["type"], "invalid_request_error");
    EXPECT_NE(err["message"].get<std::string>().find(b.expect), std::string::npos)
        << b.body.substr(0, 80) << ": " << err["message"];
  }
  auto missing = c.Post("/v1/messages/batches", kKey, ask().dump(), "application/json");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(anthropic_error(missing)["type"], "not_found_error") << missing->body;

  // A whole answer.
  auto whole = c.Post("/v1/messages", kKey, ask().dump(), "application/json");
  ASSERT_EQ(whole->status, 200) << whole->body;
  json m = json::parse(whole->body);
  EXPECT_EQ(m["type"], "message");
  EXPECT_EQ(m["role"], "assistant");
  EXPECT_EQ(m["id"].get<std::string>().rfind("msg_", 0), 0u);
  ASSERT_EQ(m["content"].size(), 1u) << m.dump();
  EXPECT_EQ(m["content"][0]["type"], "text");
  EXPECT_TRUE(m["stop_reason"] == "end_turn" || m["stop_reason"] == "max_tokens") << m.dump();
  EXPECT_LE(m["usage"]["output_tokens"].get<int>(), 8);

  // Streamed: the same text, Anthropic's events in order.
  auto streamed = c.Post("/v1/messages", kKey, ask({{"stream", true}}).dump(), "application/json");
  ASSERT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->get_header_value("Content-Type").rfind("text/event-stream", 0), 0u);
  std::vector<Event> events = sse_events(streamed->body);
  ASSERT_GE(events.size(), 6u) << streamed->body;
  EXPECT_EQ(events[0].name, "message_start");
  EXPECT_EQ(events[1].name, "ping");
  EXPECT_EQ(events[2].name, "content_block_start");
  EXPECT_EQ(events[events.size() - 3].name, "content_block_stop");
  EXPECT_EQ(events[events.size() - 2].name, "message_delta");
  EXPECT_EQ(events.back().name, "message_stop");
  std::string text;
  for (const Event& e : events) {
    EXPECT_EQ(e.data["type"], e.name);
    if (e.name == "content_block_delta") text += e.data["delta"]["text"].get<std::string>();
  }
  EXPECT_EQ(text, m["content"][0]["text"]);
  EXPECT_EQ(events[events.size() - 2].data["delta"]["stop_reason"], m["stop_reason"]);

  // A tool round trip: the assistant's tool_use and the user's tool_result are accepted and
  // rendered (the forced call itself: ToolChoiceForcesAToolUse).
  const json tools = {{{"name", "get_weather"},
                       {"description", "Weather now"},
                       {"input_schema", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}};
  auto forced = c.Post("/v1/messages", kKey,
                       ask({{"tools", tools}, {"tool_choice", {{"type", "tool"}, {"name", "get_weather"}}}}).dump(),
                       "application/json");
  ASSERT_EQ(forced->status, 200) << forced->body;
  json round = ask({{"tools", tools}});
  round["messages"].push_back({{"role", "assistant"},
                               {"content", {{{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "get_weather"},
                                             {"input", {{"city", "Paris"}}}}}}});
  round["messages"].push_back(
      {{"role", "user"}, {"content", {{{"type", "tool_result"}, {"tool_use_id", "toolu_1"}, {"content", "Sunny"}}}}});
  auto reply = c.Post("/v1/messages", kKey, round.dump(), "application/json");
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(json::parse(reply->body)["type"], "message");

  // count_tokens: the prompt /v1/messages runs.
  json count_body = ask();
  count_body.erase("max_tokens");
  auto count = c.Post("/v1/messages/count_tokens", kKey, count_body.dump(), "application/json");
  ASSERT_EQ(count->status, 200) << count->body;
  const json usage = m["usage"];
  EXPECT_EQ(json::parse(count->body)["input_tokens"],
            usage["input_tokens"].get<int>() + usage["cache_read_input_tokens"].get<int>());
  // Claude Code adds ?beta=true to both paths.
  auto beta = c.Post("/v1/messages/count_tokens?beta=true", kKey, count_body.dump(), "application/json");
  ASSERT_EQ(beta->status, 200) << beta->body;
  EXPECT_EQ(json::parse(beta->body), json::parse(count->body));
  auto beta_stream = c.Post("/v1/messages?beta=true", kKey, ask({{"stream", true}}).dump(), "application/json");
  ASSERT_EQ(beta_stream->status, 200) << beta_stream->body;
  EXPECT_EQ(sse_events(beta_stream->body).back().name, "message_stop");
  auto bad_count = c.Post("/v1/messages/count_tokens", kKey, R"({"model": "m", "messages": 5})", "application/json");
  EXPECT_EQ(bad_count->status, 400);
  EXPECT_EQ(anthropic_error(bad_count)["type"], "invalid_request_error");

  EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST(AnthropicServe, ToolChoiceForcesAToolUse) {
  // A random-weight model still answers with one tool_use whose input conforms: the grammar set
  // by set_chat_prompt lets it write nothing else (the input bounded, so that it also finishes).
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 4096 --parallel 1 --api-key sekret");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120);
  const json tools = json::parse(R"([
    {"name": "get_weather", "input_schema": {"type": "object",
      "properties": {"unit": {"enum": ["c", "f"]}}, "required": ["unit"], "additionalProperties": false}},
    {"name": "send_mail", "input_schema": {"type": "object",
      "properties": {"urgent": {"type": "boolean"}}, "required": ["urgent"], "additionalProperties": false}}])");
  auto conforms = [](const json& use) {
    if (use["name"] == "get_weather") return use["input"].size() == 1 && (use["input"]["unit"] == "c" || use["input"]["unit"] == "f");
    if (use["name"] == "send_mail") return use["input"].size() == 1 && use["input"]["urgent"].is_boolean();
    return false;
  };
  auto request = [&](const json& tool_choice, bool stream) {
    return c.Post("/v1/messages", kKey,
                  ask({{"tools", tools}, {"tool_choice", tool_choice}, {"max_tokens", 400}, {"temperature", 1},
                       {"stream", stream}})
                      .dump(),
                  "application/json");
  };
  for (const json& choice : {json{{"type", "tool"}, {"name", "send_mail"}}, json{{"type", "any"}}}) {
    auto res = request(choice, false);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const json m = json::parse(res->body);
    ASSERT_EQ(m["content"].size(), 1u) << choice << ": " << m.dump();  // no text beside the call
    const json& use = m["content"][0];
    EXPECT_EQ(use["type"], "tool_use") << m.dump();
    EXPECT_EQ(use["id"].get<std::string>().rfind("toolu_", 0), 0u) << m.dump();
    if (choice["type"] == "tool") {
      EXPECT_EQ(use["name"], "send_mail");
    }
    EXPECT_TRUE(conforms(use)) << m.dump();
    EXPECT_EQ(m["stop_reason"], "tool_use");

    // Streamed: one tool_use block, its input as input_json_delta pieces, then its stop.
    res = request(choice, true);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    std::vector<Event> events = sse_events(res->body);
    json block;
    std::string input;
    int starts = 0;
    bool stopped = false;
    std::string stop_reason;
    for (const Event& e : events) {
      if (e.name == "content_block_start") {
        ++starts;
        block = e.data["content_block"];
      } else if (e.name == "content_block_delta") {
        EXPECT_EQ(e.data["delta"]["type"], "input_json_delta") << res->body;
        EXPECT_FALSE(stopped);
        input += e.data["delta"].value("partial_json", "");
      } else if (e.name == "content_block_stop") {
        stopped = true;
      } else if (e.name == "message_delta") {
        stop_reason = e.data["delta"]["stop_reason"];
      }
    }
    EXPECT_EQ(starts, 1) << res->body;
    EXPECT_EQ(block["type"], "tool_use") << res->body;
    EXPECT_TRUE(stopped) << res->body;
    EXPECT_EQ(stop_reason, "tool_use");
    block["input"] = json::parse(input, nullptr, false);
    EXPECT_TRUE(conforms(block)) << res->body;
    if (choice["type"] == "tool") {
      EXPECT_EQ(block["name"], "send_mail");
    }
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST(AnthropicServe, FullQueueIsOverloadedError) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 16384 --parallel 1 --queue 0");
  ASSERT_TRUE(server.ok()) << server.log();
  std::thread long_one([&] {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(120);
    c.Post("/v1/completions", R"({"prompt": "go", "max_tokens": 15000, "temperature": 0, "ignore_eos": true})",
           "application/json");
  });
  httplib::Client c("127.0.0.1", server.port());
  bool busy = false;
  for (int i = 0; i < 200 && !busy; ++i) {
    auto m = c.Get("/metrics");
    busy = m && m->body.find("\ntrit_slots_busy 1") != std::string::npos;
    if (!busy) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(busy);
  auto refused = c.Post("/v1/messages", ask().dump(), "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_FALSE(refused->get_header_value("Retry-After").empty());
  EXPECT_EQ(anthropic_error(refused)["type"], "overloaded_error") << refused->body;
  EXPECT_EQ(server.stop(), 0) << server.log();
  long_one.join();
}

TEST(ServeClients, OfficialAnthropicClient) {
  ASSERT_NO_FATAL_FAILURE(test::require_node_modules());  // npm ci installs @anthropic-ai/sdk with openai
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 4096 --parallel 2 --api-key test-key");
  ASSERT_TRUE(server.ok()) << server.log();
  auto r = test::run_node_suite("anthropic.test.mjs", server.base_url(), "test-key");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\nserver log:\n" << server.log();
  EXPECT_NE(r.out.find("anthropic client checks passed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace trit
