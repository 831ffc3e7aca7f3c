// Node Information messages (RFC 4620 §4): decode and encode.
#include "icmpkit/wire/node_info.hpp"

#include <algorithm>

#include "icmpkit/wire/detail/bytes.hpp"

namespace icmpkit::wire {

Result<NodeInfoMessage> decode_node_info(const IcmpView& view) noexcept {
  if (view.family != Family::v6 ||
      (view.type != icmpv6_type::node_information_query && view.type != icmpv6_type::node_information_reply)) {
    return errc::wrong_type;
  }
  if (view.bytes.size() < node_info_header_size) return errc::truncated;
  NodeInfoMessage message;
  message.is_reply = view.type == icmpv6_type::node_information_reply;
  message.code = view.code;
  message.qtype = detail::load_be16(view.rest, 0);
  message.flags = detail::load_be16(view.rest, 2);
  message.nonce = detail::load_array<8>(view.body, 0);
  message.data = view.bytes.subspan(node_info_header_size);
  return message;
}

Result<std::size_t> encode_node_info(const NodeInfoMessage& message, MutableBytes out) noexcept {
  const std::size_t length = node_info_header_size + message.data.size();
  if (length > 65535) return errc::payload_too_large;
  if (out.size() < length) return errc::buffer_too_small;
  detail::store_u8(out, 0,
                   message.is_reply ? icmpv6_type::node_information_reply : icmpv6_type::node_information_query);
  detail::store_u8(out, 1, message.code);
  detail::store_be16(out, 2, 0);
  detail::store_be16(out, 4, message.qtype);
  detail::store_be16(out, 6, message.flags);
  std::copy(message.nonce.begin(), message.nonce.end(), out.begin() + 8);
  std::copy(message.data.begin(), message.data.end(), out.begin() + node_info_header_size);
  return length;
}

std::string_view node_info_qtype_name(std::uint16_t qtype) noexcept {
  switch (qtype) {
    case node_info_qtype::noop: return "noop";
    case node_info_qtype::node_name: return "node-name";
    case node_info_qtype::node_addresses: return "node-addresses";
    case node_info_qtype::ipv4_addresses: return "ipv4-addresses";
    default: return {};
  }
}

}  // namespace icmpkit::wire
