// libFuzzer target: any byte string given to gguf::File::parse must give either a valid File or
// one trit::Error. On a valid File, every metadata accessor and every tensor byte is read, so
// ASan catches any read the validation let through.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "util/error.h"

namespace {

volatile uint64_t sink;

template <class Fn>
void try_read(Fn fn) {
  try {
    fn();
  } catch (const trit::Error&) {
    // a typed accessor refusing a value of another type is fine
  }
}

void touch_value(const trit::gguf::Value& v) {
  sink = sink + static_cast<uint64_t>(v.type());
  if (v.type() == trit::gguf::ValueType::array)
    for (const trit::gguf::Value& item : v.array().items) touch_value(item);
  else if (v.type() == trit::gguf::ValueType::string)
    sink = sink + std::get<std::string>(v.data).size();
  else if (v.is_number())
    sink = sink + static_cast<uint64_t>(v.as_double() != 0.0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    trit::gguf::File f = trit::gguf::File::parse(data, size, "fuzz");
    for (const auto& entry : f.metadata()) {
      const std::string& key = entry.first;  // a plain reference: clang-14 lambdas cannot capture bindings
      touch_value(entry.second);
      try_read([&] { sink = sink + f.get_string(key).size(); });
      try_read([&] { sink = sink + f.get_uint(key); });
      try_read([&] { sink = sink + static_cast<uint64_t>(f.get_int(key)); });
      try_read([&] { sink = sink + static_cast<uint64_t>(f.get_float(key) != 0.0); });
      try_read([&] { sink = sink + f.get_bool(key); });
      try_read([&] { sink = sink + f.get_string_array(key).size(); });
      try_read([&] { sink = sink + f.get_int_array(key).size(); });
      try_read([&] { sink = sink + f.get_float_array(key).size(); });
    }
    for (const trit::gguf::TensorInfo& t : f.tensors()) {
      uint64_t sum = 0;
      for (uint64_t i = 0; i < t.size; ++i) sum += t.data[i];
      sink = sink + sum + t.rows() + t.row_bytes() + t.shape_string().size();
      if (f.find_tensor(t.name) != &t) __builtin_trap();  // names are unique after validation
      // Dequantize the first row: exercises the block layouts on whatever bytes the file holds.
      if (t.type->dequantize_row) {
        std::vector<float> row(t.dims[0]);
        t.type->dequantize_row(t.data, row.data(), static_cast<int64_t>(t.dims[0]));
        sink = sink + static_cast<uint64_t>(row[0] != 0.0f);
      }
    }
  } catch (const trit::Error&) {
    // rejected with a message: the expected outcome for most inputs
  }
  return 0;
}
