#include "server/choices_stream.h"

#include <algorithm>

#include "server/context.h"
#include "server/openai_response.h"

namespace trit::server {

ChoicesStream::ChoicesStream(bool chat, const GenerationRequest& request, const tokenizer::Tokenizer& tokenizer,
                             const std::string& model_id, size_t choices)
    : request_(request), results_(choices), done_(choices, false) {
  for (size_t i = 0; i < choices; ++i) {
    streams_.push_back(std::make_unique<GenerationStream>(chat, request, tokenizer, model_id));
    streams_.back()->make_choice(i, *streams_.front());
  }
}

std::string ChoicesStream::stream_choice_events(size_t index, const engine::RequestOutput& out) {
  if (failed_ || index >= streams_.size() || done_[index]) return "";
  if (out.done) {
    done_[index] = true;
    results_[index] = out.result;
    ++ended_;
    if (auto error = result_error(out.result)) {
      failed_ = true;
      return "data: " + dump_json(*error) + "\n\ndata: [DONE]\n\n";
    }
  }
  std::string events = streams_[index]->stream_events(out);
  if (ended_ < streams_.size()) return events;
  if (request_.include_usage) events += "data: " + dump_json(streams_.front()->usage_chunk(usage_sum())) + "\n\n";
  return events + "data: [DONE]\n\n";
}

void ChoicesStream::accumulate_choice(size_t index, const engine::RequestOutput& out) {
  if (index >= streams_.size() || done_[index]) return;
  streams_[index]->accumulate(out);
  if (out.done) {
    done_[index] = true;
    results_[index] = out.result;
    ++ended_;
  }
}

engine::RequestResult ChoicesStream::usage_sum() const {
  engine::RequestResult sum;
  const size_t n = static_cast<size_t>(std::max(request_.n, 1));
  for (size_t i = 0; i < results_.size(); ++i) {
    if (i % n == 0) {
      sum.prompt_tokens += results_[i].prompt_tokens;
      sum.cached_tokens += results_[i].cached_tokens;
    }
    sum.generated_tokens += results_[i].generated_tokens;
  }
  return sum;
}

json ChoicesStream::final_object() const {
  for (const engine::RequestResult& r : results_)
    if (auto error = result_error(r)) return *error;
  json body = streams_.front()->final_object();
  body["choices"] = json::array();
  for (const auto& s : streams_) body["choices"].push_back(s->final_object()["choices"][0]);
  body["usage"] = usage_json(usage_sum());
  return body;
}

}  // namespace trit::server
