// `trit serve`'s Responses API over HTTP: malformed fields are 400s naming the field,
// previous_response_id chains conversations (404 naming it when unknown), stored responses are
// read and deleted, a stream's events come in order, and a function call round trip reaches the
// prompt. The official client's suite (Node) runs from here too.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "node_suite.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;

std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

json post(httplib::Client& c, const json& body, int expect_status = 200) {
  auto res = c.Post("/v1/responses", body.dump(), "application/json");
  EXPECT_TRUE(res) << body.dump();
  if (!res) return nullptr;
  EXPECT_EQ(res->status, expect_status) << body.dump() << " -> " << res->body;
  return json::parse(res->body, nullptr, false);
}

// A small request that needs no thinking (the test model never closes <think>).
json ask(json extra = json::object()) {
  json body = {{"model", "m"}, {"input", "Tell me about whales."}, {"max_output_tokens", 4},
               {"temperature", 0}, {"reasoning", {{"effort", "none"}}}};
  body.update(extra);
  return body;
}

class ResponsesServe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new test::ServeProcess("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 2048 --parallel 2");
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(server_->ok()) << server_->log();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(120);
  }
  static test::ServeProcess* server_;
  std::unique_ptr<httplib::Client> client_;
};
test::ServeProcess* ResponsesServe::server_ = nullptr;

TEST_F(ResponsesServe, MalformedFieldsAre400sNamingTheField) {
  struct Bad {
    json body;
    std::string param;
  };
  const std::vector<Bad> bad = {
      {{{"model", "m"}}, "input"},
      {ask({{"input", 5}}), "input"},
      {ask({{"input", json::array()}}), "input"},
      {ask({{"input", {{{"role", "wizard"}, {"content", "hi"}}}}}), "input"},
      {ask({{"input", {{{"role", "user"}, {"content", {{{"type", "input_image"}, {"image_url", "x.png"}}}}}}}}), "input"},
      {ask({{"input", {{{"type", "function_call"}, {"name", "f"}}}}}), "input"},
      {ask({{"input", {{{"type", "function_call_output"}, {"call_id", "c"}}}}}), "input"},
      {ask({{"input", {{{"type", "web_search_call"}}}}}), "input"},
      {ask({{"instructions", 3}}), "instructions"},
      {ask({{"tools", {{{"type", "web_search"}}}}}), "tools"},
      {ask({{"tools", {{{"type", "function"}}}}}), "tools"},
      {ask({{"tools", "f"}}), "tools"},
      {ask({{"tool_choice", {{"type", "function"}, {"name", "nope"}}}}), "tool_choice"},
      {ask({{"tool_choice", {{"type", "file_search"}}}}), "tool_choice"},
      {ask({{"max_output_tokens", 0}}), "max_output_tokens"},
      {ask({{"max_output_tokens", "many"}}), "max_output_tokens"},
      {ask({{"temperature", 9}}), "temperature"},
      {ask({{"top_p", "x"}}), "top_p"},
      {ask({{"stream", "yes"}}), "stream"},
      {ask({{"store", 1}}), "store"},
      {ask({{"reasoning", {{"effort", "extreme"}}}}), "reasoning.effort"},
      {ask({{"reasoning", 1}}), "reasoning"},
      {ask({{"text", {{"format", {{"type", "json_schema"}, {"name", "x"}, {"schema", {{"type", "string"}, {"pattern", "^a+$"}}}}}}}}),
       "text.format"},
      {ask({{"text", {{"format", {{"type", "json_schema"}, {"name", "x"}, {"strict", "yes"}, {"schema", json::object()}}}}}}),
       "text.format"},
      {ask({{"text", {{"format", {{"type", "json_schema"}, {"schema", 3}}}}}}), "text.format"},
      {ask({{"text", {{"format", {{"type", "xml"}}}}}}), "text.format"},
      {ask({{"text", {{"format", json::object()}}}}), "text.format"},
      {ask({{"text", {{"format", "json"}}}}), "text.format"},
      {ask({{"metadata", {{"k", 1}}}}), "metadata"},
      {ask({{"previous_response_id", 7}}), "previous_response_id"},
      {ask({{"prompt", {{"id", "pmpt_1"}}}}), "prompt"},
      {ask({{"conversation", "conv_1"}}), "conversation"},
      {ask({{"truncation", "middle"}}), "truncation"},
      {ask({{"background", true}}), "background"},
      {ask({{"input", std::string(4000, 'x') + " y"}}), "input"},  // longer than the context
  };
  for (const Bad& b : bad) {
    const json r = post(*client_, b.body, 400);
    ASSERT_TRUE(r.is_object() && r.contains("error")) << b.body.dump();
    EXPECT_EQ(r["error"]["type"], "invalid_request_error") << b.body.dump();
    EXPECT_EQ(r["error"]["param"], b.param) << b.body.dump().substr(0, 200) << ": " << r["error"]["message"];
  }
  const json missing = post(*client_, ask({{"previous_response_id", "resp_nope"}}), 404);
  EXPECT_EQ(missing["error"]["param"], "previous_response_id");
  // Still serving.
  EXPECT_EQ(post(*client_, ask())["object"], "response");
}

