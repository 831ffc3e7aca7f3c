// The network-namespace lab and the namespace/privilege child runner,
// checked against an independent oracle: iputils ping run inside the lab.
// The sys/ layer tests (tests/integration/sys) trust the lab because of these.
#include <gtest/gtest.h>

#include <dirent.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <array>
#include <thread>

#include "lab/command.hpp"
#include "lab/lab.hpp"
#include "lab/netns_child.hpp"
#include "lab/require_lab.hpp"

namespace icmpkit::lab {
namespace {

using wire::Family;

bool netns_exists(const std::string& name) { return ::access(("/run/netns/" + name).c_str(), F_OK) == 0; }

std::string host_ping_group_range() {
  std::ifstream file("/proc/sys/net/ipv4/ping_group_range");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// iputils ping as the oracle: one probe, numeric output, bounded wait.
CommandResult ping(const Lab& lab, Node from, Family family, const std::string& target,
                   std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"ip", "netns", "exec", lab.netns(from), "ping",
                                   family == Family::v4 ? "-4" : "-6", "-n", "-c", "1", "-W", "2"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(target);
  return run_command_unchecked(argv, {}, std::chrono::seconds(6));
}

class LabByFamily : public ::testing::TestWithParam<Family> {
 protected:
  Family family() const { return GetParam(); }
  std::string at(Where where) const { return Lab::address(where, family()); }
};

std::string family_name(const ::testing::TestParamInfo<Family>& info) {
  return info.param == Family::v4 ? "v4" : "v6";
}

// --- the command runner -----------------------------------------------------

TEST(CommandRunner, FeedsInputAndCapturesOutput) {
  const auto result = run_command_unchecked({"cat"}, "line one\nline two\n");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "line one\nline two\n");
}

TEST(CommandRunner, CheckedRunNamesTheCommandAndItsOutputOnFailure) {
  try {
    run_command({"sh", "-c", "echo oops >&2; exit 3"});
    FAIL() << "no exception";
  } catch (const LabError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("exit 3"), std::string::npos) << what;
    EXPECT_NE(what.find("oops"), std::string::npos) << what;
    EXPECT_NE(what.find("sh -c"), std::string::npos) << what;
  }
}

TEST(CommandRunner, KillsACommandThatOverrunsItsTimeout) {
  const auto start = std::chrono::steady_clock::now();
  const auto result = run_command_unchecked({"sleep", "10"}, {}, std::chrono::milliseconds(200));
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(CommandRunner, SurvivesACommandThatExitsWithoutReadingItsInput) {
  const std::string big(1 << 20, 'x');  // more than a pipe holds
  const auto result = run_command_unchecked({"true"}, big);
  EXPECT_EQ(result.exit_code, 0);
}

TEST(CommandRunner, ReportsAMissingProgram) {
  const auto result = run_command_unchecked({"icmpkit-no-such-program"});
  EXPECT_EQ(result.exit_code, 127);
}

// --- the child runner -------------------------------------------------------

TEST(NamespaceChild, DropsToNobodyWithoutAnyCapabilityOrWayBack) {
  ICMPKIT_REQUIRE_LAB();
  const auto outcome = run_in_netns("", {Identity::nobody, std::chrono::seconds(5)}, [](ChildReport& report) {
    uid_t r = 0, e = 0, s = 0;
    ::getresuid(&r, &e, &s);
    report.set("ruid", static_cast<long long>(r));
    report.set("euid", static_cast<long long>(e));
    report.set("suid", static_cast<long long>(s));
    report.set("egid", static_cast<long long>(::getegid()));
    report.set("groups", ::getgroups(0, nullptr));
    report.set("effective_caps", static_cast<long long>(effective_capabilities()));
    report.set("permitted_caps", static_cast<long long>(permitted_capabilities()));
    report.set("no_new_privs", ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    const int raw = ::socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    report.set("raw_errno", raw < 0 ? errno : 0);
    if (raw >= 0) ::close(raw);
    report.set("setuid0", ::setuid(0));
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  const auto nobody = static_cast<long long>(nobody_uid());
  EXPECT_EQ(outcome.get_int("ruid"), nobody);
  EXPECT_EQ(outcome.get_int("euid"), nobody);
  EXPECT_EQ(outcome.get_int("suid"), nobody) << "a saved uid of 0 would let the test regain root";
  EXPECT_EQ(outcome.get_int("egid"), static_cast<long long>(nogroup_gid()));
  EXPECT_EQ(outcome.get_int("groups"), 0);
  EXPECT_EQ(outcome.get_int("effective_caps"), 0);
  EXPECT_EQ(outcome.get_int("permitted_caps"), 0);
  EXPECT_EQ(outcome.get_int("no_new_privs"), 1);
  EXPECT_EQ(outcome.get_int("raw_errno"), EPERM) << "CAP_NET_RAW must be gone";
  EXPECT_EQ(outcome.get_int("setuid0"), -1);
}

TEST(NamespaceChild, RootChildKeepsCapNetRaw) {
  ICMPKIT_REQUIRE_LAB();
  const auto outcome = run_in_netns("", {}, [](ChildReport& report) {
    const int raw = ::socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    report.set("raw_errno", raw < 0 ? errno : 0);
    if (raw >= 0) ::close(raw);
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get_int("raw_errno"), 0);
}

TEST(NamespaceChild, KillsAChildThatOverrunsItsTimeout) {
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = run_in_netns("", {Identity::root, std::chrono::milliseconds(300)}, [](ChildReport& report) {
    report.set("started", true);
    std::this_thread::sleep_for(std::chrono::seconds(30));
    report.set("finished", true);
  });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(outcome.timed_out);
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.term_signal, SIGKILL);
  EXPECT_EQ(outcome.get("started"), "true") << "values sent before the hang must arrive";
  EXPECT_FALSE(outcome.has("finished"));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(NamespaceChild, ReportsAnEscapingExceptionAsAFailure) {
  const auto outcome = run_in_netns("", {}, [](ChildReport&) { throw std::runtime_error("boom in child"); });
  EXPECT_FALSE(outcome.ok());
  EXPECT_NE(outcome.failure.find("boom in child"), std::string::npos) << outcome.describe();
}

TEST(NamespaceChild, ReportsACrashAsASignal) {
  const auto outcome = run_in_netns("", {}, [](ChildReport&) { ::raise(SIGABRT); });
  EXPECT_FALSE(outcome.ok());
  EXPECT_FALSE(outcome.exited);
  EXPECT_EQ(outcome.term_signal, SIGABRT);
}

TEST(NamespaceChild, EntersTheNamedNamespace) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  const auto outcome = run_in_netns(lab.netns(Node::r1), {}, [](ChildReport& report) {
    report.set("r1-c", ::if_nametoindex("r1-c") != 0);
    report.set("c-r1", ::if_nametoindex("c-r1") != 0);
  });
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(outcome.get("r1-c"), "true");
  EXPECT_EQ(outcome.get("c-r1"), "false");
}

// --- the lab ----------------------------------------------------------------

TEST(NamespaceLab, CreatesFourNamespacesAndDeletesThemInItsDestructor) {
  ICMPKIT_REQUIRE_LAB();
  std::vector<std::string> names;
  {
    Lab lab;
    for (const Node node : {Node::client, Node::r1, Node::r2, Node::server}) {
      names.push_back(lab.netns(node));
      EXPECT_TRUE(netns_exists(lab.netns(node))) << lab.netns(node);
      EXPECT_EQ(lab.netns(node).rfind(Lab::process_prefix(), 0), 0U);
    }
  }
  for (const auto& name : names) EXPECT_FALSE(netns_exists(name)) << name << " left behind";
}

TEST(NamespaceLab, DeletesLeftoversWithItsOwnPrefixOnly) {
  ICMPKIT_REQUIRE_LAB();
  const std::string own = Lab::process_prefix() + "stale-x";
  const std::string foreign = "ikF" + std::to_string(::getpid()) + "-not-mine";
  run_command({"ip", "netns", "add", own});
  run_command({"ip", "netns", "add", foreign});
  Lab::delete_leftovers();
  EXPECT_FALSE(netns_exists(own));
  EXPECT_TRUE(netns_exists(foreign));
  run_command_unchecked({"ip", "netns", "delete", own});
  run_command_unchecked({"ip", "netns", "delete", foreign});
}

TEST(NamespaceLab, DeletesStaleLabsOfDeadProcessesOnly) {
  ICMPKIT_REQUIRE_LAB();
  const pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string stale = "ikl" + std::to_string(dead) + "-stale-test";
  const std::string live = "ikl" + std::to_string(::getppid()) + "-live-test";
  const std::string other = "iklx-not-a-lab";
  for (const auto& name : {stale, live, other}) run_command({"ip", "netns", "add", name});

  Lab::delete_stale_labs(3600);
  EXPECT_TRUE(netns_exists(stale)) << "younger than the minimum age";
  Lab::delete_stale_labs(0);
  EXPECT_FALSE(netns_exists(stale));
  EXPECT_TRUE(netns_exists(live)) << "its process is alive";
  EXPECT_TRUE(netns_exists(other)) << "not a lab name";
  for (const auto& name : {stale, live, other}) run_command_unchecked({"ip", "netns", "delete", name});
}

TEST(NamespaceLab, OpensPingGroupRangeInTheClientNamespaceOnly) {
  ICMPKIT_REQUIRE_LAB();
  const std::string host_before = host_ping_group_range();
  Lab lab;
  EXPECT_EQ(lab.read_sysctl(Node::client, "net.ipv4.ping_group_range"), "0\t2147483647");
  for (const Node node : {Node::r1, Node::r2, Node::server}) {
    EXPECT_EQ(lab.read_sysctl(node, "net.ipv4.ping_group_range"), "1\t0");
  }
  EXPECT_EQ(host_ping_group_range(), host_before) << "the host's sysctl must never change";
}

TEST(NamespaceLab, TurnsChecksumOffloadOffOnEveryVethWhenAsked) {
  ICMPKIT_REQUIRE_LAB();
  LabConfig config;
  config.disable_checksum_offload = true;
  Lab lab(config);
  const std::array<std::pair<Node, Node>, 6> links = {{{Node::client, Node::r1},
                                                       {Node::r1, Node::client},
                                                       {Node::r1, Node::r2},
                                                       {Node::r2, Node::r1},
                                                       {Node::r2, Node::server},
                                                       {Node::server, Node::r2}}};
  for (const auto& [node, neighbour] : links) {
    const std::string name = Lab::interface_towards(node, neighbour);
    const std::string features = lab.exec(node, {"ethtool", "-k", name});
    EXPECT_NE(features.find("tx-checksumming: off"), std::string::npos) << name << ":\n" << features;
  }
}

TEST_P(LabByFamily, ClientReachesServerThroughTwoRouters) {
  ICMPKIT_REQUIRE_LAB();
  LabConfig config;
  config.server_initial_ttl = 100;  // not a kernel default, so the TTL below is computed
  Lab lab(config);
  const auto result = ping(lab, Node::client, family(), at(Where::server));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.output, match, std::regex("ttl=([0-9]+)"))) << result.output;
  EXPECT_EQ(lab.server_initial_ttl(family()), 100);
  EXPECT_EQ(std::stoi(match[1]), lab.server_initial_ttl(family()) - Lab::routers_between_client_and_server)
      << result.output;
}

TEST_P(LabByFamily, TtlOneExpiresAtR1ClientSide) {
  ICMPKIT_REQUIRE_LAB();
  Lab lab;
  const auto result = ping(lab, Node::client, family(), at(Where::server), {"-t", "1"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("From " + at(Where::r1_client_side) + " "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(family() == Family::v4 ? "Time to live exceeded" : "Time exceeded"),
            std::string::npos)
      << result.output;
}

TEST_P(LabByFamily, UnreachableRouteOnR2AnswersFromR2) {
  ICMPKIT_REQUIRE_LAB();
  LabConfig config;
  config.r2_error_route = "unreachable";
  Lab lab(config);
  const auto result = ping(lab, Node::client, family(), at(Where::unreachable_target));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("From " + at(Where::r2_r1_side) + " "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(family() == Family::v4 ? "Destination Host Unreachable" : "No route"),
            std::string::npos)
      << result.output;
}

TEST_P(LabByFamily, NftRejectOnR1AnswersFromR1WithTheConfiguredCode) {
  ICMPKIT_REQUIRE_LAB();
  LabConfig config;
  config.r1_reject_icmp_code = 13;   // communication administratively prohibited
  config.r1_reject_icmpv6_code = 1;  // administratively prohibited
  Lab lab(config);
  const auto rejected = ping(lab, Node::client, family(), at(Where::reject_target));
  EXPECT_NE(rejected.exit_code, 0);
  EXPECT_NE(rejected.output.find("From " + at(Where::r1_client_side) + " "), std::string::npos) << rejected.output;
  EXPECT_NE(rejected.output.find(family() == Family::v4 ? "Packet filtered" : "Administratively prohibited"),
            std::string::npos)
      << rejected.output;
  // Only the target is rejected: the server itself still answers.
  const auto server = ping(lab, Node::client, family(), at(Where::server));
  EXPECT_EQ(server.exit_code, 0) << server.output;
}

TEST_P(LabByFamily, SmallMtuLinkMakesR2ReportTheMtu) {
  ICMPKIT_REQUIRE_LAB();
  LabConfig config;
  config.server_link_mtu = 1280;
  Lab lab(config);
  const auto result = ping(lab, Node::client, family(), at(Where::server), {"-M", "do", "-s", "1400"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("From " + at(Where::r2_r1_side) + " "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(family() == Family::v4 ? "mtu = 1280" : "mtu=1280"), std::string::npos)
      << result.output;
  const auto small = ping(lab, Node::client, family(), at(Where::server), {"-M", "do", "-s", "1000"});
  EXPECT_EQ(small.exit_code, 0) << small.output;
}

TEST_P(LabByFamily, ServerIgnoringEchoStaysSilentWhileItsRouterAnswers) {
  ICMPKIT_REQUIRE_LAB();
  LabConfig config;
  config.server_ignores_echo = true;
  Lab lab(config);
  const auto silent = ping(lab, Node::client, family(), at(Where::server));
  EXPECT_EQ(silent.exit_code, 1) << silent.output;
  EXPECT_NE(silent.output.find("0 received"), std::string::npos) << silent.output;
  const auto router = ping(lab, Node::client, family(), at(Where::r2_server_side));
  EXPECT_EQ(router.exit_code, 0) << router.output;
}

// --- kernel facts the tests rely on ----------------------------------------
// ICMP errors are rate limited per namespace and per destination
// (net.ipv4.icmp_ratelimit / net.ipv6.icmp.ratelimit, 1000 ms with a small
// burst), and that includes nft `reject`, which answers through the same
// icmp_send(). Lab routers can switch the limit off; IPv4 errors from
// unreachable routes then stay limited by net.ipv4.route.error_cost /
// error_burst (host-wide settings, a token bucket per namespace and peer).
// Switching it off also lifts the namespace's overall bucket
// (icmp_msgs_per_sec / icmp_msgs_burst), which drops errors of a long burst.

int errors_of_a_burst(const Lab& lab, Family family, const std::string& target, int probes) {
  const auto result = run_command_unchecked({"ip", "netns", "exec", lab.netns(Node::client), "ping",
                                             family == Family::v4 ? "-4" : "-6", "-n", "-q", "-c",
                                             std::to_string(probes), "-i", "0.005", "-W", "1", target},
                                            {}, std::chrono::seconds(10));
  std::smatch match;
  if (!std::regex_search(result.output, match, std::regex("\\+([0-9]+) errors"))) return 0;
  return std::stoi(match[1]);
}

TEST_P(LabByFamily, NftRejectErrorsAreRateLimitedUnlessTheRoutersLimitIsZero) {
  ICMPKIT_REQUIRE_LAB();
  constexpr int probes = 20;
  LabConfig limited;
  limited.r1_reject_icmp_code = 1;
  limited.r1_reject_icmpv6_code = 1;
  LabConfig unlimited = limited;
  unlimited.router_icmp_ratelimit_ms = 0;
  {
    Lab lab(limited);
    const int errors = errors_of_a_burst(lab, family(), at(Where::reject_target), probes);
    EXPECT_GT(errors, 0);
    EXPECT_LT(errors, probes) << "nft reject went through the kernel's ICMP rate limit";
  }
  {
    Lab lab(unlimited);
    EXPECT_EQ(errors_of_a_burst(lab, family(), at(Where::reject_target), probes), probes);
  }
}

TEST(KernelRateLimits, Ipv4UnreachableRouteErrorsStayLimitedWithTheRoutersIcmpLimitOff) {
  ICMPKIT_REQUIRE_LAB();
  constexpr int probes = 20;
  LabConfig config;
  config.r2_error_route = "unreachable";
  config.router_icmp_ratelimit_ms = 0;
  Lab lab(config);
  const int v4 = errors_of_a_burst(lab, Family::v4, Lab::address(Where::unreachable_target, Family::v4), probes);
  EXPECT_GT(v4, 0);
  EXPECT_LT(v4, probes) << "route.error_cost / error_burst limit IPv4 routing errors";
  const int v6 = errors_of_a_burst(lab, Family::v6, Lab::address(Where::unreachable_target, Family::v6), probes);
  EXPECT_EQ(v6, probes) << "IPv6 routing errors only obey net.ipv6.icmp.ratelimit";
}

INSTANTIATE_TEST_SUITE_P(Families, LabByFamily, ::testing::Values(Family::v4, Family::v6), family_name);

}  // namespace
}  // namespace icmpkit::lab
