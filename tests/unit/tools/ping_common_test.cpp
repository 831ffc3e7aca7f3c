// Unit tests of what ping and sweep share: -I as an address or an
// interface (the loopback interface exists everywhere), --mode values.
#include <gtest/gtest.h>

#include <string>

#include "ping_common.hpp"

namespace icmpkit::tools {
namespace {

TEST(PingSource, AnAddressIsTheSourceAsGiven) {
  auto v4 = source_for("127.0.0.1", wire::Family::v4);
  ASSERT_TRUE(v4.ok()) << v4.error;
  EXPECT_EQ(v4.address.to_string(), "127.0.0.1");
  EXPECT_TRUE(v4.interface_name.empty());
  auto v6 = source_for("::1", wire::Family::v6);
  ASSERT_TRUE(v6.ok()) << v6.error;
  EXPECT_EQ(v6.address.to_string(), "::1");
}

TEST(PingSource, AnAddressOfTheOtherFamilyIsRefused) {
  auto s = source_for("::1", wire::Family::v4);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error.find("'::1' is an IPv6 address but the target is IPv4"), std::string::npos) << s.error;
}

TEST(PingSource, AnInterfaceGivesItsAddressOfTheFamily) {
  auto lo = source_for("lo", wire::Family::v4);
  if (!lo.ok() && lo.error.find("unknown interface") != std::string::npos) GTEST_SKIP() << "no interface named lo";
  ASSERT_TRUE(lo.ok()) << lo.error;
  EXPECT_EQ(lo.interface_name, "lo");
  EXPECT_TRUE(lo.address.is_v4());
  EXPECT_TRUE(lo.address.is_loopback());
}

TEST(PingSource, AnUnknownInterfaceIsNamed) {
  auto s = source_for("nosuchif0", wire::Family::v4);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error, "unknown interface 'nosuchif0'");
}

TEST(PingMode, ModeNamesMapToSocketModes) {
  EXPECT_EQ(parse_socket_mode("auto"), sys::SocketMode::automatic);
  EXPECT_EQ(parse_socket_mode("dgram"), sys::SocketMode::dgram);
  EXPECT_EQ(parse_socket_mode("raw"), sys::SocketMode::raw);
}

TEST(PingOpenFailure, MessageNamesTheFamilyAndSuggestsDoctor) {
  auto m = open_failure_message(wire::Family::v6, std::make_error_code(std::errc::too_many_files_open));
  EXPECT_NE(m.find("cannot open an ICMPv6 socket"), std::string::npos) << m;
  EXPECT_NE(m.find("icmpkit doctor"), std::string::npos) << m;
}

}  // namespace
}  // namespace icmpkit::tools
