#include "icmpkit/wire/extensions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "capture_fixture.hpp"
#include "icmpkit/wire/quoted.hpp"

namespace icmpkit::wire {
namespace {

using test::load_hex_fixture;

std::vector<ExtensionObject> objects_of(const ExtensionStructure& s) {
  return {s.begin(), s.end()};
}

// Fixtures are hand-built from the RFC layouts (see tests/data/extensions/make_fixtures.py).
TEST(Extensions, DecodesRfc4950MplsLabelStack) {
  const auto bytes = load_hex_fixture("extensions/rfc4950_mpls_structure.hex");
  auto s = parse_extensions(bytes);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->version, 2);
  EXPECT_NE(s->checksum, 0);
  EXPECT_EQ(s->object_count, 1u);
  const auto objects = objects_of(*s);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].class_num, extension_class::mpls_label_stack);
  EXPECT_EQ(objects[0].c_type, 1);
  EXPECT_EQ(objects[0].length, 12);
  auto stack = decode_mpls_label_stack(objects[0]);
  ASSERT_TRUE(stack);
  ASSERT_EQ(stack->size(), 2u);
  EXPECT_EQ((*stack)[0].label, 16001u);
  EXPECT_EQ((*stack)[0].traffic_class, 0);
  EXPECT_FALSE((*stack)[0].bottom_of_stack);
  EXPECT_EQ((*stack)[0].ttl, 1);
  EXPECT_EQ((*stack)[1].label, 299776u);
  EXPECT_EQ((*stack)[1].traffic_class, 5);
  EXPECT_TRUE((*stack)[1].bottom_of_stack);
  EXPECT_EQ((*stack)[1].ttl, 1);
  EXPECT_EQ(decode_interface_information(objects[0]).error(), errc::wrong_type);
  EXPECT_EQ(decode_interface_identification(objects[0]).error(), errc::wrong_type);
}

TEST(Extensions, SplitsCompliantV4TimeExceededWithMpls) {
  const auto message = load_hex_fixture("extensions/v4_time_exceeded_mpls.hex");
  ASSERT_TRUE(verify_icmpv4_checksum(message));
  auto view = parse_icmp(Family::v4, message);
  ASSERT_TRUE(view);
  auto body = split_error_body(*view);
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->rfc4884_length);
  EXPECT_EQ(body->original_datagram.size(), 128u);
  auto s = parse_extensions(body->extensions);
  ASSERT_TRUE(s);
  EXPECT_EQ(decode_mpls_label_stack(*s->begin())->size(), 2u);
  auto compat = parse_extensions_compat(*body);
  ASSERT_TRUE(compat);
  EXPECT_EQ(compat->bytes.data(), s->bytes.data());
  // The padded quote still decodes to the captured probe.
  auto q = decode_quoted(Family::v4, *body);
  ASSERT_TRUE(q);
  EXPECT_EQ(std::get<QuotedUdp>(q->probe).destination_port, 33435);
}

TEST(Extensions, FindsNonCompliantStructureAtOffset128) {
  const auto message = load_hex_fixture("extensions/v4_time_exceeded_mpls_noncompliant.hex");
  auto view = parse_icmp(Family::v4, message);
  ASSERT_TRUE(view);
  auto body = split_error_body(*view);
  ASSERT_TRUE(body);
  EXPECT_FALSE(body->rfc4884_length);
  EXPECT_TRUE(body->extensions.empty());
  auto s = parse_extensions_compat(*body);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->present());
  EXPECT_EQ(s->bytes.data(), view->body.data() + 128);
  EXPECT_EQ(decode_mpls_label_stack(*s->begin())->operator[](1).label, 299776u);

  // A corrupted checksum means "this is quoted data", not an error.
  std::vector<std::byte> bad(view->body.begin(), view->body.end());
  bad[128 + 5] ^= std::byte{1};
  auto none = parse_extensions_compat(ConstBytes(bad));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->present());
  // So does a zero checksum in the non-compliant form (too easy to hit by chance).
  std::vector<std::byte> zero(view->body.begin(), view->body.end());
  zero[130] = zero[131] = std::byte{0};
  EXPECT_FALSE(parse_extensions_compat(ConstBytes(zero))->present());
  // And a body too short to hold a structure at 128.
  EXPECT_FALSE(parse_extensions_compat(ConstBytes(view->body).first(131))->present());
  // A quote with no extension (captured error) has none.
  const auto frame = load_hex_fixture("quoted/v4_time_exceeded_udp_frame.hex");
  auto real = parse_icmp(Family::v4, test::icmp_of_frame(frame));
  ASSERT_TRUE(real);
  auto real_body = split_error_body(*real);
  ASSERT_TRUE(real_body);
  EXPECT_FALSE(parse_extensions_compat(*real_body)->present());
}

