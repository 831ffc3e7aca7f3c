// File: icmpkit/wire/ndp.hpp
//
// IPv6 Neighbor Discovery (RFC 4861): router solicitation and advertisement,
// neighbor solicitation and advertisement, redirect, and their options
// (source/target link-layer address, prefix information, redirected header,
// MTU; every other option is kept raw). Decoders are views into the caller's
// buffer; the option area is validated once when the message is decoded, so
// iterating it never fails. Builders leave the checksum zero (the kernel fills
// it on ICMPv6 sockets; use set_icmpv6_checksum from icmp.hpp for raw frames).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// NDP option types, IANA "IPv6 Neighbor Discovery Option Formats".
namespace ndp_option_type {
inline constexpr std::uint8_t source_link_layer_address = 1;
inline constexpr std::uint8_t target_link_layer_address = 2;
inline constexpr std::uint8_t prefix_information = 3;
inline constexpr std::uint8_t redirected_header = 4;
inline constexpr std::uint8_t mtu = 5;
}  // namespace ndp_option_type

/// One option: type, length in 8-octet units (never 0 once decoded), data
/// after the two-byte type/length prefix (padding included).
struct NdpOption {
  std::uint8_t type = 0;
  ConstBytes data;   ///< Bytes 2.. of the option.
  ConstBytes bytes;  ///< The whole option, type and length included.
};

/// The options of one NDP message, already validated: every option has a
/// non-zero length that stays inside the message.
class NdpOptions {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = NdpOption;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = NdpOption;

    iterator() noexcept = default;
    explicit iterator(ConstBytes rest) noexcept : rest_(rest) {}
    NdpOption operator*() const noexcept;
    iterator& operator++() noexcept;
    iterator operator++(int) noexcept { auto copy = *this; ++*this; return copy; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.rest_.size() == b.rest_.size();
    }

   private:
    ConstBytes rest_;
  };

  NdpOptions() noexcept = default;
  iterator begin() const noexcept { return iterator(bytes_); }
  iterator end() const noexcept { return iterator(bytes_.last(0)); }
  bool empty() const noexcept { return bytes_.empty(); }
  /// The option area as received.
  ConstBytes bytes() const noexcept { return bytes_; }
  /// The first option of `type`, if any.
  std::optional<NdpOption> find(std::uint8_t type) const noexcept;

  /// Validates an option area. Errors: errc::bad_length when an option has
  /// length 0, overruns the area, or fewer than 2 bytes remain for a header.
  static Result<NdpOptions> parse(ConstBytes area) noexcept;

 private:
  explicit NdpOptions(ConstBytes bytes) noexcept : bytes_(bytes) {}
  ConstBytes bytes_;
};

/// Prefix Information option (RFC 4861 §4.6.2; R flag from RFC 6275 §7.2).
struct NdpPrefixInformation {
  std::uint8_t prefix_length = 0;
  bool on_link = false;         ///< L flag.
  bool autonomous = false;      ///< A flag (SLAAC).
  bool router_address = false;  ///< R flag (RFC 6275).
  std::uint32_t valid_lifetime = 0;      ///< Seconds; 0xffffffff is infinity.
  std::uint32_t preferred_lifetime = 0;  ///< Seconds; 0xffffffff is infinity.
  Ipv6Address prefix{};
};

/// The link-layer address of a source/target link-layer option (all data
/// bytes, so it includes any padding: 6 bytes for Ethernet).
/// Errors: errc::wrong_type for another option type.
Result<ConstBytes> decode_link_layer_address(const NdpOption& option) noexcept;
/// Errors: errc::wrong_type; errc::bad_length unless the option is 32 bytes.
Result<NdpPrefixInformation> decode_prefix_information(const NdpOption& option) noexcept;
/// The MTU option's value. Errors: errc::wrong_type; errc::bad_length unless 8 bytes.
Result<std::uint32_t> decode_mtu_option(const NdpOption& option) noexcept;
/// The IP header and data quoted by a redirected header option (after its 6
/// reserved bytes). Errors: errc::wrong_type; errc::bad_length when shorter than 8.
Result<ConstBytes> decode_redirected_header(const NdpOption& option) noexcept;

/// Router Solicitation (type 133, RFC 4861 §4.1).
struct NdpRouterSolicitation {
  NdpOptions options;
};

