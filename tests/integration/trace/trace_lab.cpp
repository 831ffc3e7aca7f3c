#include "trace/trace_lab.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>

#include "lab/command.hpp"
#include "lab/netns_child.hpp"
#include "lab/netns_sysctl.hpp"
#include "lab/stale_namespaces.hpp"

#ifndef ICMPKIT_EXTENSION_RESPONDER_PATH
#error "ICMPKIT_EXTENSION_RESPONDER_PATH must name the icmpkit_extension_responder binary"
#endif

namespace icmpkit::lab {
namespace {

using wire::Family;

constexpr std::array<const char*, 6> role_names = {"client", "r1", "r2a", "r2b", "r3", "server"};



std::atomic<int> lab_counter{0};
std::once_flag leftovers_swept;

// Link n: (left node, left interface, right node, right interface).
struct Link {
  int n;
  TraceNode left;
  const char* left_if;
  TraceNode right;
  const char* right_if;
};
constexpr std::array<Link, 6> links = {{
    {1, TraceNode::client, "c-r1", TraceNode::r1, "r1-c"},
    {2, TraceNode::r1, "r1-a", TraceNode::r2a, "a-r1"},
    {3, TraceNode::r1, "r1-b", TraceNode::r2b, "b-r1"},
    {4, TraceNode::r2a, "a-r3", TraceNode::r3, "r3-a"},
    {5, TraceNode::r2b, "b-r3", TraceNode::r3, "r3-b"},
    {6, TraceNode::r3, "r3-s", TraceNode::server, "s-r3"},
}};

std::string on_link(int n, int end, Family family) {
  return family == Family::v4 ? "10.202." + std::to_string(n) + "." + std::to_string(end)
                              : "fd00:202:" + std::to_string(n) + "::" + std::to_string(end);
}

}  // namespace

std::string TraceLab::process_prefix() { return process_namespace_prefix("ikt"); }

int TraceLab::delete_stale_labs(long min_age_seconds) {
  auto names = namespaces_with_prefix(process_prefix());  // this process's own leftovers
  const auto orphaned = orphaned_namespaces("ikt", min_age_seconds);
  names.insert(names.end(), orphaned.begin(), orphaned.end());
  return delete_namespaces(names);
}

std::string TraceLab::address(TracePoint point, Family family) {
  switch (point) {
    case TracePoint::client: return on_link(1, 1, family);
    case TracePoint::r1_client_side: return on_link(1, 2, family);
    case TracePoint::r1_r2a_side: return on_link(2, 1, family);
    case TracePoint::r1_r2b_side: return on_link(3, 1, family);
    case TracePoint::r2a_r1_side: return on_link(2, 2, family);
    case TracePoint::r2b_r1_side: return on_link(3, 2, family);
    case TracePoint::r2a_r3_side: return on_link(4, 1, family);
    case TracePoint::r2b_r3_side: return on_link(5, 1, family);
    case TracePoint::r3_r2a_side: return on_link(4, 2, family);
    case TracePoint::r3_r2b_side: return on_link(5, 2, family);
    case TracePoint::r3_server_side: return on_link(6, 1, family);
    case TracePoint::server: return on_link(6, 2, family);
    case TracePoint::reject_target: return on_link(7, 1, family);
    case TracePoint::unreachable_target: return on_link(98, 1, family);
    case TracePoint::prohibit_target: return on_link(97, 1, family);
  }
  return {};
}

TraceLab::TraceLab(TraceLabConfig config) : config_(std::move(config)) {
  std::call_once(leftovers_swept, [] { delete_stale_labs(); });
  const std::string base = process_prefix() + std::to_string(lab_counter.fetch_add(1)) + "-";
  for (std::size_t i = 0; i < names_.size(); ++i) names_[i] = base + role_names[i];
  try {
    build();
    if (config_.extension_responder) start_responder();
  } catch (...) {
    teardown();
    throw;
  }
}

TraceLab::~TraceLab() { teardown(); }

void TraceLab::teardown() noexcept {
  stop_responder();
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    try {
      run_command_unchecked({"ip", "netns", "delete", *it});
    } catch (...) {
      // The next lab of this process id sweeps its prefix.
    }
  }
  created_.clear();
}

TraceLab::Run TraceLab::exec(TraceNode node, const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout) const {
  std::vector<std::string> full = {"ip", "netns", "exec", netns(node)};
  full.insert(full.end(), argv.begin(), argv.end());
  const auto result = run_command_unchecked(full, {}, timeout);
  return {result.exit_code, result.timed_out, result.output};
}

void TraceLab::write_sysctls(TraceNode node, const Sysctls& values) const { write_netns_sysctls(netns(node), values); }

std::string TraceLab::read_sysctl(TraceNode node, const std::string& name) const {
  return read_netns_sysctl(netns(node), name);
}

