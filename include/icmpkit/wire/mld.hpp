// File: icmpkit/wire/mld.hpp
//
// Multicast Listener Discovery: MLDv1 query/report/done (RFC 2710) and MLDv2
// query and report (RFC 3810 §5). Decoders are views into the caller's
// buffer. Source and record counts are never trusted: decoding checks that
// every counted source and record lies inside the message (errc::bad_length
// otherwise), so iterating a decoded message never fails or overruns.
// Builders leave the checksum zero (see set_icmpv6_checksum in icmp.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

/// A packed run of 16-byte IPv6 addresses inside a message.
class Ipv6AddressList {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Ipv6Address;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Ipv6Address;

    iterator() noexcept = default;
    explicit iterator(ConstBytes rest) noexcept : rest_(rest) {}
    Ipv6Address operator*() const noexcept;
    iterator& operator++() noexcept { rest_ = rest_.subspan(16); return *this; }
    iterator operator++(int) noexcept { auto copy = *this; ++*this; return copy; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.rest_.size() == b.rest_.size();
    }

   private:
    ConstBytes rest_;
  };

  Ipv6AddressList() noexcept = default;
  /// `bytes` must hold a multiple of 16 bytes (the decoders guarantee it).
  explicit Ipv6AddressList(ConstBytes bytes) noexcept : bytes_(bytes.first(bytes.size() / 16 * 16)) {}
  std::size_t size() const noexcept { return bytes_.size() / 16; }
  bool empty() const noexcept { return bytes_.empty(); }
  /// Address `i` (i < size()).
  Ipv6Address operator[](std::size_t i) const noexcept;
  iterator begin() const noexcept { return iterator(bytes_); }
  iterator end() const noexcept { return iterator(bytes_.last(0)); }
  ConstBytes bytes() const noexcept { return bytes_; }

 private:
  ConstBytes bytes_;
};

/// MLDv1 query (130, 24 bytes), report (131) or done (132), RFC 2710 §3.
struct MldMessage {
  std::uint8_t type = 0;                  ///< icmpv6_type::mld_query/mld_report/mld_done.
  std::uint16_t max_response_delay = 0;   ///< Milliseconds (queries only).
  Ipv6Address multicast_address{};        ///< All zero in a general query.
};

/// MLDv2 query (type 130, at least 28 bytes), RFC 3810 §5.1.
struct Mldv2Query {
  std::uint16_t max_response_code = 0;  ///< Encoded form; see max_response_delay().
  Ipv6Address multicast_address{};      ///< All zero in a general query.
  bool suppress_router_processing = false;  ///< S flag.
  std::uint8_t robustness = 0;              ///< QRV (3 bits).
  std::uint8_t qqic = 0;                    ///< Querier's query interval code.
  Ipv6AddressList sources;

  /// Maximum response delay decoded per RFC 3810 §5.1.3.
  std::chrono::milliseconds max_response_delay() const noexcept;
  /// Querier's query interval decoded per RFC 3810 §5.1.9.
  std::chrono::seconds query_interval() const noexcept;
};

/// Multicast address record types, RFC 3810 §5.2.12.
namespace mldv2_record_type {
inline constexpr std::uint8_t mode_is_include = 1;
inline constexpr std::uint8_t mode_is_exclude = 2;
inline constexpr std::uint8_t change_to_include = 3;
inline constexpr std::uint8_t change_to_exclude = 4;
inline constexpr std::uint8_t allow_new_sources = 5;
inline constexpr std::uint8_t block_old_sources = 6;
}  // namespace mldv2_record_type

/// One multicast address record of an MLDv2 report.
struct Mldv2Record {
  std::uint8_t type = 0;
  Ipv6Address multicast_address{};
  Ipv6AddressList sources;
  ConstBytes auxiliary_data;
};

/// The records of a decoded MLDv2 report (already validated).
class Mldv2Records {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Mldv2Record;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Mldv2Record;

    iterator() noexcept = default;
    iterator(ConstBytes rest, std::size_t remaining) noexcept : rest_(rest), remaining_(remaining) {}
    Mldv2Record operator*() const noexcept;
    iterator& operator++() noexcept;
    iterator operator++(int) noexcept { auto copy = *this; ++*this; return copy; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.remaining_ == b.remaining_;
    }

   private:
    ConstBytes rest_;
    std::size_t remaining_ = 0;
  };

  Mldv2Records() noexcept = default;
  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  iterator begin() const noexcept { return {bytes_, count_}; }
  iterator end() const noexcept { return {{}, 0}; }

  /// Validates `count` records in `area`. Errors: errc::bad_length when a
  /// record (its sources and auxiliary data included) overruns the area.
  static Result<Mldv2Records> parse(ConstBytes area, std::size_t count) noexcept;

 private:
  Mldv2Records(ConstBytes bytes, std::size_t count) noexcept : bytes_(bytes), count_(count) {}
  ConstBytes bytes_;
  std::size_t count_ = 0;
};

/// MLDv2 report (type 143), RFC 3810 §5.2.
struct Mldv2Report {
  Mldv2Records records;
  ConstBytes trailing;  ///< Bytes after the last counted record (normally empty).
};

/// MLDv1 message (query of exactly 24 bytes, report, done).
/// Errors: errc::wrong_type (not 130-132, or a query longer than 24 bytes),
/// errc::truncated.
Result<MldMessage> decode_mld(const IcmpView& view) noexcept;
/// MLDv2 query (type 130, 28 bytes or more). RFC 3810 §8.1: lengths 25-27 are
/// invalid. Errors: errc::wrong_type (not 130 or MLDv1 length), errc::truncated,
/// errc::bad_length (source count overruns, or length 25-27).
Result<Mldv2Query> decode_mldv2_query(const IcmpView& view) noexcept;
/// Errors: errc::wrong_type, errc::truncated, errc::bad_length.
Result<Mldv2Report> decode_mldv2_report(const IcmpView& view) noexcept;

/// Encodes the 16-bit Maximum Response Code for a delay (exponential form
/// above 32767 ms, clamped to the largest representable value).
std::uint16_t mldv2_max_response_code(std::chrono::milliseconds delay) noexcept;
/// Encodes the 8-bit QQIC for an interval (exponential form above 127 s).
std::uint8_t mldv2_qqic(std::chrono::seconds interval) noexcept;

/// MLDv1 query, report or done (24 bytes).
/// Errors: errc::invalid_argument (type not 130-132), errc::buffer_too_small.
Result<std::size_t> encode_mld(std::uint8_t type, std::uint16_t max_response_delay,
                               const Ipv6Address& multicast_address, MutableBytes out) noexcept;

/// MLDv2 query: the fields of `query` except its `sources` member, which is
/// replaced by `sources`. Errors: errc::buffer_too_small, errc::invalid_argument
/// (robustness > 7, more than 65535 sources).
Result<std::size_t> encode_mldv2_query(const Mldv2Query& query, std::span<const Ipv6Address> sources,
                                       MutableBytes out) noexcept;

/// One record to encode in an MLDv2 report.
struct Mldv2RecordSpec {
  std::uint8_t type = mldv2_record_type::mode_is_exclude;
  Ipv6Address multicast_address{};
  std::span<const Ipv6Address> sources;
  ConstBytes auxiliary_data;  ///< Must be a multiple of 4 bytes.
};

/// MLDv2 report. Errors: errc::buffer_too_small, errc::invalid_argument
/// (auxiliary data not a multiple of 4 or too long, too many sources/records).
Result<std::size_t> encode_mldv2_report(std::span<const Mldv2RecordSpec> records, MutableBytes out) noexcept;

}  // namespace icmpkit::wire
