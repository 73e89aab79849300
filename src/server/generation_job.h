// Runs one parsed generation request and answers it over HTTP, whatever the API: each of its
// choices (GenerationRequest::n x prompts; usually one) is queued with the scheduler as its own
// request (a full queue is 503 with Retry-After, a request the scheduler refuses is 400), and the
// HTTP thread that serves the request waits on their output:
//   stream: a chunked content provider writes the writer's SSE events as tokens arrive, and an
//   SSE comment after a second of silence; a failed write means the client left: cancel.
//   no stream: the handler itself waits, writing nothing, so that the HTTP status is the
//   answer's: 200 with the writer's final object, or the error's status (503 for a generation
//   cut by a shutdown, never a "stop"). A client that disconnects meanwhile is noticed by polling
//   its socket every second (GatedHttpServer::client_connected) and its generation cancelled
//   instead of running to max_tokens for nobody.
// Choices share the prompt through the scheduler: each runs in its own slot, the first feeds the
// prompt and the others copy its KV rows once it has (engine/scheduler.h; a model with recurrent
// state, which cannot copy, computes it in each slot).
#pragma once
#include <functional>
#include <httplib.h>
#include <memory>

#include "server/context.h"
#include "server/response_writer.h"

namespace trit::server {

// Makes the writer for a request; the request outlives the writer (both live in the job).
using WriterFactory = std::function<std::unique_ptr<ResponseWriter>(const GenerationRequest&)>;

// `ticket` was taken before the admission check (in_flight.h) and is held until the answer is
// written.
void serve_generation(ServerContext& ctx, InFlight::Ticket ticket, GenerationRequest request,
                      const WriterFactory& make_writer, httplib::Response& res);

}  // namespace trit::server
