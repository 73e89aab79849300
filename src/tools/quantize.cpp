#include "tools/quantize.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "formats/type_info.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "tools/quantize_rows.h"
#include "util/error.h"
#include "util/thread_pool.h"
#include "util/timer.h"

namespace trit::tools {
namespace {

namespace fs = std::filesystem;

// Elements converted per step: a few MiB of source and output at once, whatever the row length.
constexpr uint64_t kBlockElements = uint64_t{4} << 20;

std::string list_types() { return formats::join_names(formats::quantize_type_names()); }

// Drops the pages of the input mapping that hold only data already converted. The mapping is a
// read-only view of the file, so the kernel reads a page back if anything touches it again; what
// matters is that converted data stops counting as this process's resident memory.
class PageReleaser {
 public:
  PageReleaser() : page_(static_cast<uintptr_t>(sysconf(_SC_PAGESIZE))) {}
  void start_tensor(const uint8_t* begin) { from_ = reinterpret_cast<uintptr_t>(begin) / page_ * page_; }
  // The current tensor's data before `end` is done with.
  void release_before(const uint8_t* end) {
    const uintptr_t stop = reinterpret_cast<uintptr_t>(end) / page_ * page_;
    if (stop > from_) {
      madvise(reinterpret_cast<void*>(from_), stop - from_, MADV_DONTNEED);
      from_ = stop;
    }
  }

 private:
  uintptr_t page_;
  uintptr_t from_ = 0;
};

// What happens to one input tensor.
struct Plan {
  const gguf::TensorInfo* in;
  const formats::TypeInfo* out;
  bool matrix;
};

bool kept_dense(const std::string& name) {
  for (const char* suffix : {".ssm_conv1d.weight", ".ssm_alpha.weight", ".ssm_beta.weight"}) {
    const size_t n = std::char_traits<char>::length(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) return true;
  }
  return false;
}

std::vector<Plan> plan_tensors(const gguf::File& file, const formats::TypeInfo& target) {
  const formats::TypeInfo& f32 = *formats::type_by_format(formats::Format::f32);
  std::vector<Plan> plans;
  for (const gguf::TensorInfo& t : file.tensors()) {
    const bool matrix = t.dims.size() >= 2;
    const formats::TypeInfo* out = matrix ? &target : &f32;
    // The qwen35 files keep the Gated DeltaNet's conv taps (F32, rows of 4) and its per-head
    // gate projections ssm_alpha/ssm_beta (BF16) dense whatever the weights' type: copied.
    if (matrix && kept_dense(t.name)) out = t.type;
    if (t.type->dequantize_row == nullptr)
      fail(file.path(), ": tensor '", t.name, "' has type ", t.type->name, ", which trit cannot convert");
    if (t.dims[0] % static_cast<uint64_t>(out->block_size) != 0)
      fail(file.path(), ": tensor '", t.name, "' ", t.shape_string(), " has rows of ", t.dims[0],
           " values, not a multiple of the ", out->block_size, "-value blocks of ", out->name);
    plans.push_back({&t, out, matrix});
  }
  return plans;
}

// Streams tensors through the conversion, a block of rows at a time, on a thread pool.
class Converter {
 public:
  explicit Converter(int threads)
      : pool_(threads > 0 ? threads : ThreadPool::default_threads()), scratch_(pool_.size()), errors_(pool_.size()) {}

