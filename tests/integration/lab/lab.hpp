// File: tests/integration/lab/lab.hpp
//
// A real multi-hop IPv4/IPv6 network in four network namespaces, built per
// test and torn down in the destructor:
//
//   client ──(10.201.1.0/24, fd00:201:1::/64)── r1 ──(10.201.2.0/24, fd00:201:2::/64)── r2
//          ──(10.201.3.0/24, fd00:201:3::/64)── server
//
// Left end of each link is .1 / ::1, right end .2 / ::2. The server also owns
// the "reject target" 10.201.4.1 / fd00:201:4::1 on its loopback (reachable
// unless r1 rejects it), and nobody owns the "unreachable target" 10.201.99.1 /
// fd00:201:99::1 (r2 has no route for it, or an error route if configured).
// The addresses exist inside the namespaces only, so parallel labs do not
// collide. Namespace names are "ikl<pid>-<n>-<role>". The first lab of a
// process deletes namespaces with its own prefix (a crashed run of the same
// process id) and lab namespaces of dead processes older than ten minutes;
// nothing without the "ikl<digits>-" prefix is ever touched.
//
// IPv6 addresses are added with `nodad` and DAD is off in every namespace,
// so nothing waits for duplicate address detection.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "icmpkit/wire/types.hpp"

namespace icmpkit::lab {

/// The namespaces of the lab.
/// r3 exists only with LabConfig::third_router (appended last so the
/// default lab keeps its four namespaces and their order).
enum class Node { client, r1, r2, server, r3 };

/// Named addresses of the lab (each exists in v4 and v6).
enum class Where {
  client,
  r1_client_side,   ///< r1 on the client link: the offender for TTL 1.
  r1_r2_side,
  r2_r1_side,       ///< r2 towards r1 (and the client): r2's errors come from here.
  r2_server_side,
  server,
  reject_target,       ///< On the server's loopback; r1 may reject it (nft).
  unreachable_target,  ///< Routed to r2, which has no route (or an error route) for it.
  /// With LabConfig::third_router only: the r2—r3 link (10.201.5.0/24,
  /// fd00:201:5::/64). r2 holds .1 / ::1 there, r3 .2 / ::2; r3 then also
  /// holds r2_server_side's address (the server's next hop keeps its address).
  r2_r3_side,
  r3_r2_side,  ///< r3 towards r2 (and the client): r3's errors come from here.
};

/// What a test switches on. Defaults give a plain working network.
struct LabConfig {
  /// r2 gets `ip route add <type> <unreachable prefix>` for v4 and v6:
  /// "unreachable", "prohibit", "blackhole" or "throw". Without it r2 simply
  /// has no route for the prefix (IPv4: net unreachable; IPv6: no route).
  std::optional<std::string> r2_error_route;
  /// r1 rejects forwarded packets to Where::reject_target with
  /// `reject with icmp type <code>` (ICMPv4 destination unreachable code).
  std::optional<int> r1_reject_icmp_code;
  /// Same for IPv6: `reject with icmpv6 type <code>` (ICMPv6 unreachable code).
  std::optional<int> r1_reject_icmpv6_code;
  /// MTU of the r2—server link (both ends). >= 1280 keeps IPv6 working there.
  std::optional<int> server_link_mtu;
  /// net.ipv4.icmp_echo_ignore_all=1 and net.ipv6.icmp.echo_ignore_all=1 on the server.
  bool server_ignores_echo = false;
  /// net.ipv4.ping_group_range="0 2147483647" in the client namespace only.
  /// Every other namespace keeps the kernel default "1 0" (closed).
  bool open_client_ping_group = true;
  /// ethtool -K <veth> tx off on every veth, so raw captures show finished
  /// TCP/UDP checksums (ICMP checksums are always computed in software).
  /// Needs the `ethtool` package.
  bool disable_checksum_offload = false;
  /// The server's initial TTL / hop limit (net.ipv4.ip_default_ttl and
  /// net.ipv6.conf.*.hop_limit). Unset keeps the kernel default (64).
  std::optional<int> server_initial_ttl;
  /// net.ipv4.icmp_ratelimit / net.ipv6.icmp.ratelimit (ms) in r1 and r2 (per
  /// namespace). Unset keeps the kernel default (1000 ms per destination).
  /// Set, it also lifts the routers' overall ICMP token bucket
  /// (net.ipv4.icmp_msgs_per_sec / icmp_msgs_burst, shared by both families).
  std::optional<int> router_icmp_ratelimit_ms;
  /// Adds a third router: client — r1 — r2 — r3 — server. r2's server-side
  /// link then goes to r3 (10.201.5.0/24, fd00:201:5::/64) and r3 links to
  /// the server on 10.201.3.0/24 (taking r2_server_side's address), so the
  /// server, reject and unreachable targets keep their addresses. r3 gets
  /// the routers' sysctls (forwarding, router_icmp_ratelimit_ms).
  bool third_router = false;
};

/// A built lab. Not copyable or movable (the destructor owns the namespaces).
class Lab {
 public:
  /// Builds the lab. Throws LabError (with the failing command and its
  /// output) when a step fails; whatever was created is deleted first.
  explicit Lab(LabConfig config = {});
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  /// Name of a namespace (for /run/netns/<name>, `ip -n`, run_in_netns).
  const std::string& netns(Node node) const { return names_[static_cast<std::size_t>(node)]; }
  const LabConfig& config() const { return config_; }

