// A repacked matrix must replace the mapped file bytes in memory use: after prepare_matrix() on a
// file mapping, the source pages are no longer resident, yet still read back correctly.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel_info.h"
#include "kernels/matmul.h"
#include "matrix_fixtures.h"

namespace trit::kernels {
namespace {

size_t resident_pages(const void* addr, size_t bytes) {
  std::vector<unsigned char> vec((bytes + 4095) / 4096);
  if (mincore(const_cast<void*>(addr), bytes, vec.data()) != 0) return SIZE_MAX;
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

TEST(RepackMemory, SourcePagesOfAMappedFileAreReleased) {
  bool any = false;
  for (Isa isa : supported_isas())
    if (repacks_weights(*formats::type_by_format(formats::Format::q2_0_g128), isa)) any = true;
  if (!any) GTEST_SKIP() << "no ISA on this CPU repacks weights";
#ifdef MADV_PAGEOUT
  {  // kernels before Linux 5.4 refuse MADV_PAGEOUT: then there is nothing to check
    void* probe = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const bool supported = madvise(probe, 4096, MADV_PAGEOUT) == 0;
    munmap(probe, 4096);
    if (!supported) GTEST_SKIP() << "this Linux kernel does not support MADV_PAGEOUT";
  }
#else
  GTEST_SKIP() << "built without MADV_PAGEOUT";
#endif
  std::mt19937 rng(3);
  auto m = testing::make_random_matrix(formats::Format::q2_0_g128, 512, 2560, rng);  // 1.3 MiB
  const std::string path = std::string(TRIT_TEST_WORK_DIR) + "/repack_memory.bin";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, m.bytes.data(), m.bytes.size()), static_cast<ssize_t>(m.bytes.size()));
  fsync(fd);  // clean pages: reclaimable without writeback
  void* map = mmap(nullptr, m.bytes.size(), PROT_READ, MAP_PRIVATE, fd, 0);
  ASSERT_NE(map, MAP_FAILED);
  for (Isa isa : supported_isas()) {
    if (!repacks_weights(*formats::type_by_format(formats::Format::q2_0_g128), isa)) continue;
    unsigned sum = 0;  // fault every page in
    for (size_t i = 0; i < m.bytes.size(); i += 4096) sum += static_cast<const volatile uint8_t*>(map)[i];
    (void)sum;
    const size_t pages = (m.bytes.size() + 4095) / 4096;
    ASSERT_EQ(resident_pages(map, m.bytes.size()), pages);
    MatrixView v = m.view();
    v.data = static_cast<const uint8_t*>(map);
    auto prepared = prepare_matrix(v, isa);
    const size_t after = resident_pages(map, m.bytes.size());
    if (after >= pages / 4) {
      // The Linux kernel may decline to reclaim (page cache pages still on their way to disk,
      // large folios, ...). If our own MADV_PAGEOUT now releases them, prepare_matrix did not ask.
      madvise(map, m.bytes.size(), MADV_PAGEOUT);
      const size_t retry = resident_pages(map, m.bytes.size());
      if (retry >= pages / 4) {
        std::printf("[ note ] the kernel kept %zu of %zu pages after MADV_PAGEOUT; no conclusion\n", retry, pages);
        continue;
      }
      ADD_FAILURE() << isa_name(isa) << ": " << after << " of " << pages
                    << " source pages still resident after prepare_matrix, but MADV_PAGEOUT releases them";
    }
    EXPECT_EQ(std::memcmp(map, m.bytes.data(), m.bytes.size()), 0) << "source bytes changed";
  }
  munmap(map, m.bytes.size());
  close(fd);
  unlink(path.c_str());
}

}  // namespace
}  // namespace trit::kernels
