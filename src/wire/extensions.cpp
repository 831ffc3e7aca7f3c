// The RFC 4884 extension structure and the walk over its objects.
#include "icmpkit/wire/extensions.hpp"

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

using detail::load_be16;
using detail::load_u8;

ExtensionObjectIterator::ExtensionObjectIterator(ConstBytes objects) noexcept : rest_(objects) { load(); }

void ExtensionObjectIterator::load() noexcept {
  // parse_extensions checked every length; the guard keeps a hand-made
  // iterator over unchecked bytes from reading past them.
  if (rest_.size() < extension_object_header_size) {
    rest_ = {};
    current_ = {};
    return;
  }
  const std::uint16_t length = load_be16(rest_, 0);
  if (length < extension_object_header_size || length > rest_.size()) {
    rest_ = {};
    current_ = {};
    return;
  }
  current_.length = length;
  current_.class_num = load_u8(rest_, 2);
  current_.c_type = load_u8(rest_, 3);
  current_.bytes = rest_.first(length);
  current_.payload = current_.bytes.subspan(extension_object_header_size);
}

ExtensionObjectIterator& ExtensionObjectIterator::operator++() noexcept {
  if (!rest_.empty()) {
    rest_ = rest_.subspan(current_.length);
    load();
  }
  return *this;
}

Result<ExtensionStructure> parse_extensions(ConstBytes bytes) noexcept {
  if (bytes.size() < extension_header_size) return errc::truncated;
  ExtensionStructure s;
  s.version = static_cast<std::uint8_t>(load_u8(bytes, 0) >> 4);
  if (s.version != extension_version) return errc::bad_extension;
  s.checksum = load_be16(bytes, 2);
  if (s.checksum != 0 && internet_checksum(bytes) != 0) return errc::bad_checksum;
  s.bytes = bytes;
  s.objects = bytes.subspan(extension_header_size);
  for (ConstBytes rest = s.objects; !rest.empty();) {
    if (rest.size() < extension_object_header_size) return errc::bad_extension;
    const std::uint16_t length = load_be16(rest, 0);
    if (length < extension_object_header_size || length > rest.size()) return errc::bad_extension;
    rest = rest.subspan(length);
    ++s.object_count;
  }
  return s;
}

Result<ExtensionStructure> parse_extensions_compat(const ErrorBody& body) noexcept {
  if (body.rfc4884_length) {
    if (body.extensions.empty()) return ExtensionStructure{};
    return parse_extensions(body.extensions);
  }
  return parse_extensions_compat(body.original_datagram);
}

Result<ExtensionStructure> parse_extensions_compat(ConstBytes body) noexcept {
  if (body.size() < extension_compat_offset + extension_header_size) return ExtensionStructure{};
  const ConstBytes candidate = body.subspan(extension_compat_offset);
  // Quoted data can look like anything; without a checksum that verifies
  // there is nothing to tell a structure from the rest of a long datagram.
  if (static_cast<std::uint8_t>(load_u8(candidate, 0) >> 4) != extension_version) return ExtensionStructure{};
  if (load_be16(candidate, 2) == 0) return ExtensionStructure{};
  auto parsed = parse_extensions(candidate);
  if (!parsed) return ExtensionStructure{};
  return parsed;
}

}  // namespace icmpkit::wire
