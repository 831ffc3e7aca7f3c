// File: icmpkit/sys/privileges.hpp
//
// Why can (or can't) this process open an ICMP socket, and what would fix
// it: the ping_group_range sysctl that gates Linux ping sockets, the
// CAP_NET_RAW capability that gates raw sockets, the caller's identity, and a
// diagnose() that actually tries both socket kinds. Used by `icmpkit doctor`.
// Also: dropping privileges after a raw socket is open.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/socket.hpp"
#include "icmpkit/wire/types.hpp"

namespace icmpkit::sys {

/// Default location of the sysctl (per network namespace; IPv6 ping sockets
/// obey the same one).
inline constexpr std::string_view ping_group_range_path = "/proc/sys/net/ipv4/ping_group_range";

/// net.ipv4.ping_group_range: groups lo..hi (inclusive) may open ping sockets.
/// The kernel default "1 0" (lo > hi) admits nobody.
struct PingGroupRange {
  std::uint32_t lo = 1;
  std::uint32_t hi = 0;
  bool contains(std::uint32_t gid) const noexcept { return lo <= gid && gid <= hi; }
  bool is_closed() const noexcept { return lo > hi; }
  friend bool operator==(const PingGroupRange&, const PingGroupRange&) noexcept = default;
};

/// Parses the sysctl's text ("1\t0\n"). Errors: errc::invalid_argument.
Result<PingGroupRange> parse_ping_group_range(std::string_view text) noexcept;

/// Reads and parses the sysctl file (path injectable for tests).
/// Errors: OS error opening/reading; errc::invalid_argument.
Result<PingGroupRange> read_ping_group_range(std::string_view path = ping_group_range_path);

/// Who the process is.
struct Identity {
  std::uint32_t uid = 0, euid = 0;
  std::uint32_t gid = 0, egid = 0;
  std::vector<std::uint32_t> supplementary_groups;
  /// Every group the kernel checks against ping_group_range (egid + supplementary).
  std::vector<std::uint32_t> all_groups() const;
};

/// The calling process's identity.
Identity current_identity();

/// CAP_NET_RAW (and CAP_NET_ADMIN, for SO_RCVBUFFORCE/SO_MARK) in the
/// process's capability sets (capget(2)).
struct CapabilityState {
  bool net_raw_effective = false;
  bool net_raw_permitted = false;
  bool net_admin_effective = false;
  bool net_admin_permitted = false;
};

/// Errors: OS error from capget.
Result<CapabilityState> current_capabilities() noexcept;

/// Verdict for one socket kind.
struct ModeDiagnosis {
  SocketKind kind = SocketKind::dgram;
  bool opened = false;
  std::error_code error;              ///< The OS error when not opened.
  std::string why;                    ///< One sentence: why it opened or failed.
  std::vector<std::string> fixes;     ///< Commands that would make it open.
};

/// The whole story for one family.
struct Diagnosis {
  wire::Family family = wire::Family::v4;
  Identity identity;
  std::optional<PingGroupRange> ping_group_range;  ///< nullopt when unreadable.
  std::optional<CapabilityState> capabilities;      ///< nullopt when capget failed.
  ModeDiagnosis dgram;
  ModeDiagnosis raw;
  /// The kind SocketMode::automatic would obtain; nullopt when neither opens.
  std::optional<SocketKind> automatic_result() const noexcept;
};

/// Pure part of diagnose(): explains the outcome of the two open attempts
/// (`dgram_error`/`raw_error` empty = it opened) from the facts gathered.
/// `program` names the binary in the setcap fix.
Diagnosis explain(wire::Family family, const Identity& identity,
                  const std::optional<PingGroupRange>& range,
                  const std::optional<CapabilityState>& capabilities, std::error_code dgram_error,
                  std::error_code raw_error, std::string_view program = "icmpkit");

/// Tries to open a ping socket and a raw socket of `family` (closing them
/// again) and explains each result with the fix.
Diagnosis diagnose(wire::Family family, std::string_view program = "icmpkit",
                   std::string_view range_path = ping_group_range_path);

/// Drops to `uid`/`gid` for good: clears supplementary groups, sets real,
/// effective and saved ids, clears every capability set and sets
/// PR_SET_NO_NEW_PRIVS. Sockets already open stay usable (a raw socket
/// opened before keeps working). Verifies that regaining root fails.
/// Errors: OS error of the step that failed (EPERM when not privileged);
/// errc::permission_denied if privileges could be regained afterwards.
Result<void> drop_privileges(std::uint32_t uid, std::uint32_t gid) noexcept;

}  // namespace icmpkit::sys