// The output message's text; "" when there is none.
std::string output_text(const json& response) {
  std::string text;
  for (const json& item : response["output"])
    if (item["type"] == "message") text += item["content"][0]["text"].get<std::string>();
  return text;
}

// text.format (the flat shape: name, schema and strict beside type) constrains the answer with
// the grammar chat's response_format makes (with thinking on, after </think>: test_responses.cpp,
// as this model has no <think> tokens).
TEST_F(ResponsesServe, TextFormatJsonSchemaConstrainsTheAnswer) {
  const json schema = {{"type", "object"},
                       {"properties", {{"color", {{"enum", {"red", "blue"}}}}, {"ok", {{"type", "boolean"}}}}},
                       {"required", {"color", "ok"}},
                       {"additionalProperties", false}};
  const json format = {{"type", "json_schema"}, {"name", "thing"}, {"schema", schema}, {"strict", true}};
  auto conforms = [](const std::string& text) {
    const json v = json::parse(text, nullptr, false);
    return v.is_object() && v.size() == 2 && (v["color"] == "red" || v["color"] == "blue") && v["ok"].is_boolean();
  };
  for (int seed = 1; seed <= 3; ++seed) {
    const json r = post(*client_, ask({{"text", {{"format", format}}}, {"temperature", 1.0}, {"seed", seed},
                                       {"max_output_tokens", 60}}));
    EXPECT_EQ(r["status"], "completed") << r.dump();
    EXPECT_TRUE(conforms(output_text(r))) << r.dump();
    EXPECT_EQ(r["text"]["format"], format);
  }
  // json_object: any object.
  const json obj = post(*client_, ask({{"text", {{"format", {{"type", "json_object"}}}}}, {"max_output_tokens", 200}}));
  if (obj["status"] == "completed") {
    EXPECT_TRUE(json::parse(output_text(obj), nullptr, false).is_object()) << obj.dump();
  }
}

TEST_F(ResponsesServe, PreviousResponseIdChainsAndStoredResponsesAreReadAndDeleted) {
  const json first = post(*client_, ask({{"instructions", "Answer briefly."}}));
  ASSERT_EQ(first["object"], "response") << first.dump();
  EXPECT_EQ(first["instructions"], "Answer briefly.");
  EXPECT_EQ(first["usage"]["total_tokens"],
            first["usage"]["input_tokens"].get<int>() + first["usage"]["output_tokens"].get<int>());
  const std::string id = first["id"];
  EXPECT_EQ(id.rfind("resp_", 0), 0u);

  const json second = post(*client_, ask({{"previous_response_id", id}, {"input", "And dolphins?"}}));
  EXPECT_EQ(second["previous_response_id"], id);
  EXPECT_GT(second["usage"]["input_tokens"].get<int>(),
            first["usage"]["input_tokens"].get<int>() + 3) << "the first turn is in the prompt";

  auto got = client_->Get("/v1/responses/" + id);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200);
  EXPECT_EQ(json::parse(got->body), first);
  auto items = client_->Get("/v1/responses/" + second["id"].get<std::string>() + "/input_items");
  ASSERT_TRUE(items);
  const json list = json::parse(items->body);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["content"][0]["text"], "And dolphins?");

  auto del = client_->Delete("/v1/responses/" + id);
  ASSERT_TRUE(del);
  EXPECT_EQ(json::parse(del->body)["deleted"], true);
  EXPECT_EQ(client_->Get("/v1/responses/" + id)->status, 404);
  EXPECT_EQ(client_->Delete("/v1/responses/" + id)->status, 404);
  EXPECT_EQ(post(*client_, ask({{"previous_response_id", id}}), 404)["error"]["param"], "previous_response_id");
  // store: false is answered, not kept.
  const json unstored = post(*client_, ask({{"store", false}}));
  EXPECT_EQ(client_->Get("/v1/responses/" + unstored["id"].get<std::string>())->status, 404);
}

