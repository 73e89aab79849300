#include "server/generation_stream.h"

#include <ctime>
#include <iterator>
#include <utility>

#include "server/api_error.h"
#include "server/context.h"
#include "server/openai_response.h"

namespace trit::server {

using json = nlohmann::json;



GenerationStream::GenerationStream(bool chat, const GenerationRequest& request, const tokenizer::Tokenizer& tokenizer,
                                   std::string model_id)
    : chat_(chat),
      request_(request),
      tokenizer_(tokenizer),
      model_id_(std::move(model_id)),
      id_(make_id(chat ? "chatcmpl" : "cmpl")),
      created_(static_cast<int64_t>(std::time(nullptr))) {}

void GenerationStream::make_choice(size_t index, const GenerationStream& first) {
  index_ = index;
  alone_ = false;
  id_ = first.id_;
  created_ = first.created_;
}

json GenerationStream::usage_chunk(const engine::RequestResult& usage) const {
  json u = chunk(nullptr);
  u["usage"] = usage_json(usage);
  return u;
}

const char* GenerationStream::finish() const {
  if (chat_ && !parser_.output().tool_calls.empty()) return "tool_calls";
  return finish_reason(result_->reason);
}

json GenerationStream::chunk(json choice) const {
  json c = {{"id", id_},
            {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
            {"created", created_},
            {"model", model_id_},
            {"system_fingerprint", "trit"}};
  c["choices"] = choice.is_null() ? json::array() : json::array({choice});
  return c;
}

json GenerationStream::chat_delta(const tokenizer::ChatOutputParser::Delta& d) {
  json delta = json::object();
  if (!d.reasoning.empty()) delta["reasoning_content"] = d.reasoning;
  if (!d.content.empty()) delta["content"] = d.content;
  if (!d.tool_calls.empty()) {
    delta["tool_calls"] = tool_calls_json(d.tool_calls, tool_calls_sent_, true);
    tool_calls_sent_ += d.tool_calls.size();
  }
  return delta;
}

std::string GenerationStream::stream_events(const engine::RequestOutput& out) {
  std::string events;
  auto send = [&](const json& j) { events += "data: " + dump_json(j) + "\n\n"; };
  if (out.done && alone_) {
    if (auto error = result_error(out.result)) {
      send(*error);
      events += "data: [DONE]\n\n";
      return events;
    }
  }
  if (chat_ && !role_sent_) {
    send(chunk({{"index", index_}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr},
                {"finish_reason", nullptr}}));
    role_sent_ = true;
  }
  json logprobs = nullptr;
  if (request_.logprobs && !out.tokens.empty())
    logprobs = chat_ ? chat_logprobs(out.tokens, tokenizer_) : completion_logprobs(out.tokens, tokenizer_, text_offset_);
  if (chat_) {
    tokenizer::ChatOutputParser::Delta d = parser_.feed(out.text);
    if (out.done) d += parser_.finish();
    json delta = chat_delta(d);
    if (!delta.empty() || !logprobs.is_null())
      send(chunk({{"index", index_}, {"delta", delta}, {"logprobs", logprobs}, {"finish_reason", nullptr}}));
  } else if (!out.text.empty() || !logprobs.is_null()) {
    send(chunk({{"index", index_}, {"text", out.text}, {"logprobs", logprobs}, {"finish_reason", nullptr}}));
  }
  text_offset_ += out.text.size();
  if (!out.done) return events;

  result_ = out.result;
  json last = chat_ ? chunk({{"index", index_}, {"delta", json::object()}, {"logprobs", nullptr}, {"finish_reason", finish()}})
                    : chunk({{"index", index_}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", finish()}});
  last["timings"] = timings_json(*result_);
  send(last);
  if (!alone_) return events;
  if (request_.include_usage) send(usage_chunk(*result_));
  events += "data: [DONE]\n\n";
  return events;
}

void GenerationStream::accumulate(const engine::RequestOutput& out) {
  if (chat_) parser_.feed(out.text);
  text_ += out.text;
  tokens_.insert(tokens_.end(), out.tokens.begin(), out.tokens.end());
  if (out.done) {
    if (chat_) parser_.finish();
    result_ = out.result;
  }
}

json GenerationStream::final_object() const {
  if (auto error = result_error(*result_)) return *error;
  json choice = {{"index", index_}, {"finish_reason", finish()}};
  json logprobs = nullptr;
  if (request_.logprobs) logprobs = chat_ ? chat_logprobs(tokens_, tokenizer_) : completion_logprobs(tokens_, tokenizer_, 0);
  choice["logprobs"] = logprobs;
  if (chat_) {
    const tokenizer::AssistantOutput& o = parser_.output();
    json message = {{"role", "assistant"}};
    message["content"] = o.content.empty() && !o.tool_calls.empty() ? json(nullptr) : json(o.content);
    if (!o.reasoning.empty()) message["reasoning_content"] = o.reasoning;
    if (!o.tool_calls.empty()) message["tool_calls"] = tool_calls_json(o.tool_calls, 0, false);
    choice["message"] = message;
  } else {
    choice["text"] = text_;
  }
  json body = {{"id", id_},
               {"object", chat_ ? "chat.completion" : "text_completion"},
               {"created", created_},
               {"model", model_id_},
               {"system_fingerprint", "trit"},
               {"choices", json::array({choice})},
               {"usage", usage_json(*result_)},
               {"timings", timings_json(*result_)}};
  return body;
}

}  // namespace trit::server
