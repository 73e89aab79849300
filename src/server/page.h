// The chat page's files, compiled into the binary: each is a real file under server/chat_page/,
// turned into one of these NUL-terminated strings at build time (cmake/EmbedFile.cmake).
#pragma once

namespace trit::server {

extern const char* const kPageHtml;    // chat_page/index.html, served at "/"
extern const char* const kPageScript;  // chat_page/app.js, served at "/app.js"
extern const char* const kPageStyle;   // chat_page/style.css, served at "/style.css"

}  // namespace trit::server
