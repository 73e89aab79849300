// The real files: quantizing every matrix of moby-tiny-F16 with the reference Q2_0 group-128
// quantizer must reproduce moby-tiny-Q2_0's tensor bytes exactly (what llama.cpp's quantizer
// does, per /work/shared/models/README.md).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "common/test_util.h"
#include "formats/type_info.h"
#include "gguf/reader.h"

using namespace trit;

TEST(MobyQuantize, F16ToQ2_0ReproducesTheQ2_0File) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent";
  const std::string dir = test::shared_dir() + "/models/";
  gguf::File f16 = gguf::File::open(dir + "moby-tiny-F16.gguf");
  gguf::File q2 = gguf::File::open(dir + "moby-tiny-Q2_0.gguf");
  ASSERT_EQ(q2.q2_0_layout(), formats::Format::q2_0_g128);
  ASSERT_EQ(f16.tensors().size(), q2.tensors().size());
  const formats::TypeInfo& q2t = *formats::type_by_name("q2_0");
  size_t matrices = 0;
  for (const gguf::TensorInfo& a : f16.tensors()) {
    const gguf::TensorInfo* b = q2.find_tensor(a.name);
    ASSERT_NE(b, nullptr) << a.name;
    ASSERT_EQ(a.dims, b->dims) << a.name;
    if (a.type->format == formats::Format::f32) {
      ASSERT_EQ(b->type->format, formats::Format::f32) << a.name;
      ASSERT_EQ(0, std::memcmp(a.data, b->data, a.size)) << a.name;
      continue;
    }
    ASSERT_EQ(a.type->format, formats::Format::f16) << a.name;
    ASSERT_EQ(b->type, &q2t) << a.name;
    const int64_t cols = static_cast<int64_t>(a.dims[0]);
    std::vector<float> row(cols);
    std::vector<uint8_t> out(q2t.bytes_for(cols));
    for (uint64_t r = 0; r < a.rows(); ++r) {
      a.type->dequantize_row(a.data + r * a.row_bytes(), row.data(), cols);
      q2t.quantize_row(row.data(), out.data(), cols);
      ASSERT_EQ(0, std::memcmp(out.data(), b->data + r * b->row_bytes(), out.size()))
          << a.name << " row " << r << " differs from the Q2_0 file";
    }
    ++matrices;
  }
  EXPECT_EQ(matrices, 1u + 4 * 7);  // token_embd and 7 matrices per block
}
