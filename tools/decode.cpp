// `icmpkit decode`: hex bytes in, an indented tree (or JSON) out.
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "format_message.hpp"
#include "hex_input.hpp"

namespace icmpkit::tools {
namespace {

struct DecodeOptions {
  bool ip = false;
  bool no_ip = false;
  bool automatic = false;
  bool v4 = false;
  bool v6 = false;
  bool json = false;
  std::string source;
  std::string destination;
  std::vector<std::string> hex;
};

int run_decode(const DecodeOptions& o) {
  std::string text;
  if (o.hex.size() == 1 && o.hex.front() == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    for (const auto& part : o.hex) {
      if (part == "-") return fail("decode", exit_usage, "'-' (read stdin) must be the only argument");
      text += part;
      text += ' ';
    }
  }
  auto parsed = parse_hex(text);
  if (!parsed.ok()) return fail("decode", exit_usage, parsed.error);

  const IpMode mode = o.ip ? IpMode::ip : (o.no_ip ? IpMode::no_ip : IpMode::automatic);
  std::optional<wire::Family> family;
  if (o.v4) family = wire::Family::v4;
  if (o.v6) family = wire::Family::v6;

  std::optional<wire::IpAddress> source;
  std::optional<wire::IpAddress> destination;
  for (auto [given, out, flag] : {std::tuple{&o.source, &source, "--src"}, std::tuple{&o.destination, &destination, "--dst"}}) {
    if (given->empty()) continue;
    auto address = wire::IpAddress::parse(*given);
    if (!address || !address->is_v6()) {
      return fail("decode", exit_usage, fmt::format("{} '{}' is not an IPv6 address", flag, *given));
    }
    *out = *address;
  }
  if (source.has_value() != destination.has_value()) {
    return fail("decode", exit_usage, "--src and --dst go together (the ICMPv6 pseudo-header needs both)");
  }
  Decoded decoded;
  if (source && mode != IpMode::ip) {
    // A bare ICMPv6 message whose addresses were given: verify its checksum.
    decoded = decode_icmp(wire::Family::v6, ConstBytes(parsed.bytes), source, destination);
    Json tree;
    if (!decoded.tree.empty()) tree["icmpv6"] = std::move(decoded.tree);
    decoded.tree = std::move(tree);
  } else {
    decoded = decode_packet(ConstBytes(parsed.bytes), mode, family);
  }
  if (o.json) {
    Json out = std::move(decoded.tree);
    if (!decoded.ok()) out["error"] = decoded.error;
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("{}", render_tree(decoded.tree));
  }
  if (!decoded.ok()) return fail("decode", exit_no_reply, fmt::format("malformed input: {}", decoded.error));
  return exit_ok;
}

}  // namespace

Command add_decode(CLI::App& parent) {
  auto options = std::make_shared<DecodeOptions>();
  auto* app = parent.add_subcommand("decode", "Decode ICMP/ICMPv6 bytes given in hex, with or without an IP header");
  auto* ip = app->add_flag("--ip", options->ip, "The bytes start with an IPv4 or IPv6 header");
  auto* no_ip = app->add_flag("--no-ip", options->no_ip, "The bytes are a bare ICMP message");
  auto* automatic = app->add_flag("--auto", options->automatic,
                                  "Tell from the first byte (default): 0x4_/0x6_ is an IP header");
  ip->excludes(no_ip)->excludes(automatic);
  no_ip->excludes(automatic);
  auto* v4 = app->add_flag("-4", options->v4, "ICMP for IPv4");
  auto* v6 = app->add_flag("-6", options->v6, "ICMPv6");
  v4->excludes(v6);
  app->add_flag("--json", options->json, "Print JSON instead of an indented tree");
  app->add_option("--src", options->source, "IPv6 source of a bare ICMPv6 message (to verify its checksum)");
  app->add_option("--dst", options->destination, "IPv6 destination of a bare ICMPv6 message");
  app->add_option("HEX", options->hex,
                  "Hex bytes (spaces, ':' and '#' comments allowed); '-' reads them from stdin")
      ->required();
  app->footer("Exit status: 0 decoded, 1 malformed packet (the error names the fault), 2 bad input.");
  return {app, [options] { return run_decode(*options); }};
}

}  // namespace icmpkit::tools
