// The chat page's HTML shell (served at "/"); its script and style are page_script.cpp and
// page_style.cpp. Everything is in the binary: no CDN, works offline.
#include "server/page.h"

namespace trit::server {

const char* const kPageHtml = R"PAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trit chat</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header>
  <span class="brand">trit</span>
  <span id="model" class="model">loading…</span>
  <span class="spacer"></span>
  <button id="new-chat" type="button" title="Start a new conversation">New chat</button>
  <button id="settings-toggle" type="button" title="Settings" aria-expanded="false">Settings</button>
</header>
<section id="settings" hidden>
  <label>System prompt<textarea id="system" rows="2" placeholder="You are a helpful assistant."></textarea></label>
  <div class="row">
    <label>Temperature<input id="temperature" type="number" min="0" max="2" step="0.1" value="0.7"></label>
    <label>Max tokens<input id="max-tokens" type="number" min="1" step="1" value="512"></label>
    <label class="check"><input id="thinking" type="checkbox" checked> Thinking</label>
  </div>
  <label>API key (only if the server was started with --api-key)<input id="api-key" type="password" autocomplete="off"></label>
</section>
<main id="messages" aria-live="polite">
  <p class="empty" id="empty-note">Ask anything. Answers stream in as they are written.</p>
</main>
<form id="composer">
  <textarea id="input" rows="1" placeholder="Message" autofocus></textarea>
  <button id="send" type="submit">Send</button>
  <button id="stop" type="button" hidden>Stop</button>
</form>
<script src="/app.js"></script>
</body>
</html>
)PAGE";

}  // namespace trit::server
