// GGUF writer -> reader round trips: every value type (nested arrays too), metadata order, tensor
// data and alignment; version 2 files; typed accessor errors that name the key and the types.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "common/test_util.h"
#include "gguf/raw_gguf.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "util/error.h"

using namespace trit;
using gguf::Value;
using gguf::ValueType;

namespace {

// Runs fn, which must throw trit::Error, and returns the message.
template <class Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no trit::Error was thrown";
  return "";
}

}  // namespace

TEST(GgufRoundTrip, EveryValueTypeAndNestedArrays) {
  std::string path = test::scratch_dir() + "/all.gguf";
  {
    gguf::Writer w(path, false);
    w.set("a.u8", Value{uint8_t{200}});
    w.set("a.i8", Value{int8_t{-100}});
    w.set("a.u16", Value{uint16_t{60000}});
    w.set("a.i16", Value{int16_t{-30000}});
    w.set("a.u32", Value{uint32_t{4000000000u}});
    w.set("a.i32", Value{int32_t{-2000000000}});
    w.set("a.f32", Value{1.5f});
    w.set("a.bool", Value{true});
    w.set("a.string", Value{std::string("h\xC3\xA9llo\n\0x", 9)});
    w.set("a.u64", Value{uint64_t{18000000000000000000ull}});
    w.set("a.i64", Value{int64_t{-9000000000000000000ll}});
    w.set("a.f64", Value{-2.25e300});
    w.set("a.empty_string", Value{std::string()});
    w.set("a.strings", Value::of_strings({"x", "", "yz"}));
    w.set("a.i32s", Value::of_i32s({1, -2, 3}));
    w.set("a.f32s", Value::of_f32s({0.5f, -1.0f}));
    w.set("a.empty", Value::make_array(ValueType::u8, {}));
    w.set("a.nested", Value::make_array(ValueType::array, {Value::of_i32s({1, 2}), Value::of_i32s({}),
                                                           Value::make_array(ValueType::array, {Value::of_strings({"deep"})})}));
    w.set("a.u32", Value{uint32_t{7}});  // replacing keeps the first position
    w.begin_data();
    w.finish();
  }
  gguf::File f = gguf::File::open(path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.metadata().size(), 18u);
  EXPECT_EQ(f.metadata()[0].first, "a.u8");
  EXPECT_EQ(f.metadata()[4].first, "a.u32");
  EXPECT_EQ(std::get<uint8_t>(f.get("a.u8").data), 200);
  EXPECT_EQ(std::get<int8_t>(f.get("a.i8").data), -100);
  EXPECT_EQ(std::get<uint16_t>(f.get("a.u16").data), 60000);
  EXPECT_EQ(std::get<int16_t>(f.get("a.i16").data), -30000);
  EXPECT_EQ(f.get_uint("a.u32"), 7u);
  EXPECT_EQ(f.get("a.u32").type(), ValueType::u32);
  EXPECT_EQ(f.get_int("a.i32"), -2000000000);
  EXPECT_EQ(f.get_float("a.f32"), 1.5);
  EXPECT_EQ(f.get("a.f32").type(), ValueType::f32);
  EXPECT_TRUE(f.get_bool("a.bool"));
  EXPECT_EQ(f.get_string("a.string"), std::string("h\xC3\xA9llo\n\0x", 9));
  EXPECT_EQ(f.get_uint("a.u64"), 18000000000000000000ull);
  EXPECT_EQ(f.get_int("a.i64"), -9000000000000000000ll);
  EXPECT_EQ(f.get_float("a.f64"), -2.25e300);
  EXPECT_EQ(f.get_string("a.empty_string"), "");
  EXPECT_EQ(f.get_string_array("a.strings"), (std::vector<std::string>{"x", "", "yz"}));
  EXPECT_EQ(f.get_int_array("a.i32s"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(f.get_float_array("a.f32s"), (std::vector<float>{0.5f, -1.0f}));
  EXPECT_EQ(f.get("a.empty").array().items.size(), 0u);
  EXPECT_EQ(f.get("a.empty").array().element_type, ValueType::u8);
  const gguf::Array& nested = f.get("a.nested").array();
  ASSERT_EQ(nested.element_type, ValueType::array);
  ASSERT_EQ(nested.items.size(), 3u);
  EXPECT_EQ(nested.items[0].array().items.size(), 2u);
  EXPECT_EQ(nested.items[0].array().items[1].as_int64(), 2);
  EXPECT_EQ(nested.items[1].array().items.size(), 0u);
  EXPECT_EQ(std::get<std::string>(nested.items[2].array().items[0].array().items[0].data), "deep");
  EXPECT_EQ(gguf::describe_type(f.get("a.nested")), "array[array[i32]]");
  EXPECT_TRUE(f.tensors().empty());
}

TEST(GgufRoundTrip, TensorsAlignedAndIntact) {
  for (uint32_t alignment : {32u, 64u, 256u}) {
    std::string path = test::scratch_dir() + "/t" + std::to_string(alignment) + ".gguf";
    std::vector<uint8_t> a(34 * 3), b(4 * 5), c(2 * 128 * 2);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i + 1);
    for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<uint8_t>(255 - i);
    {
      gguf::Writer w(path, false, alignment);
      w.set("general.architecture", Value{std::string("test")});
      w.add_tensor({"q", {128, 3}, 42, a.size()});
      w.add_tensor({"norm", {5}, 0, b.size()});
      w.add_tensor({"h", {128, 2}, 1, c.size()});
      w.begin_data();
      w.write(a.data(), 10);  // in pieces
      w.write(a.data() + 10, a.size() - 10);
      w.write(b.data(), b.size());
      w.write(c.data(), c.size());
      w.finish();
    }
    gguf::File f = gguf::File::open(path);
    EXPECT_EQ(f.alignment(), alignment);
    EXPECT_EQ(f.data_offset() % alignment, 0u);
    ASSERT_EQ(f.tensors().size(), 3u);
    for (const gguf::TensorInfo& t : f.tensors()) EXPECT_EQ(t.offset % alignment, 0u) << t.name;
    EXPECT_EQ(f.q2_0_layout(), formats::Format::q2_0_g128);
    const gguf::TensorInfo* q = f.find_tensor("q");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->shape_string(), "[128, 3]");
    EXPECT_EQ(q->rows(), 3u);
    EXPECT_EQ(q->row_bytes(), 34u);
    EXPECT_EQ(std::vector<uint8_t>(q->data, q->data + q->size), a);
    const gguf::TensorInfo* n = f.find_tensor("norm");
    EXPECT_EQ(std::vector<uint8_t>(n->data, n->data + n->size), b);
    const gguf::TensorInfo* h = f.find_tensor("h");
    EXPECT_EQ(h->type->format, formats::Format::f16);
    EXPECT_EQ(std::vector<uint8_t>(h->data, h->data + h->size), c);
    EXPECT_EQ(f.find_tensor("missing"), nullptr);
  }
}

