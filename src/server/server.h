// `trit serve`: an OpenAI-compatible HTTP server (cpp-httplib) in front of the continuous-batching
// scheduler, plus the chat page at "/".
//
// Life cycle: bind() and start() listen at once, so /health answers 503 while the model loads;
// set_ready() then opens the API. A shutdown drains first (begin_drain, wait_drained); stop()
// cancels the generations still open (their clients get an error saying so) and joins the HTTP
// threads. Every route is also answered for CORS preflight (OPTIONS), and with
// an API key every route except /health and the page needs "Authorization: Bearer KEY" (or
// Anthropic's "x-api-key: KEY").
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "engine/sampling.h"
#include "engine/scheduler.h"

namespace trit::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                           // 0: any free port (see bind())
  std::string api_key;                       // empty: no authentication
  size_t max_body_bytes = 8u << 20;          // larger request bodies get 413
  int http_threads = 0;                      // 0: enough for every slot, the queue and a few more
  int head_timeout_seconds = 10;             // a request head must arrive within this (else 408)
  std::string model_id = "trit";             // the name /v1/models lists
  std::string model_path;                    // the GGUF file (llama.cpp's GET /props)
  engine::SamplingParams sampling_defaults;  // for fields a request leaves out
  bool random_seed = true;                   // requests without "seed" draw a fresh one
  std::string chat_template_file;            // replaces the model's chat template when set
};

struct ServerContext;

class Server {
 public:
  explicit Server(const ServerOptions& options);
  ~Server();

  // Binds the socket (a trit::Error when it cannot) and returns the port.
  int bind(int queue_limit_hint = 64, int slots_hint = 4);
  // Serves on a background thread.
  void start();
  // The model is loaded: API routes work from now on.
  void set_ready(engine::Engine& engine, engine::Scheduler& scheduler);
  // Stops accepting, cancels running generations and waits for the HTTP threads.
  void stop();
  // Blocks until stop() (from another thread) or a listen failure.
  void wait();
  // stop() has been called.
  bool stopping() const;

  // Shutdown in two steps (SIGTERM): begin_drain() makes /health and every new request answer
  // 503 "shutting down" while the generations already admitted go on; wait_drained() returns
  // true once none is left (false when `until` comes first); stop() then cancels the rest (their
  // clients get an error saying the server shut down, never a normal finish).
  void begin_drain();
  int in_flight() const;
  bool wait_drained(std::chrono::steady_clock::time_point until);

 private:
  std::unique_ptr<ServerContext> ctx_;
};

}  // namespace trit::server
