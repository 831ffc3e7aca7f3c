// MLD (RFC 2710, RFC 3810): reports, done and queries captured in the
// namespace lab (the kernel's own reports, the bridge's querier), rebuilt by
// the builders, and every malformed count.
#include "icmpkit/wire/mld.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "icmpkit/wire/icmpv6.hpp"
#include "icmpv6_fixture.hpp"

namespace {

using namespace icmpkit::wire;
using namespace std::chrono_literals;
using icmpkit::errc;
using icmpkit_test::from_hex;
using icmpkit_test::load_icmpv6_fixture;
using icmpkit_test::parse_v6;

template <class T>
T decode_as(const std::vector<std::byte>& bytes) {
  auto message = decode_icmpv6(bytes);
  EXPECT_TRUE(message) << message.error().message();
  if (!message) return T{};
  const T* typed = std::get_if<T>(&*message);
  EXPECT_NE(typed, nullptr) << "variant index " << message->index();
  return typed ? *typed : T{};
}

template <class Encode>
void expect_rebuilds(const icmpkit_test::Icmpv6Fixture& fixture, Encode encode) {
  std::vector<std::byte> out(fixture.bytes.size() + 64);
  auto length = encode(icmpkit::MutableBytes(out));
  ASSERT_TRUE(length) << length.error().message();
  out.resize(*length);
  set_icmpv6_checksum(out, fixture.source, fixture.destination);
  EXPECT_EQ(out, fixture.bytes) << fixture.name;
}

TEST(Mldv1, DecodesCapturedReportDoneAndQueryAndRebuildsThem) {
  for (const char* name : {"mldv1_report", "mldv1_done", "mldv1_query"}) {
    const auto fixture = load_icmpv6_fixture(name);
    const auto mld = decode_as<MldMessage>(fixture.bytes);
    expect_rebuilds(fixture, [&](icmpkit::MutableBytes out) {
      return encode_mld(mld.type, mld.max_response_delay, mld.multicast_address, out);
    });
  }
  const auto report_fixture = load_icmpv6_fixture("mldv1_report");
  const auto report = decode_as<MldMessage>(report_fixture.bytes);
  EXPECT_EQ(report.type, icmpv6_type::mld_report);
  EXPECT_EQ(report.multicast_address, parse_v6("ff12::1234"));
  const auto done_fixture = load_icmpv6_fixture("mldv1_done");
  EXPECT_EQ(decode_as<MldMessage>(done_fixture.bytes).type, icmpv6_type::mld_done);
  const auto query_fixture = load_icmpv6_fixture("mldv1_query");
  const auto query = decode_as<MldMessage>(query_fixture.bytes);
  EXPECT_EQ(query.type, icmpv6_type::mld_query);
  EXPECT_EQ(query.max_response_delay, 10000u);
  EXPECT_EQ(query.multicast_address, Ipv6Address{});  // general query
}

TEST(Mldv2Query, DecodesCapturedGeneralAndGroupQueries) {
  const auto general_fixture = load_icmpv6_fixture("mldv2_query_general");
  const auto general = decode_as<Mldv2Query>(general_fixture.bytes);
  EXPECT_EQ(general.multicast_address, Ipv6Address{});
  EXPECT_EQ(general.max_response_delay(), 10000ms);
  EXPECT_EQ(general.robustness, 2u);
  EXPECT_EQ(general.query_interval(), 125s);
  EXPECT_FALSE(general.suppress_router_processing);
  EXPECT_TRUE(general.sources.empty());
  const auto group_fixture = load_icmpv6_fixture("mldv2_query_group");
  const auto group = decode_as<Mldv2Query>(group_fixture.bytes);
  EXPECT_EQ(group.multicast_address, parse_v6("ff12::5678"));
  EXPECT_EQ(group.max_response_delay(), 1000ms);
  for (const char* name : {"mldv2_query_general", "mldv2_query_group"}) {
    const auto fixture = load_icmpv6_fixture(name);
    const auto query = decode_as<Mldv2Query>(fixture.bytes);
    expect_rebuilds(fixture, [&](icmpkit::MutableBytes out) { return encode_mldv2_query(query, {}, out); });
  }
}

TEST(Mldv2Query, SourcesAndFlagsRoundTrip) {
  Mldv2Query query;
  query.max_response_code = mldv2_max_response_code(60000ms);
  query.multicast_address = parse_v6("ff3e::8000:1");
  query.suppress_router_processing = true;
  query.robustness = 7;
  query.qqic = mldv2_qqic(300s);
  const Ipv6Address sources[] = {parse_v6("fd00::1"), parse_v6("fd00::2"), parse_v6("fd00::3")};
  std::vector<std::byte> out(128);
  auto length = encode_mldv2_query(query, sources, out);
  ASSERT_TRUE(length);
  EXPECT_EQ(*length, 28u + 48u);
  out.resize(*length);
  const auto decoded = decode_as<Mldv2Query>(out);
  EXPECT_TRUE(decoded.suppress_router_processing);
  EXPECT_EQ(decoded.robustness, 7u);
  // Exponential forms lose low bits: within one mantissa step.
  EXPECT_LE(decoded.max_response_delay(), 60000ms);
  EXPECT_GT(decoded.max_response_delay(), 60000ms - 64ms);
  EXPECT_LE(decoded.query_interval(), 300s);
  EXPECT_GT(decoded.query_interval(), 300s - 16s);
  ASSERT_EQ(decoded.sources.size(), 3u);
  std::size_t i = 0;
  for (const auto& source : decoded.sources) EXPECT_EQ(source, sources[i++]);
  EXPECT_EQ(decoded.sources[2], sources[2]);
}

TEST(Mldv2Query, ExponentialCodesFollowRfc3810) {
  Mldv2Query query;
  query.max_response_code = 0x8000;  // mant 0, exp 0: 0x1000 << 3
  EXPECT_EQ(query.max_response_delay(), 32768ms);
  query.max_response_code = 0xffff;  // mant 0xfff, exp 7
  EXPECT_EQ(query.max_response_delay(), std::chrono::milliseconds(0x1fffu << 10));
  query.qqic = 0x80;
  EXPECT_EQ(query.query_interval(), 128s);
  query.qqic = 0xff;
  EXPECT_EQ(query.query_interval(), std::chrono::seconds(0x1fu << 10));
  EXPECT_EQ(mldv2_max_response_code(32767ms), 32767u);
  EXPECT_EQ(mldv2_max_response_code(32768ms), 0x8000u);
  EXPECT_EQ(mldv2_max_response_code(std::chrono::hours(10)), 0xffffu);
  EXPECT_EQ(mldv2_qqic(127s), 127u);
  EXPECT_EQ(mldv2_qqic(128s), 0x80u);
}

TEST(Mldv2Query, SourceCountOverrunningTheMessageIsBadLength) {
  const auto fixture = load_icmpv6_fixture("mldv2_query_general");
  auto bytes = fixture.bytes;
  bytes[27] = std::byte{1};  // one source claimed, none present
  EXPECT_EQ(decode_icmpv6(bytes).error(), errc::bad_length);
  bytes[26] = std::byte{0xff};
  bytes[27] = std::byte{0xff};
  EXPECT_EQ(decode_icmpv6(bytes).error(), errc::bad_length);
}

TEST(Mldv2Query, LengthsBetweenTheVersionsAreBadLength) {
  const auto fixture = load_icmpv6_fixture("mldv2_query_general");
  for (std::size_t length = 25; length < 28; ++length) {
    EXPECT_EQ(decode_icmpv6(icmpkit::ConstBytes(fixture.bytes.data(), length)).error(), errc::bad_length) << length;
  }
  for (std::size_t length = 8; length < 24; ++length) {
    EXPECT_EQ(decode_icmpv6(icmpkit::ConstBytes(fixture.bytes.data(), length)).error(), errc::truncated) << length;
  }
  // Exactly 24 bytes is an MLDv1 query.
  auto v1 = decode_icmpv6(icmpkit::ConstBytes(fixture.bytes.data(), 24));
  ASSERT_TRUE(v1);
  EXPECT_TRUE(std::holds_alternative<MldMessage>(*v1));
}

TEST(Mldv2Report, DecodesCapturedStartupReport) {
  const auto fixture = load_icmpv6_fixture("mldv2_report");
  const auto report = decode_as<Mldv2Report>(fixture.bytes);
  ASSERT_EQ(report.records.size(), 3u);
  std::vector<Mldv2Record> records(report.records.begin(), report.records.end());
  ASSERT_EQ(records.size(), 3u);
  for (const auto& record : records) {
    EXPECT_EQ(record.type, mldv2_record_type::change_to_exclude);  // joins: EXCLUDE {}
    EXPECT_TRUE(record.sources.empty());
    EXPECT_TRUE(record.auxiliary_data.empty());
    EXPECT_EQ(static_cast<unsigned>(record.multicast_address[0]), 0xffu);
  }
  EXPECT_EQ(records[2].multicast_address, parse_v6("ff02::2"));  // all-routers: ikB-r forwards
  EXPECT_TRUE(report.trailing.empty());
}

TEST(Mldv2Report, DecodesCapturedSourceSpecificRecords) {
  const auto fixture = load_icmpv6_fixture("mldv2_report_two_records_sources");
  const auto report = decode_as<Mldv2Report>(fixture.bytes);
  std::vector<Mldv2Record> records(report.records.begin(), report.records.end());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].type, mldv2_record_type::allow_new_sources);
  EXPECT_EQ(records[0].multicast_address, parse_v6("ff32:40:fd00:2::8000:1"));
  ASSERT_EQ(records[0].sources.size(), 1u);
  EXPECT_EQ(records[0].sources[0], parse_v6("fd00:2::2"));
  EXPECT_EQ(records[1].type, mldv2_record_type::change_to_exclude);
  EXPECT_EQ(records[1].multicast_address, parse_v6("ff12::4321"));

  const auto leave_fixture = load_icmpv6_fixture("mldv2_report_source");
  const auto leave = decode_as<Mldv2Report>(leave_fixture.bytes);
  ASSERT_EQ(leave.records.size(), 1u);
  EXPECT_EQ((*leave.records.begin()).type, mldv2_record_type::block_old_sources);
}

