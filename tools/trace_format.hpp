// Printing for `icmpkit trace`, in the shape of traceroute(8): the header
// line, one line per hop (addresses as they change, round-trip times, `*`
// for silence, the `!H !N !P !X !S !F-<mtu> !<code>` flags, `-e` extensions
// as `<MPLS:L=..,E=..,S=..,T=..>`), and the JSON document of --json. Pure
// text: name look-ups come in as a function so tests need no resolver.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "icmpkit/engine/trace_types.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::tools {

/// How hops are printed.
struct TraceFormat {
  /// Name of an address (reverse DNS); empty function = numeric output (-n).
  std::function<std::string(const wire::IpAddress&)> name_of;
  bool show_extensions = false;  ///< -e
  bool show_mtu = false;         ///< --mtu: print F=<mtu> when it changes
  bool multipath = false;        ///< --mda: list the hop's interfaces instead of per-probe times
};

/// "traceroute to HOST (ADDR), MAX hops max, SIZE byte packets".
std::string format_trace_header(const std::string& host, const wire::IpAddress& address, unsigned max_ttl,
                                std::size_t packet_size);

/// One hop line without the newline, e.g. " 1  10.0.0.1  0.123 ms  0.100 ms  0.098 ms".
/// `last_mtu` (MTU mode) is the MTU printed last; it is updated.
std::string format_hop(const engine::HopResult& hop, const TraceFormat& format,
                       std::optional<std::uint32_t>* last_mtu = nullptr);

/// traceroute -e's rendering of one probe's extensions: " <MPLS:L=..,E=..,S=..,T=..>"
/// (several labels joined by '/'); empty when there are none.
std::string format_extensions(const engine::ProbeResult& probe);

/// Lower-case name of a stop reason ("destination-reached" ...).
const char* stop_name(engine::StopReason stop) noexcept;

/// The JSON of one finished trace.
nlohmann::json trace_to_json(const std::string& host, const engine::TraceResult& result);

}  // namespace icmpkit::tools
