// The reader against malformed files: each gives one trit::Error naming the problem, never a
// crash or an out-of-bounds read (the sanitizer build runs these too).
#include <gtest/gtest.h>

#include "gguf/raw_gguf.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "common/test_util.h"
#include "util/error.h"

using namespace trit;
using test::RawGguf;

namespace {

// Parses and returns the error message ("" and a test failure if it parsed).
std::string parse_error(const RawGguf& g) {
  try {
    gguf::File::parse(g.data(), g.size(), "bad.gguf");
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "error spans lines: " << m;
    EXPECT_EQ(m.rfind("bad.gguf", 0), 0u) << "error does not name the file: " << m;
    return m;
  }
  ADD_FAILURE() << "parsed without error";
  return "";
}

#define EXPECT_ERROR(g, text)                                              \
  do {                                                                     \
    std::string m_ = parse_error(g);                                       \
    EXPECT_NE(m_.find(text), std::string::npos) << "message: " << m_;      \
  } while (0)

// One F32 tensor "w" of 8 elements at offset 0, data included.
RawGguf one_tensor() {
  RawGguf g;
  g.header(1, 0).tensor("w", {8}, 0, 0).align().zeros(32);
  return g;
}

}  // namespace

TEST(GgufMalformed, BadMagic) {
  RawGguf g = one_tensor();
  g.bytes[0] = 'X';
  EXPECT_ERROR(g, "bad magic");
  RawGguf tiny;
  tiny.bytes = "GG";
  EXPECT_ERROR(tiny, "bad magic");
  RawGguf empty;
  EXPECT_ERROR(empty, "bad magic");
}

TEST(GgufMalformed, UnsupportedVersion) {
  RawGguf g;
  g.header(0, 0, 1);
  EXPECT_ERROR(g, "version 1");
  RawGguf h;
  h.header(0, 0, 4);
  EXPECT_ERROR(h, "version 4");
}

TEST(GgufMalformed, EveryTruncationOfAValidFileFails) {
  // A real writer output with metadata of each kind and two tensors; every proper prefix must fail
  // cleanly (the last bytes are tensor data, so even those prefixes are caught).
  std::string path = test::scratch_dir() + "/full.gguf";
  {
    gguf::Writer w(path, false);
    w.set("k.s", gguf::Value{std::string("abc")});
    w.set("k.a", gguf::Value::make_array(gguf::ValueType::array, {gguf::Value::of_i32s({1, 2})}));
    w.set("k.f", gguf::Value{2.5});
    w.add_tensor({"x", {128, 2}, 42, 68});
    w.add_tensor({"y", {3}, 0, 12});
    w.begin_data();
    std::vector<uint8_t> data(80, 1);
    w.write(data.data(), 80);
    w.finish();
  }
  std::string full = test::read_file(path);
  ASSERT_NO_THROW(gguf::File::parse(reinterpret_cast<const uint8_t*>(full.data()), full.size()));
  for (size_t n = 0; n < full.size(); ++n) {
    std::string prefix = full.substr(0, n);
    EXPECT_THROW(gguf::File::parse(reinterpret_cast<const uint8_t*>(prefix.data()), prefix.size()), Error)
        << "prefix of " << n << " bytes parsed";
  }
}

TEST(GgufMalformed, TruncatedNamesTheProblem) {
  RawGguf g;
  g.header(1, 0).tensor("w", {64}, 0, 0).align().zeros(100);  // needs 256 bytes
  EXPECT_ERROR(g, "past the end of the file");
  RawGguf h;
  h.header(0, 1).str("key").u32(4);  // value missing
  EXPECT_ERROR(h, "truncated");
}

TEST(GgufMalformed, TensorStartsPastTheEnd) {
  RawGguf g;
  g.header(1, 0).tensor("w", {8}, 0, 1u << 20).align().zeros(32);
  EXPECT_ERROR(g, "'w' starts at");
}

TEST(GgufMalformed, AbsurdStringLength) {
  RawGguf g;
  g.header(0, 1).u64(uint64_t{1} << 62).zeros(16);
  EXPECT_ERROR(g, "claims");
  RawGguf h;
  h.header(0, 1).str("k").u32(8).u64(~uint64_t{0});
  EXPECT_ERROR(h, "claims");
  RawGguf t;
  t.header(1, 0).u64(uint64_t{1} << 40).zeros(40);  // tensor name length
  EXPECT_ERROR(t, "tensor name claims");
}

