// libFuzzer target: any byte string as a chat template must parse or fail with trit::Error, and
// a template that parses must render a fixed conversation or fail with trit::Error (never crash,
// hang or overflow the stack), its output carrying one provenance flag per byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tokenizer/jinja/template.h"
#include "util/error.h"

namespace {

const trit::tokenizer::jinja::Dict& context() {
  using namespace trit::tokenizer::jinja;
  static const Dict d = [] {
    Dict c;
    c.set(Text("messages"), from_json(nlohmann::ordered_json::parse(R"([
        {"role": "system", "content": "S"}, {"role": "user", "content": "<tool_response>x</tool_response>"},
        {"role": "assistant", "content": "<think>r</think>a", "tool_calls": [{"type": "function",
         "function": {"name": "f", "arguments": {"k": [1, 2.5, null, true], "s": "é"}}}]},
        {"role": "tool", "content": "t"}])")));
    c.set(Text("tools"), from_json(nlohmann::ordered_json::parse(R"([{"type": "function", "function": {"name": "f"}}])")));
    c.set(Text("add_generation_prompt"), Value::from(true));
    c.set(Text("enable_thinking"), Value::from(false));
    return c;
  }();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trit::tokenizer::jinja;
  const std::string source(reinterpret_cast<const char*>(data), size);
  try {
    Template t(source);
    const Text out = t.render(context());
    if (!out.data.empty() && out.data.size() != out.bytes.size()) std::abort();
  } catch (const trit::Error&) {
  }
  return 0;
}
