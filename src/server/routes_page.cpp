// GET / (the chat page), /app.js and /style.css, from the files of chat_page/ compiled into the
// binary (page.h).
#include "server/context.h"
#include "server/page.h"

namespace trit::server {

void add_page_routes(ServerContext& ctx) {
  auto serve = [](const char* body, const char* type) {
    return [body, type](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(body, type);
    };
  };
  ctx.http.Get("/", serve(kPageHtml, "text/html; charset=utf-8"));
  ctx.http.Get("/index.html", serve(kPageHtml, "text/html; charset=utf-8"));
  ctx.http.Get("/app.js", serve(kPageScript, "text/javascript; charset=utf-8"));
  ctx.http.Get("/style.css", serve(kPageStyle, "text/css; charset=utf-8"));
  ctx.http.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
}

}  // namespace trit::server
