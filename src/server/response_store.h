// The Responses API's memory: each stored response (store: true, the default) with the input it
// answered and the whole conversation up to and including its output, so that a request with
// previous_response_id continues it and GET/DELETE /v1/responses/{id} find it. Bounded and in
// memory only: the least recently used responses are dropped beyond `capacity` responses or
// `max_bytes` of their JSON text (a chain of turns stores each turn's whole conversation), and a restart
// forgets everything (a client then gets a 404 naming previous_response_id and resends the
// conversation). Safe to use from every HTTP thread.
#pragma once
#include <cstddef>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

namespace trit::server {

struct StoredResponse {
  nlohmann::json response;      // the response object as it was returned
  nlohmann::json input_items;   // this request's input items (GET .../input_items)
  nlohmann::json conversation;  // every item so far: earlier turns, this input, this output
};

class ResponseStore {
 public:
  explicit ResponseStore(size_t capacity = 256, size_t max_bytes = size_t{256} << 20)
      : capacity_(capacity), max_bytes_(max_bytes) {}

  void put(const std::string& id, StoredResponse entry);
  // A copy (the entry may be dropped by another thread right after); counts as a use.
  std::optional<StoredResponse> get(const std::string& id);
  bool erase(const std::string& id);
  size_t size() const;
  size_t bytes() const;  // the JSON text size of what is stored

 private:
  using Order = std::list<std::string>;  // most recently used first
  struct Slot {
    StoredResponse entry;
    Order::iterator position;
    size_t bytes;
  };
  void drop(std::unordered_map<std::string, Slot>::iterator it);
  size_t capacity_, max_bytes_;
  size_t bytes_ = 0;
  mutable std::mutex mutex_;
  Order order_;
  std::unordered_map<std::string, Slot> entries_;
};

}  // namespace trit::server