  TensorReport convert(const Plan& p, gguf::Writer& writer, Progress& progress) {
    const gguf::TensorInfo& t = *p.in;
    TensorReport r;
    r.name = t.name;
    r.shape = t.shape_string();
    r.from = t.type->name;
    r.to = p.out->name;
    r.elements = t.element_count();
    r.bytes_in = t.size;
    r.bytes_out = p.out->bytes_for(r.elements);
    r.matrix = p.matrix;
    // Same layout in and out: the bytes are the answer (a q2_0 code 3 would not survive a
    // dequantize/quantize round trip, and a copy is exact by definition).
    r.copied = t.type == p.out;
    const int64_t cols = static_cast<int64_t>(t.dims[0]);
    const uint64_t rows = t.rows();
    const uint64_t block_rows = std::max<uint64_t>(1, kBlockElements / static_cast<uint64_t>(cols));
    const size_t in_row = t.row_bytes(), out_row = p.out->bytes_for(cols);
    releaser_.start_tensor(t.data);
    ConversionError total;
    for (uint64_t row = 0; row < rows; row += block_rows) {
      const uint64_t n = std::min(block_rows, rows - row);
      const uint8_t* src = t.data + row * in_row;
      if (r.copied) {
        writer.write(src, n * in_row);
      } else {
        out_.resize(n * out_row);
        for (ConversionError& e : errors_) e = {};
        pool_.parallel_for(n, 1, [&](size_t b, size_t e, int thread) {
          convert_rows(*t.type, *p.out, src + b * in_row, out_.data() + b * out_row, static_cast<int64_t>(e - b), cols,
                       scratch_[thread], errors_[thread]);
        });
        for (const ConversionError& e : errors_) total.merge(e);
        writer.write(out_.data(), out_.size());
      }
      releaser_.release_before(src + n * in_row);
      done_ += n * in_row;
      progress.update(done_);
    }
    if (!r.copied) {
      r.lossless = total.lossless();
      r.mismatches = total.mismatches;
      r.rms_error = total.elements ? std::sqrt(total.sum_sq_error / total.elements) : 0.0;
      r.rms_relative = total.sum_sq_value > 0 ? std::sqrt(total.sum_sq_error / total.sum_sq_value) : 0.0;
      r.max_error_of_scale = total.max_error_of_scale;
    }
    return r;
  }

 private:
  ThreadPool pool_;
  std::vector<RowScratch> scratch_;
  std::vector<ConversionError> errors_;
  std::vector<uint8_t> out_;
  PageReleaser releaser_;
  uint64_t done_ = 0;
};

void refuse_same_file(const std::string& input, const std::string& output) {
  std::error_code ec;
  if (fs::exists(output, ec) && fs::equivalent(input, output, ec))
    fail(output, ": is the input file; write the output to another path");
}

}  // namespace

size_t QuantizeReport::matrices() const {
  return std::count_if(tensors.begin(), tensors.end(), [](const TensorReport& t) { return t.matrix; });
}

size_t QuantizeReport::lossless_matrices() const {
  return std::count_if(tensors.begin(), tensors.end(),
                       [](const TensorReport& t) { return t.matrix && t.lossless; });
}


uint32_t quantize_file_type(const std::string& type_name) {
  const formats::TypeInfo* t = formats::type_by_name(type_name);
  if (!t || t->file_type == formats::kNoFileType) fail("unsupported type '", type_name, "'");
  return t->file_type;
}

QuantizeReport quantize_model(const QuantizeOptions& options) {
  Timer timer;
  const formats::TypeInfo* target = nullptr;
  const std::vector<std::string> names = formats::quantize_type_names();
  if (std::find(names.begin(), names.end(), options.type) != names.end()) target = formats::type_by_name(options.type);
  if (target == nullptr) fail("unsupported type '", options.type, "': choose one of ", list_types());
  if (options.output.empty()) fail("no output file given");
  refuse_same_file(options.input, options.output);

  gguf::File file = gguf::File::open(options.input);
  const std::vector<Plan> plans = plan_tensors(file, *target);

  gguf::Writer writer(options.output, options.overwrite, file.alignment());
  for (const auto& [key, value] : file.metadata()) writer.set(key, value);
  QuantizeReport report;
  report.input = options.input;
  report.output = options.output;
  report.type = target->name;
  report.file_type = quantize_file_type(options.type);
  writer.set("general.file_type", gguf::Value{report.file_type});
  for (const Plan& p : plans) {
    writer.add_tensor({p.in->name, p.in->dims, p.out->ggml_id, p.out->bytes_for(p.in->element_count())});
    report.bytes_in += p.in->size;
  }
  writer.begin_data();

  Converter converter(options.threads);
  Progress progress(cat("quantize ", plans.size(), " tensors to ", target->name), report.bytes_in, options.progress);
  try {
    for (const Plan& p : plans) {
      report.tensors.push_back(converter.convert(p, writer, progress));
      report.bytes_out += report.tensors.back().bytes_out;
    }
    writer.finish();
  } catch (...) {
    progress.finish("failed");
    throw;
  }
  progress.finish();
  std::error_code ec;
  report.file_bytes = fs::file_size(options.output, ec);
  report.seconds = timer.seconds();
  return report;
}

}  // namespace trit::tools