/// Router Advertisement (type 134, RFC 4861 §4.2; RFC 5175 flags byte).
struct NdpRouterAdvertisement {
  std::uint8_t cur_hop_limit = 0;  ///< 0 means unspecified.
  bool managed = false;            ///< M flag: addresses by DHCPv6.
  bool other = false;              ///< O flag: other configuration by DHCPv6.
  std::uint8_t flags = 0;          ///< The whole flags byte (M, O, H, Prf, P…).
  std::uint16_t router_lifetime = 0;  ///< Seconds; 0 means not a default router.
  std::uint32_t reachable_time = 0;   ///< Milliseconds; 0 means unspecified.
  std::uint32_t retrans_timer = 0;    ///< Milliseconds; 0 means unspecified.
  NdpOptions options;
};

/// Neighbor Solicitation (type 135, RFC 4861 §4.3).
struct NdpNeighborSolicitation {
  Ipv6Address target{};
  NdpOptions options;
};

/// Neighbor Advertisement (type 136, RFC 4861 §4.4).
struct NdpNeighborAdvertisement {
  bool router = false;     ///< R flag.
  bool solicited = false;  ///< S flag.
  bool override_flag = false;  ///< O flag.
  Ipv6Address target{};
  NdpOptions options;
};

/// Redirect (type 137, RFC 4861 §4.5).
struct NdpRedirect {
  Ipv6Address target{};       ///< Better first hop (equals destination when on-link).
  Ipv6Address destination{};  ///< Destination being redirected.
  NdpOptions options;
};

/// Typed decoders of one NDP message from its IcmpView.
/// Errors: errc::wrong_type, errc::truncated (fixed part missing),
/// errc::bad_length (option area malformed).
Result<NdpRouterSolicitation> decode_router_solicitation(const IcmpView& view) noexcept;
Result<NdpRouterAdvertisement> decode_router_advertisement(const IcmpView& view) noexcept;
Result<NdpNeighborSolicitation> decode_neighbor_solicitation(const IcmpView& view) noexcept;
Result<NdpNeighborAdvertisement> decode_neighbor_advertisement(const IcmpView& view) noexcept;
Result<NdpRedirect> decode_redirect(const IcmpView& view) noexcept;

// ---- builders: each returns the number of bytes written to `out` ----------

/// Any option: type, then `data` padded with zeros to a multiple of 8 bytes
/// including the 2-byte prefix. Errors: errc::buffer_too_small,
/// errc::invalid_argument when the option would exceed 255*8 bytes.
Result<std::size_t> encode_ndp_option(std::uint8_t type, ConstBytes data, MutableBytes out) noexcept;
/// Source (type 1) or target (type 2) link-layer address option.
Result<std::size_t> encode_link_layer_option(std::uint8_t type, ConstBytes link_layer_address,
                                             MutableBytes out) noexcept;
/// Prefix Information option (32 bytes). Errors: errc::buffer_too_small,
/// errc::invalid_argument when prefix_length > 128.
Result<std::size_t> encode_prefix_information(const NdpPrefixInformation& info, MutableBytes out) noexcept;
/// MTU option (8 bytes). Errors: errc::buffer_too_small.
Result<std::size_t> encode_mtu_option(std::uint32_t mtu, MutableBytes out) noexcept;
/// Redirected Header option quoting `ip_packet` (truncated by the caller so
/// the redirect fits in 1280 bytes), padded to 8. Errors as encode_ndp_option.
Result<std::size_t> encode_redirected_header(ConstBytes ip_packet, MutableBytes out) noexcept;

/// Messages; `options` is a concatenation of encoded options (not checked).
/// Errors: errc::buffer_too_small, errc::payload_too_large.
Result<std::size_t> encode_router_solicitation(ConstBytes options, MutableBytes out) noexcept;
Result<std::size_t> encode_router_advertisement(const NdpRouterAdvertisement& ra, ConstBytes options,
                                                MutableBytes out) noexcept;
Result<std::size_t> encode_neighbor_solicitation(const Ipv6Address& target, ConstBytes options,
                                                 MutableBytes out) noexcept;
Result<std::size_t> encode_neighbor_advertisement(const NdpNeighborAdvertisement& na, ConstBytes options,
                                                  MutableBytes out) noexcept;
Result<std::size_t> encode_redirect(const Ipv6Address& target, const Ipv6Address& destination,
                                    ConstBytes options, MutableBytes out) noexcept;

}  // namespace icmpkit::wire
