// A file written whole or not at all: bytes go to a temporary file in the destination's folder,
// which close() flushes and fsyncs and rename_into_place() renames over the destination (atomic
// within one file system) before fsyncing the folder. Destroyed before that (an error, an
// exception), it removes the temporary file; SIGINT/SIGTERM/SIGHUP remove it too
// (util/temp_file_registry.h).
//
// The temporary name is ".NAME.tmp-PID" (".NAME.tmp-PID-N" when this process already has one),
// so a later run can tell whose it is: creating an AtomicFile for NAME first removes the
// ".NAME.tmp-*" files whose process is gone (a SIGKILL, a power cut, or trit before this rule,
// whose suffix was a random number), and leaves those of live processes alone.
//
// The destination is refused when it exists and is not a regular file (a device node, fifo or
// socket, or a link to one): replacing /dev/null with a regular file is never what was meant.
//
// Test seam: when TRIT_TEST_HOLD_TEMP_FILE is set, the constructor prints
// "trit: holding temporary file PATH" to stderr once the file exists and waits for a signal,
// so a test can interrupt a write at a known point without guessing with sleeps.
#pragma once
#include <cstdio>
#include <string>

namespace trit {

class AtomicFile {
 public:
  explicit AtomicFile(std::string dest);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::FILE* stream() const { return out_; }
  const std::string& dest() const { return dest_; }
  const std::string& temp_path() const { return temp_path_; }

  // Flushes, fsyncs and closes the temporary file; a failure (a full disk) names the destination.
  void close();
  // After close(): renames the temporary file over the destination and fsyncs the folder.
  void rename_into_place();

 private:
  std::string dest_;
  std::string temp_path_;
  std::FILE* out_ = nullptr;
  int registry_slot_ = -1;
  bool renamed_ = false;
};

// Throws when `path` exists and is not a regular file (links followed).
void refuse_non_regular_destination(const std::string& path);

// Removes the ".NAME.tmp-PID[-N]" files beside `dest` whose process no longer runs (and any of
// this process that it does not hold open). Returns how many it removed.
int remove_stale_temp_files(const std::string& dest);

}  // namespace trit
