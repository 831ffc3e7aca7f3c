#include "lab/lab.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <sstream>

#include "lab/command.hpp"
#include "lab/netns_child.hpp"
#include "lab/netns_sysctl.hpp"
#include "lab/stale_namespaces.hpp"

namespace icmpkit::lab {
namespace {

using wire::Family;

constexpr std::array<const char*, 5> role_names = {"client", "r1", "r2", "server", "r3"};

// Interface names live inside each namespace, so they are fixed.
constexpr const char* client_to_r1 = "c-r1";
constexpr const char* r1_to_client = "r1-c";
constexpr const char* r1_to_r2 = "r1-r2";
constexpr const char* r2_to_r1 = "r2-r1";
constexpr const char* r2_to_server = "r2-s";
constexpr const char* server_to_r2 = "s-r2";
// third_router only: r2's "r2-s" then leads to r3, the server's "s-r2" too.
constexpr const char* r3_to_r2 = "r3-r2";
constexpr const char* r3_to_server = "r3-s";



// A veth is set up at once, but it carries packets only after the kernel's
// link watcher (a work item, late on a busy machine) has seen its carrier
// and attached its queue: until then `ip link` shows "qdisc noop" and every
// packet sent through it is dropped, so the first probes of a test could be
// lost. Waits (bounded) until every interface but lo in `netns` is UP with a
// real queue.
void wait_until_links_carry(const std::string& netns) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string listing;
  for (;;) {
    listing = run_command({"ip", "-n", netns, "-o", "link", "show"});
    bool ready = true;
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);) {
      if (line.find(": lo:") != std::string::npos) continue;
      if (line.find(" state UP ") == std::string::npos || line.find("qdisc noop") != std::string::npos) ready = false;
    }
    if (ready) return;
    if (std::chrono::steady_clock::now() > until) throw LabError("links in " + netns + " never came up:\n" + listing);
    ::usleep(10 * 1000);
  }
}

std::atomic<int> lab_counter{0};
std::once_flag leftovers_swept;

}  // namespace

std::string Lab::process_prefix() { return process_namespace_prefix("ikl"); }

void Lab::delete_leftovers() { delete_namespaces(namespaces_with_prefix(process_prefix())); }

int Lab::delete_stale_labs(long min_age_seconds) { return delete_namespaces(orphaned_namespaces("ikl", min_age_seconds)); }

std::string Lab::address(Where where, Family family) {
  const bool v4 = family == Family::v4;
  switch (where) {
    case Where::client: return v4 ? "10.201.1.1" : "fd00:201:1::1";
    case Where::r1_client_side: return v4 ? "10.201.1.2" : "fd00:201:1::2";
    case Where::r1_r2_side: return v4 ? "10.201.2.1" : "fd00:201:2::1";
    case Where::r2_r1_side: return v4 ? "10.201.2.2" : "fd00:201:2::2";
    case Where::r2_server_side: return v4 ? "10.201.3.1" : "fd00:201:3::1";
    case Where::server: return v4 ? "10.201.3.2" : "fd00:201:3::2";
    case Where::reject_target: return v4 ? "10.201.4.1" : "fd00:201:4::1";
    case Where::unreachable_target: return v4 ? "10.201.99.1" : "fd00:201:99::1";
    case Where::r2_r3_side: return v4 ? "10.201.5.1" : "fd00:201:5::1";
    case Where::r3_r2_side: return v4 ? "10.201.5.2" : "fd00:201:5::2";
  }
  return {};
}

std::string Lab::unreachable_prefix(Family family) {
  return family == Family::v4 ? "10.201.99.0/24" : "fd00:201:99::/64";
}

Lab::Lab(LabConfig config) : config_(std::move(config)) {
  std::call_once(leftovers_swept, [] {
    delete_leftovers();
    delete_stale_labs();
  });
  const std::string base = process_prefix() + std::to_string(lab_counter.fetch_add(1)) + "-";
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (i == static_cast<std::size_t>(Node::r3) && !config_.third_router) continue;
    names_[i] = base + role_names[i];
  }
  try {
    build();
  } catch (...) {
    teardown();
    throw;
  }
}

Lab::~Lab() { teardown(); }

void Lab::teardown() noexcept {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    try {
      run_command_unchecked({"ip", "netns", "delete", *it});
    } catch (...) {
      // Nothing more can be done in a destructor; the next lab of this
      // process id sweeps its prefix.
    }
  }
  created_.clear();
}