int TraceLab::r3_ifindex(TraceNode towards) const {
  const std::string name = towards == TraceNode::r2a ? "r3-a" : "r3-b";
  // if_nametoindex asks the kernel of the caller's network namespace.
  const auto outcome = run_in_netns(netns(TraceNode::r3), {}, [&](ChildReport& report) {
    const unsigned index = ::if_nametoindex(name.c_str());
    if (index == 0) report.fail("if_nametoindex " + name + " failed");
    report.set("index", index);
  });
  const auto index = outcome.get_int("index");
  if (!outcome.ok() || !index) throw LabError("ifindex of " + name + ": " + outcome.describe());
  return static_cast<int>(*index);
}

void TraceLab::build() {
  for (const auto& name : names_) {
    run_command({"ip", "netns", "add", name});
    created_.push_back(name);
  }

  // Written before the interfaces exist so they copy "default": no DAD, no
  // router solicitations, no reverse-path filter (ECMP returns asymmetrically).
  const Sysctls common = {
      {"net.ipv6.conf.all.accept_dad", "0"},        {"net.ipv6.conf.default.accept_dad", "0"},
      {"net.ipv6.conf.all.router_solicitations", "0"}, {"net.ipv6.conf.default.router_solicitations", "0"},
      {"net.ipv6.conf.default.accept_ra", "0"},     {"net.ipv4.conf.all.rp_filter", "0"},
      {"net.ipv4.conf.default.rp_filter", "0"},
  };
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const auto node = static_cast<TraceNode>(i);
    Sysctls values = common;
    if (node != TraceNode::client && node != TraceNode::server) {
      values.insert(values.end(), {
                                      {"net.ipv4.ip_forward", "1"},
                                      {"net.ipv6.conf.all.forwarding", "1"},
                                      {"net.ipv6.conf.default.forwarding", "1"},
                                      // Policy 3 (custom fields) rather than 1: policy 1
                                      // reuses skb->hash when it is an L4 hash, and veth
                                      // carries the sending socket's random sk_txhash
                                      // into r1, so a connected socket per probe (as
                                      // traceroute(8) does) would pick branches at random
                                      // even with a fixed five-tuple. Policy 3 always
                                      // dissects the headers: src, dst, proto, sport,
                                      // dport (0x0037), what a hardware router hashes.
                                      {"net.ipv4.fib_multipath_hash_policy", "3"},
                                      {"net.ipv4.fib_multipath_hash_fields", "0x0037"},
                                      {"net.ipv6.fib_multipath_hash_policy", "3"},
                                      {"net.ipv6.fib_multipath_hash_fields", "0x0037"},
                                  });
    }
    if (node != TraceNode::client) {
      // Every node that answers probes (the server's port unreachables too)
      // is unlimited: MDA sends dozens of probes per hop within milliseconds.
      // icmp_msgs_per_sec/burst are the per-namespace overall token bucket.
      values.insert(values.end(), {
                                      {"net.ipv4.icmp_ratelimit", "0"},
                                      {"net.ipv6.icmp.ratelimit", "0"},
                                      {"net.ipv4.icmp_msgs_per_sec", "100000"},
                                      {"net.ipv4.icmp_msgs_burst", "10000"},
                                  });
    }
    if (node == TraceNode::client && config_.open_client_ping_group) {
      values.emplace_back("net.ipv4.ping_group_range", "0 2147483647");
    }
    write_sysctls(node, values);
  }

  for (const auto& link : links) {
    std::vector<std::string> args = {"ip", "-n", netns(link.left), "link", "add", link.left_if};
    const bool small = link.n == 6;
    if (small) args.insert(args.end(), {"mtu", std::to_string(config_.server_link_mtu)});
    args.insert(args.end(), {"type", "veth", "peer", "name", link.right_if, "netns", netns(link.right)});
    if (small) args.insert(args.end(), {"mtu", std::to_string(config_.server_link_mtu)});
    run_command(args);
  }

  std::array<std::vector<std::string>, 6> lines;
  for (auto& l : lines) l.push_back("link set lo up");
  for (const auto& link : links) {
    auto& left = lines[static_cast<std::size_t>(link.left)];
    auto& right = lines[static_cast<std::size_t>(link.right)];
    const std::string l_if = link.left_if, r_if = link.right_if;
    left.push_back("link set " + l_if + " up");
    right.push_back("link set " + r_if + " up");
    for (const Family f : {Family::v4, Family::v6}) {
      const std::string len = f == Family::v4 ? "/24" : "/64";
      const std::string nodad = f == Family::v4 ? "" : " nodad";
      left.push_back("addr add " + on_link(link.n, 1, f) + len + " dev " + l_if + nodad);
      right.push_back("addr add " + on_link(link.n, 2, f) + len + " dev " + r_if + nodad);
    }
  }
  auto node_lines = [&](TraceNode node) -> std::vector<std::string>& { return lines[static_cast<std::size_t>(node)]; };
  for (const Family f : {Family::v4, Family::v6}) {
    const std::string net1 = f == Family::v4 ? "10.202.1.0/24" : "fd00:202:1::/64";
    const std::string net7 = f == Family::v4 ? "10.202.7.0/24" : "fd00:202:7::/64";
    const std::string net97 = f == Family::v4 ? "10.202.97.0/24" : "fd00:202:97::/64";
    const std::string net98 = f == Family::v4 ? "10.202.98.0/24" : "fd00:202:98::/64";
    // `ip -batch` takes no -4/-6: the family comes from the prefixes.
    const std::string any = f == Family::v4 ? "0.0.0.0/0" : "::/0";
    node_lines(TraceNode::client).push_back("route add " + any + " via " + on_link(1, 2, f));
    node_lines(TraceNode::r1).push_back("route add " + any + " nexthop via " + on_link(2, 2, f) +
                                        " dev r1-a nexthop via " + on_link(3, 2, f) + " dev r1-b");
    node_lines(TraceNode::r1).push_back("route add unreachable " + net98);
    node_lines(TraceNode::r1).push_back("route add prohibit " + net97);
    node_lines(TraceNode::r2a).push_back("route add " + net1 + " via " + on_link(2, 1, f));
    node_lines(TraceNode::r2a).push_back("route add " + any + " via " + on_link(4, 2, f));
    node_lines(TraceNode::r2b).push_back("route add " + net1 + " via " + on_link(3, 1, f));
    node_lines(TraceNode::r2b).push_back("route add " + any + " via " + on_link(5, 2, f));
    node_lines(TraceNode::r3).push_back("route add " + any + " nexthop via " + on_link(4, 1, f) +
                                        " dev r3-a nexthop via " + on_link(5, 1, f) + " dev r3-b");
    node_lines(TraceNode::r3).push_back("route add " + net7 + " via " + on_link(6, 2, f));
    node_lines(TraceNode::server).push_back("route add " + any + " via " + on_link(6, 1, f));
  }
  node_lines(TraceNode::server).push_back("addr add " + address(TracePoint::reject_target, Family::v4) + "/32 dev lo");
  node_lines(TraceNode::server).push_back("addr add " + address(TracePoint::reject_target, Family::v6) +
                                          "/128 dev lo nodad");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string script;
    for (const auto& line : lines[i]) script += line + "\n";
    run_command({"ip", "-n", names_[i], "-batch", "-"}, script);
  }

  run_command({"ip", "netns", "exec", netns(TraceNode::r1), "nft", "-f", "-"},
              "table inet ikt_trace {\n chain forward_filter {\n"
              "  type filter hook forward priority 0; policy accept;\n"
              "  ip daddr " + address(TracePoint::reject_target, Family::v4) + " reject with icmp type " +
                  std::to_string(config_.reject_icmp_code) + "\n"
              "  ip6 daddr " + address(TracePoint::reject_target, Family::v6) + " reject with icmpv6 type " +
                  std::to_string(config_.reject_icmpv6_code) + "\n"
              " }\n}\n");

  if (config_.extension_responder) {
    // The kernel must not answer expiring packets itself: drop them before
    // forwarding (the responder's AF_PACKET tap has already seen them).
    // Multicast (MLD, IGMP) is left alone.
    run_command({"ip", "netns", "exec", netns(TraceNode::r3), "nft", "-f", "-"},
                "table inet ikt_responder {\n chain pre {\n"
                "  type filter hook prerouting priority -300; policy accept;\n"
                "  ip ttl 1 ip daddr != 224.0.0.0/4 drop\n"
                "  ip6 hoplimit 1 ip6 daddr != ff00::/8 drop\n"
                " }\n}\n");
  }
}

