// File: icmpkit/wire/icmpv4.hpp
//
// Typed decoding and encoding of every ICMP (IPv4) message: echo (RFC 792),
// destination unreachable with all 16 codes (RFC 792, RFC 1122, RFC 1812)
// and the next-hop MTU of RFC 1191, source quench (RFC 792, deprecated by
// RFC 6633), redirect, time exceeded, parameter problem (RFC 792, RFC 1108
// code 1, RFC 4884 length), timestamp and information request/reply
// (RFC 792), address mask request/reply (RFC 950), router advertisement and
// solicitation (RFC 1256) and extended echo request/reply (RFC 8335).
//
// Decoders return views into the caller's buffer: no allocation, no throw,
// every length checked. Encoders write into a caller-provided buffer and fill
// in the ICMPv4 checksum. Extension objects (RFC 4884/4950/5837/8335) are
// parsed by extensions.hpp; here they are exposed as raw bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>
#include <variant>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// Options for decode_icmpv4.
struct DecodeOptions {
  /// Verify the ICMPv4 checksum (errc::bad_checksum when it fails). Turn off
  /// for messages whose checksum the kernel already checked (ping sockets).
  bool verify_checksum = true;
};

/// Destination Unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
/// The enum holds any received value; unassigned codes simply have no name.
enum class Icmpv4UnreachableCode : std::uint8_t {
  net = 0,
  host = 1,
  protocol = 2,
  port = 3,
  fragmentation_needed = 4,  ///< DF set; bytes 6-7 carry the next-hop MTU (RFC 1191).
  source_route_failed = 5,
  dest_net_unknown = 6,
  dest_host_unknown = 7,
  source_host_isolated = 8,
  net_admin_prohibited = 9,
  host_admin_prohibited = 10,
  net_unreachable_for_tos = 11,
  host_unreachable_for_tos = 12,
  communication_admin_prohibited = 13,  ///< RFC 1812: filtered.
  host_precedence_violation = 14,
  precedence_cutoff = 15,
};

/// Redirect codes (RFC 792).
enum class Icmpv4RedirectCode : std::uint8_t { net = 0, host = 1, tos_net = 2, tos_host = 3 };

/// Time Exceeded codes (RFC 792).
enum class Icmpv4TimeExceededCode : std::uint8_t { ttl_exceeded_in_transit = 0, fragment_reassembly = 1 };

/// Parameter Problem codes (RFC 792, RFC 1108, RFC 1812).
enum class Icmpv4ParameterProblemCode : std::uint8_t { pointer = 0, missing_option = 1, bad_length = 2 };

/// Extended Echo Reply codes (RFC 8335 §3; the same for ICMPv6 type 161).
enum class ExtendedEchoReplyCode : std::uint8_t {
  no_error = 0,
  malformed_query = 1,
  no_such_interface = 2,
  no_such_table_entry = 3,
  multiple_interfaces = 4,
};

/// Extended Echo Reply neighbour state (RFC 8335 §3; the RFC 4861 states,
/// the same for ICMPv6).
enum class ProbeState : std::uint8_t {
  reserved = 0,
  incomplete = 1,
  reachable = 2,
  stale = 3,
  delay = 4,
  probe = 5,
  failed = 6,
};

/// Type 3. `body` is the quoted datagram and any RFC 4884 extensions.
struct Icmpv4Unreachable {
  Icmpv4UnreachableCode code = Icmpv4UnreachableCode::net;
  std::uint16_t next_hop_mtu = 0;  ///< Bytes 6-7; meaningful for fragmentation_needed (0 from pre-RFC 1191 routers).
  ErrorBody body;
};

/// Type 4 (deprecated by RFC 6633; still decoded).
struct Icmpv4SourceQuench {
  std::uint8_t code = 0;
  ErrorBody body;
};

/// Type 5.
struct Icmpv4Redirect {
  Icmpv4RedirectCode code = Icmpv4RedirectCode::net;
  Ipv4Address gateway{};  ///< Where the sender should send traffic for the destination.
  ErrorBody body;
};

/// Type 11.
struct Icmpv4TimeExceeded {
  Icmpv4TimeExceededCode code = Icmpv4TimeExceededCode::ttl_exceeded_in_transit;
  ErrorBody body;
};

/// Type 12.
struct Icmpv4ParameterProblem {
  Icmpv4ParameterProblemCode code = Icmpv4ParameterProblemCode::pointer;
  std::uint8_t pointer = 0;  ///< Octet of the quoted datagram in error (code 0).
  ErrorBody body;
};

/// Types 13/14: timestamps are milliseconds since midnight UT (RFC 792), or
/// any value with the high bit set when the sender has no such clock.
struct Icmpv4Timestamp {
  bool is_reply = false;
  EchoId id;
  EchoSeq seq;
  std::uint32_t originate = 0;
  std::uint32_t receive = 0;
  std::uint32_t transmit = 0;
};

