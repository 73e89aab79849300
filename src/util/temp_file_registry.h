// Temporary files that SIGINT, SIGTERM or SIGHUP must not leave behind.
//
// A process killed by one of these signals runs no destructors, so an atomic writer's temporary
// file (util/atomic_file.h) would stay. Registered paths are unlinked by a signal handler, which
// then restores the default action and re-raises the signal: the process still dies of it (the
// exit status says "killed by SIGINT"), only without the junk.
//
// Layout: a fixed table of slots, each a path buffer and an atomic state (free, being filled,
// armed). The handler only reads armed slots and calls only unlink(), sigaction() and raise(),
// which are async-signal-safe; nothing is allocated or locked there.
//
// The handlers are installed at the first registration, and only for signals whose action is
// still the default: a front end that handles a signal itself (chat's Ctrl-C, serve's drain) or
// a parent that made one ignored (nohup) keeps it. SIGKILL cannot be caught; the stale-file sweep
// of util/atomic_file.h removes what a killed process left.
#pragma once
#include <string>

namespace trit {

// Arms removal of `path` on a fatal signal. Returns a slot for unregister_temp_file, or -1 when
// the table is full or the path too long (the file then only has the stale-file sweep).
int register_temp_file(const std::string& path);
// Disarms a slot (the file was renamed into place or removed); -1 is ignored.
void unregister_temp_file(int slot);
// Whether `path` is armed in this process (so a sweep never removes one of our own files).
bool is_registered_temp_file(const std::string& path);

}  // namespace trit
