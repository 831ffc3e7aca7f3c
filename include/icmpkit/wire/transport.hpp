// File: icmpkit/wire/transport.hpp
//
// UDP (RFC 768) and TCP (RFC 9293) headers as far as ICMP work needs them:
// traceroute probes, and the transport header quoted inside an ICMP error,
// where RFC 792 promises only the first 8 bytes (ports and, for TCP, the
// sequence number).
#pragma once

#include <cstddef>
#include <cstdint>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/ip_protocol.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

inline constexpr std::size_t udp_header_size = 8;
inline constexpr std::size_t tcp_min_header_size = 20;
/// The part of a TCP header an ICMP error is sure to quote: ports and sequence.
inline constexpr std::size_t tcp_quoted_min_size = 8;

/// A checked view of a UDP header.
struct UdpView {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint16_t length = 0;    ///< As claimed: header plus data.
  std::uint16_t checksum = 0;  ///< 0 means "not computed" (IPv4 only).
  ConstBytes payload;          ///< Data up to `length` (less if quoted and cut).
};

/// Views a UDP header. Bytes past `length` are left out of the payload.
/// Errors: errc::truncated (< 8 bytes), errc::bad_length (length < 8, or with
/// LengthCheck::strict length > buffer).
Result<UdpView> parse_udp(ConstBytes bytes, LengthCheck check = LengthCheck::strict) noexcept;

/// Writes a UDP header and copies `payload` after it, with the checksum over
/// `pseudo_header_sum` (from ipv4_pseudo_header_sum / ipv6_pseudo_header_sum
/// with protocol 17 and the UDP length). Returns the datagram length.
/// Errors: errc::payload_too_large, errc::buffer_too_small.
Result<std::size_t> encode_udp(std::uint16_t source_port, std::uint16_t destination_port, ConstBytes payload,
                               std::uint32_t pseudo_header_sum, MutableBytes out) noexcept;

namespace tcp_flag {
inline constexpr std::uint16_t fin = 0x001;
inline constexpr std::uint16_t syn = 0x002;
inline constexpr std::uint16_t rst = 0x004;
inline constexpr std::uint16_t psh = 0x008;
inline constexpr std::uint16_t ack = 0x010;
inline constexpr std::uint16_t urg = 0x020;
inline constexpr std::uint16_t ece = 0x040;
inline constexpr std::uint16_t cwr = 0x080;
inline constexpr std::uint16_t ae = 0x100;  ///< Formerly NS (RFC 3540, historic).
}  // namespace tcp_flag

/// A view of a TCP header, possibly only its first bytes (inside an ICMP
/// error). Fields past `available` are zero and `complete` is false.
struct TcpView {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t seq = 0;
  bool complete = false;           ///< The whole header (data offset * 4 bytes) is present.
  std::size_t available = 0;       ///< Header bytes present (8..60).
  std::uint32_t ack = 0;           ///< Present when available >= 12.
  std::uint8_t data_offset = 0;    ///< In 32-bit words; present when available >= 13.
  std::uint16_t flags = 0;         ///< tcp_flag bits; present when available >= 14.
  std::uint16_t window = 0;        ///< Present when available >= 16.
  std::uint16_t checksum = 0;      ///< Present when available >= 18.
  std::uint16_t urgent_pointer = 0;///< Present when available >= 20.
  ConstBytes options;              ///< When complete: bytes 20..data_offset*4.
  ConstBytes payload;              ///< When complete: everything after the header.

  std::size_t header_length() const noexcept { return std::size_t{data_offset} * 4; }
};

/// Views a whole TCP header (with options) and its payload.
/// Errors: errc::truncated (< 20 bytes or < data offset * 4), errc::bad_length (data offset < 5).
Result<TcpView> parse_tcp(ConstBytes bytes) noexcept;

/// Views as much of a TCP header as an ICMP error quoted: at least 8 bytes;
/// each further field is filled when its bytes are there. A whole header is
/// decoded as parse_tcp would.
/// Errors: errc::truncated (< 8 bytes), errc::bad_length (data offset present and < 5).
Result<TcpView> parse_tcp_quoted(ConstBytes bytes) noexcept;

/// Fields of a TCP header to build.
struct TcpFields {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint16_t flags = tcp_flag::syn;
  std::uint16_t window = 65535;
  std::uint16_t urgent_pointer = 0;
  ConstBytes options;  ///< Already encoded, a multiple of 4 bytes, at most 40.
};

/// Writes a TCP header (and `payload` after it) with the checksum over
/// `pseudo_header_sum` (protocol 6 and the segment length). Returns the segment length.
/// Errors: errc::invalid_argument (options), errc::payload_too_large, errc::buffer_too_small.
Result<std::size_t> encode_tcp(const TcpFields& fields, ConstBytes payload, std::uint32_t pseudo_header_sum,
                               MutableBytes out) noexcept;

}  // namespace icmpkit::wire
