#include "gguf/reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "gguf/cursor.h"
#include "util/error.h"

namespace trit::gguf {
namespace {

constexpr uint64_t kMaxArrayElements = uint64_t{1} << 24;  // 16 M: the Qwen3 vocab is 152 k
constexpr int kMaxArrayDepth = 16;
constexpr uint64_t kMaxElementsPerTensor = uint64_t{1} << 50;

Value read_value(Cursor& in, ValueType type, int depth, const std::string& key);

Value read_array(Cursor& in, int depth, const std::string& key) {
  if (depth >= kMaxArrayDepth) in.fail_at("metadata '", key, "': arrays nested deeper than ", kMaxArrayDepth);
  uint32_t raw_type = in.u32();
  if (!is_valid_value_type(raw_type)) in.fail_at("metadata '", key, "': unknown array element type ", raw_type);
  auto element_type = static_cast<ValueType>(raw_type);
  uint64_t count = in.u64();
  if (count > kMaxArrayElements)
    in.fail_at("metadata '", key, "': array of ", count, " elements is larger than trit accepts");
  // Every element takes at least one byte, so a count beyond the remaining bytes is corrupt.
  if (count > in.remaining())
    in.fail_at("metadata '", key, "': array of ", count, " elements runs past the end of the file");
  std::vector<Value> items;
  items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) items.push_back(read_value(in, element_type, depth + 1, key));
  return Value::make_array(element_type, std::move(items));
}

Value read_value(Cursor& in, ValueType type, int depth, const std::string& key) {
  switch (type) {
    case ValueType::u8: return Value{in.get<uint8_t>()};
    case ValueType::i8: return Value{in.get<int8_t>()};
    case ValueType::u16: return Value{in.get<uint16_t>()};
    case ValueType::i16: return Value{in.get<int16_t>()};
    case ValueType::u32: return Value{in.get<uint32_t>()};
    case ValueType::i32: return Value{in.get<int32_t>()};
    case ValueType::f32: return Value{in.get<float>()};
    case ValueType::boolean: {
      uint8_t b = in.get<uint8_t>();
      if (b > 1) in.fail_at("metadata '", key, "': bool value ", int(b), " is neither 0 nor 1");
      return Value{b == 1};
    }
    case ValueType::string: return Value{in.string("metadata '" + key + "' string")};
    case ValueType::array: return read_array(in, depth, key);
    case ValueType::u64: return Value{in.get<uint64_t>()};
    case ValueType::i64: return Value{in.get<int64_t>()};
    case ValueType::f64: return Value{in.get<double>()};
  }
  in.fail_at("metadata '", key, "': unknown value type");
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

[[noreturn]] void type_error(const std::string& path, const std::string& key, const char* expected,
                             const Value& found) {
  fail(path, ": metadata key '", key, "' has type ", describe_type(found), ", expected ", expected);
}

}  // namespace

uint64_t TensorInfo::element_count() const {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n;
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

File::File(File&& other) noexcept { *this = std::move(other); }

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (mapping_) munmap(mapping_, size_);
    path_ = std::move(other.path_);
    mapping_ = std::exchange(other.mapping_, nullptr);
    base_ = other.base_;
    size_ = other.size_;
    version_ = other.version_;
    alignment_ = other.alignment_;
    data_offset_ = other.data_offset_;
    metadata_ = std::move(other.metadata_);
    metadata_index_ = std::move(other.metadata_index_);
    tensors_ = std::move(other.tensors_);
    tensor_index_ = std::move(other.tensor_index_);
    q2_0_layout_ = other.q2_0_layout_;
  }
  return *this;
}

File::~File() {
  if (mapping_) munmap(mapping_, size_);
}

File File::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, ": cannot open: ", std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, ": not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    fail(path, ": file is empty, not a GGUF model");
  }
  void* mapping = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) fail(path, ": cannot map file: ", std::strerror(errno));
  File file;
  file.path_ = path;
  file.mapping_ = mapping;
  file.base_ = static_cast<const uint8_t*>(mapping);
  file.size_ = static_cast<uint64_t>(st.st_size);
  file.parse_all(path);
  return file;
}

File File::parse(const uint8_t* bytes, size_t size, const std::string& label) {
  File file;
  file.path_ = label;
  file.base_ = bytes;
  file.size_ = size;
  file.parse_all(label);
  return file;
}

