// GGUF metadata values: the 13 value types of the container, arrays nested to any depth.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace trit::gguf {

enum class ValueType : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
const char* value_type_name(ValueType type);
bool is_valid_value_type(uint32_t type);

struct Array;

// One metadata value. Arrays hold their element type and elements (each of that type).
struct Value {
  using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                               std::string, std::shared_ptr<Array>, uint64_t, int64_t, double>;
  Storage data;

  // The variant index equals the GGUF type id.
  ValueType type() const { return static_cast<ValueType>(data.index()); }
  bool is_integer() const;
  // Integer value of any integer type (bool excluded); call only when is_integer().
  int64_t as_int64() const;
  // Any numeric type as double; call only when numeric.
  bool is_number() const;
  double as_double() const;
  const Array& array() const { return *std::get<std::shared_ptr<Array>>(data); }

  static Value make_array(ValueType element_type, std::vector<Value> items);
  static Value of_strings(const std::vector<std::string>& items);
  static Value of_i32s(const std::vector<int32_t>& items);
  static Value of_f32s(const std::vector<float>& items);
};

struct Array {
  ValueType element_type = ValueType::u8;
  std::vector<Value> items;
};

// Human-readable type such as "u32" or "array[string]".
std::string describe_type(const Value& value);

}  // namespace trit::gguf
