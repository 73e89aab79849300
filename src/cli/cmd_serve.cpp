// trit serve: the OpenAI-compatible HTTP server with continuous batching and the chat page.
//
// Memory: the --parallel slots take their KV cache pages from one pool of -c positions (as
// llama-server's unified KV cache), so the KV memory is -c x (bytes per position) however many
// slots there are, taken as sequences grow; one request's prompt plus answer may use up to
// --ctx-per-slot positions of it (default: all of -c). Printed at start-up.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <pthread.h>
#include <thread>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "cli/model_ref.h"
#include "engine/scheduler.h"
#include "server/server.h"
#include "util/error.h"
#include "util/log.h"

namespace trit::cli {
namespace {

// Test seam for the readiness check: with TRIT_SERVE_HOLD_LOADING=PATH set, loading does not end
// (/health stays 503) until PATH exists, so a test can observe the loading state for as long as
// it needs instead of racing a model load.
void hold_loading_while_asked(const server::Server& http) {
  const char* path = std::getenv("TRIT_SERVE_HOLD_LOADING");
  if (path == nullptr || *path == '\0') return;
  log_info(cat("holding the end of loading until ", path, " exists (TRIT_SERVE_HOLD_LOADING)"));
  while (!std::filesystem::exists(path) && !http.stopping())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

struct ServeCommand {
  ModelRefOptions model;
  EngineFlags engine_flags;
  ChatTemplateFlag chat_template;
  SamplingFlags sampling;
  SpeculationFlags speculation;
  server::ServerOptions server_options;
  engine::SchedulerOptions scheduler_options;
  int64_t cache_ram_mib = 1024;
  std::string alias;
  int64_t max_body = 8 << 20;
  int drain_seconds = 30;
  std::atomic<bool> main_done{false};  // set before the main thread ends the signal thread (a SIGTERM too)

  void setup(CLI::App& app) {
    model.add_to(app);
    engine_flags.add_to(app);
    chat_template.add_to(app);
    sampling.add_to(app);
    speculation.add_to(app);
    app.add_option("--host", server_options.host, "Address to listen on (loopback unless you mean otherwise)")
        ->capture_default_str();
    app.add_option("--port", server_options.port, "TCP port (0: any free port, printed at start)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    app.add_option("--parallel,--np", scheduler_options.slots,
                   "Slots: requests generated together, their KV caches taken from one pool of -c positions")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    app.add_option("--ctx-per-slot", scheduler_options.context_per_slot,
                   "Most positions one request (prompt and answer) may take of the -c pool (0: all of it)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--queue", scheduler_options.queue_limit, "Requests that may wait for a slot (more get 503)")
        ->capture_default_str()
        ->check(CLI::Range(0, 100000));
    app.add_option("--cache-ram", cache_ram_mib,
                   "MiB of RAM for the KV caches of conversations a slot moved on from, so a prompt that "
                   "starts like one of them skips that part (0: off; dense models)")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(0), int64_t(1) << 30));
    app.add_option("--prefill-chunk", scheduler_options.prefill_chunk,
                   "Most prompt tokens per step while other requests are decoding")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--api-key", server_options.api_key, "Require 'Authorization: Bearer KEY' on the API");
    app.add_option("--max-body", max_body, "Largest request body in bytes (larger: 413)")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(1024), int64_t(1) << 32));
    app.add_option("--head-timeout", server_options.head_timeout_seconds,
                   "Seconds a client has to send a request's line and headers (slower: 408, dropped); also the "
                   "least time a request body gets, plus 1 s per 16 KiB")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    app.add_option("--drain-seconds", drain_seconds,
                   "On SIGTERM/SIGINT: seconds to let generations in flight finish (new requests get 503) "
                   "before cancelling the rest and exiting; a second signal cuts it short")
        ->capture_default_str()
        ->check(CLI::Range(0, 86400));
    app.add_option("--alias", alias, "Model name that /v1/models reports (default: the file name)");
  }

  // The first SIGTERM/SIGINT: stop admitting (/health and new requests answer 503) and let the
  // generations in flight finish, for at most --drain-seconds or until a second signal; the
  // caller then stops the server, which cancels whatever is left.
  void drain(server::Server& http, const sigset_t& signals) {
    using Clock = std::chrono::steady_clock;
    http.begin_drain();
    log_info(cat("shutting down: waiting up to ", drain_seconds, " s for ", http.in_flight(),
                 " generation(s) in flight (a second signal stops at once)"));
    const auto deadline = Clock::now() + std::chrono::seconds(drain_seconds);
    // Waits in short steps so that a second signal is seen while waiting.
    while (!http.wait_drained(std::min(deadline, Clock::now() + std::chrono::milliseconds(200)))) {
      const timespec none{0, 0};
      if (sigtimedwait(&signals, nullptr, &none) > 0 || main_done.load()) {
        log_info(cat("second signal: cancelling ", http.in_flight(), " generation(s)"));
        return;
      }
      if (Clock::now() >= deadline) {
        log_info(cat("drain deadline passed: cancelling ", http.in_flight(), " generation(s)"));
        return;
      }
    }
    log_info("every generation in flight has finished");
  }

  int run() {
    // SIGINT/SIGTERM are taken by a dedicated thread (blocked everywhere else) for a clean stop.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    chat_template.check();
    speculation.check();
    server_options.chat_template_file = chat_template.file;
    const std::string path = model.resolve();
    server_options.model_id = alias.empty() ? std::filesystem::path(path).stem().string() : alias;
    server_options.model_path = path;
    server_options.max_body_bytes = static_cast<size_t>(max_body);
    server_options.sampling_defaults = sampling.resolve();
    server_options.random_seed = sampling.seed < 0;

    server::Server http(server_options);
    const int port = http.bind(scheduler_options.queue_limit, scheduler_options.slots);
    http.start();
    std::thread signal_thread([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      if (!main_done.load()) drain(http, signals);
      http.stop();
    });
    // Printed on stdout too, so a script that started us on port 0 can read the port.
    std::printf("listening on http://%s:%d\n", server_options.host.c_str(), port);
    std::fflush(stdout);
    log_info(cat("loading ", path, " (/health answers 503 until it is ready)"));

    int code = 0;
    try {
      engine::Engine engine(path, engine_flags.resolve());
      scheduler_options.speculation = speculation.resolve(engine);
      scheduler_options.prompt_cache_bytes = static_cast<size_t>(cache_ram_mib) << 20;
      engine::Scheduler scheduler(engine, scheduler_options);
      const double mib = 1024.0 * 1024.0;
      const double pool_mib = engine.kv_pool_bytes() / mib, state_mib = engine.recurrent_state_bytes() / mib;
      log_info(engine.describe());
      log_info(cat(scheduler_options.slots, " slots share a KV pool of ", engine.context(), " positions (",
                   pool_mib, " MiB at most, in pages of ", kernels::kKvPagePositions,
                   " positions taken as sequences grow)", state_mib > 0 ? cat(" + ", state_mib, " MiB of recurrent state per slot") : std::string(),
                   "; each request up to ", scheduler.context(), " positions; queue of ", scheduler_options.queue_limit,
                   "; prompt cache ", scheduler.keeps_prompts() ? cat("up to ", scheduler.options().prompt_cache_bytes >> 20, " MiB") : std::string("off")));
      hold_loading_while_asked(http);
      http.set_ready(engine, scheduler);
      log_info(cat("ready: http://", server_options.host, ":", port, "/"));
      http.wait();
      // The HTTP threads are gone; the scheduler and the engine end here, in that order.
    } catch (...) {
      main_done.store(true);
      pthread_kill(signal_thread.native_handle(), SIGTERM);
      signal_thread.join();
      throw;
    }
    main_done.store(true);
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
    return code;
  }
};

CommandRegistration registration("serve", "OpenAI-compatible HTTP server with a chat page", [](CLI::App& app) {
  auto command = std::make_shared<ServeCommand>();
  command->setup(app);
  return [command] { return command->run(); };
});

}  // namespace
}  // namespace trit::cli
