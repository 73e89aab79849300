#include "util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "util/error.h"
#include "util/temp_file_registry.h"

namespace fs = std::filesystem;

namespace trit {
namespace {

// ".NAME.tmp-" for dest ".../NAME".
std::string temp_prefix(const fs::path& dest) { return "." + dest.filename().string() + ".tmp-"; }

// The PID in a temporary name's suffix ("PID" or "PID-N"); 0 when it is not one.
pid_t owner_pid(const std::string& suffix) {
  pid_t pid = 0;
  size_t i = 0;
  for (; i < suffix.size() && suffix[i] >= '0' && suffix[i] <= '9'; ++i) {
    if (pid > 99999999) return 0;  // longer than any PID
    pid = pid * 10 + (suffix[i] - '0');
  }
  if (i == 0 || (i < suffix.size() && suffix[i] != '-')) return 0;
  return pid;
}

bool process_is_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

void hold_for_test(const std::string& temp_path) {
  const char* hold = std::getenv("TRIT_TEST_HOLD_TEMP_FILE");
  if (hold == nullptr || *hold == '\0') return;
  std::fprintf(stderr, "trit: holding temporary file %s\n", temp_path.c_str());
  std::fflush(stderr);
  for (;;) ::pause();  // until a signal ends the process
}

}  // namespace

void refuse_non_regular_destination(const std::string& path) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st) || fs::is_regular_file(st)) return;
  if (fs::is_directory(st)) fail(path, ": is a directory");
  fail(path, ": is not a regular file (a device, fifo or socket); refusing to replace it");
}

int remove_stale_temp_files(const std::string& dest) {
  const fs::path p(dest);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string prefix = temp_prefix(p);
  int removed = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const pid_t pid = owner_pid(name.substr(prefix.size()));
    if (pid <= 0) continue;
    const std::string path = (p.parent_path() / name).string();
    const bool stale = pid == ::getpid() ? !is_registered_temp_file(path) : process_is_gone(pid);
    std::error_code remove_error;
    if (stale && !it->is_directory(remove_error) && fs::remove(it->path(), remove_error)) ++removed;
  }
  return removed;
}

AtomicFile::AtomicFile(std::string dest) : dest_(std::move(dest)) {
  refuse_non_regular_destination(dest_);
  remove_stale_temp_files(dest_);
  const fs::path p(dest_);
  const std::string base = (p.parent_path() / temp_prefix(p)).string() + std::to_string(::getpid());
  int fd = -1;
  for (int n = 1; fd < 0 && n <= 100; ++n) {
    temp_path_ = n == 1 ? base : base + "-" + std::to_string(n);
    fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) fail(dest_, ": cannot create output file: ", std::strerror(errno));
  registry_slot_ = register_temp_file(temp_path_);
  out_ = fdopen(fd, "wb");
  if (!out_) {
    ::close(fd);
    ::unlink(temp_path_.c_str());
    unregister_temp_file(registry_slot_);
    fail(dest_, ": cannot open output file");
  }
  hold_for_test(temp_path_);
}

AtomicFile::~AtomicFile() {
  if (out_) std::fclose(out_);
  if (!renamed_) ::unlink(temp_path_.c_str());
  unregister_temp_file(registry_slot_);
}

void AtomicFile::close() {
  if (!out_) return;
  if (std::fflush(out_) != 0 || ::fsync(fileno(out_)) != 0) {
    const int error = errno;
    std::fclose(out_);
    out_ = nullptr;
    fail(dest_, ": cannot flush output: ", std::strerror(error), " (disk full?)");
  }
  const int rc = std::fclose(out_);
  out_ = nullptr;
  if (rc != 0) fail(dest_, ": cannot close output: ", std::strerror(errno));
}

void AtomicFile::rename_into_place() {
  close();
  refuse_non_regular_destination(dest_);  // it may have become one while we wrote
  if (std::rename(temp_path_.c_str(), dest_.c_str()) != 0)
    fail(dest_, ": cannot move the finished file into place: ", std::strerror(errno));
  renamed_ = true;
  unregister_temp_file(registry_slot_);
  registry_slot_ = -1;
  // Make the rename durable.
  const std::string dir = fs::path(dest_).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace trit
