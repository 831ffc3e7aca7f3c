#include "sweep_format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include <fmt/format.h>

namespace icmpkit::tools {
namespace {

using std::chrono::nanoseconds;

double millis(nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

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

// fping prints times with printf ("%.3f" ... "%.3e") of a double number of
// milliseconds; a sweep prints up to three per target, so the fixed-point
// cases are done here on the integer nanoseconds instead. They give the same
// digits: the double t = ns / 1e6 is within 1e-10 ms of the exact quotient
// below 10^6 ms, while a rounding boundary is at least 1 ns (1e-6 ms) away
// from any other whole number of nanoseconds. Only a value exactly halfway
// between two outputs (ns ending in 5 followed by zeros at the cut) depends
// on which side the double fell, and goes to std::to_chars, which rounds the
// double exactly as printf does. tests/unit/tools/sweep_format_test.cpp
// checks both against snprintf.
constexpr std::int64_t fixed_limit_ns = 1'000'000'000'000;  // 10^6 ms

char* write_digits(char* out, std::uint64_t value) noexcept {
  return std::to_chars(out, out + 20, value).ptr;
}

// `q` with its last `decimals` digits after a decimal point ("0.023" for 23, 3).
char* write_fixed(char* out, std::uint64_t q, int decimals) noexcept {
  char text[24];
  char* first = text + sizeof text;
  for (int i = 0; i < decimals; ++i) {
    *--first = static_cast<char>('0' + q % 10);
    q /= 10;
  }
  if (decimals != 0) *--first = '.';
  do {
    *--first = static_cast<char>('0' + q % 10);
    q /= 10;
  } while (q != 0);
  return std::copy(first, text + sizeof text, out);
}

char* write_double(char* out, double t, std::chars_format format, int precision) noexcept {
  return std::to_chars(out, out + fping_time_max_size, t, format, precision).ptr;
}

}  // namespace

namespace {

// n nanoseconds rounded to `Unit` (the value of the last printed digit) and
// written with `Decimals` places. The unit is a constant per call site so
// that the division compiles to a multiplication.
template <std::int64_t Unit, int Decimals>
char* write_rounded(char* out, std::int64_t n) noexcept {
  const auto q = static_cast<std::uint64_t>(n / Unit);
  const std::int64_t r = n % Unit;
  if (2 * r != Unit) return write_fixed(out, q + (2 * r > Unit ? 1 : 0), Decimals);
  return write_double(out, static_cast<double>(n) / 1e6, std::chars_format::fixed, Decimals);
}

}  // namespace

char* write_fping_time(char* out, nanoseconds ns) noexcept {
  const std::int64_t n = ns.count();
  if (n >= 0 && n < fixed_limit_ns) {
    if (n < 1'000'000) return write_rounded<1'000, 3>(out, n);
    if (n < 10'000'000) return write_rounded<10'000, 2>(out, n);
    if (n < 100'000'000) return write_rounded<100'000, 1>(out, n);
    return write_rounded<1'000'000, 0>(out, n);
  }
  const double t = static_cast<double>(n) / 1e6;
  if (t < 0.0) return write_double(out, t, std::chars_format::general, 2);
  return write_double(out, t, std::chars_format::scientific, 3);
}

void append_fping_time(std::string& out, nanoseconds ns) {
  char text[fping_time_max_size];
  out.append(text, write_fping_time(text, ns));
}

namespace {

void append_number(std::string& out, std::uint64_t value) {
  char text[20];
  out.append(text, write_digits(text, value));
}

void append_padded(std::string& out, std::string_view name, std::size_t width) {
  out += name;
  if (name.size() < width) out.append(width - name.size(), ' ');
}

}  // namespace

std::string fping_time(nanoseconds ns) {
  char text[fping_time_max_size];
  return std::string(text, write_fping_time(text, ns));
}

void append_sweep_alive_line(std::string& out, std::string_view name, bool names_only,
                             std::optional<nanoseconds> rtt) {
  out += name;
  if (!names_only) out += " is alive";
  if (rtt) {
    out += " (";
    append_fping_time(out, *rtt);
    out += " ms)";
  }
}

std::string sweep_alive_line(std::string_view name, bool names_only, std::optional<nanoseconds> rtt) {
  std::string line;
  line.reserve(name.size() + 32);
  append_sweep_alive_line(line, name, names_only, rtt);
  return line;
}

void append_sweep_unreachable_line(std::string& out, std::string_view name, bool names_only) {
  out += name;
  if (!names_only) out += " is unreachable";
}

std::string sweep_unreachable_line(std::string_view name, bool names_only) {
  std::string line;
  append_sweep_unreachable_line(line, name, names_only);
  return line;
}

unsigned fping_loss(std::uint64_t sent, std::uint64_t received) {
  if (sent == 0 || received >= sent) return 0;
  return static_cast<unsigned>((sent - received) * 100 / sent);
}

void append_sweep_reply_line(std::string& out, std::string_view name, std::size_t width, std::uint32_t index,
                             std::size_t bytes, nanoseconds rtt, nanoseconds avg, unsigned loss_percent) {
  append_padded(out, name, width);
  out += " : [";
  append_number(out, index);
  out += "], ";
  append_number(out, bytes);
  out += " bytes, ";
  append_fping_time(out, rtt);
  out += " ms (";
  append_fping_time(out, avg);
  out += " avg, ";
  append_number(out, loss_percent);
  out += "% loss)";
}

std::string sweep_reply_line(std::string_view name, std::size_t width, std::uint32_t index, std::size_t bytes,
                             nanoseconds rtt, nanoseconds avg, unsigned loss_percent) {
  std::string line;
  line.reserve(std::max(name.size(), width) + 80);
  append_sweep_reply_line(line, name, width, index, bytes, rtt, avg, loss_percent);
  return line;
}

void append_sweep_timeout_line(std::string& out, std::string_view name, std::size_t width, std::uint32_t index,
                               std::optional<nanoseconds> avg, unsigned loss_percent) {
  append_padded(out, name, width);
  out += " : [";
  append_number(out, index);
  out += "], timed out (";
  if (avg) {
    append_fping_time(out, *avg);
  } else {
    out += "NaN";
  }
  out += " avg, ";
  append_number(out, loss_percent);
  out += "% loss)";
}

std::string sweep_timeout_line(std::string_view name, std::size_t width, std::uint32_t index,
                               std::optional<nanoseconds> avg, unsigned loss_percent) {
  std::string line;
  line.reserve(std::max(name.size(), width) + 64);
  append_sweep_timeout_line(line, name, width, index, avg, loss_percent);
  return line;
}

void append_sweep_duplicate_line(std::string& out, std::string_view name, std::size_t width, std::uint32_t index,
                                 std::size_t bytes, nanoseconds rtt) {
  append_padded(out, name, width);
  out += " : duplicate for [";
  append_number(out, index);
  out += "], ";
  append_number(out, bytes);
  out += " bytes, ";
  append_fping_time(out, rtt);
  out += " ms";
}

std::string sweep_duplicate_line(std::string_view name, std::size_t width, std::uint32_t index, std::size_t bytes,
                                 nanoseconds rtt) {
  std::string line;
  line.reserve(std::max(name.size(), width) + 64);
  append_sweep_duplicate_line(line, name, width, index, bytes, rtt);
  return line;
}

void append_sweep_target_summary_line(std::string& out, std::string_view name, std::size_t width,
                                      std::uint64_t sent, std::uint64_t received, std::optional<RttTriple> rtt) {
  // The numbers go to a stack buffer first so that `out` grows once per line:
  // a sweep of a million targets prints a million of these at its end.
  char text[128];
  char* end = text;
  end = std::copy_n(" : xmt/rcv/%loss = ", 19, end);
  end = write_digits(end, sent);
  *end++ = '/';
  end = write_digits(end, received);
  *end++ = '/';
  end = write_digits(end, fping_loss(sent, received));
  *end++ = '%';
  if (received != 0 && rtt) {
    end = std::copy_n(", min/avg/max = ", 16, end);
    end = write_fping_time(end, rtt->min);
    *end++ = '/';
    end = write_fping_time(end, rtt->avg);
    *end++ = '/';
    end = write_fping_time(end, rtt->max);
  }
  append_padded(out, name, width);
  out.append(text, end);
}

std::string sweep_target_summary_line(std::string_view name, std::size_t width, std::uint64_t sent,
                                      std::uint64_t received, std::optional<RttTriple> rtt) {
  std::string line;
  line.reserve(std::max(name.size(), width) + 80);
  append_sweep_target_summary_line(line, name, width, sent, received, rtt);
  return line;
}

void append_sweep_vcount_line(std::string& out, std::string_view name, std::size_t width,
                              std::span<const nanoseconds> rtts) {
  append_padded(out, name, width);
  out += " :";
  for (const auto rtt : rtts) {
    out += ' ';
    if (rtt == no_rtt) {
      out += '-';
    } else {
      append_fping_time(out, rtt);
    }
  }
}

std::string sweep_vcount_line(std::string_view name, std::size_t width, std::span<const nanoseconds> rtts) {
  std::string line;
  line.reserve(std::max(name.size(), width) + 2 + rtts.size() * 8);
  append_sweep_vcount_line(line, name, width, rtts);
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
