#include "sweep_format.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <iterator>

#include <fmt/format.h>

namespace icmpkit::tools {
namespace {

using std::chrono::nanoseconds;

double millis(nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string padded(std::string_view name, std::size_t width) {
  std::string out(name);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

// fping's icmp_unreach_str[] (fping.c).
constexpr std::array<std::string_view, 16> v4_unreachable = {
    "ICMP Network Unreachable",
    "ICMP Host Unreachable",
    "ICMP Protocol Unreachable",
    "ICMP Port Unreachable",
    "ICMP Unreachable (Fragmentation Needed)",
    "ICMP Unreachable (Source Route Failed)",
    "ICMP Unreachable (Destination Network Unknown)",
    "ICMP Unreachable (Destination Host Unknown)",
    "ICMP Unreachable (Source Host Isolated)",
    "ICMP Unreachable (Communication with Network Prohibited)",
    "ICMP Unreachable (Communication with Host Prohibited)",
    "ICMP Unreachable (Network Unreachable For Type Of Service)",
    "ICMP Unreachable (Host Unreachable For Type Of Service)",
    "ICMP Unreachable (Communication Administratively Prohibited)",
    "ICMP Unreachable (Host Precedence Violation)",
    "ICMP Unreachable (Precedence cutoff in effect)",
};

// fping 5.1 prints no warning for ICMPv6 errors; these follow the IPv4
// wording with RFC 4443's code names.
constexpr std::array<std::string_view, 7> v6_unreachable = {
    "ICMPv6 No Route to Destination",
    "ICMPv6 Communication with Destination Administratively Prohibited",
    "ICMPv6 Beyond Scope of Source Address",
    "ICMPv6 Address Unreachable",
    "ICMPv6 Port Unreachable",
    "ICMPv6 Source Address Failed Ingress/Egress Policy",
    "ICMPv6 Reject Route to Destination",
};

std::string error_name(wire::Family family, std::uint8_t type, std::uint8_t code) {
  if (family == wire::Family::v4) {
    switch (type) {
      case 3: return code < v4_unreachable.size() ? std::string(v4_unreachable[code]) : "ICMP Unreachable (Invalid Code)";
      case 4: return "ICMP Source Quench";
      case 5: return "ICMP Redirect";
      case 11: return "ICMP Time Exceeded";
      case 12: return "ICMP Parameter Problem";
      default: return fmt::format("ICMP type {}", type);
    }
  }
  switch (type) {
    case 1: return code < v6_unreachable.size() ? std::string(v6_unreachable[code]) : "ICMPv6 Unreachable (Invalid Code)";
    case 2: return "ICMPv6 Packet Too Big";
    case 3: return "ICMPv6 Time Exceeded";
    case 4: return "ICMPv6 Parameter Problem";
    default: return fmt::format("ICMPv6 type {}", type);
  }
}

Json rtt_json(const RttTriple& r) {
  return Json{{"min", millis(r.min)}, {"avg", millis(r.avg)}, {"max", millis(r.max)}};
}

}  // namespace

namespace {

// fping's printf formats, through fmt: the same digits (checked against
// snprintf on 3 million values), without printf's cost on every summary line.
void append_fping_time(std::string& out, nanoseconds ns) {
  const double t = static_cast<double>(ns.count()) / 1e6;
  auto it = std::back_inserter(out);
  if (t < 0.0) {
    fmt::format_to(it, "{:.2g}", t);
  } else if (t < 1.0) {
    fmt::format_to(it, "{:.3f}", t);
  } else if (t < 10.0) {
    fmt::format_to(it, "{:.2f}", t);
  } else if (t < 100.0) {
    fmt::format_to(it, "{:.1f}", t);
  } else if (t < 1000000.0) {
    fmt::format_to(it, "{:.0f}", t);
  } else {
    fmt::format_to(it, "{:.3e}", t);
  }
}

void append_number(std::string& out, std::uint64_t value) {
  char text[24];
  out.append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

}  // namespace

std::string fping_time(nanoseconds ns) {
  std::string out;
  append_fping_time(out, ns);
  return out;
}

std::string sweep_alive_line(std::string_view name, bool names_only, std::optional<nanoseconds> rtt) {
  std::string line = names_only ? std::string(name) : fmt::format("{} is alive", name);
  if (rtt) line += fmt::format(" ({} ms)", fping_time(*rtt));
  return line;
}

std::string sweep_unreachable_line(std::string_view name, bool names_only) {
  return names_only ? std::string(name) : fmt::format("{} is unreachable", name);
}

unsigned fping_loss(std::uint64_t sent, std::uint64_t received) {
  if (sent == 0 || received >= sent) return 0;
  return static_cast<unsigned>((sent - received) * 100 / sent);
}

std::string sweep_reply_line(std::string_view name, std::size_t width, std::uint32_t index, std::size_t bytes,
                             nanoseconds rtt, nanoseconds avg, unsigned loss_percent) {
  return fmt::format("{} : [{}], {} bytes, {} ms ({} avg, {}% loss)", padded(name, width), index, bytes,
                     fping_time(rtt), fping_time(avg), loss_percent);
}

std::string sweep_timeout_line(std::string_view name, std::size_t width, std::uint32_t index,
                               std::optional<nanoseconds> avg, unsigned loss_percent) {
  return fmt::format("{} : [{}], timed out ({} avg, {}% loss)", padded(name, width), index,
                     avg ? fping_time(*avg) : std::string("NaN"), loss_percent);
}

std::string sweep_target_summary_line(std::string_view name, std::size_t width, std::uint64_t sent,
                                      std::uint64_t received, std::optional<RttTriple> rtt) {
  // Appended piece by piece: one line per target at the end of a sweep of
  // 65,536 targets made fmt's parsing of the format string show in profiles.
  std::string line = padded(name, width);
  line.reserve(width + 72);
  line += " : xmt/rcv/%loss = ";
  append_number(line, sent);
  line += '/';
  append_number(line, received);
  line += '/';
  append_number(line, fping_loss(sent, received));
  line += '%';
  if (received != 0 && rtt) {
    line += ", min/avg/max = ";
    append_fping_time(line, rtt->min);
    line += '/';
    append_fping_time(line, rtt->avg);
    line += '/';
    append_fping_time(line, rtt->max);
  }
  return line;
}

std::string sweep_vcount_line(std::string_view name, std::size_t width, std::span<const nanoseconds> rtts) {
  std::string line = fmt::format("{} :", padded(name, width));
  for (const auto rtt : rtts) {
    line += ' ';
    line += rtt == no_rtt ? std::string("-") : fping_time(rtt);
  }
  return line;
}

std::string sweep_icmp_error_line(wire::Family family, std::uint8_t type, std::uint8_t code,
                                  const wire::IpAddress& router, std::string_view target) {
  return fmt::format("{} from {} for ICMP Echo sent to {}", error_name(family, type, code), router.to_string(),
                     target);
}

std::vector<std::string> sweep_stats_block(const SweepTotals& t) {
  std::vector<std::string> lines;
  lines.emplace_back();
  lines.push_back(fmt::format(" {:>7} targets", t.targets));
  lines.push_back(fmt::format(" {:>7} alive", t.alive));
  lines.push_back(fmt::format(" {:>7} unreachable", t.unreachable));
  lines.push_back(fmt::format(" {:>7} unknown addresses", t.unknown));
  lines.emplace_back();
  lines.push_back(fmt::format(" {:>7} timeouts (waiting for response)", t.timeouts));
  lines.push_back(fmt::format(" {:>7} ICMP Echos sent", t.sent));
  lines.push_back(fmt::format(" {:>7} ICMP Echo Replies received", t.received));
  lines.push_back(fmt::format(" {:>7} other ICMP received", t.other_icmp));
  lines.emplace_back();
  const RttTriple rtt = t.rtt.value_or(RttTriple{});
  lines.push_back(fmt::format(" {} ms (min round trip time)", fping_time(rtt.min)));
  lines.push_back(fmt::format(" {} ms (avg round trip time)", fping_time(rtt.avg)));
  lines.push_back(fmt::format(" {} ms (max round trip time)", fping_time(rtt.max)));
  char elapsed[48];
  std::snprintf(elapsed, sizeof elapsed, " %12.3f sec (elapsed real time)",
                std::chrono::duration<double>(t.elapsed).count());
  lines.emplace_back(elapsed);
  lines.emplace_back();
  return lines;
}

int sweep_exit_code(const SweepTotals& t) {
  if (t.unknown != 0) return sweep_exit_unknown_address;
  if (t.alive < t.targets) return sweep_exit_some_unreachable;
  return sweep_exit_all_alive;
}

Json sweep_reply_json(std::string_view name, const wire::IpAddress& address, std::uint32_t index, std::size_t bytes,
                      nanoseconds rtt, bool duplicate) {
  Json j;
  j["event"] = duplicate ? "duplicate" : "reply";
  j["target"] = std::string(name);
  j["address"] = address.to_string();
  j["index"] = index;
  j["bytes"] = bytes;
  j["rtt_ms"] = millis(rtt);
  return j;
}

Json sweep_timeout_json(std::string_view name, const wire::IpAddress& address, std::uint32_t index) {
  Json j;
  j["event"] = "timeout";
  j["target"] = std::string(name);
  j["address"] = address.to_string();
  j["index"] = index;
  return j;
}

Json sweep_error_json(std::string_view name, const wire::IpAddress& address, std::uint32_t index,
                      const wire::IpAddress& router, std::uint8_t type, std::uint8_t code, std::string_view text) {
  Json j;
  j["event"] = "icmp-error";
  j["target"] = std::string(name);
  j["address"] = address.to_string();
  j["index"] = index;
  j["from"] = router.to_string();
  j["type"] = type;
  j["code"] = code;
  j["text"] = std::string(text);
  return j;
}

Json sweep_target_json(std::string_view name, const std::optional<wire::IpAddress>& address, bool alive,
                       std::uint64_t sent, std::uint64_t received, std::optional<RttTriple> rtt,
                       std::string_view error) {
  Json j;
  j["event"] = "target";
  j["target"] = std::string(name);
  j["address"] = address ? Json(address->to_string()) : Json(nullptr);
  j["alive"] = alive;
  j["sent"] = sent;
  j["received"] = received;
  j["loss_percent"] = sent == 0 ? 0.0 : 100.0 * static_cast<double>(sent - (received > sent ? sent : received)) /
                                           static_cast<double>(sent);
  if (rtt && received != 0) j["rtt_ms"] = rtt_json(*rtt);
  if (!error.empty()) j["error"] = std::string(error);
  return j;
}

Json sweep_summary_json(const SweepTotals& t) {
  Json j;
  j["event"] = "summary";
  j["targets"] = t.targets;
  j["alive"] = t.alive;
  j["unreachable"] = t.unreachable;
  j["unknown"] = t.unknown;
  j["timeouts"] = t.timeouts;
  j["sent"] = t.sent;
  j["received"] = t.received;
  j["other_icmp"] = t.other_icmp;
  if (t.rtt) j["rtt_ms"] = rtt_json(*t.rtt);
  j["elapsed_s"] = std::chrono::duration<double>(t.elapsed).count();
  j["exit_code"] = sweep_exit_code(t);
  return j;
}

}  // namespace icmpkit::tools
