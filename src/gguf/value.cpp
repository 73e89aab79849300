#include "gguf/value.h"

namespace trit::gguf {

const char* value_type_name(ValueType type) {
  switch (type) {
    case ValueType::u8: return "u8";
    case ValueType::i8: return "i8";
    case ValueType::u16: return "u16";
    case ValueType::i16: return "i16";
    case ValueType::u32: return "u32";
    case ValueType::i32: return "i32";
    case ValueType::f32: return "f32";
    case ValueType::boolean: return "bool";
    case ValueType::string: return "string";
    case ValueType::array: return "array";
    case ValueType::u64: return "u64";
    case ValueType::i64: return "i64";
    case ValueType::f64: return "f64";
  }
  return "unknown";
}

bool is_valid_value_type(uint32_t type) { return type <= 12; }

bool Value::is_integer() const {
  switch (type()) {
    case ValueType::u8: case ValueType::i8: case ValueType::u16: case ValueType::i16:
    case ValueType::u32: case ValueType::i32: case ValueType::u64: case ValueType::i64:
      return true;
    default:
      return false;
  }
}

int64_t Value::as_int64() const {
  return std::visit(
      [](const auto& v) -> int64_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_integral_v<T>) return static_cast<int64_t>(v);
        else return 0;
      },
      data);
}

bool Value::is_number() const {
  return is_integer() || type() == ValueType::f32 || type() == ValueType::f64;
}

double Value::as_double() const {
  return std::visit(
      [](const auto& v) -> double {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_arithmetic_v<T>) return static_cast<double>(v);
        else return 0.0;
      },
      data);
}

Value Value::make_array(ValueType element_type, std::vector<Value> items) {
  auto array = std::make_shared<Array>();
  array->element_type = element_type;
  array->items = std::move(items);
  return Value{std::move(array)};
}

Value Value::of_strings(const std::vector<std::string>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (const auto& s : items) values.push_back(Value{s});
  return make_array(ValueType::string, std::move(values));
}

Value Value::of_i32s(const std::vector<int32_t>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (int32_t v : items) values.push_back(Value{v});
  return make_array(ValueType::i32, std::move(values));
}

Value Value::of_f32s(const std::vector<float>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (float v : items) values.push_back(Value{v});
  return make_array(ValueType::f32, std::move(values));
}

std::string describe_type(const Value& value) {
  if (value.type() != ValueType::array) return value_type_name(value.type());
  const Array& a = value.array();
  if (a.element_type == ValueType::array && !a.items.empty())
    return "array[" + describe_type(a.items.front()) + "]";
  return std::string("array[") + value_type_name(a.element_type) + "]";
}

}  // namespace trit::gguf