std::string Lab::ip(Node node, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ip", "-n", netns(node)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::string Lab::exec(Node node, const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", netns(node)};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full);
}

std::vector<Node> Lab::router_nodes() const {
  if (config_.third_router) return {Node::r1, Node::r2, Node::r3};
  return {Node::r1, Node::r2};
}

std::string Lab::interface_towards(Node node, Node neighbour) {
  if (node == Node::r2 && neighbour == Node::r3) return r2_to_server;
  if (node == Node::r3 && neighbour == Node::r2) return r3_to_r2;
  if (node == Node::r3 && neighbour == Node::server) return r3_to_server;
  if (node == Node::server && neighbour == Node::r3) return server_to_r2;
  if (node == Node::client && neighbour == Node::r1) return client_to_r1;
  if (node == Node::r1 && neighbour == Node::client) return r1_to_client;
  if (node == Node::r1 && neighbour == Node::r2) return r1_to_r2;
  if (node == Node::r2 && neighbour == Node::r1) return r2_to_r1;
  if (node == Node::r2 && neighbour == Node::server) return r2_to_server;
  if (node == Node::server && neighbour == Node::r2) return server_to_r2;
  throw LabError("no link between those nodes");
}

void Lab::write_sysctls(Node node, const std::vector<std::pair<std::string, std::string>>& values) const {
  write_netns_sysctls(netns(node), values);
}

std::string Lab::read_sysctl(Node node, const std::string& name) const { return read_netns_sysctl(netns(node), name); }

int Lab::server_initial_ttl(Family family) const {
  const std::string name = family == Family::v4 ? "net.ipv4.ip_default_ttl"
                                                : std::string("net.ipv6.conf.") + server_to_r2 + ".hop_limit";
  return std::stoi(read_sysctl(Node::server, name));
}

