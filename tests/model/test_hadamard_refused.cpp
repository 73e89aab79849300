// A Bonsai 2 file (prism.hadamard.* metadata) needs its activations rotated; until trit applies
// the rotation, loading one is refused with a message naming the key, never run wrong.
#include <gtest/gtest.h>

#include <cstring>

#include "common/test_util.h"
#include "gguf/reader.h"
#include "model/config.h"
#include "util/error.h"

namespace trit {
namespace {

TEST(Hadamard, AFileWithHadamardKeysIsRefusedByName) {
  std::string bytes = test::read_file(test::make_model("qwen35-tiny", "pq2_0", 3));
  // Rename one key in place to a prism.hadamard key of the same length (30 bytes).
  const std::string key = "qwen35.full_attention_interval", renamed = "prism.hadamard.block_size_test";
  ASSERT_EQ(key.size(), renamed.size());
  const size_t at = bytes.find(key);
  ASSERT_NE(at, std::string::npos);
  std::memcpy(bytes.data() + at, renamed.data(), renamed.size());
  const std::string path = test::scratch_dir() + "/hadamard.gguf";
  test::write_file(path, bytes);
  try {
    model::ModelConfig::from_gguf(gguf::File::open(path));
    FAIL() << "a file with prism.hadamard keys loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prism.hadamard.block_size_test"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Hadamard"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trit
