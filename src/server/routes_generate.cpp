// POST /v1/chat/completions and POST /v1/completions.
//
// The handler parses and validates the body, tokenizes the prompt and queues it with the
// scheduler (a full queue is 503 with Retry-After). The answer is written by a chunked content
// provider on the same HTTP thread, which waits on the request's output:
//   stream: SSE events as tokens arrive; a failed write means the client left: cancel.
//   no stream: the JSON object at the end. While waiting, a space is written every second
//   (JSON allows leading whitespace) so that a client that disconnected is noticed and its
//   generation cancelled instead of running to max_tokens for nobody.
#include <chrono>
#include <functional>
#include <memory>

#include "server/api_error.h"
#include "server/context.h"
#include "server/generation_stream.h"
#include "server/json_fields.h"
#include "server/request_body.h"
#include "util/error.h"

namespace trit::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Job {
  InFlight::Ticket ticket;  // the drain waits for it; released with the response
  GenerationRequest request;
  std::shared_ptr<engine::RequestHandle> handle;
  std::unique_ptr<GenerationStream> stream;
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

void handle_generation(ServerContext& ctx, const std::string& text, httplib::Response& res, bool chat) {
  InFlight::Ticket ticket = ctx.in_flight.enter();  // before the check: see in_flight.h
  if (!require_ready(ctx, res)) return;
  const json body = parse_json_object(text);
  auto job = std::make_shared<Job>();
  job->ticket = std::move(ticket);
  job->request = chat ? parse_chat_request(body, ctx.request_context) : parse_completion_request(body, ctx.request_context);
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
  job->stream = std::make_unique<GenerationStream>(chat, job->request, ctx.engine->tokenizer(), ctx.options.model_id);
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
              [&](const engine::RequestOutput& out) { return write(job->stream->stream_events(out)); },
              [&] { return write(": keep-alive\n\n"); });  // an SSE comment: clients ignore it
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
                job->stream->accumulate(out);
                return true;
              },
              [&] { return !(gone = !sink.write(" ", 1)); });
          if (!gone && job->handle->take(0ms).done) {
            const std::string text = dump_json(job->stream->final_object());
            sink.write(text.data(), text.size());
          }
          sink.done();
          return true;
        },
        release);
  }
}

}  // namespace

void add_generation_routes(ServerContext& ctx) {
  ServerContext* c = &ctx;
  post_with_body(ctx, "/v1/chat/completions", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_generation(*c, body, res, true);
  });
  post_with_body(ctx, "/v1/completions", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_generation(*c, body, res, false);
  });
  // Some clients leave out the /v1 prefix.
  post_with_body(ctx, "/chat/completions", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_generation(*c, body, res, true);
  });
  post_with_body(ctx, "/completions", [c](const httplib::Request&, httplib::Response& res, const std::string& body) {
    handle_generation(*c, body, res, false);
  });
}

}  // namespace trit::server