void Lab::build() {
  for (const auto& name : names_) {
    if (name.empty()) continue;  // r3 without third_router
    run_command({"ip", "netns", "add", name});
    created_.push_back(name);
  }

  // Settings that new interfaces copy from "default" are written before the
  // interfaces exist: no DAD anywhere, no router solicitations (quiet captures).
  const Sysctls common = {
      {"net.ipv6.conf.all.accept_dad", "0"},
      {"net.ipv6.conf.default.accept_dad", "0"},
      {"net.ipv6.conf.all.router_solicitations", "0"},
      {"net.ipv6.conf.default.router_solicitations", "0"},
      {"net.ipv6.conf.default.accept_ra", "0"},
  };
  std::vector<Node> nodes = {Node::client, Node::r1, Node::r2, Node::server};
  if (config_.third_router) nodes.push_back(Node::r3);
  for (const Node node : nodes) {
    Sysctls values = common;
    if (node == Node::r1 || node == Node::r2 || node == Node::r3) {
      values.emplace_back("net.ipv4.ip_forward", "1");
      values.emplace_back("net.ipv6.conf.all.forwarding", "1");
      values.emplace_back("net.ipv6.conf.default.forwarding", "1");
      if (config_.router_icmp_ratelimit_ms) {
        values.emplace_back("net.ipv4.icmp_ratelimit", std::to_string(*config_.router_icmp_ratelimit_ms));
        values.emplace_back("net.ipv6.icmp.ratelimit", std::to_string(*config_.router_icmp_ratelimit_ms));
        // The namespace's overall ICMP token bucket (both families) holds 50
        // tokens by default, and since Linux 6.x every error takes 0 to 2 of
        // them at random, so a 40-probe burst sometimes loses an error.
        values.emplace_back("net.ipv4.icmp_msgs_per_sec", "100000");
        values.emplace_back("net.ipv4.icmp_msgs_burst", "10000");
      }
    }
    if (node == Node::client && config_.open_client_ping_group) {
      values.emplace_back("net.ipv4.ping_group_range", "0 2147483647");
    }
    if (node == Node::server) {
      if (config_.server_ignores_echo) {
        values.emplace_back("net.ipv4.icmp_echo_ignore_all", "1");
        values.emplace_back("net.ipv6.icmp.echo_ignore_all", "1");
      }
      if (config_.server_initial_ttl) {
        values.emplace_back("net.ipv4.ip_default_ttl", std::to_string(*config_.server_initial_ttl));
        values.emplace_back("net.ipv6.conf.default.hop_limit", std::to_string(*config_.server_initial_ttl));
        values.emplace_back("net.ipv6.conf.all.hop_limit", std::to_string(*config_.server_initial_ttl));
      }
    }
    write_sysctls(node, values);
  }

  // veth pairs, created directly inside their namespaces so names never meet
  // the host's (or another lab's) interfaces.
  auto link = [&](Node left, const char* left_if, Node right, const char* right_if, std::optional<int> mtu) {
    std::vector<std::string> args = {"link", "add", left_if};
    if (mtu) {
      args.push_back("mtu");
      args.push_back(std::to_string(*mtu));
    }
    args.insert(args.end(), {"type", "veth", "peer", "name", right_if, "netns", netns(right)});
    if (mtu) {
      args.push_back("mtu");
      args.push_back(std::to_string(*mtu));
    }
    ip(left, args);
  };
  link(Node::client, client_to_r1, Node::r1, r1_to_client, std::nullopt);
  link(Node::r1, r1_to_r2, Node::r2, r2_to_r1, std::nullopt);
  if (config_.third_router) {
    link(Node::r2, r2_to_server, Node::r3, r3_to_r2, std::nullopt);
    link(Node::r3, r3_to_server, Node::server, server_to_r2, config_.server_link_mtu);
  } else {
    link(Node::r2, r2_to_server, Node::server, server_to_r2, config_.server_link_mtu);
  }

  auto batch = [&](Node node, const std::vector<std::string>& lines) {
    std::string script;
    for (const auto& line : lines) script += line + "\n";
    run_command({"ip", "-n", netns(node), "-batch", "-"}, script);
  };
  auto v4 = [](Where w) { return address(w, Family::v4); };
  auto v6 = [](Where w) { return address(w, Family::v6); };
  const std::string c1 = client_to_r1, r1c = r1_to_client, r1r2 = r1_to_r2, r2r1 = r2_to_r1,
                    r2s = r2_to_server, s2 = server_to_r2;

  batch(Node::client, {
      "link set lo up",
      "link set " + c1 + " up",
      "addr add " + v4(Where::client) + "/24 dev " + c1,
      "addr add " + v6(Where::client) + "/64 dev " + c1 + " nodad",
      "route add default via " + v4(Where::r1_client_side),
      "route add default via " + v6(Where::r1_client_side),
  });
  batch(Node::r1, {
      "link set lo up",
      "link set " + r1c + " up",
      "link set " + r1r2 + " up",
      "addr add " + v4(Where::r1_client_side) + "/24 dev " + r1c,
      "addr add " + v6(Where::r1_client_side) + "/64 dev " + r1c + " nodad",
      "addr add " + v4(Where::r1_r2_side) + "/24 dev " + r1r2,
      "addr add " + v6(Where::r1_r2_side) + "/64 dev " + r1r2 + " nodad",
      "route add default via " + v4(Where::r2_r1_side),
      "route add default via " + v6(Where::r2_r1_side),
  });
  std::vector<std::string> r2_lines = {
      "link set lo up",
      "link set " + r2r1 + " up",
      "link set " + r2s + " up",
      "addr add " + v4(Where::r2_r1_side) + "/24 dev " + r2r1,
      "addr add " + v6(Where::r2_r1_side) + "/64 dev " + r2r1 + " nodad",
      "route add 10.201.1.0/24 via " + v4(Where::r1_r2_side),
      "route add fd00:201:1::/64 via " + v6(Where::r1_r2_side),
  };
  if (config_.third_router) {
    r2_lines.insert(r2_lines.end(), {
        "addr add " + v4(Where::r2_r3_side) + "/24 dev " + r2s,
        "addr add " + v6(Where::r2_r3_side) + "/64 dev " + r2s + " nodad",
        "route add 10.201.3.0/24 via " + v4(Where::r3_r2_side),
        "route add fd00:201:3::/64 via " + v6(Where::r3_r2_side),
        "route add 10.201.4.0/24 via " + v4(Where::r3_r2_side),
        "route add fd00:201:4::/64 via " + v6(Where::r3_r2_side),
    });
  } else {
    r2_lines.insert(r2_lines.end(), {
        "addr add " + v4(Where::r2_server_side) + "/24 dev " + r2s,
        "addr add " + v6(Where::r2_server_side) + "/64 dev " + r2s + " nodad",
        "route add 10.201.4.0/24 via " + v4(Where::server),
        "route add fd00:201:4::/64 via " + v6(Where::server),
    });
  }
  if (config_.r2_error_route) {
    r2_lines.push_back("route add " + *config_.r2_error_route + " " + unreachable_prefix(Family::v4));
    r2_lines.push_back("route add " + *config_.r2_error_route + " " + unreachable_prefix(Family::v6));
  }
  batch(Node::r2, r2_lines);
  if (config_.third_router) {
    const std::string r3r2 = r3_to_r2, r3s = r3_to_server;
    batch(Node::r3, {
        "link set lo up",
        "link set " + r3r2 + " up",
        "link set " + r3s + " up",
        "addr add " + v4(Where::r3_r2_side) + "/24 dev " + r3r2,
        "addr add " + v6(Where::r3_r2_side) + "/64 dev " + r3r2 + " nodad",
        "addr add " + v4(Where::r2_server_side) + "/24 dev " + r3s,
        "addr add " + v6(Where::r2_server_side) + "/64 dev " + r3s + " nodad",
        "route add default via " + v4(Where::r2_r3_side),
        "route add default via " + v6(Where::r2_r3_side),
        "route add 10.201.4.0/24 via " + v4(Where::server),
        "route add fd00:201:4::/64 via " + v6(Where::server),
    });
  }
  batch(Node::server, {
      "link set lo up",
      "link set " + s2 + " up",
      "addr add " + v4(Where::server) + "/24 dev " + s2,
      "addr add " + v6(Where::server) + "/64 dev " + s2 + " nodad",
      "addr add " + v4(Where::reject_target) + "/32 dev lo",
      "addr add " + v6(Where::reject_target) + "/128 dev lo nodad",
      "route add default via " + v4(Where::r2_server_side),
      "route add default via " + v6(Where::r2_server_side),
  });

  if (config_.server_initial_ttl) {
    // conf.default only reaches interfaces created later; lo existed before.
    write_sysctls(Node::server, {{"net.ipv6.conf.lo.hop_limit", std::to_string(*config_.server_initial_ttl)}});
  }

  if (config_.disable_checksum_offload) {
    std::vector<std::pair<Node, const char*>> veths = {{Node::client, client_to_r1}, {Node::r1, r1_to_client},
                                                       {Node::r1, r1_to_r2},         {Node::r2, r2_to_r1},
                                                       {Node::r2, r2_to_server},     {Node::server, server_to_r2}};
    if (config_.third_router) veths.insert(veths.end(), {{Node::r3, r3_to_r2}, {Node::r3, r3_to_server}});
    for (const auto& [node, name] : veths) {
      const auto result = run_command_unchecked({"ip", "netns", "exec", netns(node), "ethtool", "-K", name, "tx", "off"});
      if (result.exit_code == 127 || result.exit_code == 255) {
        if (result.output.find("ethtool") != std::string::npos && result.output.find("No such file") != std::string::npos) {
          throw LabError("disable_checksum_offload needs ethtool (Debian package `ethtool`)");
        }
      }
      if (result.exit_code != 0) throw LabError("ethtool -K " + std::string(name) + " tx off: " + result.output);
    }
  }

  for (const auto& name : names_) {
    if (!name.empty()) wait_until_links_carry(name);
  }

  if (config_.r1_reject_icmp_code || config_.r1_reject_icmpv6_code) {
    std::string rules = "table inet icmpkit_lab {\n chain forward_filter {\n"
                        "  type filter hook forward priority 0; policy accept;\n";
    if (config_.r1_reject_icmp_code) {
      rules += "  ip daddr " + v4(Where::reject_target) + " reject with icmp type " +
               std::to_string(*config_.r1_reject_icmp_code) + "\n";
    }
    if (config_.r1_reject_icmpv6_code) {
      rules += "  ip6 daddr " + v6(Where::reject_target) + " reject with icmpv6 type " +
               std::to_string(*config_.r1_reject_icmpv6_code) + "\n";
    }
    rules += " }\n}\n";
    run_command({"ip", "netns", "exec", netns(Node::r1), "nft", "-f", "-"}, rules);
  }
}

}  // namespace icmpkit::lab
