// Shared helpers of the net/ tests: echo building and matching, and running a
// piece of test logic inside a private network namespace.
//
// The private namespace is made by fork() + unshare(CLONE_NEWNET) in the
// child: it exists only while the child lives, so it cannot leak (not even
// when a test crashes) and needs no name and no clean-up trap. Inside it the
// child may set net.ipv4.ping_group_range (a per-namespace sysctl) to open
// ping sockets as root, and install nftables rules, without touching the host.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "icmpkit/net/received.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/icmp.hpp"

namespace icmpkit::net::test {

inline wire::IpAddress loopback(wire::Family family) {
  return *wire::IpAddress::parse(family == wire::Family::v4 ? "127.0.0.1" : "::1");
}

/// Loopback target number `i` as 127.1.x.y (distinct for i below 65,536;
/// all of 127.0.0.0/8 answers on lo).
inline wire::IpAddress numbered_loopback(std::uint32_t i) {
  return wire::IpAddress(wire::Ipv4Address{std::byte{127}, std::byte{1}, std::byte((i >> 8) & 0xff),
                                           std::byte(i & 0xff)});
}

inline std::string family_name(wire::Family family) { return family == wire::Family::v4 ? "v4" : "v6"; }

/// False when IPv6 is disabled on lo (no ::1 to ping).
inline bool v6_loopback_usable() {
  std::ifstream disabled("/proc/sys/net/ipv6/conf/lo/disable_ipv6");
  int v = 0;
  return disabled && (disabled >> v) && v == 0;
}

/// An echo request with a random payload cookie, so replies from other
/// programs' pings (a raw socket sees every echo reply on the host) never match.
struct EchoProbe {
  wire::Family family = wire::Family::v4;
  wire::EchoId id{0x1c3e};
  wire::EchoSeq seq{1};
  std::array<std::byte, 24> cookie{};
  std::array<std::byte, 64> packet{};
  std::size_t size = 0;

  EchoProbe(wire::Family f, std::uint16_t sequence) : family(f), seq(sequence) {
    std::random_device random;
    for (auto& b : cookie) b = static_cast<std::byte>(random());
    id = wire::EchoId(static_cast<std::uint16_t>(random()));
    auto n = wire::encode_echo(family, false, id, seq, cookie, packet);
    size = n ? *n : 0;
  }
  ConstBytes bytes() const { return ConstBytes(packet).first(size); }

  /// True when `received` is the echo reply to this probe (id not compared:
  /// a ping socket's kernel rewrites it).
  bool is_reply(const Received& received) const {
    const auto* message = as_message(received);
    if (message == nullptr) return false;
    auto echo = wire::decode_echo(message->icmp);
    return echo && echo->is_reply && echo->seq == seq &&
           std::equal(echo->data.begin(), echo->data.end(), cookie.begin(), cookie.end());
  }

  /// True when `error` quotes this probe.
  bool is_quoted_by(const ReceivedError& error) const {
    if (!error.probe) return false;
    auto echo = wire::decode_echo(*error.probe);
    return echo && !echo->is_reply && echo->seq == seq;
  }
};

inline bool is_root() { return geteuid() == 0; }

/// Runs a shell command quietly; true on exit status 0.
inline bool sh(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  return std::system(quiet.c_str()) == 0;  // NOLINT(cert-env33-c): test lab set-up
}

/// Writes a per-namespace sysctl through /proc (valid only inside the child).
inline bool write_sysctl(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value << '\n';
  out.flush();
  return static_cast<bool>(out);
}

/// Outcome of run_in_private_netns.
struct IsolatedOutcome {
  enum class Status { passed, failed, skipped } status = Status::failed;
  std::string message;
};

/// Runs `body` in a forked child inside a fresh network namespace with
/// loopback up and ping sockets allowed for every group. `body` returns ""
/// on success, "SKIP: why" to skip, or a failure description. The child is
/// bounded by `limit` (SIGKILL by PID after that).
inline IsolatedOutcome run_in_private_netns(const std::function<std::string()>& body,
                                            std::chrono::seconds limit = std::chrono::seconds(20)) {
  IsolatedOutcome outcome;
  if (!is_root()) {
    outcome.status = IsolatedOutcome::Status::skipped;
    outcome.message = "needs root: unshare(CLONE_NEWNET) for a private network namespace";
    return outcome;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    outcome.message = "pipe() failed";
    return outcome;
  }
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    outcome.message = "fork() failed";
    return outcome;
  }
  if (child == 0) {
    close(fds[0]);
    alarm(static_cast<unsigned>(limit.count()) + 5);
    std::string result;
    if (unshare(CLONE_NEWNET) != 0) {
      result = "SKIP: unshare(CLONE_NEWNET) refused (no CAP_SYS_ADMIN here)";
    } else if (!sh("ip link set lo up")) {
      result = "could not bring up lo in the private namespace";
    } else if (!write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647")) {
      result = "could not set ping_group_range in the private namespace";
    } else {
      try {
        result = body();
      } catch (const std::exception& e) {
        result = std::string("exception: ") + e.what();
      }
    }
    const auto* p = result.data();
    std::size_t left = result.size();
    while (left > 0) {
      const auto n = write(fds[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool eof = false;
  while (!eof) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{fds[0], POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[512];
    const auto n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) {
      eof = true;
    } else {
      text.append(chunk, static_cast<std::size_t>(n));
    }
  }
  close(fds[0]);
  int status = 0;
  if (!eof) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    outcome.message = "timed out in the private namespace";
    return outcome;
  }
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    outcome.message = "child died (status " + std::to_string(status) + "): " + text;
    return outcome;
  }
  if (text.rfind("SKIP: ", 0) == 0) {
    outcome.status = IsolatedOutcome::Status::skipped;
    outcome.message = text.substr(6);
  } else if (text.empty()) {
    outcome.status = IsolatedOutcome::Status::passed;
  } else {
    outcome.message = text;
  }
  return outcome;
}

}  // namespace icmpkit::net::test

/// Runs `body` in a private namespace and reports the outcome to GoogleTest.
#define ICMPKIT_RUN_IN_PRIVATE_NETNS(...)                                             \
  do {                                                                                \
    const auto icmpkit_outcome_ = ::icmpkit::net::test::run_in_private_netns(__VA_ARGS__);   \
    if (icmpkit_outcome_.status == ::icmpkit::net::test::IsolatedOutcome::Status::skipped) \
      GTEST_SKIP() << icmpkit_outcome_.message;                                       \
    ASSERT_EQ(icmpkit_outcome_.status, ::icmpkit::net::test::IsolatedOutcome::Status::passed) \
        << icmpkit_outcome_.message;                                                  \
  } while (false)