TEST(Extensions, DecodesRfc5837InterfaceInformationInV6Error) {
  const auto message = load_hex_fixture("extensions/v6_time_exceeded_interface_info.hex");
  const auto src = IpAddress::parse("fd77:1::1")->v6();
  const auto dst = IpAddress::parse("fd77:1::2")->v6();
  ASSERT_TRUE(verify_icmpv6_checksum(message, src, dst));
  auto view = parse_icmp(Family::v6, message);
  ASSERT_TRUE(view);
  auto body = split_error_body(*view);
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->rfc4884_length);
  auto s = parse_extensions(body->extensions);
  ASSERT_TRUE(s);
  const auto objects = objects_of(*s);
  ASSERT_EQ(objects.size(), 2u);
  auto in = decode_interface_information(objects[0]);
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_EQ(in->role, InterfaceRole::incoming);
  EXPECT_EQ(in->if_index, 2u);
  ASSERT_TRUE(in->address);
  EXPECT_EQ(in->address->to_string(), "fd77:1::1");
  EXPECT_EQ(in->name, "ikCr0");
  EXPECT_EQ(in->mtu, 1500u);
  auto out = decode_interface_information(objects[1]);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->role, InterfaceRole::outgoing);
  EXPECT_EQ(out->if_index, 3u);
  EXPECT_EQ(out->address->to_string(), "10.77.2.1");
  EXPECT_FALSE(out->name);
  EXPECT_FALSE(out->mtu);
  EXPECT_EQ(decode_mpls_label_stack(objects[0]).error(), errc::wrong_type);
}

TEST(Extensions, DecodesRfc8335InterfaceIdentification) {
  auto name_bytes = load_hex_fixture("extensions/rfc8335_by_name_structure.hex");
  auto index_bytes = load_hex_fixture("extensions/rfc8335_by_index_structure.hex");
  auto address_bytes = load_hex_fixture("extensions/rfc8335_by_address_structure.hex");
  auto by_name = decode_interface_identification(*parse_extensions(name_bytes)->begin());
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->kind, InterfaceIdentificationKind::by_name);
  EXPECT_EQ(by_name->name, "ikCr0");
  auto by_index = decode_interface_identification(*parse_extensions(index_bytes)->begin());
  ASSERT_TRUE(by_index);
  EXPECT_EQ(by_index->kind, InterfaceIdentificationKind::by_index);
  EXPECT_EQ(by_index->if_index, 7u);
  auto by_address = decode_interface_identification(*parse_extensions(address_bytes)->begin());
  ASSERT_TRUE(by_address);
  EXPECT_EQ(by_address->kind, InterfaceIdentificationKind::by_address);
  EXPECT_EQ(by_address->afi, afi::ipv4);
  EXPECT_EQ(by_address->address.size(), 4u);
  ASSERT_TRUE(by_address->ip);
  EXPECT_EQ(by_address->ip->to_string(), "10.77.2.1");
}

TEST(Extensions, KeepsUnknownObjectsRawAndAcceptsZeroChecksum) {
  const auto bytes = load_hex_fixture("extensions/unknown_class_no_checksum_structure.hex");
  auto s = parse_extensions(bytes);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->checksum, 0);
  const auto objects = objects_of(*s);
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].class_num, 200);
  EXPECT_EQ(objects[0].c_type, 7);
  EXPECT_EQ(objects[0].payload.size(), 6u);
  EXPECT_EQ(objects[0].payload[0], std::byte{0xde});
  EXPECT_EQ(objects[1].class_num, extension_class::mpls_label_stack);
  EXPECT_EQ(objects[1].bytes.data(), bytes.data() + 4 + 10);
}

