// File: icmpkit/engine/trace_probe.hpp
//
// How traceroute probes are built and recognised again: the probe payload
// (a marker, the probe token and the flow number, plus two bytes that steer a
// checksum, as Paris traceroute does), the keys a reply lets us recover from a
// quoted datagram (RFC 792 / RFC 4443 quote at least the ports and the UDP
// checksum or TCP sequence), from an error-queue record or from an answer of
// the destination, and the traceroute(8) flag of an ICMP error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "icmpkit/engine/trace_types.hpp"
#include "icmpkit/result.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/quoted.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::engine {

/// Bytes of the probe payload the engine needs: marker (4), token (2), flow (2), steering (2).
inline constexpr std::size_t probe_min_payload = 10;
/// First bytes of every probe payload.
inline constexpr std::array<std::byte, 4> probe_marker{std::byte{'i'}, std::byte{'k'}, std::byte{'t'},
                                                       std::byte{'r'}};

/// Which field of a probe carries its token.
enum class KeySpace : std::uint8_t {
  echo_seq,   ///< ICMP echo sequence number.
  udp_port,   ///< Classic UDP: the destination port.
  udp_token,  ///< Paris / multipath UDP: the UDP checksum (steered) or the payload.
  tcp_seq,    ///< TCP sequence number.
};

/// What identifies a probe in flight: the destination it went to and its token.
struct ProbeKey {
  KeySpace space = KeySpace::echo_seq;
  wire::IpAddress destination;
  std::uint32_t value = 0;
  friend bool operator==(const ProbeKey&, const ProbeKey&) noexcept = default;
};

struct ProbeKeyHash {
  std::size_t operator()(const ProbeKey& key) const noexcept;
};

/// Everything needed to encode one probe.
struct ProbeFields {
  ProbeMethod method = ProbeMethod::udp;
  wire::IpAddress destination;
  std::optional<wire::IpAddress> source;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  wire::EchoId echo_id;
  std::uint16_t token = 0;  ///< Echo sequence / UDP token / low bits of the TCP sequence.
  std::uint32_t tcp_seq = 0;
  std::uint16_t flow = 0;
  /// udp: steer the UDP checksum so that it encodes `token` (Paris, multipath).
  /// icmp_echo: hold the echo checksum at a value that depends on `flow` only.
  bool steer_checksum = false;
  std::size_t payload_size = probe_min_payload;  ///< Data bytes after the transport header.
};

/// Fills `out.payload` / `out.transport` (and ports) for `fields`.
/// Errors: errc::invalid_argument (payload_size < probe_min_payload for udp
/// and icmp, tcp_syn without a source, source family differs from destination),
/// errc::payload_too_large.
Result<void> encode_probe(const ProbeFields& fields, TraceTransmit& out);

/// Writes the probe payload: marker, token, flow and steering bytes (zero),
/// zero-filled to out.size() (>= probe_min_payload).
void write_probe_payload(MutableBytes out, std::uint16_t token, std::uint16_t flow) noexcept;

/// The token and flow written by write_probe_payload, if `payload` starts
/// with the marker.
struct PayloadTag {
  std::uint16_t token = 0;
  std::uint16_t flow = 0;
};
std::optional<PayloadTag> read_probe_payload(ConstBytes payload) noexcept;

/// One's-complement sum (folded, uncomplemented) a steered UDP payload must
/// have so that the UDP checksum encodes `token`: token + 1.
constexpr std::uint16_t udp_steering_target(std::uint16_t token) noexcept {
  return static_cast<std::uint16_t>(token + 1);
}

/// Recovers the token of a steered UDP probe from its quoted header: undoes
/// the checksum with the quoted addresses, ports and length. Without the
/// source address there is no answer.
std::optional<std::uint16_t> udp_token_from_checksum(const wire::IpAddress& source,
                                                     const wire::IpAddress& destination,
                                                     const wire::QuotedUdp& udp) noexcept;

/// Up to two candidate keys recovered from a quoted probe (a UDP quote may be
/// a classic or a steered probe).
struct KeyCandidates {
  std::array<ProbeKey, 2> keys{};
  std::size_t count = 0;
};
KeyCandidates keys_of_quote(const wire::QuotedDatagram& quote) noexcept;

/// Classification of an ICMP error or answer: the reason, traceroute's flag
/// and the reported MTU (Frag Needed / Packet Too Big).
struct IcmpClass {
  ProbeReason reason = ProbeReason::other_icmp;
  std::string flag;
  std::optional<std::uint32_t> mtu;
};
/// `mtu_field` is the MTU carried by the message (ICMPv4 bytes 6-7, ICMPv6
/// bytes 4-7, or ee_info of an error-queue record).
IcmpClass classify_icmp(wire::Family family, std::uint8_t type, std::uint8_t code, std::uint32_t mtu_field);

/// The next smaller RFC 1191 plateau below `mtu` (68 at the bottom), for
/// routers that report an MTU of 0 or one not below the probe size.
std::uint32_t lower_mtu_plateau(std::uint32_t mtu) noexcept;

}  // namespace icmpkit::engine
