// File: icmpkit/wire/extensions.hpp
//
// ICMP multi-part message extensions (RFC 4884): the extension structure that
// may follow the quoted datagram of an ICMP error, its objects, and typed
// decoders and builders for the objects defined so far: the MPLS label stack
// (RFC 4950, class 1), interface information (RFC 5837, class 2) and the
// interface identification object of extended echo (RFC 8335, class 3).
// Unknown objects stay available raw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "icmpkit/result.hpp"
#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/icmp.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::wire {

inline constexpr std::size_t extension_header_size = 4;
inline constexpr std::size_t extension_object_header_size = 4;
inline constexpr std::uint8_t extension_version = 2;
/// RFC 4884 §5: where non-compliant senders put the structure (length field 0).
inline constexpr std::size_t extension_compat_offset = 128;

/// IANA "ICMP Extension Object Classes".
namespace extension_class {
inline constexpr std::uint8_t mpls_label_stack = 1;          ///< RFC 4950
inline constexpr std::uint8_t interface_information = 2;     ///< RFC 5837
inline constexpr std::uint8_t interface_identification = 3;  ///< RFC 8335
}  // namespace extension_class

/// One extension object, checked to lie inside its structure.
struct ExtensionObject {
  std::uint16_t length = 0;  ///< Header plus payload, in bytes (>= 4).
  std::uint8_t class_num = 0;
  std::uint8_t c_type = 0;
  ConstBytes payload;  ///< length - 4 bytes.
  ConstBytes bytes;    ///< The whole object.
};

/// Forward iterator over the objects of an already checked structure.
class ExtensionObjectIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = ExtensionObject;
  using difference_type = std::ptrdiff_t;
  using pointer = const ExtensionObject*;
  using reference = const ExtensionObject&;

  ExtensionObjectIterator() noexcept = default;
  /// `objects` must have been validated (parse_extensions does so).
  explicit ExtensionObjectIterator(ConstBytes objects) noexcept;

  reference operator*() const noexcept { return current_; }
  pointer operator->() const noexcept { return &current_; }
  ExtensionObjectIterator& operator++() noexcept;
  ExtensionObjectIterator operator++(int) noexcept {
    auto copy = *this;
    ++*this;
    return copy;
  }
  friend bool operator==(const ExtensionObjectIterator& a, const ExtensionObjectIterator& b) noexcept {
    return a.rest_.size() == b.rest_.size();
  }

 private:
  void load() noexcept;
  ConstBytes rest_;  ///< From the current object to the end; empty at the end.
  ExtensionObject current_{};
};

/// A checked RFC 4884 extension structure: header plus objects.
struct ExtensionStructure {
  std::uint8_t version = 0;
  std::uint16_t checksum = 0;  ///< 0 means the sender did not compute one (RFC 4884 §7).
  ConstBytes bytes;            ///< The whole structure (empty when there is none).
  ConstBytes objects;          ///< The objects after the 4-byte header.
  std::size_t object_count = 0;

  /// True when a structure was found.
  bool present() const noexcept { return !bytes.empty(); }
  ExtensionObjectIterator begin() const noexcept { return ExtensionObjectIterator(objects); }
  ExtensionObjectIterator end() const noexcept { return ExtensionObjectIterator(); }
};

/// Checks an extension structure: version 2, checksum (when non-zero) over
/// the whole structure, and every object's length (>= 4, inside the structure).
/// Errors: errc::truncated (< 4 bytes), errc::bad_extension (version, object
/// length), errc::bad_checksum.
Result<ExtensionStructure> parse_extensions(ConstBytes bytes) noexcept;

/// Extensions of an error body, accepting the RFC 4884 §5 "non-compliant"
/// form too: when the length field was 0 and the body is longer than 128
/// bytes, a structure at offset 128 is taken if its version is 2 and it
/// carries a non-zero checksum that verifies (then the quoted datagram is the
/// first 128 bytes). Anything else there is quoted data: the result is then
/// an empty structure (present() false), not an error.
/// Errors (compliant form only, as parse_extensions): errc::truncated,
/// errc::bad_extension, errc::bad_checksum.
Result<ExtensionStructure> parse_extensions_compat(const ErrorBody& body) noexcept;

/// Same, from the bytes after the 8-byte ICMP header of a message whose
/// RFC 4884 length field is 0.
Result<ExtensionStructure> parse_extensions_compat(ConstBytes body) noexcept;

// --- RFC 4950: MPLS label stack (class 1, c-type 1) -------------------------

/// One MPLS label stack entry (RFC 3032 §2.1).
struct MplsLabelEntry {
  std::uint32_t label = 0;          ///< 20 bits.
  std::uint8_t traffic_class = 0;   ///< 3 bits (formerly EXP, RFC 5462).
  bool bottom_of_stack = false;     ///< The S bit.
  std::uint8_t ttl = 0;
};

/// The label stack of an MPLS extension object, top entry first.
class MplsLabelStack {
 public:
  MplsLabelStack() noexcept = default;
  explicit MplsLabelStack(ConstBytes entries) noexcept : entries_(entries) {}
  std::size_t size() const noexcept { return entries_.size() / 4; }
  /// Entry `index` (< size()).
  MplsLabelEntry operator[](std::size_t index) const noexcept;

