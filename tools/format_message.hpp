// Printing decoded packets for `icmpkit decode`, `send` and `listen`: a
// packet becomes an ordered JSON tree (what --json prints), and the same tree
// is rendered as indented text, so both outputs always agree.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "icmpkit/wire/address.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::tools {

using Json = nlohmann::ordered_json;

/// Whether the bytes start with an IP header.
enum class IpMode { automatic, ip, no_ip };

/// A decoded packet: the tree of what could be decoded, and the first thing
/// that was wrong (empty when the whole packet decoded).
struct Decoded {
  Json tree = Json::object();
  std::string error;
  bool ok() const noexcept { return error.empty(); }
};

/// Decodes an IPv4/IPv6 packet carrying ICMP, or a bare ICMP message.
/// `family` forces the family (-4/-6); without it the IP version nibble
/// decides, and for a bare message the type number (default ICMPv4).
Decoded decode_packet(ConstBytes bytes, IpMode mode, std::optional<wire::Family> family);

/// Decodes one ICMP message (no IP header). With both IPv6 addresses the
/// ICMPv6 checksum is verified against the pseudo-header.
Decoded decode_icmp(wire::Family family, ConstBytes icmp,
                    const std::optional<wire::IpAddress>& source = std::nullopt,
                    const std::optional<wire::IpAddress>& destination = std::nullopt);

/// The tree as indented "key: value" text. A key `k` followed by `k_name` or
/// `k_status` prints as "k: value (name)"; identifiers and checksums in hex.
std::string render_tree(const Json& tree, int indent = 0);

/// One line for an ICMP message: "echo-reply code=0 id=0x1c2a seq=1", with
/// the key fields of errors (mtu, pointer, gateway, what was quoted).
std::string summarize_icmp(wire::Family family, ConstBytes icmp);

/// The key fields of summarize_icmp as a JSON object (type, type_name, code…).
Json summary_json(wire::Family family, ConstBytes icmp);

}  // namespace icmpkit::tools