TEST_F(ResponsesServe, StreamEventsComeInOrder) {
  auto res = client_->Post("/v1/responses", ask({{"stream", true}}).dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  std::vector<std::string> types;
  std::vector<json> data;
  size_t pos = 0;
  while ((pos = res->body.find("event: ", pos)) != std::string::npos) {
    const size_t nl = res->body.find('\n', pos), end = res->body.find("\n\n", nl);
    types.push_back(res->body.substr(pos + 7, nl - pos - 7));
    data.push_back(json::parse(res->body.substr(nl + 7, end - nl - 7)));
    pos = end;
  }
  ASSERT_GE(types.size(), 3u) << res->body;
  EXPECT_EQ(types[0], "response.created");
  EXPECT_EQ(types[1], "response.in_progress");
  EXPECT_TRUE(types.back() == "response.completed" || types.back() == "response.incomplete") << types.back();
  for (size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(data[i]["sequence_number"], i);
    EXPECT_EQ(data[i]["type"], types[i]);
  }
  // Every item opened is closed, before the response ends; deltas build the final text.
  int open = 0;
  std::string text;
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] == "response.output_item.added") ++open;
    if (types[i] == "response.output_item.done") --open;
    if (types[i] == "response.output_text.delta") text += data[i]["delta"].get<std::string>();
    EXPECT_GE(open, 0);
  }
  EXPECT_EQ(open, 0);
  const json& final = data.back()["response"];
  std::string final_text;
  for (const json& item : final["output"])
    if (item["type"] == "message") final_text += item["content"][0]["text"].get<std::string>();
  EXPECT_EQ(final_text, text);
  EXPECT_EQ(client_->Get("/v1/responses/" + final["id"].get<std::string>())->status, 200);
}

