// The chat page's script (served as /app.js): keeps the conversation in memory, streams each
// answer from /v1/chat/completions (SSE over fetch, so the Stop button can abort it, which
// cancels the generation on the server), shows reasoning in a collapsed <details>, and the
// speed after each answer. Settings are kept in localStorage.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const messagesEl = $("messages"), input = $("input"), sendBtn = $("send"), stopBtn = $("stop");
  const fields = ["system", "temperature", "max-tokens", "thinking", "api-key"];
  let history = [];        // [{role, content}] sent with each request
  let controller = null;   // AbortController of the running request

  // ---- settings ----
  const saved = JSON.parse(localStorage.getItem("trit-settings") || "{}");
  for (const f of fields) {
    if (!(f in saved)) continue;
    if ($(f).type === "checkbox") $(f).checked = saved[f]; else $(f).value = saved[f];
  }
  const saveSettings = () => {
    const s = {};
    for (const f of fields) s[f] = $(f).type === "checkbox" ? $(f).checked : $(f).value;
    localStorage.setItem("trit-settings", JSON.stringify(s));
  };
  for (const f of fields) $(f).addEventListener("change", saveSettings);
  $("settings-toggle").addEventListener("click", () => {
    const panel = $("settings");
    panel.hidden = !panel.hidden;
    $("settings-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  });
  const headers = () => {
    const h = { "Content-Type": "application/json" };
    const key = $("api-key").value.trim();
    if (key) h["Authorization"] = "Bearer " + key;
    return h;
  };

  fetch("/v1/models", { headers: headers() }).then((r) => r.json()).then((j) => {
    const m = j.data && j.data[0];
    $("model").textContent = m ? m.id + (m.meta ? " · ctx " + m.meta.n_ctx + " · " + m.meta.n_slots + " slots" : "") : "";
  }).catch(() => { $("model").textContent = ""; });

  // ---- rendering ----
  const scrollDown = () => { messagesEl.scrollTop = messagesEl.scrollHeight; };
  function addMessage(role, text) {
    $("empty-note")?.remove();
    const div = document.createElement("div");
    div.className = "msg " + role;
    const content = document.createElement("div");
    content.className = "content";
    content.textContent = text || "";
    div.appendChild(content);
    messagesEl.appendChild(div);
    scrollDown();
    return div;
  }
  function reasoningBox(div) {
    let d = div.querySelector("details");
    if (!d) {
      d = document.createElement("details");
      d.innerHTML = "<summary>Reasoning</summary><div class=\"reasoning\"></div>";
      div.insertBefore(d, div.firstChild);
    }
    return d.querySelector(".reasoning");
  }

  function setBusy(busy) {
    sendBtn.hidden = busy;
    stopBtn.hidden = !busy;
    input.disabled = busy;
  }

  // ---- one exchange ----
  async function send(text) {
    history.push({ role: "user", content: text });
    addMessage("user", text);
    const div = addMessage("assistant", "");
    const contentEl = div.querySelector(".content");
    contentEl.classList.add("cursor");
    const messages = [];
    const system = $("system").value.trim();
    if (system) messages.push({ role: "system", content: system });
    messages.push(...history);
    const body = {
      messages, stream: true, stream_options: { include_usage: true },
      temperature: Number($("temperature").value || 0.7),
      max_tokens: Math.max(1, parseInt($("max-tokens").value || "512", 10)),
      chat_template_kwargs: { enable_thinking: $("thinking").checked },
    };
    controller = new AbortController();
    setBusy(true);
    let answer = "", reasoning = "", usage = null, timings = null, finish = null, tokens = 0;
    const started = performance.now();
    let firstTokenAt = 0;
    // The text is drawn at most once a frame: a fast model streams thousands of tokens a second,
    // and redrawing the growing answer (and its layout, to scroll) for each one would keep the
    // page too busy to take a click on Stop.
    let frame = 0;
    const draw = () => {
      frame = 0;
      if (reasoning) reasoningBox(div).textContent = reasoning;
      contentEl.textContent = answer;
      scrollDown();
    };
    const redraw = () => { if (!frame) frame = requestAnimationFrame(draw); };
    const drawNow = () => { if (frame) { cancelAnimationFrame(frame); draw(); } };
    try {
      const res = await fetch("/v1/chat/completions", {
        method: "POST", headers: headers(), body: JSON.stringify(body), signal: controller.signal,
      });
      if (!res.ok) {
        let msg = res.status + " " + res.statusText;
        try { msg = (await res.json()).error.message; } catch (e) { /* keep the status */ }
        throw new Error(msg);
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          for (const line of event.split("\n")) {
            if (!line.startsWith("data: ")) continue;
            const data = line.slice(6);
            if (data === "[DONE]") continue;
            const chunk = JSON.parse(data);
            if (chunk.error) throw new Error(chunk.error.message);
            if (chunk.usage) usage = chunk.usage;
            if (chunk.timings) timings = chunk.timings;
            const choice = chunk.choices && chunk.choices[0];
            if (!choice) continue;
            if (choice.finish_reason) finish = choice.finish_reason;
            const delta = choice.delta || {};
            if (delta.reasoning_content) {
              if (!firstTokenAt) firstTokenAt = performance.now();
              reasoning += delta.reasoning_content;
              redraw();
              tokens++;
            }
            if (delta.content) {
              if (!firstTokenAt) firstTokenAt = performance.now();
              answer += delta.content;
              redraw();
              tokens++;
            }
            for (const call of delta.tool_calls || []) {
              const t = document.createElement("div");
              t.className = "tool-call";
              t.textContent = "tool call: " + call.function.name + "(" + call.function.arguments + ")";
              div.appendChild(t);
              redraw();
            }
          }
        }
      }
    } catch (err) {
      drawNow();
      if (err.name === "AbortError") {
        finish = "stopped";
      } else {
        div.classList.add("error");
        contentEl.textContent = (answer ? answer + "\n\n" : "") + "Error: " + err.message;
      }
    } finally {
      drawNow();
      contentEl.classList.remove("cursor");
      controller = null;
      setBusy(false);
      input.focus();
    }
    history.push({ role: "assistant", content: answer });
    const stats = document.createElement("div");
    stats.className = "stats";
    let speed = timings && timings.predicted_per_second;
    let n = usage ? usage.completion_tokens : tokens;
    if (!speed && firstTokenAt && tokens > 1) speed = (tokens - 1) / ((performance.now() - firstTokenAt) / 1000);
    const parts = [];
    if (speed) parts.push(speed.toFixed(1) + " tokens/s");
    if (n) parts.push(n + " tokens");
    parts.push(((performance.now() - started) / 1000).toFixed(1) + " s");
    if (finish === "stopped") parts.push("stopped");
    else if (finish === "length") parts.push("hit the token limit");
    stats.textContent = parts.join(" · ");
    div.appendChild(stats);
    scrollDown();
  }

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || controller) return;
    input.value = "";
    input.style.height = "";
    send(text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, window.innerHeight * 0.4) + "px";
  });
  stopBtn.addEventListener("click", () => { if (controller) controller.abort(); });
  $("new-chat").addEventListener("click", () => {
    if (controller) controller.abort();
    history = [];
    messagesEl.innerHTML = "<p class=\"empty\" id=\"empty-note\">New conversation. Ask anything.</p>";
    input.focus();
  });
})();
