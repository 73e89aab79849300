// The chat page's files, compiled into the binary.
#pragma once

namespace trit::server {

extern const char* const kPageHtml;    // page_html.cpp
extern const char* const kPageScript;  // page_script.cpp
extern const char* const kPageStyle;   // page_style.cpp

}  // namespace trit::server