TEST_F(ResponsesServe, FunctionCallRoundTripReachesThePrompt) {
  const json tools = {{{"type", "function"},
                       {"name", "get_weather"},
                       {"description", "Weather for a city"},
                       {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}};
  const json first = post(*client_, ask({{"input", "Weather in Paris?"}, {"tools", tools}}));
  EXPECT_EQ(first["tools"][0]["name"], "get_weather");
  const json round = post(*client_, ask({{"previous_response_id", first["id"]},
                                         {"tools", tools},
                                         {"input",
                                          {{{"type", "function_call"},
                                            {"call_id", "call_1"},
                                            {"name", "get_weather"},
                                            {"arguments", R"({"city": "Paris"})"}},
                                           {{"type", "function_call_output"}, {"call_id", "call_1"}, {"output", "21 C"}}}}}));
  EXPECT_GT(round["usage"]["input_tokens"].get<int>(),
            first["usage"]["input_tokens"].get<int>() + first["usage"]["output_tokens"].get<int>() + 10);
  // The same turn as items only (store: false clients such as Codex resend everything).
  const json stateless = post(*client_, ask({{"tools", tools},
                                             {"store", false},
                                             {"input",
                                              {{{"role", "user"}, {"content", "Weather in Paris?"}},
                                               {{"type", "function_call"},
                                                {"call_id", "call_1"},
                                                {"name", "get_weather"},
                                                {"arguments", R"({"city": "Paris"})"}},
                                               {{"type", "function_call_output"}, {"call_id", "call_1"}, {"output", "21 C"}}}}}));
  EXPECT_EQ(stateless["status"] == "completed" || stateless["status"] == "incomplete", true);
}

// The events of a streamed response: (type, data) in order.
std::vector<std::pair<std::string, json>> events_of(const std::string& body) {
  std::vector<std::pair<std::string, json>> out;
  for (size_t pos = 0; (pos = body.find("event: ", pos)) != std::string::npos;) {
    const size_t nl = body.find('\n', pos), end = body.find("\n\n", nl);
    out.emplace_back(body.substr(pos + 7, nl - pos - 7), json::parse(body.substr(nl + 7, end - nl - 7)));
    pos = end;
  }
  return out;
}

TEST_F(ResponsesServe, ToolChoiceForcesAFunctionCall) {
  // A random-weight model still answers with one function_call whose arguments conform: the
  // grammar set by set_chat_prompt lets it write nothing else (bounded, so that it also finishes).
  const json tools = json::parse(R"([
    {"type": "function", "name": "get_weather", "parameters": {"type": "object",
      "properties": {"unit": {"enum": ["c", "f"]}}, "required": ["unit"], "additionalProperties": false}},
    {"type": "function", "name": "send_mail", "parameters": {"type": "object",
      "properties": {"urgent": {"type": "boolean"}}, "required": ["urgent"], "additionalProperties": false}}])");
  auto conforms = [](const std::string& name, const std::string& arguments) {
    const json a = json::parse(arguments, nullptr, false);
    if (!a.is_object() || a.size() != 1) return false;
    if (name == "get_weather") return a["unit"] == "c" || a["unit"] == "f";
    return name == "send_mail" && a["urgent"].is_boolean();
  };
  const json named = {{"type", "function"}, {"name", "send_mail"}};
  for (const json& choice : {named, json("required")}) {
    const json body = ask({{"input", "Weather in Oslo?"}, {"tools", tools}, {"tool_choice", choice},
                           {"max_output_tokens", 400}, {"temperature", 1}});
    const json r = post(*client_, body);
    EXPECT_EQ(r["tool_choice"], choice);
    EXPECT_EQ(r["status"], "completed") << r.dump();
    ASSERT_EQ(r["output"].size(), 1u) << choice << ": " << r.dump();  // no message beside the call
    const json& call = r["output"][0];
    EXPECT_EQ(call["type"], "function_call") << r.dump();
    EXPECT_EQ(call["call_id"].get<std::string>().rfind("call_", 0), 0u) << r.dump();
    if (choice.is_object()) {
      EXPECT_EQ(call["name"], "send_mail");
    }
    EXPECT_TRUE(conforms(call["name"], call["arguments"])) << r.dump();

    // Streamed: the call's item, its arguments as delta and done events, the same call at the end.
    json streamed_body = body;
    streamed_body["stream"] = true;
    auto res = client_->Post("/v1/responses", streamed_body.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    std::string deltas, done, text;
    json added;
    for (const auto& [type, data] : events_of(res->body)) {
      if (type == "response.output_item.added") added = data["item"];
      if (type == "response.function_call_arguments.delta") deltas += data["delta"].get<std::string>();
      if (type == "response.function_call_arguments.done") done = data["arguments"];
      if (type == "response.output_text.delta") text += data["delta"].get<std::string>();
    }
    EXPECT_EQ(added["type"], "function_call") << res->body;
    EXPECT_EQ(text, "");
    EXPECT_EQ(deltas, done);
    EXPECT_TRUE(conforms(added.value("name", ""), done)) << res->body;
    const json final = events_of(res->body).back().second["response"];
    EXPECT_EQ(final["status"], "completed") << res->body;
    ASSERT_EQ(final["output"].size(), 1u) << res->body;
    EXPECT_EQ(final["output"][0]["arguments"], done);
  }
}

TEST(ResponsesClients, OfficialOpenAiClient) {
  test::require_node_modules();
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 2048 --parallel 2 --api-key test-key");
  ASSERT_TRUE(server.ok()) << server.log();
  auto r = test::run_node_suite("responses.test.mjs", server.base_url(), "test-key");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\nserver log:\n" << server.log();
  EXPECT_NE(r.out.find("all responses checks passed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace trit
