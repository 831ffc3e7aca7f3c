// Target lists for `icmpkit sweep` (fping's inputs): host arguments, a file
// or stdin with one target per line (-f), and generated lists (-g) from an
// IPv4/IPv6 CIDR block or a first..last range. Pure text handling: names are
// kept as written (they are resolved later), generated addresses are printed
// in their canonical form.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace icmpkit::tools {

/// Most targets one -g may generate: bounds memory (about 40 bytes per
/// target before pinging) while covering an IPv4 /12 or an IPv6 /108.
inline constexpr std::size_t max_generated_targets = std::size_t{1} << 20;

/// Targets, or the reason there are none.
struct TargetList {
  std::vector<std::string> targets;
  std::string error;  ///< Empty on success.
  bool ok() const noexcept { return error.empty(); }
};

/// Every host address of a CIDR block ("10.0.0.0/24", "fd00::/120").
/// fping's rule for IPv4: prefixes shorter than /31 leave out the network
/// and broadcast addresses; /31 and /32 (RFC 3021) keep both. IPv6 has no
/// broadcast address: every address of the block is listed.
/// Errors: not ADDRESS/LENGTH, a bad address, a length beyond 32/128, more
/// than `limit` hosts.
TargetList expand_cidr(std::string_view cidr, std::size_t limit = max_generated_targets);

/// Every address from `first` to `last` inclusive (fping -g START END).
/// Errors: bad addresses, mixed families, last before first, more than `limit`.
TargetList expand_range(std::string_view first, std::string_view last, std::size_t limit = max_generated_targets);

/// The targets of -g's arguments: one CIDR block, or START END, or several
/// CIDR blocks. Errors: as expand_cidr / expand_range, no argument, or a
/// form that is neither.
TargetList generate_targets(const std::vector<std::string>& arguments, std::size_t limit = max_generated_targets);

/// Targets from a text stream (fping -f): the first word of each line;
/// blank lines and lines starting with '#' are skipped, and a '#' after the
/// word starts a comment. `source` names the input in errors.
/// Errors: a read error on the stream.
TargetList read_targets(std::istream& in, std::string_view source);

/// Whether `text` is written as a numeric IPv4 or IPv6 address (with an
/// optional %scope), i.e. needs no resolver.
bool is_numeric_address(std::string_view text);

}  // namespace icmpkit::tools
