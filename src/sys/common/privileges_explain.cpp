// The OS-independent half of privilege diagnosis: parsing the sysctl and
// turning facts (identity, group range, capabilities, the errno of each open
// attempt) into sentences and commands for `icmpkit doctor`.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

#include "icmpkit/sys/privileges.hpp"

namespace icmpkit::sys {
namespace {

std::string_view skip_space(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r')) {
    text.remove_prefix(1);
  }
  return text;
}

bool parse_number(std::string_view& text, std::uint32_t& value) noexcept {
  text = skip_space(text);
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  return true;
}

std::string family_name(wire::Family family) { return family == wire::Family::v4 ? "IPv4" : "IPv6"; }

std::string range_text(const PingGroupRange& range) {
  return std::to_string(range.lo) + " " + std::to_string(range.hi);
}

ModeDiagnosis explain_dgram(wire::Family family, const Identity& identity, const std::optional<PingGroupRange>& range,
                            std::error_code error) {
  ModeDiagnosis out;
  out.kind = SocketKind::dgram;
  out.opened = !error;
  out.error = error;
  const auto groups = identity.all_groups();
  std::optional<std::uint32_t> admitted;
  if (range) {
    for (const auto gid : groups) {
      if (range->contains(gid)) {
        admitted = gid;
        break;
      }
    }
  }
  if (out.opened) {
    out.why = "an unprivileged " + family_name(family) + " ping socket opens";
    if (admitted) out.why += ": group " + std::to_string(*admitted) + " is inside net.ipv4.ping_group_range (" +
                             range_text(*range) + ")";
    return out;
  }
  const int number = error.category() == std::system_category() ? error.value() : 0;
  if (number == EACCES) {
    out.why = "ping sockets are refused: ";
    if (!range) {
      out.why += "no group of this process is inside net.ipv4.ping_group_range (unreadable here)";
    } else if (range->is_closed()) {
      out.why += "net.ipv4.ping_group_range is \"" + range_text(*range) + "\", which admits no group";
    } else {
      out.why += "group " + std::to_string(identity.egid) + " is outside net.ipv4.ping_group_range (" +
                 range_text(*range) + ")";
    }
    if (identity.euid == 0) out.why += "; root is not exempt";
    out.why += " (the setting is per network namespace and also governs IPv6 ping sockets)";
    const std::string sudo = identity.euid == 0 ? "" : "sudo ";
    std::uint32_t lo = identity.egid;
    std::uint32_t hi = identity.egid;
    if (range && !range->is_closed()) {
      lo = std::min(lo, range->lo);
      hi = std::max(hi, range->hi);
    }
    out.fixes.push_back(sudo + "sysctl -w net.ipv4.ping_group_range=\"" + std::to_string(lo) + " " +
                        std::to_string(hi) + "\"");
    out.fixes.push_back(sudo + "sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"");
    out.fixes.push_back("echo 'net.ipv4.ping_group_range = 0 2147483647' | " + sudo +
                        "tee /etc/sysctl.d/60-icmpkit.conf  # keep it after reboot");
  } else if (number == EPROTONOSUPPORT || number == ESOCKTNOSUPPORT) {
    out.why = "this kernel has no ping sockets; only a raw socket can be used";
  } else if (number == EAFNOSUPPORT) {
    out.why = family_name(family) + " is not supported by this kernel (disabled?)";
  } else if (number == EPERM) {
    out.why = "ping sockets are refused with EPERM: a security module or seccomp filter denies them";
  } else {
    out.why = "ping socket could not be opened: " + error.message();
  }
  return out;
}

ModeDiagnosis explain_raw(wire::Family family, const Identity& identity,
                          const std::optional<CapabilityState>& capabilities, std::error_code error,
                          std::string_view program) {
  ModeDiagnosis out;
  out.kind = SocketKind::raw;
  out.opened = !error;
  out.error = error;
  if (out.opened) {
    out.why = "a raw " + family_name(family) + " socket opens";
    if (identity.euid == 0) out.why += " (running as root)";
    else if (capabilities && capabilities->net_raw_effective) out.why += ": CAP_NET_RAW is effective";
    return out;
  }
  const int number = error.category() == std::system_category() ? error.value() : 0;
  if (number == EPERM) {
    if (capabilities && capabilities->net_raw_permitted && !capabilities->net_raw_effective) {
      out.why = "raw sockets need CAP_NET_RAW, which is permitted but not effective in this process";
    } else {
      out.why = "raw sockets need CAP_NET_RAW, which this process does not have";
    }
    if (identity.euid == 0) out.why += " (root without the capability: a container or namespace drops it)";
    const std::string name(program);
    out.fixes.push_back(std::string(identity.euid == 0 ? "" : "sudo ") + "setcap cap_net_raw+ep \"$(command -v " +
                        name + ")\"");
    out.fixes.push_back("sudo " + name + " ...  # run as root");
  } else if (number == EACCES) {
    out.why = "raw sockets are refused with EACCES: a security module denies them";
  } else if (number == EAFNOSUPPORT) {
    out.why = family_name(family) + " is not supported by this kernel (disabled?)";
  } else {
    out.why = "raw socket could not be opened: " + error.message();
  }
  return out;
}

}  // namespace

Result<PingGroupRange> parse_ping_group_range(std::string_view text) noexcept {
  PingGroupRange range;
  if (!parse_number(text, range.lo) || !parse_number(text, range.hi)) return errc::invalid_argument;
  if (!skip_space(text).empty()) return errc::invalid_argument;
  return range;
}

Result<PingGroupRange> read_ping_group_range(std::string_view path) {
  errno = 0;
  std::ifstream file{std::string(path)};
  if (!file) return unexpected(std::error_code(errno ? errno : ENOENT, std::system_category()));
  std::ostringstream text;
  text << file.rdbuf();
  return parse_ping_group_range(text.str());
}

std::vector<std::uint32_t> Identity::all_groups() const {
  std::vector<std::uint32_t> groups{egid};
  for (const auto group : supplementary_groups) {
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
  }
  return groups;
}

std::optional<SocketKind> Diagnosis::automatic_result() const noexcept {
  if (dgram.opened) return SocketKind::dgram;
  if (raw.opened) return SocketKind::raw;
  return std::nullopt;
}

Diagnosis explain(wire::Family family, const Identity& identity, const std::optional<PingGroupRange>& range,
                  const std::optional<CapabilityState>& capabilities, std::error_code dgram_error,
                  std::error_code raw_error, std::string_view program) {
  Diagnosis out;
  out.family = family;
  out.identity = identity;
  out.ping_group_range = range;
  out.capabilities = capabilities;
  out.dgram = explain_dgram(family, identity, range, dgram_error);
  out.raw = explain_raw(family, identity, capabilities, raw_error, program);
  return out;
}

}  // namespace icmpkit::sys