  /// Textual address of a named place.
  static std::string address(Where where, wire::Family family);
  /// The prefix (with /len) that contains Where::unreachable_target.
  static std::string unreachable_prefix(wire::Family family);

  /// Routers a packet from the client to the server crosses (default lab).
  static constexpr int routers_between_client_and_server = 2;
  /// Routers between client and server in this lab (3 with third_router).
  int routers() const { return config_.third_router ? 3 : 2; }
  /// The routers of this lab, client side first.
  std::vector<Node> router_nodes() const;

  /// The initial TTL (v4) or hop limit (v6) the server uses for its replies,
  /// read back from the server namespace's sysctls.
  int server_initial_ttl(wire::Family family) const;

  /// Reads a sysctl (dotted name) inside a namespace; throws LabError.
  std::string read_sysctl(Node node, const std::string& name) const;
  /// Writes sysctls inside a namespace; throws LabError.
  void write_sysctls(Node node, const std::vector<std::pair<std::string, std::string>>& values) const;

  /// Runs `ip -n <ns> args...` (checked) and returns its output.
  std::string ip(Node node, const std::vector<std::string>& args) const;
  /// Runs a program inside a namespace (`ip netns exec`), checked; returns its output.
  std::string exec(Node node, const std::vector<std::string>& argv) const;

  /// Name of `node`'s interface on the link towards `neighbour` (for tcpdump
  /// -i, ethtool ...); throws LabError when the two are not linked. With
  /// third_router, r2's "r2-s" leads to r3 and the server's "s-r2" to r3
  /// (interface names do not change with the topology).
  static std::string interface_towards(Node node, Node neighbour);

  /// Prefix of every namespace this process creates ("ikl<pid>-").
  static std::string process_prefix();
  /// Deletes every namespace whose name starts with process_prefix().
  static void delete_leftovers();
  /// Deletes lab namespaces ("ikl<pid>-...") left by a run that crashed: the
  /// process <pid> no longer exists and the namespace is older than
  /// `min_age_seconds` (no test lives that long, so a namespace of a live
  /// run in another PID namespace is never taken). Returns how many it deleted.
  static int delete_stale_labs(long min_age_seconds = 600);

 private:
  void build();
  void teardown() noexcept;

  LabConfig config_;
  std::array<std::string, 5> names_;  // r3's stays empty without third_router
  std::vector<std::string> created_;
};

}  // namespace icmpkit::lab