void TraceLab::start_responder() {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) throw LabError("pipe2 failed");
  const std::vector<std::string> argv = {"ip",     "netns",   "exec",
                                         netns(TraceNode::r3), ICMPKIT_EXTENSION_RESPONDER_PATH,
                                         "--iface", "r3-a",  "--iface", "r3-b", "--lifetime",
                                         std::to_string(config_.responder_lifetime_seconds)};
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw LabError("fork failed");
  if (pid == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  responder_pid_ = pid;
  responder_stdin_ = in_pipe[1];

  // Wait (bounded) for "ready": the sockets are open before it is printed.
  std::string said;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (said.find("ready") == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd fd{out_pipe[0], POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[256];
    const ssize_t n = ::read(out_pipe[0], buffer, sizeof buffer);
    if (n <= 0) break;
    said.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out_pipe[0]);
  if (said.find("ready") == std::string::npos) {
    throw LabError("extension responder did not start (" + std::string(ICMPKIT_EXTENSION_RESPONDER_PATH) +
                   "): " + said);
  }
}

void TraceLab::stop_responder() noexcept {
  if (responder_pid_ <= 0) return;
  // Closing its standard input ends it; SIGKILL by PID if it lingers.
  if (responder_stdin_ >= 0) ::close(responder_stdin_);
  responder_stdin_ = -1;
  for (int i = 0; i < 40; ++i) {
    if (::waitpid(responder_pid_, nullptr, WNOHANG) == responder_pid_) {
      responder_pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(responder_pid_, SIGKILL);
  ::waitpid(responder_pid_, nullptr, 0);
  responder_pid_ = -1;
}

}  // namespace icmpkit::lab