TEST(Extensions, RejectsBadVersionChecksumAndObjectLengths) {
  const auto good = load_hex_fixture("extensions/rfc4950_mpls_structure.hex");
  for (std::size_t n = 0; n < 4; ++n) EXPECT_EQ(parse_extensions(ConstBytes(good).first(n)).error(), errc::truncated);
  // Cut inside the object: the checksum no longer verifies first.
  for (std::size_t n = 4; n < good.size(); ++n) EXPECT_FALSE(parse_extensions(ConstBytes(good).first(n))) << n;
  auto edit = [&](std::size_t at, int value, bool zero_checksum) {
    auto copy = good;
    copy[at] = static_cast<std::byte>(value);
    if (zero_checksum) copy[2] = copy[3] = std::byte{0};
    return parse_extensions(copy).error();
  };
  EXPECT_EQ(edit(0, 0x10, false), errc::bad_extension);   // version 1
  EXPECT_EQ(edit(0, 0x30, true), errc::bad_extension);    // version 3
  EXPECT_EQ(edit(15, 0x02, false), errc::bad_checksum);   // payload changed
  EXPECT_EQ(edit(5, 0x03, true), errc::bad_extension);    // object length 3 < 4
  EXPECT_EQ(edit(5, 0x00, true), errc::bad_extension);    // object length 0
  EXPECT_EQ(edit(5, 0x0d, true), errc::bad_extension);    // overruns by one
  EXPECT_EQ(edit(4, 0xff, true), errc::bad_extension);    // overruns by far
  auto header_only = std::vector<std::byte>(good.begin(), good.begin() + 4);
  header_only[2] = header_only[3] = std::byte{0};
  auto empty = parse_extensions(header_only);  // header only: no objects
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->object_count, 0u);
  EXPECT_TRUE(empty->begin() == empty->end());
  // Trailing bytes too few for an object header.
  auto tail = good;
  tail.push_back(std::byte{0});
  tail[2] = tail[3] = std::byte{0};
  EXPECT_EQ(parse_extensions(tail).error(), errc::bad_extension);
}

ExtensionObject make_object(std::uint8_t class_num, std::uint8_t c_type, ConstBytes payload,
                            std::vector<std::byte>& storage) {
  std::vector<std::byte> out(256);
  auto n = ExtensionBuilder(out).add_object(class_num, c_type, payload).finish();
  EXPECT_TRUE(n);
  storage.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
  return *parse_extensions(storage)->begin();
}

TEST(Extensions, TypedDecodersRejectMalformedPayloads) {
  std::vector<std::byte> st;
  EXPECT_EQ(decode_mpls_label_stack(make_object(1, 1, {}, st)).error(), errc::bad_extension);
  EXPECT_EQ(decode_mpls_label_stack(make_object(1, 1, test::bytes_of({1, 2, 3}), st)).error(), errc::bad_extension);
  EXPECT_EQ(decode_mpls_label_stack(make_object(1, 2, test::bytes_of({1, 2, 3, 4}), st)).error(), errc::wrong_type);
  // Interface information: ifIndex bit set, 3 bytes.
  EXPECT_EQ(decode_interface_information(make_object(2, 0x08, test::bytes_of({0, 0, 1}), st)).error(),
            errc::bad_extension);
  // Address sub-object with AFI 9.
  EXPECT_EQ(decode_interface_information(make_object(2, 0x04, test::bytes_of({0, 9, 0, 0, 1, 2, 3, 4}), st)).error(),
            errc::bad_extension);
  // IPv6 AFI with only 4 address bytes.
  EXPECT_EQ(decode_interface_information(make_object(2, 0x04, test::bytes_of({0, 2, 0, 0, 1, 2, 3, 4}), st)).error(),
            errc::bad_extension);
  // Name length 0, 6 (not a multiple of 4), 68 (> 64), and past the end.
  for (int length : {0, 6, 68, 8}) {
    EXPECT_EQ(decode_interface_information(make_object(2, 0x02, test::bytes_of({length, 'a', 'b', 'c'}), st)).error(),
              errc::bad_extension)
        << length;
  }
  // Leftover bytes after the parts the c-type announces.
  EXPECT_EQ(decode_interface_information(make_object(2, 0x01, test::bytes_of({0, 0, 5, 220, 0, 0, 0, 0}), st)).error(),
            errc::bad_extension);
  // RFC 8335 object: unknown c-type, empty name, index of 3 bytes, address length past payload.
  EXPECT_EQ(decode_interface_identification(make_object(3, 4, test::bytes_of({0, 0, 0, 1}), st)).error(),
            errc::bad_extension);
  EXPECT_EQ(decode_interface_identification(make_object(3, 1, test::bytes_of({0, 0, 0, 0}), st)).error(),
            errc::bad_extension);
  EXPECT_EQ(decode_interface_identification(make_object(3, 2, test::bytes_of({0, 0, 1}), st)).error(),
            errc::bad_extension);
  EXPECT_EQ(decode_interface_identification(make_object(3, 3, test::bytes_of({0, 1, 8, 0, 10, 0, 0, 1}), st)).error(),
            errc::bad_extension);
  // Unknown AFI kept raw without an IpAddress.
  auto mac = decode_interface_identification(
      make_object(3, 3, test::bytes_of({0x40, 0x05, 6, 0, 2, 0, 0, 0, 0, 1, 0, 0}), st));
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->address.size(), 6u);
  EXPECT_FALSE(mac->ip);
}