/// Types 15/16 (obsolete, RFC 1122 §3.2.2.7; still decoded). No data.
struct Icmpv4Information {
  bool is_reply = false;
  EchoId id;
  EchoSeq seq;
};

/// Types 17/18 (RFC 950).
struct Icmpv4AddressMask {
  bool is_reply = false;
  EchoId id;
  EchoSeq seq;
  Ipv4Address mask{};
};

/// One (router address, preference level) pair of a router advertisement.
struct RouterAddressEntry {
  Ipv4Address address{};
  /// Signed, higher is preferred; INT32_MIN (0x80000000) means "not a default router".
  std::int32_t preference = 0;
};

/// Type 9 (RFC 1256 §3.1). The entries are a view into the message, checked
/// at decode so that num_addrs * entry_size * 4 bytes are present; entry i is
/// read from words [i*entry_size, i*entry_size+2) and any extra words of a
/// larger entry_size are skipped.
class Icmpv4RouterAdvertisement {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = RouterAddressEntry;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = RouterAddressEntry;

    Iterator() noexcept = default;
    RouterAddressEntry operator*() const noexcept { return ad_->entry(index_); }
    Iterator& operator++() noexcept { ++index_; return *this; }
    Iterator operator++(int) noexcept { auto copy = *this; ++index_; return copy; }
    friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.index_ == b.index_; }

   private:
    friend class Icmpv4RouterAdvertisement;
    Iterator(const Icmpv4RouterAdvertisement* ad, std::size_t index) noexcept : ad_(ad), index_(index) {}
    const Icmpv4RouterAdvertisement* ad_ = nullptr;
    std::size_t index_ = 0;
  };

  Icmpv4RouterAdvertisement() noexcept = default;

  /// Builds a view over already-checked entry bytes; decode_icmpv4 is the
  /// usual way to get one. `entries` must hold num_addrs*entry_size*4 bytes
  /// and entry_size must be >= 2, otherwise the view is empty.
  Icmpv4RouterAdvertisement(std::uint8_t code, std::uint8_t num_addrs, std::uint8_t entry_size,
                            std::uint16_t lifetime, ConstBytes entries, ConstBytes trailing) noexcept;

  std::uint8_t code() const noexcept { return code_; }  ///< 0, or 16 (RFC 3344: no common traffic).
  std::uint8_t num_addrs() const noexcept { return num_addrs_; }
  std::uint8_t entry_size() const noexcept { return entry_size_; }  ///< In 32-bit words, >= 2.
  std::uint16_t lifetime() const noexcept { return lifetime_; }     ///< Seconds.
  ConstBytes entry_bytes() const noexcept { return entries_; }
  /// Bytes after the last entry (e.g. RFC 3344 mobility extensions).
  ConstBytes trailing() const noexcept { return trailing_; }

  std::size_t size() const noexcept { return num_addrs_; }
  bool empty() const noexcept { return num_addrs_ == 0; }
  /// Entry `i`; `i` must be < size() (an out-of-range index returns a zero entry).
  RouterAddressEntry entry(std::size_t i) const noexcept;
  RouterAddressEntry operator[](std::size_t i) const noexcept { return entry(i); }
  Iterator begin() const noexcept { return {this, 0}; }
  Iterator end() const noexcept { return {this, size()}; }

 private:
  std::uint8_t code_ = 0;
  std::uint8_t num_addrs_ = 0;
  std::uint8_t entry_size_ = 2;
  std::uint16_t lifetime_ = 0;
  ConstBytes entries_;
  ConstBytes trailing_;
};

/// Type 10 (RFC 1256 §3.2): four reserved bytes, nothing else.
struct Icmpv4RouterSolicitation {
  std::uint8_t code = 0;
};

/// Type 42 (RFC 8335 §2). Note the 8-bit sequence number.
struct Icmpv4ExtendedEchoRequest {
  EchoId id;
  std::uint8_t seq = 0;
  bool local = false;      ///< L bit: the probed interface is on the node the request is sent to.
  ConstBytes extensions;   ///< The ICMP extension structure (parse with extensions.hpp).
};

/// Type 43 (RFC 8335 §3).
struct Icmpv4ExtendedEchoReply {
  ExtendedEchoReplyCode code = ExtendedEchoReplyCode::no_error;
  EchoId id;
  std::uint8_t seq = 0;
  ProbeState state = ProbeState::reserved;  ///< Only meaningful for a proxy (L = 0) query.
  bool active = false;  ///< A bit: the interface is active.
  bool ipv4 = false;    ///< 4 bit: the interface has an IPv4 address.
  bool ipv6 = false;    ///< 6 bit: the interface has an IPv6 address.
  ConstBytes data;      ///< Anything after the header (Linux echoes the request's extensions).
};

