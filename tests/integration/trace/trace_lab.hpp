// File: tests/integration/trace/trace_lab.hpp
//
// The traceroute lab: six network namespaces, IPv4 and IPv6, built per test
// and torn down in the destructor:
//
//                  ┌── r2a ──┐
//   client ── r1 ──┤         ├── r3 ══(MTU 1400)══ server
//                  └── r2b ──┘
//
// r1 and r3 route through the r2a/r2b pair with equal-cost multipath routes
// (`nexthop via A nexthop via B`) hashed on the L4 five-tuple
// (fib_multipath_hash_policy=3 with fib_multipath_hash_fields=0x0037: source,
// destination, protocol, source port, destination port; policy 1 would reuse
// the sending socket's random hash that veth carries across namespaces, see
// trace_lab.cpp), so UDP probes with varying ports take both
// branches and Paris-style probes with a fixed flow take one. ICMP error
// rate limits are off in every router and in the server (whose port
// unreachables end UDP traces). r1 also owns error routes
// (`unreachable`, `prohibit`) and an nft `reject` for dedicated targets.
//
// With TraceLabConfig::extension_responder, r3 does not let its kernel answer
// expiring packets (nft drops ttl/hop limit 1 in prerouting) and runs
// icmpkit_extension_responder instead, which sends Time Exceeded with an
// RFC 4884 extension structure (RFC 4950 MPLS labels 16001/24002, RFC 5837
// interface information "eth-mpls0", MTU 1500) from the ingress address.
//
// Addresses: link n is 10.202.n.0/24 and fd00:202:n::/64, the left end
// (towards the client) is .1/::1, the right end .2/::2:
//   1 client—r1, 2 r1—r2a, 3 r1—r2b, 4 r2a—r3, 5 r2b—r3, 6 r3—server.
// Namespaces are "ikt<pid>-<n>-<role>"; the first lab of a process deletes
// "ikt<pid>-" leftovers of its own and of dead processes (older than 10 min).
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "icmpkit/wire/types.hpp"

namespace icmpkit::lab {

/// The namespaces of the trace lab.
enum class TraceNode { client, r1, r2a, r2b, r3, server };

/// Named addresses (each exists in v4 and v6).
enum class TracePoint {
  client,
  r1_client_side,    ///< r1's hop address (hop 1).
  r1_r2a_side,
  r1_r2b_side,
  r2a_r1_side,       ///< r2a's hop address (hop 2, branch a).
  r2b_r1_side,       ///< r2b's hop address (hop 2, branch b).
  r2a_r3_side,
  r2b_r3_side,
  r3_r2a_side,       ///< r3's hop address when the probe came through r2a.
  r3_r2b_side,       ///< r3's hop address when the probe came through r2b.
  r3_server_side,
  server,            ///< The trace target (hop 4).
  reject_target,     ///< On the server's loopback; r1 rejects it with nft.
  unreachable_target,  ///< r1 has an `unreachable` route for it.
  prohibit_target,     ///< r1 has a `prohibit` route for it.
};

struct TraceLabConfig {
  /// Run the extension responder on r3 (see the banner).
  bool extension_responder = false;
  /// MTU of the r3—server link (both ends); >= 1280 keeps IPv6 working.
  int server_link_mtu = 1400;
  /// ICMPv4 code of r1's nft reject for TracePoint::reject_target (13 =
  /// communication administratively prohibited).
  int reject_icmp_code = 13;
  /// ICMPv6 code for the same (1 = administratively prohibited).
  int reject_icmpv6_code = 1;
  /// net.ipv4.ping_group_range opened in the client namespace (for
  /// unprivileged ICMP sockets).
  bool open_client_ping_group = true;
  /// Lifetime of the responder process, seconds.
  int responder_lifetime_seconds = 30;
};

/// A built trace lab. Not copyable or movable (the destructor owns the
/// namespaces and the responder process).
class TraceLab {
 public:
  /// Builds the lab; throws LabError naming the failing command. Whatever
  /// was created is deleted first.
  explicit TraceLab(TraceLabConfig config = {});
  ~TraceLab();
  TraceLab(const TraceLab&) = delete;
  TraceLab& operator=(const TraceLab&) = delete;

  const std::string& netns(TraceNode node) const { return names_[static_cast<std::size_t>(node)]; }
  const TraceLabConfig& config() const { return config_; }

  static std::string address(TracePoint point, wire::Family family);

  /// Hop number (TTL) of each router seen from the client, and the server's.
  static constexpr int r1_hop = 1;
  static constexpr int r2_hop = 2;
  static constexpr int r3_hop = 3;
  static constexpr int server_hop = 4;

  /// MPLS labels and interface name the responder puts in its extensions.
  static constexpr std::uint32_t responder_top_label = 16001;
  static constexpr std::uint32_t responder_bottom_label = 24002;
  static constexpr const char* responder_interface_name = "eth-mpls0";
  static constexpr std::uint32_t responder_interface_mtu = 1500;

  /// ifindex of r3's interface towards r2a / r2b (what the responder reports).
  int r3_ifindex(TraceNode towards) const;

  /// Process id of the running responder, or -1.
  pid_t responder_pid() const { return responder_pid_; }

  /// Runs `ip netns exec <ns> argv...` unchecked, bounded by `timeout`.
  struct Run {
    int exit_code = -1;
    bool timed_out = false;
    std::string output;
  };
  Run exec(TraceNode node, const std::vector<std::string>& argv,
           std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  /// Writes sysctls inside a namespace; throws LabError.
  void write_sysctls(TraceNode node, const std::vector<std::pair<std::string, std::string>>& values) const;
  /// Reads one sysctl (dotted name); throws LabError.
  std::string read_sysctl(TraceNode node, const std::string& name) const;

  /// Prefix of every namespace this process creates ("ikt<pid>-").
  static std::string process_prefix();
  /// Deletes "ikt<pid>-" namespaces whose process is gone and that are
  /// older than `min_age_seconds`, and this process's own leftovers.
  static int delete_stale_labs(long min_age_seconds = 600);

 private:
  void build();
  void start_responder();
  void stop_responder() noexcept;
  void teardown() noexcept;

  TraceLabConfig config_;
  std::array<std::string, 6> names_;
  std::vector<std::string> created_;
  pid_t responder_pid_ = -1;
  int responder_stdin_ = -1;
};

}  // namespace icmpkit::lab