TEST(Mldv2Report, BuildersReproduceCaptures) {
  for (const char* name : {"mldv2_report", "mldv2_report_two_records_sources", "mldv2_report_source"}) {
    const auto fixture = load_icmpv6_fixture(name);
    const auto report = decode_as<Mldv2Report>(fixture.bytes);
    std::vector<std::vector<Ipv6Address>> sources;
    std::vector<Mldv2RecordSpec> specs;
    for (const auto& record : report.records) {
      sources.emplace_back(record.sources.begin(), record.sources.end());
    }
    std::size_t i = 0;
    for (const auto& record : report.records) {
      specs.push_back({record.type, record.multicast_address, sources[i++], record.auxiliary_data});
    }
    expect_rebuilds(fixture, [&](icmpkit::MutableBytes out) { return encode_mldv2_report(specs, out); });
  }
}

TEST(Mldv2Report, AuxiliaryDataRoundTrips) {
  const Ipv6Address sources[] = {parse_v6("fd00::a")};
  const auto aux = from_hex("0102 0304 0506 0708");
  const Mldv2RecordSpec specs[] = {{mldv2_record_type::mode_is_include, parse_v6("ff3e::1"), sources, aux},
                                   {mldv2_record_type::mode_is_exclude, parse_v6("ff3e::2"), {}, {}}};
  std::vector<std::byte> out(128);
  auto length = encode_mldv2_report(specs, out);
  ASSERT_TRUE(length);
  EXPECT_EQ(*length, 8u + 20u + 16u + 8u + 20u);
  out.resize(*length);
  const auto report = decode_as<Mldv2Report>(out);
  std::vector<Mldv2Record> records(report.records.begin(), report.records.end());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].auxiliary_data.size(), 8u);
  EXPECT_EQ(records[0].sources[0], sources[0]);
  EXPECT_EQ(records[1].multicast_address, parse_v6("ff3e::2"));
  const auto bad_aux = from_hex("0102 03");
  const Mldv2RecordSpec bad[] = {{mldv2_record_type::mode_is_include, {}, {}, bad_aux}};
  EXPECT_EQ(encode_mldv2_report(bad, out).error(), errc::invalid_argument);
}

