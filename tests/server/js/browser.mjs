// The chat page in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
// loads the page, sends a message and sees text stream in, stops a long answer with the Stop
// button, asks again and saves screenshots (desktop and phone width) to TRIT_SCREENSHOT_DIR.
// Env: TRIT_BASE_URL, TRIT_SCREENSHOT_DIR. Exit code 0 when all pass.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const base = process.env.TRIT_BASE_URL;
const shots = process.env.TRIT_SCREENSHOT_DIR;
assert.ok(base && shots, "TRIT_BASE_URL and TRIT_SCREENSHOT_DIR are required");

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  // Playwright's 30 s default wait is short for chromium on a 2-core machine running the rest of
  // ctest -j2 beside it (a TimeoutError seen there, never a wrong page).
  page.setDefaultTimeout(120000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Nothing but the server itself may be fetched: the page works offline.
  const foreign = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });
  await page.goto(base + "/");
  await page.waitForFunction(() => document.getElementById("model").textContent.includes("ctx"));

  // Settings: a long answer for the stop test, thinking off for a direct answer.
  await page.click("#settings-toggle");
  await page.fill("#max-tokens", "16000");
  await page.fill("#temperature", "0.7");
  await page.uncheck("#thinking");
  await page.click("#settings-toggle");

  // 1. Send, see streamed text, press Stop while it streams.
  await page.fill("#input", "Tell me a long story about the sea.");
  await page.click("#send");
  await page.waitForSelector("#stop:not([hidden])");
  await page.waitForFunction(() => {
    const c = document.querySelector(".msg.assistant .content");
    return c && c.textContent.length > 20;
  }, null, { timeout: 120000 });
  const partial = await page.textContent(".msg.assistant .content");
  await page.click("#stop");
  await page.waitForSelector("#send:not([hidden])");
  await page.waitForSelector(".msg.assistant .stats");
  const stopStats = await page.textContent(".msg.assistant .stats");
  assert.ok(stopStats.includes("stopped"), "the answer says it was stopped: " + stopStats);
  const afterStop = await page.textContent(".msg.assistant .content");
  await page.waitForTimeout(500);
  assert.equal(await page.textContent(".msg.assistant .content"), afterStop, "no text after Stop");
  assert.ok(afterStop.startsWith(partial.slice(0, 10)));

  // 2. New chat, then a short answer that runs to the end and shows its speed.
  await page.click("#new-chat");
  assert.equal(await page.locator(".msg").count(), 0);
  await page.click("#settings-toggle");
  await page.fill("#max-tokens", "60");
  await page.fill("#system", "You are a sailor who tells stories.");
  await page.click("#settings-toggle");
  await page.fill("#input", "What do you see on the ocean?");
  await page.press("#input", "Enter");
  await page.waitForSelector(".msg.assistant .stats", { timeout: 120000 });
  const answer = await page.textContent(".msg.assistant .content");
  const stats = await page.textContent(".msg.assistant .stats");
  assert.ok(answer.trim().length > 0, "an answer");
  assert.match(stats, /tokens\/s/, "speed after the answer: " + stats);
  console.log("answer:", JSON.stringify(answer.slice(0, 200)));
  console.log("stats:", stats);
  await page.screenshot({ path: shots + "/chat.png" });

  // 3. Phone width: the same conversation stays readable (no horizontal scrolling).
  await page.setViewportSize({ width: 390, height: 760 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, "no horizontal overflow at phone width (" + overflow + "px)");
  await page.screenshot({ path: shots + "/chat-phone.png" });

  assert.deepEqual(errors, [], "no script errors");
  assert.deepEqual(foreign, [], "no requests outside the server");
  console.log("browser checks passed");
} finally {
  await browser.close();
}
