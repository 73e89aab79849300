#include "server/openai_response.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

#include "tokenizer/chat.h"

namespace trit::server {

const char* finish_reason(engine::StopReason reason) {
  switch (reason) {
    case engine::StopReason::max_tokens:
    case engine::StopReason::context_full: return "length";
    default: return "stop";
  }
}

json usage_json(const engine::RequestResult& r) {
  return {{"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", r.generated_tokens},
          {"total_tokens", r.prompt_tokens + r.generated_tokens},
          {"prompt_tokens_details", {{"cached_tokens", r.cached_tokens}}}};
}

json timings_json(const engine::RequestResult& r) {
  const int64_t computed = r.prompt_tokens - r.cached_tokens;
  return {{"prompt_n", computed},
          {"prompt_ms", r.prompt_seconds * 1e3},
          {"prompt_per_second", r.prompt_seconds > 0 ? computed / r.prompt_seconds : 0.0},
          {"predicted_n", r.generated_tokens},
          {"predicted_ms", r.decode_seconds * 1e3},
          {"predicted_per_second", r.decode_tokens_per_second()},
          {"queue_ms", r.queue_seconds * 1e3},
          {"slot", r.slot}};
}

namespace {

// A token's text for JSON. Byte-level tokens may be half a UTF-8 character: those bytes become
// U+FFFD in "token" (JSON must be valid UTF-8) and stay exact in "bytes".
json token_entry(int32_t id, float logprob, const tokenizer::Tokenizer& tok) {
  const std::string& bytes = tok.token_bytes(id);
  json b = json::array();
  for (unsigned char c : bytes) b.push_back(static_cast<int>(c));
  // dump() with `replace` writes invalid bytes as U+FFFD; parsing it back gives a valid string.
  const json text = json::parse(json(bytes).dump(-1, ' ', false, json::error_handler_t::replace));
  return {{"token", text},
          {"logprob", logprob},
          {"bytes", b}};
}

}  // namespace

json chat_logprobs(const std::vector<engine::SampledToken>& tokens, const tokenizer::Tokenizer& tok) {
  json content = json::array();
  for (const engine::SampledToken& t : tokens) {
    json entry = token_entry(t.token, t.logprob, tok);
    json top = json::array();
    for (const auto& alt : t.top) top.push_back(token_entry(alt.token, alt.logprob, tok));
    entry["top_logprobs"] = top;
    content.push_back(entry);
  }
  return {{"content", content}};
}

json completion_logprobs(const std::vector<engine::SampledToken>& tokens, const tokenizer::Tokenizer& tok,
                         size_t text_offset) {
  json out = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()},
              {"text_offset", json::array()}};
  for (const engine::SampledToken& t : tokens) {
    json entry = token_entry(t.token, t.logprob, tok);
    out["tokens"].push_back(entry["token"]);
    out["token_logprobs"].push_back(t.logprob);
    json top = json::object();
    for (const auto& alt : t.top) top[token_entry(alt.token, alt.logprob, tok)["token"].get<std::string>()] = alt.logprob;
    out["top_logprobs"].push_back(top);
    out["text_offset"].push_back(text_offset);
    text_offset += tok.token_bytes(t.token).size();
  }
  return out;
}

json tool_calls_json(const std::vector<tokenizer::ParsedToolCall>& calls, size_t first_index, bool with_index) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    const auto& c = calls[i];
    std::string arguments = c.arguments.is_string() ? c.arguments.get<std::string>() : c.arguments.dump();
    json call = {{"id", make_id("call")}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", arguments}}}};
    if (with_index) call["index"] = first_index + i;
    out.push_back(call);
  }
  return out;
}

std::string make_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t base = std::random_device{}() ^ static_cast<uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  uint64_t x = base + 0x9e3779b97f4a7c15ULL * (++counter);
  x ^= x >> 31;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%016llx", prefix, static_cast<unsigned long long>(x));
  return buf;
}

}  // namespace trit::server
