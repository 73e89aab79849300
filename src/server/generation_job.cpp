#include "server/generation_job.h"

#include <chrono>

#include "server/api_error.h"
#include "util/error.h"

namespace trit::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Job {
  InFlight::Ticket ticket;  // the drain waits for it; released with the response
  GenerationRequest request;
  std::shared_ptr<engine::RequestHandle> handle;
  std::unique_ptr<ResponseWriter> writer;
};

// Takes output until the request is done. on_output gets every non-empty take (and the last);
// probe runs after a second without a write to the client (on_output writes when
// `output_writes`). Either returning false means the client is gone.
void pump(ServerContext& ctx, engine::RequestHandle& handle, bool output_writes,
          const std::function<bool(const engine::RequestOutput&)>& on_output, const std::function<bool()>& probe) {
  auto last = Clock::now();
  for (;;) {
    engine::RequestOutput out = handle.take(200ms);
    if (ctx.stopping.load()) handle.cancel();
    if (!out.text.empty() || !out.tokens.empty() || out.done) {
      if (!on_output(out)) {
        handle.cancel();
        return;
      }
      if (output_writes) last = Clock::now();
    }
    if (!out.done && Clock::now() - last > 1s) {
      if (!probe()) {
        handle.cancel();
        return;
      }
      last = Clock::now();
    }
    if (out.done) return;
  }
}

}  // namespace

void serve_generation(ServerContext& ctx, InFlight::Ticket ticket, GenerationRequest request,
                      const WriterFactory& make_writer, httplib::Response& res) {
  auto job = std::make_shared<Job>();
  job->ticket = std::move(ticket);
  job->request = std::move(request);
  try {
    job->handle = ctx.scheduler->submit(job->request.scheduled);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  if (!job->handle) {
    res.set_header("Retry-After", "2");
    send_error(res, 503, "the server is busy: every slot is generating and the queue is full; retry later");
    return;
  }
  job->writer = make_writer(job->request);
  ServerContext* c = &ctx;
  auto release = [job](bool success) {
    if (!success) job->handle->cancel();
  };
  if (job->request.stream) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [job, c](size_t, httplib::DataSink& sink) {
          auto write = [&](const std::string& s) { return s.empty() || sink.write(s.data(), s.size()); };
          pump(
              *c, *job->handle, true,
              [&](const engine::RequestOutput& out) { return write(job->writer->stream_events(out)); },
              [&] { return write(job->writer->keep_alive()); });
          sink.done();
          return true;
        },
        release);
  } else {
    res.set_chunked_content_provider(
        "application/json; charset=utf-8",
        [job, c](size_t, httplib::DataSink& sink) {
          bool gone = false;
          pump(
              *c, *job->handle, false,
              [&](const engine::RequestOutput& out) {
                job->writer->accumulate(out);
                return true;
              },
              [&] { return !(gone = !sink.write(" ", 1)); });
          if (!gone && job->handle->take(0ms).done) {
            const std::string text = dump_json(job->writer->final_object());
            sink.write(text.data(), text.size());
          }
          sink.done();
          return true;
        },
        release);
  }
}

}  // namespace trit::server
