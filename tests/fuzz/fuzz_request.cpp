// libFuzzer target for the HTTP request path: any byte string as a request body goes through what
// the server does before scheduling it (the JSON parse with its depth limit, then the chat and the
// completion request parsers: field checks, tools, tool_choice, the rendered chat template, the
// tokenizer). Each must succeed or refuse with ApiError / trit::Error (never crash, hang or
// overflow the stack), and an accepted request must hold a prompt the scheduler can run: at least
// one token, shorter than the context, every id in the vocabulary. Uses the built-in byte vocab
// and the built-in Qwen3 chat template, so no file is needed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/api_error.h"
#include "server/json_fields.h"
#include "server/openai_request.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace {

const trit::server::RequestContext& context() {
  static const trit::tokenizer::Tokenizer tok(trit::tokenizer::make_byte_vocab());
  static const trit::server::RequestContext ctx = [] {
    trit::server::RequestContext c;
    c.tokenizer = &tok;
    c.context = 4096;
    c.random_seed = false;
    return c;
  }();
  return ctx;
}

void check_runnable(const trit::server::GenerationRequest& g, const trit::server::RequestContext& ctx) {
  const auto& prompt = g.scheduled.prompt;
  if (prompt.empty() || static_cast<int64_t>(prompt.size()) >= ctx.context) std::abort();
  for (int32_t id : prompt)
    if (id < 0 || static_cast<size_t>(id) >= ctx.tokenizer->vocab_size()) std::abort();
}

template <class Parse>
void try_parse(const nlohmann::json& body, Parse parse) {
  try {
    check_runnable(parse(body, context()), context());
  } catch (const trit::server::ApiError&) {
  } catch (const trit::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trit::server;
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json body;
  try {
    body = parse_json_object(text);
  } catch (const ApiError&) {
    return 0;
  }
  try_parse(body, parse_chat_request);       // POST /v1/chat/completions
  try_parse(body, parse_completion_request); // POST /v1/completions
  return 0;
}
