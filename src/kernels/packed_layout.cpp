#include "kernels/packed_layout.h"

#include <cstring>

#include "util/error.h"

namespace trit::kernels {

PackedLayout packed_layout_for(const MatrixView& w, int rows_per_panel) {
  PackedLayout l;
  l.rows_per_panel = rows_per_panel;
  l.rows = w.rows;
  l.cols = w.cols;
  switch (w.type->format) {
    case formats::Format::q2_0_g128: l.group = 128; l.bits = 2; break;
    case formats::Format::q2_0_g64: l.group = 64; l.bits = 2; break;
    case formats::Format::q1_0: l.group = 128; l.bits = 1; break;
    default: fail("pack_ternary: ", w.type->name, " is not a ternary format");
  }
  l.blocks = w.cols / l.group;
  l.panels = (w.rows + rows_per_panel - 1) / rows_per_panel;
  return l;
}

void pack_ternary(const MatrixView& w, const PackedLayout& l, uint8_t* dst) {
  std::memset(dst, 0, l.total_bytes());
  const int R = l.rows_per_panel, G = l.group, bits = l.bits;
  const int per_byte = 8 / bits;
  const int span = 4 * per_byte;
  const size_t block_bytes = static_cast<size_t>(w.type->block_bytes);
  for (int64_t panel = 0; panel < l.panels; ++panel) {
    uint8_t* base = dst + panel * l.panel_bytes();
    auto* scales = reinterpret_cast<uint16_t*>(base);
    uint8_t* codes = base + l.scale_bytes();
    for (int i = 0; i < R; ++i) {
      const int64_t row = panel * R + i;
      if (row >= w.rows) break;  // padding rows: scale 0, codes 0
      const uint8_t* src_row = w.data + row * w.row_bytes;
      for (int64_t b = 0; b < l.blocks; ++b) {
        const uint8_t* block = src_row + b * block_bytes;
        std::memcpy(&scales[b * R + i], block, 2);
        const uint8_t* payload = block + 2;
        uint8_t* out = codes + b * l.block_code_bytes();
        for (int k = 0; k < G; ++k) {
          const int code = bits == 2 ? (payload[k / 4] >> (2 * (k % 4))) & 3
                                     : (payload[k / 8] >> (k % 8)) & 1;
          const int j = k / span, p = (k % span) / 4, m = k % 4;
          out[j * l.vector_bytes() + 4 * i + m] |= static_cast<uint8_t>(code << (p * bits));
        }
      }
    }
  }
}

}  // namespace trit::kernels