TEST(GgufRoundTrip, Version2IsAccepted) {
  test::RawGguf g;
  g.header(1, 1, 2).kv_str("general.architecture", "qwen3").tensor("w", {4}, 0, 0).align().zeros(16);
  gguf::File f = gguf::File::parse(g.data(), g.size());
  EXPECT_EQ(f.version(), 2u);
  EXPECT_EQ(f.get_string("general.architecture"), "qwen3");
  EXPECT_EQ(f.tensors()[0].size, 16u);
}

TEST(GgufRoundTrip, TypedAccessorErrorsNameKeyAndTypes) {
  test::RawGguf g;
  g.header(0, 4).kv_u32("n", 5).kv_str("s", "text").str("neg").u32(5).u32(static_cast<uint32_t>(-3));
  g.str("arr").u32(9).u32(8).u64(1).str("x");
  gguf::File f = gguf::File::parse(g.data(), g.size(), "mem.gguf");
  std::string e = error_of([&] { f.get_string("n"); });
  EXPECT_NE(e.find("'n'"), std::string::npos) << e;
  EXPECT_NE(e.find("u32"), std::string::npos) << e;
  EXPECT_NE(e.find("string"), std::string::npos) << e;
  e = error_of([&] { f.get_uint("s"); });
  EXPECT_NE(e.find("'s'"), std::string::npos) << e;
  EXPECT_NE(e.find("unsigned"), std::string::npos) << e;
  e = error_of([&] { f.get_uint("neg"); });
  EXPECT_NE(e.find("negative"), std::string::npos) << e;
  EXPECT_EQ(f.get_int("neg"), -3);
  e = error_of([&] { f.get_bool("arr"); });
  EXPECT_NE(e.find("array[string]"), std::string::npos) << e;
  e = error_of([&] { f.get_int_array("arr"); });
  EXPECT_NE(e.find("'arr'"), std::string::npos) << e;
  e = error_of([&] { f.get_float("missing.key"); });
  EXPECT_NE(e.find("'missing.key'"), std::string::npos) << e;
  EXPECT_NE(e.find("missing"), std::string::npos) << e;
  EXPECT_EQ(f.get_uint_or("absent", 9), 9u);
  EXPECT_EQ(f.get_string_or("absent", "d"), "d");
  EXPECT_THROW(f.get_uint_or("s", 9), Error);  // present with the wrong type still throws
  EXPECT_EQ(f.get_float("n"), 5.0);            // integers read as numbers
}

TEST(GgufRoundTrip, MetadataOnlyFileWithNoTensors) {
  test::RawGguf g;
  g.header(0, 1).kv_u32("general.alignment", 32);
  gguf::File f = gguf::File::parse(g.data(), g.size());
  EXPECT_TRUE(f.tensors().empty());
  EXPECT_FALSE(f.q2_0_layout().has_value());
}
