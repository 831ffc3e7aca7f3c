// What `icmpkit ping` prints, in the shape of iputils ping(8) (version
// 20221126 was the reference): the PING header, one line per reply or ICMP
// error, the statistics block, the exit code; plus the --json objects and
// the parsing of the flag values iputils accepts (-p pattern, -M, -Q).
// Pure functions: the command (ping.cpp) feeds them what the Pinger reports.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format_message.hpp"  // Json
#include "icmpkit/engine/stats.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::tools {

/// iputils' RTT text: 3 decimals below 1 ms, 2 below 10 ms, 1 below 100 ms,
/// none from 100 ms ("0.045", "1.23", "12.3", "123"), rounded as iputils does
/// from whole microseconds.
std::string iputils_rtt(std::chrono::nanoseconds rtt);

/// How the target is shown: "host (address)" when a name was given (or
/// found), the address alone for a numeric target or -n.
std::string ping_display_name(std::string_view name, const wire::IpAddress& address);

/// The first line: "PING host (addr) 56(84) bytes of data." for IPv4,
/// "PING host(addr) 56 data bytes" for IPv6, with " from SRC IFACE:" when a
/// source or interface was given (-I).
struct PingHeader {
  std::string host;  ///< As given on the command line.
  wire::IpAddress address;
  std::size_t payload_size = 56;
  std::optional<wire::IpAddress> source;
  std::string interface_name;
};
std::string ping_header_line(const PingHeader& header);

/// One echo reply line: "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms",
/// " (DUP!)" for a duplicate, "[sec.usec] " in front with -D.
struct ReplyLine {
  std::size_t bytes = 0;  ///< ICMP message size (header + data), as iputils counts.
  std::string from;       ///< ping_display_name of the replying address.
  std::uint32_t seq = 0;
  std::optional<unsigned> ttl;
  std::optional<std::chrono::nanoseconds> rtt;
  bool duplicate = false;
  std::optional<std::chrono::system_clock::time_point> timestamp;  ///< -D
};
std::string ping_reply_line(const ReplyLine& line);

/// iputils' text for an ICMP error ("Destination Host Unreachable", "Time to
/// live exceeded", "Destination unreachable: No route", "Packet too big:
/// mtu=1280" ...). `info` is the MTU (frag needed / packet too big) or the
/// parameter-problem pointer.
std::string ping_icmp_error_text(wire::Family family, std::uint8_t type, std::uint8_t code, std::uint32_t info);

/// "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable" (with -D prefix).
std::string ping_error_line(std::string_view from, std::uint32_t seq, std::string_view text,
                            std::optional<std::chrono::system_clock::time_point> timestamp = std::nullopt);

/// -O: "no answer yet for icmp_seq=N".
std::string ping_no_answer_line(std::uint32_t seq,
                                std::optional<std::chrono::system_clock::time_point> timestamp = std::nullopt);

/// "[1700000000.123456] ": the -D prefix (wall-clock seconds.microseconds).
std::string ping_timestamp_prefix(std::chrono::system_clock::time_point when);

/// iputils' loss percentage: printf("%g").
std::string iputils_loss(std::uint64_t sent, std::uint64_t received);

/// The closing block, one string per line:
///   "", "--- host ping statistics ---",
///   "N packets transmitted, M received[, +D duplicates][, +E errors], X% packet loss, time Yms",
///   "rtt min/avg/max/mdev = a/b/c/d ms" (an empty line when nothing came back, as iputils).
std::vector<std::string> ping_statistics_block(std::string_view host, const engine::PingStatistics& stats,
                                               std::chrono::nanoseconds elapsed);

/// iputils' exit code: 0 when a reply came (and, with a -w deadline and -c
/// count, all `count` replies came), 1 otherwise; 2 is for errors, decided
/// by the caller.
int ping_exit_code(const engine::PingStatistics& stats, bool deadline_given, std::uint64_t count);

/// -p: up to 16 pattern bytes from hex digits ("ff", "deadbeef", an odd
/// last digit is a low nibble as iputils reads it). Empty `error` on success.
struct PatternParse {
  std::vector<std::byte> bytes;
  std::string error;
};
PatternParse parse_ping_pattern(std::string_view text);
/// "PATTERN: 0xab" line iputils prints before the header.
std::string ping_pattern_line(const std::vector<std::byte>& bytes);

/// -M do|dont|want (path MTU discovery). nullopt for anything else.
enum class PmtuMode : std::uint8_t { do_, dont, want };
std::optional<PmtuMode> parse_pmtu_mode(std::string_view text);

/// -Q: a TOS / traffic class byte, decimal or 0x-hex (0..255). nullopt when invalid.
std::optional<std::uint8_t> parse_tos(std::string_view text);

/// --json objects, one per line.
Json ping_reply_json(std::string_view host, const wire::IpAddress& from, std::uint32_t seq, std::size_t bytes,
                     std::optional<unsigned> ttl, std::optional<std::chrono::nanoseconds> rtt, bool duplicate);
Json ping_error_json(std::string_view host, const wire::IpAddress& from, std::uint32_t seq, std::uint8_t type,
                     std::uint8_t code, std::string_view text);
Json ping_timeout_json(std::string_view host, const wire::IpAddress& address, std::uint32_t seq);
Json ping_summary_json(std::string_view host, const wire::IpAddress& address, const engine::PingStatistics& stats,
                       std::chrono::nanoseconds elapsed);

}  // namespace icmpkit::tools