/// Every ICMPv4 message. Unassigned types are not an error: they decode as
/// the raw IcmpView alternative.
using Icmpv4Message =
    std::variant<EchoView, Icmpv4Unreachable, Icmpv4SourceQuench, Icmpv4Redirect, Icmpv4TimeExceeded,
                 Icmpv4ParameterProblem, Icmpv4Timestamp, Icmpv4Information, Icmpv4AddressMask,
                 Icmpv4RouterAdvertisement, Icmpv4RouterSolicitation, Icmpv4ExtendedEchoRequest,
                 Icmpv4ExtendedEchoReply, IcmpView>;

/// Size of the fixed part of types 13/14 (header + three timestamps).
inline constexpr std::size_t icmpv4_timestamp_size = 20;
/// Size of types 17/18 (header + mask).
inline constexpr std::size_t icmpv4_address_mask_size = 12;

/// Decodes one ICMPv4 message (starting at the ICMP type byte; strip the
/// IPv4 header first).
/// Errors: errc::truncated (shorter than the header or the type's fixed
/// part), errc::bad_checksum (when options.verify_checksum), errc::bad_length
/// (RFC 4884 length overruns the message; router advertisement entries
/// overrun it or entry size < 2).
Result<Icmpv4Message> decode_icmpv4(ConstBytes message, const DecodeOptions& options = {}) noexcept;

/// The type number a decoded message was (or will be encoded) with.
std::uint8_t icmpv4_type_of(const Icmpv4Message& message) noexcept;

// ---- Code names: lower-case, hyphenated; empty for unassigned codes. ----

/// "net-unreachable", "host-unreachable", … "precedence-cutoff".
std::string_view unreachable_code_name(Icmpv4UnreachableCode code) noexcept;
/// The flag traceroute (Butskoy's and the BSD one) prints after a hop: "!N"
/// for the net codes (0, 6, 9, 11), "!H" for the host codes (1, 7, 10, 12),
/// "!P", "" for port (the destination answered), "!F" (append the MTU),
/// "!S", "!X" (13), "!V" (14), "!C" (15), "!<8>" for an isolated source
/// host; "!<n>" is the caller's to format for unassigned codes (empty here).
std::string_view unreachable_traceroute_flag(Icmpv4UnreachableCode code) noexcept;
std::string_view redirect_code_name(Icmpv4RedirectCode code) noexcept;
std::string_view time_exceeded_code_name(Icmpv4TimeExceededCode code) noexcept;
std::string_view parameter_problem_code_name(Icmpv4ParameterProblemCode code) noexcept;
std::string_view extended_echo_reply_code_name(ExtendedEchoReplyCode code) noexcept;
std::string_view probe_state_name(ProbeState state) noexcept;
/// The code name for any ICMPv4 type that has named codes; empty otherwise.
std::string_view icmpv4_code_name(std::uint8_t type, std::uint8_t code) noexcept;

// ---- Encoders. Each writes one complete message into `out`, fills in the
// ICMPv4 checksum and returns the message length.
// Errors (all): errc::buffer_too_small, errc::payload_too_large (> 65535
// bytes). Error messages also: errc::invalid_argument when extensions are
// given but the quoted datagram cannot be described by the RFC 4884 length
// (more than 1020 bytes) or the type has no length field (5, 4). ----

/// Echo request or reply (same as encode_echo(Family::v4, …)).
Result<std::size_t> encode_icmpv4(const EchoView& echo, MutableBytes out) noexcept;
/// Error messages quote body.original_datagram; non-empty body.extensions are
/// appended after zero-padding the datagram to 128 bytes (RFC 4884 §4.1) and
/// the length field is set; without extensions the length field is 0.
Result<std::size_t> encode_icmpv4(const Icmpv4Unreachable& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4SourceQuench& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4Redirect& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4TimeExceeded& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4ParameterProblem& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4Timestamp& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4Information& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4AddressMask& message, MutableBytes out) noexcept;
/// Re-encodes a decoded advertisement as-is (entry bytes and trailing bytes copied).
Result<std::size_t> encode_icmpv4(const Icmpv4RouterAdvertisement& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4RouterSolicitation& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4ExtendedEchoRequest& message, MutableBytes out) noexcept;
Result<std::size_t> encode_icmpv4(const Icmpv4ExtendedEchoReply& message, MutableBytes out) noexcept;
/// Raw message: type, code, rest and body from the view (checksum recomputed).
Result<std::size_t> encode_icmpv4(const IcmpView& message, MutableBytes out) noexcept;
/// Any alternative of the variant.
Result<std::size_t> encode_icmpv4(const Icmpv4Message& message, MutableBytes out) noexcept;

/// Builds a router advertisement (RFC 1256) with entry size 2 from a list of
/// entries. Errors: errc::invalid_argument (more than 255 entries),
/// errc::buffer_too_small.
Result<std::size_t> encode_icmpv4_router_advertisement(std::uint16_t lifetime,
                                                       std::span<const RouterAddressEntry> entries,
                                                       MutableBytes out) noexcept;

}  // namespace icmpkit::wire