TEST(Mldv2Report, OverrunningCountsAreBadLength) {
  const auto fixture = load_icmpv6_fixture("mldv2_report_two_records_sources");
  auto more_records = fixture.bytes;
  more_records[7] = std::byte{3};
  EXPECT_EQ(decode_icmpv6(more_records).error(), errc::bad_length);
  auto huge_records = fixture.bytes;
  huge_records[6] = huge_records[7] = std::byte{0xff};
  EXPECT_EQ(decode_icmpv6(huge_records).error(), errc::bad_length);
  auto more_sources = fixture.bytes;
  more_sources[11] = std::byte{9};  // first record: 9 sources
  EXPECT_EQ(decode_icmpv6(more_sources).error(), errc::bad_length);
  auto aux = fixture.bytes;
  aux[9] = std::byte{1};  // first record: 4 bytes of auxiliary data
  EXPECT_EQ(decode_icmpv6(aux).error(), errc::bad_length);
}

TEST(Mldv2Report, EveryTruncationOfTheCaptureIsBadLengthOrShorterRecords) {
  const auto fixture = load_icmpv6_fixture("mldv2_report_two_records_sources");
  for (std::size_t length = icmp_header_size; length < fixture.bytes.size(); ++length) {
    EXPECT_EQ(decode_icmpv6(icmpkit::ConstBytes(fixture.bytes.data(), length)).error(), errc::bad_length) << length;
  }
  // Fewer records counted than present: the rest is kept as trailing bytes.
  auto fewer = fixture.bytes;
  fewer[7] = std::byte{1};
  const auto report = decode_as<Mldv2Report>(fewer);
  EXPECT_EQ(report.records.size(), 1u);
  EXPECT_EQ(report.trailing.size(), 20u);
}

TEST(Mld, DecodersRejectOtherTypesAndBuilderChecksType) {
  const auto fixture = load_icmpv6_fixture("echo_request");
  auto view = parse_icmp(Family::v6, fixture.bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(decode_mld(*view).error(), errc::wrong_type);
  EXPECT_EQ(decode_mldv2_query(*view).error(), errc::wrong_type);
  EXPECT_EQ(decode_mldv2_report(*view).error(), errc::wrong_type);
  std::vector<std::byte> out(24);
  EXPECT_EQ(encode_mld(143, 0, {}, out).error(), errc::invalid_argument);
  std::vector<std::byte> small(23);
  EXPECT_EQ(encode_mld(131, 0, {}, small).error(), errc::buffer_too_small);
}

}  // namespace
