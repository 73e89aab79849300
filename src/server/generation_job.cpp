#include "server/generation_job.h"

#include <chrono>
#include <vector>

#include "server/api_error.h"
#include "server/generation_stream.h"
#include "util/error.h"

namespace trit::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Job {
  InFlight::Ticket ticket;  // the drain waits for it; released with the response
  GenerationRequest request;
  std::vector<std::shared_ptr<engine::RequestHandle>> handles;  // one per choice, in index order
  std::unique_ptr<ResponseWriter> writer;

  void cancel() {
    for (auto& h : handles) h->cancel();
  }
};

// What on_output did with a take: the client is gone, nothing reached the socket (a non-streamed
// answer accumulates; a stream can hold text back, e.g. a tool call until it closes), or bytes did.
enum class Delivery { client_gone, held, written };

// Takes the choices' output until every one is done. on_output(index, out) gets every non-empty
// take (and the last of each); probe runs after a second without bytes written to the client, so
// a client that left is noticed even while tokens flow but none of them reach it. Delivery
// client_gone or probe returning false cancels the job.
void pump(ServerContext& ctx, Job& job, const std::function<Delivery(size_t, const engine::RequestOutput&)>& on_output,
          const std::function<bool()>& probe) {
  const size_t n = job.handles.size();
  std::vector<bool> done(n, false);
  size_t remaining = n;
  auto last = Clock::now();
  // One choice: block on it. Several: visit each in turn with a short wait.
  const auto wait = n == 1 ? 200ms : std::chrono::milliseconds(std::max<long>(10, 200 / static_cast<long>(n)));
  while (remaining > 0) {
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      engine::RequestOutput out = job.handles[i]->take(wait);
      if (ctx.stopping.load()) job.cancel();
      if (out.text.empty() && out.tokens.empty() && !out.done) continue;
      const Delivery delivery = on_output(i, out);
      if (delivery == Delivery::client_gone) {
        job.cancel();
        return;
      }
      if (delivery == Delivery::written) last = Clock::now();
      if (out.done) {
        done[i] = true;
        --remaining;
      }
    }
    if (remaining > 0 && Clock::now() - last > 1s) {
      if (!probe()) {
        job.cancel();
        return;
      }
      last = Clock::now();
    }
  }
}

}  // namespace

void serve_generation(ServerContext& ctx, InFlight::Ticket ticket, GenerationRequest request,
                      const WriterFactory& make_writer, httplib::Response& res) {
  auto job = std::make_shared<Job>();
  job->ticket = std::move(ticket);
  job->request = std::move(request);
  job->writer = make_writer(job->request);
  std::vector<engine::ScheduledRequest> choices = choice_requests(job->request);
  if (choices.size() > job->writer->max_choices())
    throw ApiError(400, "this API answers one choice per request ('n' must be 1)", "n");
  for (engine::ScheduledRequest& r : choices) {
    std::shared_ptr<engine::RequestHandle> handle;
    try {
      handle = ctx.scheduler->submit(std::move(r));
    } catch (const Error& e) {
      job->cancel();
      throw ApiError(400, e.what());
    }
    if (!handle) {
      job->cancel();  // the choices already queued leave the queue at their turn
      res.set_header("Retry-After", "2");
      send_error(res, 503, "the server is busy: every slot is generating and the queue is full; retry later", "",
                 "server_busy");
      return;
    }
    job->handles.push_back(std::move(handle));
  }
  ServerContext* c = &ctx;

  if (!job->request.stream) {
    bool gone = false;
    pump(
        ctx, *job,
        [&](size_t i, const engine::RequestOutput& out) {
          job->writer->accumulate_choice(i, out);
          return Delivery::held;
        },
        [&] { return !(gone = !GatedHttpServer::client_connected()); });
    if (gone) return;  // nobody reads the answer
    int status = 200;
    for (auto& h : job->handles)
      if (int s = result_status(h->take(0ms).result); s != 200) status = s;
    send_json(res, job->writer->final_object(), status);
    return;
  }

  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [job, c](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& s) {
          if (s.empty()) return Delivery::held;
          return sink.write(s.data(), s.size()) ? Delivery::written : Delivery::client_gone;
        };
        pump(
            *c, *job,
            [&](size_t i, const engine::RequestOutput& out) { return write(job->writer->stream_choice_events(i, out)); },
            [&] { return write(job->writer->keep_alive()) != Delivery::client_gone; });
        sink.done();
        return true;
      },
      [job](bool success) {
        if (!success) job->cancel();
      });
}

}  // namespace trit::server
