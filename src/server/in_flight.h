// Generation requests admitted and not yet answered. A shutdown drain waits until none is left;
// each request holds a Ticket from before its admission check until its response is written
// (the ticket lives in the response's content provider), so a drain that sees none in flight
// cannot miss one that was about to start.
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace trit::server {

class InFlight {
 public:
  class Ticket {
   public:
    Ticket() = default;
    explicit Ticket(InFlight* owner) : owner_(owner) {}
    Ticket(Ticket&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Ticket& operator=(Ticket&& other) noexcept {
      if (this != &other) {
        release();
        owner_ = other.owner_;
        other.owner_ = nullptr;
      }
      return *this;
    }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }

   private:
    void release() {
      if (owner_) owner_->leave();
      owner_ = nullptr;
    }
    InFlight* owner_ = nullptr;
  };

  Ticket enter() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    return Ticket(this);
  }
  int count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }
  // True when none is in flight, waiting at most until `until`.
  bool wait_for_none(std::chrono::steady_clock::time_point until) {
    std::unique_lock<std::mutex> lock(mutex_);
    return none_left_.wait_until(lock, until, [&] { return count_ == 0; });
  }

 private:
  void leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--count_ == 0) none_left_.notify_all();
  }

  mutable std::mutex mutex_;
  std::condition_variable none_left_;
  int count_ = 0;
};

}  // namespace trit::server
