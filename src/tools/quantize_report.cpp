#include "tools/quantize_report.h"

#include <algorithm>
#include <cstdio>

#include "util/error.h"
#include "util/progress.h"

namespace trit::tools {
namespace {

std::string pad(const std::string& s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

std::string verdict(const TensorReport& t) {
  if (!t.matrix) return t.from == "f32" ? "1-D, kept in F32" : "1-D, converted to F32";
  if (t.copied) return "same type, copied";
  if (t.lossless) return "lossless";
  char buf[200];
  std::snprintf(buf, sizeof buf, "LOSSY: %llu of %llu values differ, rms %.3g (%.3g%%), max %.3f of the group scale",
                static_cast<unsigned long long>(t.mismatches), static_cast<unsigned long long>(t.elements),
                t.rms_error, 100.0 * t.rms_relative, t.max_error_of_scale);
  return buf;
}

}  // namespace

std::string quantize_summary_line(const QuantizeReport& r) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f s", r.seconds);
  return cat(r.lossless_matrices(), " of ", r.matrices(), " matrices lossless (dequantize(quantize(x)) == x); ",
             Progress::format_bytes(r.bytes_in), " -> ", Progress::format_bytes(r.bytes_out), " of tensors in ", secs,
             ": wrote ", r.output, " (", r.type, ", general.file_type ", r.file_type, ")");
}

std::string quantize_report_text(const QuantizeReport& r) {
  size_t name_w = 0, shape_w = 0, types_w = 0;
  for (const TensorReport& t : r.tensors) {
    name_w = std::max(name_w, t.name.size());
    shape_w = std::max(shape_w, t.shape.size());
    types_w = std::max(types_w, t.from.size() + 4 + t.to.size());
  }
  std::string out;
  for (const TensorReport& t : r.tensors)
    out += cat(pad(t.name, name_w), "  ", pad(t.shape, shape_w), "  ", pad(t.from + " -> " + t.to, types_w), "  ",
               verdict(t), "\n");
  return out + quantize_summary_line(r) + "\n";
}

nlohmann::json quantize_report_json(const QuantizeReport& r) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const TensorReport& t : r.tensors)
    tensors.push_back({{"name", t.name},
                       {"shape", t.shape},
                       {"from", t.from},
                       {"to", t.to},
                       {"elements", t.elements},
                       {"bytes_in", t.bytes_in},
                       {"bytes_out", t.bytes_out},
                       {"matrix", t.matrix},
                       {"copied", t.copied},
                       {"lossless", t.lossless},
                       {"mismatches", t.mismatches},
                       {"rms_error", t.rms_error},
                       {"rms_relative", t.rms_relative},
                       {"max_error_of_scale", t.max_error_of_scale}});
  return {{"input", r.input},
          {"output", r.output},
          {"type", r.type},
          {"file_type", r.file_type},
          {"seconds", r.seconds},
          {"bytes_in", r.bytes_in},
          {"bytes_out", r.bytes_out},
          {"file_bytes", r.file_bytes},
          {"matrices", r.matrices()},
          {"lossless_matrices", r.lossless_matrices()},
          {"all_lossless", r.lossless_matrices() == r.matrices()},
          {"tensors", tensors}};
}

}  // namespace trit::tools
