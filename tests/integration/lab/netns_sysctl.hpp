// Sysctls of a network namespace, for the labs. /proc/sys/net belongs to the
// namespace of the process that opens it, so a child that entered the
// namespace reads and writes them (no `ip netns exec`).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace icmpkit::lab {

using Sysctls = std::vector<std::pair<std::string, std::string>>;

/// Writes each dotted name = value in `netns`. Throws LabError naming the
/// first one that could not be written.
void write_netns_sysctls(const std::string& netns, const Sysctls& values);

/// Reads a dotted name in `netns` (trailing whitespace removed). Throws LabError.
std::string read_netns_sysctl(const std::string& netns, const std::string& name);

}  // namespace icmpkit::lab
