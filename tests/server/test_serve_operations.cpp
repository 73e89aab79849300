// Running `trit serve` behind a load balancer: the readiness check while the model loads, and
// the drain on SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/test_util.h"
#include "serve_process.h"

namespace trit {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

std::string error_message(const httplib::Result& res) {
  if (!res) return "";
  try {
    return json::parse(res->body)["error"]["message"].get<std::string>();
  } catch (const json::exception&) {
    return "";
  }
}

// /health is 503 {"status": "loading"} from the moment the port is bound until the model is
// ready, and the API says why it cannot answer yet; then /health is 200 and the API works. The
// end of loading is held by TRIT_SERVE_HOLD_LOADING until the test creates the file.
TEST(ServeOperations, HealthIs503WhileLoadingThen200) {
  const std::string release = test::scratch_dir() + "/loaded";
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128", 120,
                            test::ServeProcess::Wait::listening, "TRIT_SERVE_HOLD_LOADING=" + test::shell_quote(release));
  ASSERT_TRUE(server.listening()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(30);

  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(json::parse(health->body)["status"], "loading") << health->body;
  EXPECT_FALSE(health->get_header_value("Retry-After").empty());
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 503);
  EXPECT_NE(error_message(models).find("still loading"), std::string::npos) << models->body;
  auto chat = c.Post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})",
                     "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 503);
  EXPECT_NE(error_message(chat).find("still loading"), std::string::npos) << chat->body;
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 503);

  test::write_file(release, "");
  int status = 0;
  for (int i = 0; i < 600 && status != 200; ++i) {  // the load balancer's poll, at most 60 s
    auto h = c.Get("/health");
    status = h ? h->status : 0;
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(status, 200) << server.log();
  EXPECT_EQ(json::parse(c.Get("/health")->body)["status"], "ok");
  auto ready = c.Post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})",
                      "application/json");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_EQ(server.stop(), 0) << server.log();
}

}  // namespace
}  // namespace trit