TEST(GgufMalformed, AbsurdCounts) {
  RawGguf g;
  g.header(~uint64_t{0}, 0);
  EXPECT_ERROR(g, "tensor count");
  RawGguf h;
  h.header(0, uint64_t{1} << 60);
  EXPECT_ERROR(h, "metadata count");
  RawGguf a;
  a.header(0, 1).str("arr").u32(9).u32(4).u64(uint64_t{1} << 40);
  EXPECT_ERROR(a, "'arr'");
  RawGguf b;
  b.header(0, 1).str("arr").u32(9).u32(4).u64(1000).u32(1);
  EXPECT_ERROR(b, "past the end");
}

TEST(GgufMalformed, UnknownValueTypes) {
  RawGguf g;
  g.header(0, 1).str("k").u32(13).u32(0);
  EXPECT_ERROR(g, "unknown value type 13");
  RawGguf h;
  h.header(0, 1).str("k").u32(9).u32(99).u64(0);
  EXPECT_ERROR(h, "unknown array element type 99");
  RawGguf b;
  b.header(0, 1).str("flag").u32(7).put<uint8_t>(2);
  EXPECT_ERROR(b, "'flag'");
}

TEST(GgufMalformed, DeeplyNestedArrays) {
  RawGguf g;
  g.header(0, 1).str("deep").u32(9);
  for (int i = 0; i < 100; ++i) g.u32(9).u64(1);
  g.u32(4).u64(0);
  EXPECT_ERROR(g, "nested deeper");
}

TEST(GgufMalformed, DuplicateKeysAndNames) {
  RawGguf g;
  g.header(0, 2).kv_u32("a", 1).kv_u32("a", 2);
  EXPECT_ERROR(g, "'a' appears twice");
  RawGguf t;
  t.header(2, 0).tensor("w", {8}, 0, 0).tensor("w", {8}, 0, 32).align().zeros(64);
  EXPECT_ERROR(t, "'w' appears twice");
}

TEST(GgufMalformed, OverlappingTensors) {
  RawGguf g;
  g.header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {16}, 0, 32).align().zeros(128);  // a needs 64 bytes
  EXPECT_ERROR(g, "overlaps tensor 'b'");
  RawGguf same;
  same.header(2, 0).tensor("a", {8}, 0, 0).tensor("b", {8}, 0, 0).align().zeros(64);
  EXPECT_ERROR(same, "overlaps");
}

TEST(GgufMalformed, UnknownTensorType) {
  RawGguf g;
  g.header(1, 0).tensor("w", {8}, 77, 0).align().zeros(32);
  EXPECT_ERROR(g, "unknown type id 77");
}

TEST(GgufMalformed, DimsProductOverflows) {
  RawGguf g;
  g.header(1, 0).tensor("w", {uint64_t{1} << 32, uint64_t{1} << 32, 16}, 0, 0).align().zeros(32);
  EXPECT_ERROR(g, "overflows");
  RawGguf z;
  z.header(1, 0).tensor("w", {8, 0}, 0, 0).align().zeros(32);
  EXPECT_ERROR(z, "zero dimension");
}

TEST(GgufMalformed, DimensionCountOutOfRange) {
  RawGguf g0;
  g0.header(1, 0).str("w").u32(0).u32(0).u64(0).align().zeros(32);
  EXPECT_ERROR(g0, "0 dimensions");
  RawGguf g5;
  g5.header(1, 0).tensor("w", {1, 1, 1, 1, 8}, 0, 0).align().zeros(32);
  EXPECT_ERROR(g5, "5 dimensions");
  RawGguf g4;  // 4 is fine
  g4.header(1, 0).tensor("w", {8, 1, 1, 1}, 0, 0).align().zeros(32);
  EXPECT_NO_THROW(gguf::File::parse(g4.data(), g4.size()));
}

TEST(GgufMalformed, RowNotAMultipleOfTheBlock) {
  RawGguf g;
  g.header(1, 0).tensor("w", {100}, 8, 0).align().zeros(128);  // Q8_0 blocks of 32
  EXPECT_ERROR(g, "not a multiple");
}

TEST(GgufMalformed, BadAlignment) {
  RawGguf g;
  g.header(0, 1).kv_u32("general.alignment", 48);
  EXPECT_ERROR(g, "power of two");
  RawGguf z;
  z.header(0, 1).kv_u32("general.alignment", 0);
  EXPECT_ERROR(z, "power of two");
  RawGguf t;
  t.header(0, 1).kv_str("general.alignment", "32");
  std::string m = parse_error(t);
  EXPECT_NE(m.find("general.alignment"), std::string::npos) << m;
  RawGguf off;
  off.header(1, 0).tensor("w", {8}, 0, 8).align().zeros(64);
  EXPECT_ERROR(off, "not a multiple of the alignment");
}

