// PQ2_0 files say general.file_type 141 (current PrismML files) or 142 (older ones). Both must
// load, and since PQ2_0 is the group-128 Q2_0 layout under ggml type 142, both must give exactly
// the logits of the type-42 Q2_0 file of the same weights.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "common/test_util.h"
#include "engine/engine.h"
#include "gguf/reader.h"

namespace trit {
namespace {

// A copy of `path` with the u32 value of general.file_type replaced in place. In GGUF a metadata
// entry is the key (u64 length, bytes), then u32 value type (4 = u32), then the value.
std::string with_file_type(const std::string& path, uint32_t file_type, const std::string& out) {
  std::string bytes = test::read_file(path);
  const std::string key = "general.file_type";
  const size_t at = bytes.find(key);
  EXPECT_NE(at, std::string::npos);
  uint32_t value_type = 0;
  std::memcpy(&value_type, bytes.data() + at + key.size(), 4);
  EXPECT_EQ(value_type, 4u) << "general.file_type is not a u32";
  std::memcpy(bytes.data() + at + key.size() + 4, &file_type, 4);
  test::write_file(out, bytes);
  EXPECT_EQ(gguf::File::open(out).get_uint("general.file_type"), file_type);
  return out;
}

std::vector<float> prompt_logits(const std::string& model) {
  engine::EngineOptions options;
  options.threads = 2;
  options.context = 64;
  engine::Engine engine(model, options);
  std::mt19937 rng(11);
  std::vector<int32_t> prompt(9);
  for (auto& t : prompt) t = static_cast<int32_t>(rng() % engine.config().n_vocab);
  auto kv = engine.new_sequence();
  model::SequenceStep step{kv.get(), prompt, true};
  return engine.forward().run(std::span(&step, 1));
}

TEST(Pq2_0FileType, CurrentAndOlderFileTypesLoadAsTheGroup128Layout) {
  const std::string pq2 = test::make_model("tiny", "pq2_0", 4);
  EXPECT_EQ(gguf::File::open(pq2).get_uint("general.file_type"), 141u) << "mkmodel writes the current value";
  const std::vector<float> expected = prompt_logits(test::make_model("tiny", "q2_0", 4));
  ASSERT_FALSE(expected.empty());
  const std::string dir = test::scratch_dir();
  for (uint32_t file_type : {141u, 142u}) {
    const std::string file = with_file_type(pq2, file_type, dir + "/pq2_0-" + std::to_string(file_type) + ".gguf");
    EXPECT_EQ(prompt_logits(file), expected) << "general.file_type " << file_type;
  }
}

}  // namespace
}  // namespace trit