void File::parse_all(const std::string& label) {
  Cursor in(base_, size_, label);
  if (size_ < 4 || std::memcmp(base_, "GGUF", 4) != 0) fail(label, ": not a GGUF file (bad magic)");
  in.skip(4);
  version_ = in.u32();
  if (version_ != 2 && version_ != 3)
    fail(label, ": GGUF version ", version_, " is not supported (trit reads versions 2 and 3)");
  uint64_t n_tensors = in.u64();
  uint64_t n_metadata = in.u64();
  // A metadata entry takes at least 12 bytes, a tensor info at least 28.
  if (n_metadata > in.remaining() / 12) fail(label, ": metadata count ", n_metadata, " is larger than the file");
  if (n_tensors > in.remaining() / 28) fail(label, ": tensor count ", n_tensors, " is larger than the file");

  for (uint64_t i = 0; i < n_metadata; ++i) {
    std::string key = in.string("metadata key");
    uint32_t raw_type = in.u32();
    if (!is_valid_value_type(raw_type)) in.fail_at("metadata '", key, "': unknown value type ", raw_type);
    Value value = read_value(in, static_cast<ValueType>(raw_type), 0, key);
    if (metadata_index_.count(key)) in.fail_at("metadata key '", key, "' appears twice");
    metadata_index_[key] = metadata_.size();
    metadata_.emplace_back(std::move(key), std::move(value));
  }

  if (const Value* a = find("general.alignment")) {
    if (a->type() != ValueType::u32) type_error(label, "general.alignment", "u32", *a);
    alignment_ = std::get<uint32_t>(a->data);
    if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
      fail(label, ": general.alignment ", alignment_, " is not a power of two");
  }

  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    t.name = in.string("tensor name");
    uint32_t n_dims = in.u32();
    if (n_dims < 1 || n_dims > 4) in.fail_at("tensor '", t.name, "' has ", n_dims, " dimensions (1 to 4 allowed)");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = in.u64();
      if (dim == 0) in.fail_at("tensor '", t.name, "' has a zero dimension");
      if (__builtin_mul_overflow(elements, dim, &elements) || elements > kMaxElementsPerTensor)
        in.fail_at("tensor '", t.name, "': element count overflows");
      t.dims.push_back(dim);
    }
    t.ggml_type = in.u32();
    t.offset = in.u64();
    t.type = formats::type_by_ggml_id(t.ggml_type);
    if (!t.type) in.fail_at("tensor '", t.name, "' has unknown type id ", t.ggml_type);
    if (t.dims[0] % t.type->block_size != 0)
      in.fail_at("tensor '", t.name, "': row length ", t.dims[0], " is not a multiple of the ",
                 t.type->name, " block size ", t.type->block_size);
    if (t.offset % alignment_ != 0)
      in.fail_at("tensor '", t.name, "': offset ", t.offset, " is not a multiple of the alignment ", alignment_);
    if (tensor_index_.count(t.name)) in.fail_at("tensor name '", t.name, "' appears twice");
    tensor_index_[t.name] = tensors_.size();
    tensors_.push_back(std::move(t));
  }

  data_offset_ = align_up(in.position(), alignment_);
  if (data_offset_ > size_) {
    if (!tensors_.empty()) fail(label, ": file ends before the tensor data section (truncated?)");
    data_offset_ = size_;
  }
  uint64_t data_size = size_ - data_offset_;
  for (const TensorInfo& t : tensors_)
    if (t.offset > data_size)
      fail(label, ": tensor '", t.name, "' starts at ", t.offset, ", past the end of the file (truncated?)");

  // Extents: the gap from each tensor's offset to the next one (or to the end of the file).
  std::vector<size_t> order(tensors_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  std::vector<uint64_t> extent(tensors_.size());
  for (size_t k = 0; k < order.size(); ++k) {
    uint64_t end = k + 1 < order.size() ? tensors_[order[k + 1]].offset : data_size;
    extent[order[k]] = end - tensors_[order[k]].offset;
  }
  detect_q2_0_layout(extent, label);

  for (size_t k = 0; k < order.size(); ++k) {
    TensorInfo& t = tensors_[order[k]];
    t.size = t.type->bytes_for(t.element_count());
    if (t.size > extent[order[k]]) {
      if (k + 1 == order.size())
        fail(label, ": tensor '", t.name, "' (", t.size, " bytes) runs past the end of the file (truncated?)");
      fail(label, ": tensor '", t.name, "' (", t.size, " bytes) overlaps tensor '", tensors_[order[k + 1]].name, "'");
    }
    t.data = base_ + data_offset_ + t.offset;
    if (reinterpret_cast<uintptr_t>(t.data) % t.type->data_alignment() != 0)
      fail(label, ": tensor '", t.name, "' data at file offset ", data_offset_ + t.offset, " is not aligned to the ",
           t.type->data_alignment(), " bytes its type ", t.type->name, " needs (general.alignment is ", alignment_, ")");
  }
}

