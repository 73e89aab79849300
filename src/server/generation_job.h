// Runs one parsed generation request and answers it over HTTP, whatever the API: the request is
// queued with the scheduler (a full queue is 503 with Retry-After, a request the scheduler refuses
// is 400), and a chunked content provider on the same HTTP thread waits on its output:
//   stream: the writer's SSE events as tokens arrive; a failed write means the client left: cancel.
//   no stream: the writer's final object at the end. While waiting, a space is written every
//   second (JSON allows leading whitespace) so that a client that disconnected is noticed and its
//   generation cancelled instead of running to max_tokens for nobody.
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
