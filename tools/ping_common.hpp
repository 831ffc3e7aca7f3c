// What `icmpkit ping` and `icmpkit sweep` share: the --mode value, -I as an
// address or an interface, and the message when no ICMP socket opens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/address.hpp"

namespace icmpkit::tools {

/// "auto" | "dgram" | "raw" (CLI11 has checked the value).
sys::SocketMode parse_socket_mode(std::string_view mode);

/// Whether `host` is written as an address (no name to show or resolve).
bool is_numeric_host(std::string_view host);

/// -I: a source address, or an interface whose first address of `family`
/// becomes the source.
struct SourceBinding {
  wire::IpAddress address;
  std::string interface_name;  ///< Set when -I named an interface.
  std::string error;           ///< Empty on success.
  bool ok() const noexcept { return error.empty(); }
};
SourceBinding source_for(std::string_view interface_or_address, wire::Family family);

/// Why no ICMP socket of `family` could be opened (both attempts' OS errors
/// when it was a permission problem), with the hint to run `icmpkit doctor`.
std::string open_failure_message(wire::Family family, const std::error_code& ec);

/// The warning printed when the kernel dropped replies because the socket's
/// receive buffer was full (so no loss is silent); empty when `drops` is 0.
std::string kernel_drop_warning(std::string_view command, std::uint64_t drops, std::size_t receive_buffer);

}  // namespace icmpkit::tools
