// File: tests/integration/lab/netns_child.hpp
//
// Runs a piece of test code inside a network namespace, optionally as the
// unprivileged user nobody:nogroup, in a forked child. The child enters the
// namespace with setns() on /run/netns/<name>, drops privileges the way
// `setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs` does
// (a plain setuid would keep a saved uid of 0), checks that CAP_NET_RAW is
// really gone, runs the body and sends what it recorded back through a pipe.
// The parent bounds the child with a timeout and kills it by PID if it overruns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>

namespace icmpkit::lab {

/// Who the child runs as inside the namespace.
enum class Identity {
  root,    ///< Keeps uid 0 and every capability (CAP_NET_RAW included).
  nobody,  ///< nobody:nogroup, no supplementary groups, no capabilities, no_new_privs.
};

/// Child side: what the body records. Each call is sent to the parent at once,
/// so values recorded before a hang or crash still arrive.
class ChildReport {
 public:
  explicit ChildReport(int fd) noexcept : fd_(fd) {}
  ChildReport(const ChildReport&) = delete;
  ChildReport& operator=(const ChildReport&) = delete;

  /// Records key = value (a later set of the same key replaces it).
  void set(const std::string& key, const std::string& value);
  void set(const std::string& key, const char* value) { set(key, std::string(value)); }
  void set(const std::string& key, bool value) { set(key, std::string(value ? "true" : "false")); }
  template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  void set(const std::string& key, T value) {
    set(key, std::to_string(value));
  }

  /// Records a failure; the parent's ChildOutcome::ok() becomes false. The
  /// body may go on (all failures are kept, joined by newlines).
  void fail(const std::string& why);

 private:
  void send(char tag, const std::string& key, const std::string& value);
  int fd_;
};

/// Parent side: how the child ended and what it recorded.
struct ChildOutcome {
  bool exited = false;       ///< The child exited normally (not killed).
  int exit_code = -1;        ///< 0 when the body ran to its end.
  int term_signal = 0;       ///< Signal that killed it, if any.
  bool timed_out = false;    ///< Killed by the parent after the timeout.
  std::string failure;       ///< Failures recorded by the body or by the set-up.
  std::map<std::string, std::string> values;

  /// True when the body ran to completion and recorded no failure.
  bool ok() const { return exited && exit_code == 0 && !timed_out && failure.empty(); }
  bool has(const std::string& key) const { return values.count(key) != 0; }
  /// The value for key, or "" when the child did not record it.
  std::string get(const std::string& key) const;
  /// The value for key as an integer, or nullopt when absent or not a number.
  std::optional<long long> get_int(const std::string& key) const;
  /// A one-paragraph account for assertion messages.
  std::string describe() const;
};

struct ChildOptions {
  Identity identity = Identity::root;
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
};

/// Forks, enters netns `netns` (a name under /run/netns; empty = stay in the
/// caller's namespace), becomes `options.identity`, runs body, and returns what
/// happened. An exception escaping body is recorded as a failure.
ChildOutcome run_in_netns(const std::string& netns, const ChildOptions& options,
                          const std::function<void(ChildReport&)>& body);

/// uid and gid of nobody and nogroup on this system (65534 when unnamed).
std::uint32_t nobody_uid();
std::uint32_t nogroup_gid();

/// The effective capability set of the calling process (bit n = capability n).
std::uint64_t effective_capabilities();
/// The permitted capability set of the calling process.
std::uint64_t permitted_capabilities();

}  // namespace icmpkit::lab
