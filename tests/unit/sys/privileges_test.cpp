// Privilege diagnosis: sysctl parsing, the explanations and fixes doctor
// prints, diagnose() through the seam, and drop_privileges() in a child.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "fake_kernel.hpp"
#include "icmpkit/sys/privileges.hpp"
#include "icmpkit/sys/send.hpp"
#include "icmpkit/sys/socket.hpp"

namespace icmpkit {
namespace {

using sys::PingGroupRange;

bool any_contains(const std::vector<std::string>& lines, std::string_view needle) {
  for (const auto& line : lines) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(PingGroupRange, ParsesKernelFormat) {
  auto closed = sys::parse_ping_group_range("1\t0\n");
  ASSERT_TRUE(closed);
  EXPECT_EQ(*closed, (PingGroupRange{1, 0}));
  EXPECT_TRUE(closed->is_closed());
  EXPECT_FALSE(closed->contains(0));
  auto open = sys::parse_ping_group_range("0\t2147483647\n");
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->contains(0));
  EXPECT_TRUE(open->contains(65534));
  EXPECT_FALSE(open->contains(4294967295u));
}

TEST(PingGroupRange, RejectsGarbage) {
  for (const char* text : {"", "1", "a b", "1 2 3", "-1 5", "1 99999999999"}) {
    EXPECT_EQ(sys::parse_ping_group_range(text).error(), make_error_code(errc::invalid_argument)) << text;
  }
}

TEST(PingGroupRange, ReadsInjectedPath) {
  char path[] = "/tmp/ikD-range-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << "100\t200\n";
  auto range = sys::read_ping_group_range(path);
  std::remove(path);
  ASSERT_TRUE(range);
  EXPECT_EQ(*range, (PingGroupRange{100, 200}));
  EXPECT_FALSE(sys::read_ping_group_range("/nonexistent/ikD/range"));
}

sys::Identity user(std::uint32_t id) {
  sys::Identity identity;
  identity.uid = identity.euid = id;
  identity.gid = identity.egid = id;
  return identity;
}

TEST(Explain, ClosedRangeGivesSysctlFixWithUsersGroup) {
  const auto d = sys::explain(wire::Family::v4, user(1000), PingGroupRange{1, 0}, sys::CapabilityState{},
                              std::error_code(EACCES, std::system_category()),
                              std::error_code(EPERM, std::system_category()), "icmpkit");
  EXPECT_FALSE(d.dgram.opened);
  EXPECT_NE(d.dgram.why.find("\"1 0\""), std::string::npos) << d.dgram.why;
  EXPECT_TRUE(any_contains(d.dgram.fixes, "sysctl -w net.ipv4.ping_group_range=\"1000 1000\""));
  EXPECT_TRUE(any_contains(d.dgram.fixes, "0 2147483647"));
  EXPECT_FALSE(d.raw.opened);
  EXPECT_NE(d.raw.why.find("CAP_NET_RAW"), std::string::npos);
  EXPECT_TRUE(any_contains(d.raw.fixes, "setcap cap_net_raw+ep"));
  EXPECT_FALSE(d.automatic_result().has_value());
}

TEST(Explain, OpenRangeIsWidenedToIncludeUser) {
  const auto d = sys::explain(wire::Family::v6, user(5000), PingGroupRange{100, 200}, std::nullopt,
                              std::error_code(EACCES, std::system_category()), {}, "icmpkit");
  EXPECT_TRUE(any_contains(d.dgram.fixes, "ping_group_range=\"100 5000\""));
  EXPECT_TRUE(d.raw.opened);
  EXPECT_EQ(d.automatic_result(), sys::SocketKind::raw);
}

TEST(Explain, SupplementaryGroupInRangeIsNamed) {
  auto identity = user(1000);
  identity.supplementary_groups = {27, 1000};
  const auto d = sys::explain(wire::Family::v4, identity, PingGroupRange{20, 30}, std::nullopt, {}, {}, "x");
  EXPECT_TRUE(d.dgram.opened);
  EXPECT_NE(d.dgram.why.find("group 27"), std::string::npos) << d.dgram.why;
  EXPECT_EQ(d.automatic_result(), sys::SocketKind::dgram);
}

TEST(Explain, PermittedButNotEffectiveCapabilityIsExplained) {
  sys::CapabilityState caps;
  caps.net_raw_permitted = true;
  const auto d = sys::explain(wire::Family::v4, user(1000), PingGroupRange{1, 0}, caps,
                              std::error_code(EACCES, std::system_category()),
                              std::error_code(EPERM, std::system_category()), "icmpkit");
  EXPECT_NE(d.raw.why.find("not effective"), std::string::npos) << d.raw.why;
}

TEST(Diagnose, ReportsInjectedRefusals) {
  test::FakeKernel kernel;
  kernel->socket_errors = {EACCES, EPERM};
  const auto d = sys::diagnose(wire::Family::v4, "icmpkit", "/nonexistent/ikD/range");
  EXPECT_EQ(d.dgram.error, std::error_code(EACCES, std::system_category()));
  EXPECT_EQ(d.raw.error, std::error_code(EPERM, std::system_category()));
  EXPECT_FALSE(d.ping_group_range.has_value());
  EXPECT_EQ(kernel->socket_calls.size(), 2u);
}

TEST(Capabilities, ReadableAndConsistentWithRoot) {
  auto caps = sys::current_capabilities();
  ASSERT_TRUE(caps) << caps.error().message();
  if (caps->net_raw_effective) EXPECT_TRUE(caps->net_raw_permitted);
}

TEST(DropPrivileges, RawSocketOpenedBeforeKeepsWorkingNewOneIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: drops from root to nobody in a child process";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto raw = sys::IcmpSocket::open(wire::Family::v4, {.mode = sys::SocketMode::raw});
    if (!raw) ::_exit(10);
    if (!sys::drop_privileges(65534, 65534)) ::_exit(11);
    if (::getuid() != 65534 || ::geteuid() != 65534 || ::getegid() != 65534) ::_exit(12);
    auto caps = sys::current_capabilities();
    if (!caps || caps->net_raw_effective || caps->net_raw_permitted) ::_exit(13);
    sys::OpenReport report;
    auto again = sys::IcmpSocket::open(wire::Family::v4, {.mode = sys::SocketMode::raw}, &report);
    if (again || again.error() != make_error_code(errc::permission_denied)) ::_exit(14);
    if (!report.raw || report.raw->error.value() != EPERM) ::_exit(15);
    // The raw socket opened before the drop still sends (to loopback only).
    std::array<std::byte, 8> echo{std::byte{8}, std::byte{0}, std::byte{0xf7}, std::byte{0xff}};
    auto sent = sys::send_to(*raw, echo, *wire::IpAddress::parse("127.0.0.1"));
    if (!sent) ::_exit(16);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed at step " << WEXITSTATUS(status);
}

TEST(DropPrivileges, UnprivilegedCallerGetsEperm) {
  if (::geteuid() == 0) GTEST_SKIP() << "needs a non-root user: root may always drop";
  EXPECT_FALSE(sys::drop_privileges(0, 0));
}

}  // namespace
}  // namespace icmpkit
