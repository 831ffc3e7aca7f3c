// Building RFC 4884 extension structures, for responders and tests.
#include <algorithm>

#include "icmpkit/wire/checksum.hpp"
#include "icmpkit/wire/detail/bytes.hpp"
#include "icmpkit/wire/extensions.hpp"

namespace icmpkit::wire {

namespace {

std::size_t padded4(std::size_t n) noexcept { return (n + 3) / 4 * 4; }

void copy_text(std::string_view text, MutableBytes out, std::size_t at) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) out[at + i] = static_cast<std::byte>(text[i]);
}

}  // namespace

ExtensionBuilder::ExtensionBuilder(MutableBytes out) noexcept : out_(out) {
  if (out_.size() < extension_header_size) {
    error_ = errc::buffer_too_small;
    return;
  }
  detail::store_u8(out_, 0, static_cast<std::uint8_t>(extension_version << 4));
  detail::store_u8(out_, 1, 0);
  detail::store_be16(out_, 2, 0);
  size_ = extension_header_size;
}

MutableBytes ExtensionBuilder::begin_object(std::uint8_t class_num, std::uint8_t c_type,
                                            std::size_t payload_length) noexcept {
  if (error_ != errc::ok) return {};
  const std::size_t length = extension_object_header_size + payload_length;
  if (length > 0xffff) {
    error_ = errc::payload_too_large;
    return {};
  }
  if (out_.size() - size_ < length) {
    error_ = errc::buffer_too_small;
    return {};
  }
  MutableBytes object = out_.subspan(size_, length);
  std::fill(object.begin(), object.end(), std::byte{0});
  detail::store_be16(object, 0, static_cast<std::uint16_t>(length));
  detail::store_u8(object, 2, class_num);
  detail::store_u8(object, 3, c_type);
  size_ += length;
  return object.subspan(extension_object_header_size);
}

ExtensionBuilder& ExtensionBuilder::add_object(std::uint8_t class_num, std::uint8_t c_type,
                                               ConstBytes payload) noexcept {
  MutableBytes p = begin_object(class_num, c_type, payload.size());
  if (p.size() == payload.size() && error_ == errc::ok) std::copy(payload.begin(), payload.end(), p.begin());
  return *this;
}

ExtensionBuilder& ExtensionBuilder::add_mpls_label_stack(std::span<const MplsLabelEntry> entries) noexcept {
  if (error_ != errc::ok) return *this;
  if (entries.empty()) {
    error_ = errc::invalid_argument;
    return *this;
  }
  for (const auto& e : entries) {
    if (e.label > 0xfffff || e.traffic_class > 7) {
      error_ = errc::invalid_argument;
      return *this;
    }
  }
  MutableBytes p = begin_object(extension_class::mpls_label_stack, 1, entries.size() * 4);
  if (error_ != errc::ok) return *this;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    detail::store_be32(p, i * 4,
                       (e.label << 12) | (std::uint32_t{e.traffic_class} << 9) | (e.bottom_of_stack ? 0x100u : 0u) |
                           e.ttl);
  }
  return *this;
}

ExtensionBuilder& ExtensionBuilder::add_interface_information(const InterfaceInformationFields& f) noexcept {
  if (error_ != errc::ok) return *this;
  if (f.name && f.name->size() > 63) {
    error_ = errc::invalid_argument;
    return *this;
  }
  auto c_type = static_cast<std::uint8_t>(static_cast<unsigned>(f.role) << 6);
  std::size_t length = 0;
  const std::size_t address_length = f.address ? 4 + f.address->bytes().size() : 0;
  const std::size_t name_length = f.name ? padded4(1 + f.name->size()) : 0;
  if (f.if_index) c_type |= 0x08, length += 4;
  if (f.address) c_type |= 0x04, length += address_length;
  if (f.name) c_type |= 0x02, length += name_length;
  if (f.mtu) c_type |= 0x01, length += 4;
  MutableBytes p = begin_object(extension_class::interface_information, c_type, length);
  if (error_ != errc::ok) return *this;
  std::size_t at = 0;
  if (f.if_index) {
    detail::store_be32(p, at, *f.if_index);
    at += 4;
  }
  if (f.address) {
    detail::store_be16(p, at, f.address->is_v4() ? afi::ipv4 : afi::ipv6);
    const ConstBytes a = f.address->bytes();
    std::copy(a.begin(), a.end(), p.begin() + static_cast<std::ptrdiff_t>(at + 4));
    at += address_length;
  }
  if (f.name) {
    detail::store_u8(p, at, static_cast<std::uint8_t>(name_length));
    copy_text(*f.name, p, at + 1);
    at += name_length;
  }
  if (f.mtu) detail::store_be32(p, at, *f.mtu);
  return *this;
}

ExtensionBuilder& ExtensionBuilder::add_interface_identification_by_name(std::string_view name) noexcept {
  if (error_ != errc::ok) return *this;
  if (name.empty()) {
    error_ = errc::invalid_argument;
    return *this;
  }
  MutableBytes p = begin_object(extension_class::interface_identification, 1, padded4(name.size()));
  if (error_ == errc::ok) copy_text(name, p, 0);
  return *this;
}

ExtensionBuilder& ExtensionBuilder::add_interface_identification_by_index(std::uint32_t if_index) noexcept {
  MutableBytes p = begin_object(extension_class::interface_identification, 2, 4);
  if (error_ == errc::ok) detail::store_be32(p, 0, if_index);
  return *this;
}

ExtensionBuilder& ExtensionBuilder::add_interface_identification_by_address(const IpAddress& address) noexcept {
  const ConstBytes a = address.bytes();
  MutableBytes p = begin_object(extension_class::interface_identification, 3, 4 + padded4(a.size()));
  if (error_ != errc::ok) return *this;
  detail::store_be16(p, 0, address.is_v4() ? afi::ipv4 : afi::ipv6);
  detail::store_u8(p, 2, static_cast<std::uint8_t>(a.size()));
  std::copy(a.begin(), a.end(), p.begin() + 4);
  return *this;
}

Result<std::size_t> ExtensionBuilder::finish(bool with_checksum) noexcept {
  if (error_ != errc::ok) return error_;
  MutableBytes s = out_.first(size_);
  detail::store_be16(s, 2, 0);
  if (with_checksum) detail::store_be16(s, 2, internet_checksum(s));
  return size_;
}

}  // namespace icmpkit::wire