void File::detect_q2_0_layout(const std::vector<uint64_t>& extent, const std::string& label) {
  // Id 42 is Q2_0 with group 128 (Ternary-Bonsai) or 64 (mainline). A layout fits a tensor when its
  // data fills the tensor's extent up to the alignment padding; a file must fit one layout throughout.
  const formats::TypeInfo* g128 = formats::type_by_format(formats::Format::q2_0_g128);
  const formats::TypeInfo* g64 = formats::type_by_format(formats::Format::q2_0_g64);
  bool any = false, fits128 = true, fits64 = true;
  const TensorInfo* misfit = nullptr;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorInfo& t = tensors_[i];
    if (t.ggml_type != 42) continue;
    any = true;
    auto fits = [&](const formats::TypeInfo* type) {
      if (t.dims[0] % type->block_size != 0) return false;
      uint64_t size = type->bytes_for(t.element_count());
      return size <= extent[i] && extent[i] - size < alignment_;
    };
    bool a = fits(g128), b = fits(g64);
    if (!a && !b && !misfit) misfit = &t;
    fits128 = fits128 && a;
    fits64 = fits64 && b;
  }
  if (!any) return;
  if (!fits128 && !fits64) {
    if (misfit) {
      uint64_t n = misfit->element_count();
      fail(label, ": tensor '", misfit->name, "' of type 42 (Q2_0) has a byte extent that fits neither group 128 (",
           g128->bytes_for(n), " bytes) nor group 64 (", g64->bytes_for(n), " bytes)");
    }
    fail(label, ": type-42 (Q2_0) tensors mix group-128 and group-64 extents; the file is inconsistent");
  }
  // Both fit only when every Q2_0 tensor is tiny; the Ternary-Bonsai layout (128) is then assumed.
  const formats::TypeInfo* chosen = fits128 ? g128 : g64;
  q2_0_layout_ = chosen->format;
  for (TensorInfo& t : tensors_)
    if (t.ggml_type == 42) t.type = chosen;
}

const Value* File::find(const std::string& key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const TensorInfo* File::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const Value& File::get(const std::string& key) const {
  const Value* v = find(key);
  if (!v) fail(path_, ": metadata key '", key, "' is missing");
  return *v;
}

std::string File::get_string(const std::string& key) const {
  const Value& v = get(key);
  if (v.type() != ValueType::string) type_error(path_, key, "string", v);
  return std::get<std::string>(v.data);
}

uint64_t File::get_uint(const std::string& key) const {
  const Value& v = get(key);
  if (!v.is_integer()) type_error(path_, key, "an unsigned integer", v);
  if (v.type() == ValueType::u64) return std::get<uint64_t>(v.data);
  int64_t x = v.as_int64();
  if (x < 0) fail(path_, ": metadata key '", key, "' is negative (", x, "), expected an unsigned integer");
  return static_cast<uint64_t>(x);
}

int64_t File::get_int(const std::string& key) const {
  const Value& v = get(key);
  if (!v.is_integer()) type_error(path_, key, "an integer", v);
  if (v.type() == ValueType::u64 && std::get<uint64_t>(v.data) > uint64_t(INT64_MAX))
    fail(path_, ": metadata key '", key, "' is too large for a signed integer");
  return v.as_int64();
}

double File::get_float(const std::string& key) const {
  const Value& v = get(key);
  if (!v.is_number()) type_error(path_, key, "a number", v);
  return v.as_double();
}

bool File::get_bool(const std::string& key) const {
  const Value& v = get(key);
  if (v.type() != ValueType::boolean) type_error(path_, key, "bool", v);
  return std::get<bool>(v.data);
}

std::vector<std::string> File::get_string_array(const std::string& key) const {
  const Value& v = get(key);
  if (v.type() != ValueType::array || v.array().element_type != ValueType::string)
    type_error(path_, key, "array[string]", v);
  std::vector<std::string> out;
  out.reserve(v.array().items.size());
  for (const Value& item : v.array().items) out.push_back(std::get<std::string>(item.data));
  return out;
}

std::vector<int64_t> File::get_int_array(const std::string& key) const {
  const Value& v = get(key);
  if (v.type() != ValueType::array) type_error(path_, key, "an integer array", v);
  std::vector<int64_t> out;
  out.reserve(v.array().items.size());
  for (const Value& item : v.array().items) {
    if (!item.is_integer()) type_error(path_, key, "an integer array", v);
    out.push_back(item.as_int64());
  }
  return out;
}

std::vector<float> File::get_float_array(const std::string& key) const {
  const Value& v = get(key);
  if (v.type() != ValueType::array) type_error(path_, key, "a number array", v);
  std::vector<float> out;
  out.reserve(v.array().items.size());
  for (const Value& item : v.array().items) {
    if (!item.is_number()) type_error(path_, key, "a number array", v);
    out.push_back(static_cast<float>(item.as_double()));
  }
  return out;
}

std::string File::get_string_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}
uint64_t File::get_uint_or(const std::string& key, uint64_t fallback) const {
  return has(key) ? get_uint(key) : fallback;
}
double File::get_float_or(const std::string& key, double fallback) const {
  return has(key) ? get_float(key) : fallback;
}
bool File::get_bool_or(const std::string& key, bool fallback) const {
  return has(key) ? get_bool(key) : fallback;
}

}  // namespace trit::gguf
