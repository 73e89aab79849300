// The chat page's style sheet: one column, readable from phone width up; light and dark.
#include "server/page.h"

namespace trit::server {

const char* const kPageStyle = R"CSS(
:root { --bg: #f7f7f5; --fg: #1d1d1b; --muted: #6b6b66; --card: #ffffff; --line: #deded8;
        --accent: #2f6f4f; --user: #e6efe9; --think: #f1f0ea; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #151614; --fg: #e8e8e3; --muted: #9a9a92; --card: #1f201d; --line: #34352f;
          --accent: #7fc59e; --user: #233129; --think: #22231f; }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; background: var(--bg); color: var(--fg);
       font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: center; gap: .5rem; padding: .5rem .75rem;
         border-bottom: 1px solid var(--line); background: var(--card); }
.brand { font-weight: 700; letter-spacing: .02em; }
.model { color: var(--muted); font-size: .85rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.spacer { flex: 1; }
button { font: inherit; padding: .4rem .8rem; border-radius: .5rem; border: 1px solid var(--line);
         background: var(--card); color: var(--fg); cursor: pointer; }
button:hover { border-color: var(--accent); }
#send { background: var(--accent); color: var(--card); border-color: var(--accent); }
#stop { background: #b3412f; color: #fff; border-color: #b3412f; }
#settings { display: grid; gap: .5rem; padding: .75rem; border-bottom: 1px solid var(--line); background: var(--card); }
#settings[hidden] { display: none; }
#settings label { display: grid; gap: .2rem; font-size: .85rem; color: var(--muted); }
#settings .row { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; }
#settings .check { display: flex; align-items: center; gap: .35rem; }
input, textarea { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line);
                  border-radius: .5rem; padding: .4rem .5rem; }
input[type=number] { width: 7rem; }
main { flex: 1; overflow-y: auto; padding: 1rem .75rem; display: flex; flex-direction: column; gap: .75rem;
       max-width: 52rem; width: 100%; margin: 0 auto; }
.empty { color: var(--muted); text-align: center; margin-top: 20vh; }
.msg { padding: .6rem .8rem; border-radius: .75rem; max-width: 100%; overflow-wrap: anywhere; }
.msg.user { align-self: flex-end; background: var(--user); max-width: 85%; }
.msg.assistant { align-self: stretch; background: var(--card); border: 1px solid var(--line); }
.msg .content { white-space: pre-wrap; }
.msg details { background: var(--think); border-radius: .5rem; padding: .3rem .6rem; margin-bottom: .4rem;
               color: var(--muted); font-size: .9rem; }
.msg details summary { cursor: pointer; }
.msg details .reasoning { white-space: pre-wrap; margin-top: .3rem; }
.msg .tool-call { font-family: ui-monospace, monospace; font-size: .85rem; background: var(--think);
                  border-radius: .4rem; padding: .3rem .5rem; margin-top: .3rem; white-space: pre-wrap; }
.msg .stats { color: var(--muted); font-size: .78rem; margin-top: .35rem; }
.msg.error { border-color: #b3412f; color: #b3412f; }
.cursor::after { content: "▍"; animation: blink 1s steps(1) infinite; color: var(--accent); }
@keyframes blink { 50% { opacity: 0; } }
#composer { display: flex; gap: .5rem; padding: .6rem .75rem; border-top: 1px solid var(--line);
            background: var(--card); max-width: 52rem; width: 100%; margin: 0 auto; }
#composer textarea { flex: 1; resize: none; max-height: 40vh; }
@media (max-width: 480px) {
  body { font-size: 15px; }
  .msg.user { max-width: 92%; }
  header button { padding: .35rem .55rem; white-space: nowrap; }
}
)CSS";

}  // namespace trit::server
