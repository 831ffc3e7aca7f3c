// A sweep over a few hundred addresses in the lab accounts for every target
// exactly once, with the right verdict, both through net::Pinger::async_sweep
// and through `icmpkit sweep`'s "<target> is alive|unreachable" lines.
//
// Targets (all inside the lab's namespaces):
//   10.201.6.1   - .130  held by the server (its loopback)        -> alive
//   10.201.6.131 - .150  held by the server, r2's nft drops echo  -> timeout
//   10.201.6.151 - .180  held by nobody; the server (not a router)
//                        drops them silently                      -> timeout
//   10.201.6.181 - .200  r1 rejects (admin-prohibited)            -> ICMP error from r1
//   127.0.0.0/26         the client namespace's own loopback      -> alive
//                        (127.0.0.0 itself: whatever the kernel does, once)
#include <unistd.h>

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "icmpkit/net/pinger.hpp"
#include "lab/command.hpp"
#include "lab/lab.hpp"
#include "lab/netns_child.hpp"
#include "lab/require_lab.hpp"
#include "support/probe_support.hpp"

namespace icmpkit::itest {
namespace {

using lab::Identity;
using lab::Lab;
using lab::Node;
using lab::Where;
using std::chrono::milliseconds;
using wire::Family;

constexpr int alive_last = 130, dropped_last = 150, silent_last = 180, rejected_last = 200;
constexpr int loopback_count = 64;  // 127.0.0.0/26

std::string lab_target(int i) { return "10.201.6." + std::to_string(i); }
std::string loopback_target(int i) { return "127.0.0." + std::to_string(i); }

std::vector<std::string> all_targets() {
  std::vector<std::string> targets;
  for (int i = 1; i <= rejected_last; ++i) targets.push_back(lab_target(i));
  for (int i = 0; i < loopback_count; ++i) targets.push_back(loopback_target(i));
  return targets;
}

// "alive", "timeout" or "error" (an ICMP error from r1) for each target; "" =
// no fixed expectation (127.0.0.0, which may be a broadcast address).
std::string expected_verdict(const std::string& target) {
  if (target == "127.0.0.0") return "";
  if (target.rfind("127.", 0) == 0) return "alive";
  const int i = std::stoi(target.substr(target.rfind('.') + 1));
  if (i <= alive_last) return "alive";
  if (i <= silent_last) return "timeout";
  return "error";
}

void build_sweep_lab(const Lab& lab) {
  std::string script;
  for (int i = 1; i <= dropped_last; ++i) script += "addr add " + lab_target(i) + "/32 dev lo\n";
  lab::run_command({"ip", "-n", lab.netns(Node::server), "-batch", "-"}, script);
  lab.ip(Node::r2, {"route", "add", "10.201.6.0/24", "via", Lab::address(Where::server, Family::v4)});
  lab::run_command({"ip", "netns", "exec", lab.netns(Node::r2), "nft", "-f", "-"},
                   "table inet h16_sweep {\n chain forward_filter {\n"
                   "  type filter hook forward priority 0; policy accept;\n"
                   "  ip daddr " + lab_target(alive_last + 1) + "-" + lab_target(dropped_last) +
                       " icmp type echo-request drop\n }\n}\n");
  lab::run_command({"ip", "netns", "exec", lab.netns(Node::r1), "nft", "-f", "-"},
                   "table inet h16_sweep {\n chain forward_filter {\n"
                   "  type filter hook forward priority 0; policy accept;\n"
                   "  ip daddr " + lab_target(silent_last + 1) + "-" + lab_target(rejected_last) +
                       " reject with icmp type admin-prohibited\n }\n}\n");
}

lab::LabConfig sweep_config() {
  lab::LabConfig config;
  config.router_icmp_ratelimit_ms = 0;  // 20 rejects back to back
  return config;
}

std::string cli_path() {
#ifdef ICMPKIT_CLI_PATH
  return ICMPKIT_CLI_PATH;
#else
  return {};
#endif
}

TEST(SweepInLab, AsyncSweepAccountsForEveryTargetOnceWithItsVerdict) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab(sweep_config());
  build_sweep_lab(lab);
  const auto targets = all_targets();
  const std::string r1 = Lab::address(Where::r1_client_side, Family::v4);
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = lab::run_in_netns(lab.netns(Node::client), {Identity::nobody, std::chrono::seconds(10)},
                                         [&](lab::ChildReport& report) {
    asio::io_context io;
    net::PingerOptions pinger_options;
    pinger_options.mode = sys::SocketMode::dgram;
    // Paced so a few hundred replies never overrun the socket's receive buffer.
    pinger_options.max_rate = 2000;
    pinger_options.burst = 10;
    net::Pinger pinger(io, pinger_options);
    engine::PingOptions options;
    options.count = 1;
    options.timeout = milliseconds(500);
    std::vector<wire::IpAddress> addresses;
    for (const auto& t : targets) addresses.push_back(address(t));
    std::string verdicts;  // "address=verdict;" per callback, in order
    bool completed = false;
    pinger.async_sweep(
        addresses, options,
        [&](const net::PingResult& result) {
          std::string verdict = "other";
          for (const auto& probe : result.probes) {
            if (std::holds_alternative<engine::Reply>(probe.outcome)) {
              verdict = "alive";
              break;
            }
            if (const auto* error = std::get_if<engine::IcmpError>(&probe.outcome)) {
              verdict = error->router.to_string() == r1 && error->code == 13 ? "error"
                                                                             : "error-" + std::to_string(error->code) +
                                                                                   "-from-" + error->router.to_string();
            } else if (std::holds_alternative<engine::Timeout>(probe.outcome) && verdict == "other") {
              verdict = "timeout";
            } else if (std::holds_alternative<engine::SendError>(probe.outcome) && verdict == "other") {
              verdict = "send_error";
            }
          }
          if (result.probes.size() != 1) verdict += "-probes" + std::to_string(result.probes.size());
          verdicts += result.address.to_string() + "=" + verdict + ";";
        },
        [&](std::error_code ec, net::SweepSummary summary) {
          completed = true;
          if (ec) return report.fail("async_sweep: " + ec.message());
          report.set("summary.targets", summary.targets);
          report.set("summary.alive", summary.alive);
          report.set("summary.sent", summary.statistics.sent);
        });
    io.run_for(std::chrono::seconds(6));
    if (!completed) report.fail("async_sweep did not complete in time");
    report.set("verdicts", verdicts);
  });
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(outcome.ok()) << outcome.describe();