 private:
  ConstBytes entries_;
};

/// Errors: errc::wrong_type (not class 1 / c-type 1), errc::bad_extension
/// (empty, or not a multiple of 4 bytes).
Result<MplsLabelStack> decode_mpls_label_stack(const ExtensionObject& object) noexcept;

// --- RFC 5837: interface information (class 2) -----------------------------

/// Which interface an interface information object describes (RFC 5837 §4.1).
enum class InterfaceRole : std::uint8_t {
  incoming = 0,          ///< The interface the datagram arrived on.
  sub_ip_component = 1,  ///< A sub-IP component of the incoming interface.
  outgoing = 2,          ///< The interface the datagram would have left by.
  next_hop = 3,          ///< The IP next hop it would have gone to.
};

/// Address family numbers (IANA) used in RFC 5837 and RFC 8335.
namespace afi {
inline constexpr std::uint16_t ipv4 = 1;
inline constexpr std::uint16_t ipv6 = 2;
}  // namespace afi

/// A decoded interface information object; each part is present when its
/// c-type bit is set.
struct InterfaceInformation {
  InterfaceRole role = InterfaceRole::incoming;
  std::optional<std::uint32_t> if_index;
  std::optional<IpAddress> address;
  std::optional<std::string_view> name;  ///< UTF-8 as sent (not validated), NUL padding removed.
  std::optional<std::uint32_t> mtu;
};

/// Errors: errc::wrong_type (not class 2), errc::bad_extension (a sub-object
/// is cut short, an unknown AFI, a name length of 0, not a multiple of 4 or
/// over 64, or bytes left over).
Result<InterfaceInformation> decode_interface_information(const ExtensionObject& object) noexcept;

// --- RFC 8335: interface identification object (class 3) -------------------

enum class InterfaceIdentificationKind : std::uint8_t { by_name = 1, by_index = 2, by_address = 3 };

/// The interface an extended echo request asks about.
struct InterfaceIdentification {
  InterfaceIdentificationKind kind = InterfaceIdentificationKind::by_name;
  std::string_view name;          ///< by_name: NUL padding removed.
  std::uint32_t if_index = 0;     ///< by_index.
  std::uint16_t afi = 0;          ///< by_address.
  ConstBytes address;             ///< by_address: address-length bytes, any AFI.
  std::optional<IpAddress> ip;    ///< by_address with AFI 1 (4 bytes) or 2 (16 bytes).
};

/// Errors: errc::wrong_type (not class 3), errc::bad_extension (unknown
/// c-type, empty name, index payload not 4 bytes, address length past the payload).
Result<InterfaceIdentification> decode_interface_identification(const ExtensionObject& object) noexcept;

// --- Builders ---------------------------------------------------------------

/// What to put in an interface information object (c-type derived from it).
struct InterfaceInformationFields {
  InterfaceRole role = InterfaceRole::incoming;
  std::optional<std::uint32_t> if_index;
  std::optional<IpAddress> address;
  std::optional<std::string_view> name;  ///< At most 63 bytes.
  std::optional<std::uint32_t> mtu;
};

/// Builds an extension structure into a caller buffer, object by object.
/// Errors are sticky: the first one is reported by finish().
class ExtensionBuilder {
 public:
  /// Starts a structure (version 2) at the beginning of `out`.
  explicit ExtensionBuilder(MutableBytes out) noexcept;

  /// Appends an object with this payload as it is.
  /// Errors (at finish): errc::buffer_too_small, errc::payload_too_large (object > 65535).
  ExtensionBuilder& add_object(std::uint8_t class_num, std::uint8_t c_type, ConstBytes payload) noexcept;
  /// RFC 4950 label stack, top entry first. Errors: errc::invalid_argument
  /// (empty, label > 20 bits, traffic class > 7).
  ExtensionBuilder& add_mpls_label_stack(std::span<const MplsLabelEntry> entries) noexcept;
  /// RFC 5837 interface information. Errors: errc::invalid_argument (name > 63 bytes).
  ExtensionBuilder& add_interface_information(const InterfaceInformationFields& fields) noexcept;
  /// RFC 8335 interface identification. Errors: errc::invalid_argument (empty name).
  ExtensionBuilder& add_interface_identification_by_name(std::string_view name) noexcept;
  ExtensionBuilder& add_interface_identification_by_index(std::uint32_t if_index) noexcept;
  ExtensionBuilder& add_interface_identification_by_address(const IpAddress& address) noexcept;

  /// Writes the checksum (or leaves 0 when `with_checksum` is false) and
  /// returns the structure's length.
  Result<std::size_t> finish(bool with_checksum = true) noexcept;

 private:
  // Reserves an object header plus `payload_length` bytes; empty on error.
  MutableBytes begin_object(std::uint8_t class_num, std::uint8_t c_type, std::size_t payload_length) noexcept;

  MutableBytes out_;
  std::size_t size_ = 0;
  errc error_ = errc::ok;
};

}  // namespace icmpkit::wire
