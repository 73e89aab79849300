#include "server/response_store.h"

#include <utility>

namespace trit::server {

namespace {

// Model text may hold invalid UTF-8 until it is written out (replaced then, as here).
size_t text_size(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
}

size_t size_of(const StoredResponse& e) {
  return text_size(e.response) + text_size(e.input_items) + text_size(e.conversation);
}

}  // namespace

void ResponseStore::drop(std::unordered_map<std::string, Slot>::iterator it) {
  bytes_ -= it->second.bytes;
  order_.erase(it->second.position);
  entries_.erase(it);
}

void ResponseStore::put(const std::string& id, StoredResponse entry) {
  const size_t bytes = size_of(entry);
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = entries_.find(id); it != entries_.end()) drop(it);
  if (capacity_ == 0 || bytes > max_bytes_) return;  // larger than the whole store: not kept
  order_.push_front(id);
  entries_.emplace(id, Slot{std::move(entry), order_.begin(), bytes});
  bytes_ += bytes;
  while (entries_.size() > capacity_ || bytes_ > max_bytes_) drop(entries_.find(order_.back()));
}

std::optional<StoredResponse> ResponseStore::get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second.position);
  return it->second.entry;
}

bool ResponseStore::erase(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  drop(it);
  return true;
}

size_t ResponseStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

size_t ResponseStore::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

}  // namespace trit::server