  std::map<std::string, std::string> verdict_of;
  std::map<std::string, int> times_seen;
  std::istringstream in(outcome.get("verdicts"));
  for (std::string entry; std::getline(in, entry, ';');) {
    const auto eq = entry.find('=');
    ASSERT_NE(eq, std::string::npos) << entry;
    ++times_seen[entry.substr(0, eq)];
    verdict_of[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  int expected_alive = 0;
  for (const auto& t : targets) {
    EXPECT_EQ(times_seen[t], 1) << t << " reported " << times_seen[t] << " times";
    const std::string want = expected_verdict(t);
    if (want == "alive") ++expected_alive;
    if (!want.empty()) {
      EXPECT_EQ(verdict_of[t], want) << t;
    }
  }
  EXPECT_EQ(times_seen.size(), targets.size()) << "results for addresses that were not swept";
  EXPECT_EQ(outcome.get_int("summary.targets"), static_cast<long long>(targets.size()));
  EXPECT_EQ(outcome.get_int("summary.sent"), static_cast<long long>(targets.size()));
  const long long extra_alive = verdict_of["127.0.0.0"] == "alive" ? 1 : 0;
  EXPECT_EQ(outcome.get_int("summary.alive"), expected_alive + extra_alive);
  std::printf("[ info     ] %zu targets, 127.0.0.0 -> %s, swept in %lld ms\n", targets.size(),
              verdict_of["127.0.0.0"].c_str(),
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(elapsed).count()));
}

TEST(SweepInLab, SweepCommandPrintsOneAliveOrUnreachableLinePerTarget) {
  ICMPKIT_REQUIRE_LAB();
  const std::string cli = cli_path();
  if (cli.empty() || ::access(cli.c_str(), X_OK) != 0) GTEST_SKIP() << "the icmpkit command is not built (" << cli << ")";
  Lab lab(sweep_config());
  build_sweep_lab(lab);
  const auto targets = all_targets();
  char name[] = "/tmp/h16-sweep-XXXXXX";
  const int fd = ::mkstemp(name);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream file(name);
    for (const auto& t : targets) file << t << '\n';
  }
  const auto started = std::chrono::steady_clock::now();
  const auto result = lab::run_command_unchecked(
      {"ip", "netns", "exec", lab.netns(Node::client), cli, "sweep", "-r", "0", "-t", "500", "--rate", "2000", "-f", name},
      {}, std::chrono::seconds(10));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ::unlink(name);
  ASSERT_FALSE(result.timed_out) << result.output;
  EXPECT_EQ(result.exit_code, 1) << "some targets are unreachable: " << result.output;

  std::map<std::string, std::string> verdict_of;
  std::map<std::string, int> times_seen;
  const std::regex verdict_line("^(\\S+) is (alive|unreachable)$");
  std::istringstream in(result.output);
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, verdict_line)) continue;
    ++times_seen[match[1].str()];
    verdict_of[match[1].str()] = match[2].str();
  }
  for (const auto& t : targets) {
    EXPECT_EQ(times_seen[t], 1) << t << " has " << times_seen[t] << " lines";
    const std::string want = expected_verdict(t);
    if (!want.empty()) {
      EXPECT_EQ(verdict_of[t], want == "alive" ? "alive" : "unreachable") << t;
    }
  }
  EXPECT_EQ(times_seen.size(), targets.size()) << "lines for addresses that were not swept:\n" << result.output;
  std::printf("[ info     ] icmpkit sweep: %zu targets in %lld ms\n", targets.size(),
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(elapsed).count()));
}

}  // namespace
}  // namespace icmpkit::itest