TEST(Extensions, BuilderReproducesHandBuiltFixtures) {
  struct Case {
    const char* file;
    void (*build)(ExtensionBuilder&);
    bool checksum;
  };
  const Case cases[] = {
      {"extensions/rfc4950_mpls_structure.hex",
       [](ExtensionBuilder& b) {
         const std::array<MplsLabelEntry, 2> stack{MplsLabelEntry{16001, 0, false, 1}, MplsLabelEntry{299776, 5, true, 1}};
         b.add_mpls_label_stack(stack);
       },
       true},
      {"extensions/rfc5837_interface_info_structure.hex",
       [](ExtensionBuilder& b) {
         InterfaceInformationFields in;
         in.role = InterfaceRole::incoming;
         in.if_index = 2;
         in.address = *IpAddress::parse("fd77:1::1");
         in.name = "ikCr0";
         in.mtu = 1500;
         InterfaceInformationFields out;
         out.role = InterfaceRole::outgoing;
         out.if_index = 3;
         out.address = *IpAddress::parse("10.77.2.1");
         b.add_interface_information(in).add_interface_information(out);
       },
       true},
      {"extensions/rfc8335_by_name_structure.hex",
       [](ExtensionBuilder& b) { b.add_interface_identification_by_name("ikCr0"); }, true},
      {"extensions/rfc8335_by_index_structure.hex",
       [](ExtensionBuilder& b) { b.add_interface_identification_by_index(7); }, true},
      {"extensions/rfc8335_by_address_structure.hex",
       [](ExtensionBuilder& b) { b.add_interface_identification_by_address(*IpAddress::parse("10.77.2.1")); }, true},
      {"extensions/unknown_class_no_checksum_structure.hex",
       [](ExtensionBuilder& b) {
         const auto raw = test::bytes_of({0xde, 0xad, 0xbe, 0xef, 1, 2});
         const std::array<MplsLabelEntry, 2> stack{MplsLabelEntry{16001, 0, false, 1}, MplsLabelEntry{299776, 5, true, 1}};
         b.add_object(200, 7, raw).add_mpls_label_stack(stack);
       },
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const auto expected = load_hex_fixture(c.file);
    std::vector<std::byte> out(256);
    ExtensionBuilder b(out);
    c.build(b);
    auto n = b.finish(c.checksum);
    ASSERT_TRUE(n) << n.error().message();
    ASSERT_EQ(*n, expected.size());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), out.begin()));
  }
}

TEST(Extensions, BuilderReportsFirstError) {
  std::vector<std::byte> out(16);
  EXPECT_EQ(ExtensionBuilder(std::span(out).first(3)).finish().error(), errc::buffer_too_small);
  EXPECT_EQ(ExtensionBuilder(out).add_interface_identification_by_name("a-very-long-interface-name").finish().error(),
            errc::buffer_too_small);
  EXPECT_EQ(ExtensionBuilder(out).add_mpls_label_stack({}).finish().error(), errc::invalid_argument);
  const std::array<MplsLabelEntry, 1> bad{MplsLabelEntry{0x100000, 0, true, 1}};
  EXPECT_EQ(ExtensionBuilder(out).add_mpls_label_stack(bad).add_object(1, 1, {}).finish().error(),
            errc::invalid_argument);
  EXPECT_EQ(ExtensionBuilder(out).add_interface_identification_by_name("").finish().error(), errc::invalid_argument);
  InterfaceInformationFields f;
  const std::string long_name(64, 'x');
  f.name = long_name;
  std::vector<std::byte> big(256);
  EXPECT_EQ(ExtensionBuilder(big).add_interface_information(f).finish().error(), errc::invalid_argument);
  f.name = std::string_view(long_name).substr(0, 63);
  auto n = ExtensionBuilder(big).add_interface_information(f).finish();
  ASSERT_TRUE(n);
  auto info = decode_interface_information(*parse_extensions(ConstBytes(big).first(*n))->begin());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name->size(), 63u);
}

}  // namespace
}  // namespace icmpkit::wire