TEST(GgufMalformed, DataMisalignedForItsType) {
  // general.alignment 1 lets the data section start anywhere: an f16 tensor at an odd offset would
  // be read through a misaligned pointer, so it is refused by name; at an even one it is fine.
  // With alignment 1 the data starts right after the tensor infos, so the name's length sets its
  // offset; `start` is that offset modulo 4 (the buffer itself is heap-aligned).
  auto file = [](uint32_t type, size_t start) {
    for (std::string name = "w";; name += 'w') {
      RawGguf g;
      g.header(1, 1).kv_u32("general.alignment", 1).tensor(name, {8}, type, 0);
      if (g.size() % 4 == start) return g.zeros(64);
    }
  };
  std::string m = parse_error(file(1, 1));
  EXPECT_NE(m.find("tensor 'w"), std::string::npos) << m;
  EXPECT_NE(m.find("not aligned to the 2 bytes its type f16 needs"), std::string::npos) << m;
  EXPECT_ERROR(file(0, 2), "not aligned to the 4 bytes its type f32 needs");
  RawGguf f16_even = file(1, 2), f32_aligned = file(0, 0);
  EXPECT_NO_THROW(gguf::File::parse(f16_even.data(), f16_even.size()));
  EXPECT_NO_THROW(gguf::File::parse(f32_aligned.data(), f32_aligned.size()));
}

TEST(GgufMalformed, Q2_0ExtentsThatFitNeitherGroup) {
  // 256 x 2 elements: group 128 needs 136 bytes, group 64 needs 144; an extent of 200 fits neither.
  RawGguf g;
  g.header(1, 0).tensor("w", {256, 2}, 42, 0).align().zeros(200);
  std::string m = parse_error(g);
  EXPECT_NE(m.find("fits neither group 128"), std::string::npos) << m;
  EXPECT_NE(m.find("'w'"), std::string::npos) << m;
}

TEST(GgufMalformed, Q2_0ExtentsMixingGroups) {
  // "a" has a group-128 extent, "b" a group-64 one: refused as inconsistent.
  // 128 x 32 elements: 1088 bytes as group 128, 1152 as group 64.
  RawGguf g;
  g.header(2, 0).tensor("a", {128, 32}, 42, 0).tensor("b", {128, 32}, 42, 1088).align().zeros(1088 + 1152);
  EXPECT_ERROR(g, "mix group-128 and group-64");
}

TEST(GgufQ2Layout, Group64Detected) {
  RawGguf g;
  g.header(2, 0).tensor("a", {128, 32}, 42, 0).tensor("n", {4}, 0, 1152).align().zeros(1152 + 16);
  gguf::File f = gguf::File::parse(g.data(), g.size());
  EXPECT_EQ(f.q2_0_layout(), formats::Format::q2_0_g64);
  EXPECT_EQ(f.find_tensor("a")->type->format, formats::Format::q2_0_g64);
  EXPECT_EQ(f.find_tensor("a")->size, 1152u);
  EXPECT_EQ(f.find_tensor("a")->row_bytes(), 36u);
}

TEST(GgufQ2Layout, Group128Detected) {
  RawGguf g;
  g.header(2, 0).tensor("a", {128, 32}, 42, 0).tensor("n", {4}, 0, 1088).align().zeros(1088 + 16);
  gguf::File f = gguf::File::parse(g.data(), g.size());
  EXPECT_EQ(f.q2_0_layout(), formats::Format::q2_0_g128);
  EXPECT_EQ(f.find_tensor("a")->size, 1088u);
}

TEST(GgufQ2Layout, Pq2_0IsAlwaysGroup128) {
  RawGguf g;
  g.header(1, 0).tensor("a", {128, 2}, 142, 0).align().zeros(68);
  gguf::File f = gguf::File::parse(g.data(), g.size());
  EXPECT_EQ(f.find_tensor("a")->type->format, formats::Format::q2_0_g128);
  EXPECT_FALSE(f.q2_0_layout().has_value());
}

TEST(GgufOpen, MissingEmptyAndDirectory) {
  std::string dir = test::scratch_dir();
  EXPECT_THROW(gguf::File::open(dir + "/nope.gguf"), Error);
  test::write_file(dir + "/empty.gguf", "");
  try {
    gguf::File::open(dir + "/empty.gguf");
    ADD_FAILURE() << "empty file opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gguf::File::open(dir), Error);
}
