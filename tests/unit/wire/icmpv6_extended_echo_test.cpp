// RFC 8335 extended echo over ICMPv6 end to end: the captured probe's
// extension structure read with extensions.hpp, and a probe built with
// ExtensionBuilder + encode_icmpv6_extended_echo_request equal to the bytes
// the lab sent (which the kernel of ikB-h2 accepted and answered).
#include <gtest/gtest.h>

#include <vector>

#include "icmpkit/wire/extensions.hpp"
#include "icmpkit/wire/icmpv6.hpp"
#include "icmpv6_fixture.hpp"

namespace {

using namespace icmpkit::wire;
using icmpkit_test::load_icmpv6_fixture;

TEST(Icmpv6ExtendedEchoProbe, CapturedRequestNamesTheInterface) {
  const auto fixture = load_icmpv6_fixture("extended_echo_request_name");
  auto message = decode_icmpv6(fixture.bytes, fixture.source, fixture.destination);
  ASSERT_TRUE(message);
  const auto& request = std::get<Icmpv6ExtendedEchoRequest>(*message);
  auto structure = parse_extensions(request.extensions);
  ASSERT_TRUE(structure) << structure.error().message();
  ASSERT_EQ(structure->object_count, 1u);
  auto id = decode_interface_identification(*structure->begin());
  ASSERT_TRUE(id);
  EXPECT_EQ(id->kind, InterfaceIdentificationKind::by_name);
  EXPECT_EQ(id->name, "eth0");
}

TEST(Icmpv6ExtendedEchoProbe, BuiltProbeEqualsTheCapturedOne) {
  const auto fixture = load_icmpv6_fixture("extended_echo_request_name");
  std::vector<std::byte> extensions(64);
  ExtensionBuilder builder(extensions);
  builder.add_interface_identification_by_name("eth0");
  auto ext_length = builder.finish();
  ASSERT_TRUE(ext_length);
  extensions.resize(*ext_length);
  std::vector<std::byte> out(128);
  auto length = encode_icmpv6_extended_echo_request(EchoId(0x1234), 1, true, extensions, out);
  ASSERT_TRUE(length);
  out.resize(*length);
  set_icmpv6_checksum(out, fixture.source, fixture.destination);
  EXPECT_EQ(out, fixture.bytes);
}

}  // namespace
