// What `icmpkit sweep` prints, in the shape of fping(8) (version 5.1 was the
// reference): "host is alive" / "is unreachable" lines, count-mode lines
// ("host : [0], 64 bytes, 0.045 ms (0.045 avg, 0% loss)"), per-target
// summaries (-c, -C), the -s statistics block, ICMP error warnings, fping's
// exit codes, and the --json objects. Pure functions over numbers handed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format_message.hpp"  // Json
#include "icmpkit/wire/address.hpp"

namespace icmpkit::tools {

/// fping's exit codes.
inline constexpr int sweep_exit_all_alive = 0;
inline constexpr int sweep_exit_some_unreachable = 1;
inline constexpr int sweep_exit_unknown_address = 2;
inline constexpr int sweep_exit_usage = 3;
inline constexpr int sweep_exit_system = 4;

/// fping's time text (sprint_tm): 3 decimals below 1 ms, 2 below 10, 1 below
/// 100, none below 10^6 ms, then %.3e (%.2g for a negative time).
std::string fping_time(std::chrono::nanoseconds t);

/// The most characters fping_time writes ("-9.2e+12", "9.223e+12").
inline constexpr std::size_t fping_time_max_size = 16;
/// fping_time's text written at `out`, which has room for
/// fping_time_max_size characters; returns the end of the text (no NUL).
char* write_fping_time(char* out, std::chrono::nanoseconds t) noexcept;
/// fping_time's text appended to `out`.
void append_fping_time(std::string& out, std::chrono::nanoseconds t);

/// Default mode: "name is alive" (" (0.037 ms)" with -e), or with -a just
/// the name (and " (0.037 ms)" with -e).
std::string sweep_alive_line(std::string_view name, bool names_only, std::optional<std::chrono::nanoseconds> rtt);
/// "name is unreachable", or with -u just the name.
std::string sweep_unreachable_line(std::string_view name, bool names_only);

/// Count mode (-c/-C), one reply: "name : [i], 64 bytes, 0.045 ms (0.045 avg, 0% loss)";
/// the name padded to `width` as fping pads to the longest target.
std::string sweep_reply_line(std::string_view name, std::size_t width, std::uint32_t index, std::size_t bytes,
                             std::chrono::nanoseconds rtt, std::chrono::nanoseconds avg, unsigned loss_percent);
/// Count mode, one probe without reply: "name : [i], timed out (NaN avg, 100% loss)".
std::string sweep_timeout_line(std::string_view name, std::size_t width, std::uint32_t index,
                               std::optional<std::chrono::nanoseconds> avg, unsigned loss_percent);

/// Count mode, a duplicate reply: "name : duplicate for [i], 64 bytes, 0.045 ms".
/// (The name is padded by bytes, as fping's printf("%-*s") does.)
std::string sweep_duplicate_line(std::string_view name, std::size_t width, std::uint32_t index, std::size_t bytes,
                                 std::chrono::nanoseconds rtt);

/// The lines above and the -c/-C summaries below, appended to `out` (no
/// newline) instead of returned: the same text, for a caller that prints one
/// line per target from its own buffer without a string per line.
void append_sweep_alive_line(std::string& out, std::string_view name, bool names_only,
                             std::optional<std::chrono::nanoseconds> rtt);
void append_sweep_unreachable_line(std::string& out, std::string_view name, bool names_only);
void append_sweep_reply_line(std::string& out, std::string_view name, std::size_t width, std::uint32_t index,
                             std::size_t bytes, std::chrono::nanoseconds rtt, std::chrono::nanoseconds avg,
                             unsigned loss_percent);
void append_sweep_timeout_line(std::string& out, std::string_view name, std::size_t width, std::uint32_t index,
                               std::optional<std::chrono::nanoseconds> avg, unsigned loss_percent);
void append_sweep_duplicate_line(std::string& out, std::string_view name, std::size_t width, std::uint32_t index,
                                 std::size_t bytes, std::chrono::nanoseconds rtt);

/// fping's integer loss: (sent - received) * 100 / sent.
unsigned fping_loss(std::uint64_t sent, std::uint64_t received);

/// -c summary (stderr): "name : xmt/rcv/%loss = 2/2/0%, min/avg/max = a/b/c"
/// (no min/avg/max without replies).
struct RttTriple {
  std::chrono::nanoseconds min{0}, avg{0}, max{0};
};
std::string sweep_target_summary_line(std::string_view name, std::size_t width, std::uint64_t sent,
                                      std::uint64_t received, std::optional<RttTriple> rtt);
void append_sweep_target_summary_line(std::string& out, std::string_view name, std::size_t width,
                                      std::uint64_t sent, std::uint64_t received, std::optional<RttTriple> rtt);
/// A probe without a reply in sweep_vcount_line's list.
inline constexpr std::chrono::nanoseconds no_rtt = std::chrono::nanoseconds::min();
/// -C summary (stderr): "name : 0.043 0.046 -" (one entry per probe, "-" for no_rtt).
std::string sweep_vcount_line(std::string_view name, std::size_t width, std::span<const std::chrono::nanoseconds> rtts);
void append_sweep_vcount_line(std::string& out, std::string_view name, std::size_t width,
                              std::span<const std::chrono::nanoseconds> rtts);

/// fping's warning for an ICMP error (stderr):
/// "ICMP Host Unreachable from 10.0.0.1 for ICMP Echo sent to 10.0.0.9".
std::string sweep_icmp_error_line(wire::Family family, std::uint8_t type, std::uint8_t code,
                                  const wire::IpAddress& router, std::string_view target);

/// Totals of a sweep for -s and the exit code.
struct SweepTotals {
  std::uint64_t targets = 0;
  std::uint64_t alive = 0;
  std::uint64_t unreachable = 0;
  std::uint64_t unknown = 0;  ///< Names that did not resolve.
  std::uint64_t timeouts = 0;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;   ///< Echo replies (duplicates included, as fping counts them).
  std::uint64_t other_icmp = 0; ///< ICMP errors about our probes.
  std::optional<RttTriple> rtt;
  std::chrono::nanoseconds elapsed{0};
};
/// The -s block (stderr), one string per line, starting and ending with an
/// empty line as fping prints it.
std::vector<std::string> sweep_stats_block(const SweepTotals& totals);

/// fping's exit code: 2 if any name did not resolve, else 1 if any target
/// is unreachable, else 0.
int sweep_exit_code(const SweepTotals& totals);

/// --json: one object per result line, then a summary object.
Json sweep_reply_json(std::string_view name, const wire::IpAddress& address, std::uint32_t index, std::size_t bytes,
                      std::chrono::nanoseconds rtt, bool duplicate);
Json sweep_timeout_json(std::string_view name, const wire::IpAddress& address, std::uint32_t index);
Json sweep_error_json(std::string_view name, const wire::IpAddress& address, std::uint32_t index,
                      const wire::IpAddress& router, std::uint8_t type, std::uint8_t code, std::string_view text);
/// A target's result: alive or not, with its counters and RTTs.
Json sweep_target_json(std::string_view name, const std::optional<wire::IpAddress>& address, bool alive,
                       std::uint64_t sent, std::uint64_t received, std::optional<RttTriple> rtt,
                       std::string_view error = {});
Json sweep_summary_json(const SweepTotals& totals);

}  // namespace icmpkit::tools
