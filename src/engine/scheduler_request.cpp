#include "engine/scheduler_request.h"

namespace trit::engine {

RequestOutput RequestHandle::take(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return pending_.done || !pending_.text.empty() || !pending_.tokens.empty(); });
  RequestOutput out = std::move(pending_);
  // The done flag and the result stay: a later take() after the end sees them again.
  pending_ = RequestOutput{};
  pending_.done = out.done;
  pending_.result = out.result;
  return out;
}

void RequestHandle::emit(const std::string& text, const SampledToken* token) {
  if (text.empty() && !token) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.text += text;
    if (token) pending_.tokens.push_back(*token);
  }
  ready_.notify_all();
}

void RequestHandle::finish(const RequestResult& result) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.done = true;
    pending_.result = result;
  }
  ready_.notify_all();
}

}  // namespace trit::engine
