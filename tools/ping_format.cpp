#include "ping_format.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace icmpkit::tools {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::nanoseconds;

// "%ld.%03ld" of whole microseconds, as iputils prints the statistics.
std::string micros_text(nanoseconds d) {
  const long long us = duration_cast<microseconds>(d).count();
  return fmt::format("{}.{:03}", us / 1000, us % 1000);
}

double millis(nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string v4_unreachable_text(std::uint8_t code, std::uint32_t info) {
  switch (code) {
    case 0: return "Destination Net Unreachable";
    case 1: return "Destination Host Unreachable";
    case 2: return "Destination Protocol Unreachable";
    case 3: return "Destination Port Unreachable";
    case 4: return fmt::format("Frag needed and DF set (mtu = {})", info);
    case 5: return "Source Route Failed";
    case 6: return "Destination Net Unknown";
    case 7: return "Destination Host Unknown";
    case 8: return "Source Host Isolated";
    case 9: return "Destination Net Prohibited";
    case 10: return "Destination Host Prohibited";
    case 11: return "Destination Net Unreachable for Type of Service";
    case 12: return "Destination Host Unreachable for Type of Service";
    case 13: return "Packet filtered";
    case 14: return "Precedence Violation";
    case 15: return "Precedence Cutoff";
    default: return fmt::format("Dest Unreachable, Bad Code: {}", code);
  }
}

std::string v4_error_text(std::uint8_t type, std::uint8_t code, std::uint32_t info) {
  switch (type) {
    case 3: return v4_unreachable_text(code, info);
    case 4: return "Source Quench";
    case 5:
      switch (code) {
        case 0: return "Redirect Network";
        case 1: return "Redirect Host";
        case 2: return "Redirect Type of Service and Network";
        case 3: return "Redirect Type of Service and Host";
        default: return fmt::format("Redirect, Bad Code: {}", code);
      }
    case 11:
      switch (code) {
        case 0: return "Time to live exceeded";
        case 1: return "Frag reassembly time exceeded";
        default: return fmt::format("Time exceeded, Bad Code: {}", code);
      }
    case 12: return fmt::format("Parameter problem: pointer = {}", info);
    default: return fmt::format("Bad ICMP type: {}", type);
  }
}

std::string v6_error_text(std::uint8_t type, std::uint8_t code, std::uint32_t info) {
  switch (type) {
    case 1: {
      std::string text = "Destination unreachable: ";
      switch (code) {
        case 0: return text + "No route";
        case 1: return text + "Administratively prohibited";
        case 2: return text + "Beyond scope of source address";
        case 3: return text + "Address unreachable";
        case 4: return text + "Port unreachable";
        case 5: return text + "Source address failed ingress/egress policy";
        case 6: return text + "Reject route to destination";
        default: return text + fmt::format("Unknown code {}", code);
      }
    }
    case 2:
      return code == 0 ? fmt::format("Packet too big: mtu={}", info)
                       : fmt::format("Packet too big: mtu={}, code={}", info, code);
    case 3:
      switch (code) {
        case 0: return "Time exceeded: Hop limit";
        case 1: return "Time exceeded: Defragmentation failure";
        default: return fmt::format("Time exceeded: code {}", code);
      }
    case 4: {
      std::string text = "Parameter problem: ";
      switch (code) {
        case 0: text += "Wrong header field "; break;
        case 1: text += "Unknown header "; break;
        case 2: text += "Unknown option "; break;
        default: text += fmt::format("code {} ", code); break;
      }
      return text + fmt::format("at {}", info);
    }
    case 137: return "Redirect";
    default: return fmt::format("Unknown ICMPv6 type: {}", type);
  }
}

}  // namespace

std::string iputils_rtt(nanoseconds rtt) {
  const long long t = duration_cast<microseconds>(rtt).count();
  if (t >= 100000 - 50) return fmt::format("{}", (t + 500) / 1000);
  if (t >= 10000 - 5) return fmt::format("{}.{:01}", (t + 50) / 1000, ((t + 50) % 1000) / 100);
  if (t >= 1000) return fmt::format("{}.{:02}", (t + 5) / 1000, ((t + 5) % 1000) / 10);
  return fmt::format("{}.{:03}", t / 1000, t % 1000);
}

std::string ping_display_name(std::string_view name, const wire::IpAddress& address) {
  const std::string text = address.to_string();
  if (name.empty() || name == text) return text;
  return fmt::format("{} ({})", name, text);
}

std::string ping_header_line(const PingHeader& h) {
  const bool v6 = h.address.is_v6();
  std::string line = v6 ? fmt::format("PING {}({}) ", h.host, h.address.to_string())
                        : fmt::format("PING {} ({}) ", h.host, h.address.to_string());
  if (h.source || !h.interface_name.empty()) {
    line += fmt::format("from {} {}: ", h.source ? h.source->to_string() : std::string(v6 ? "::" : "0.0.0.0"),
                        h.interface_name);
  }
  if (v6) {
    line += fmt::format("{} data bytes", h.payload_size);
  } else {
    line += fmt::format("{}({}) bytes of data.", h.payload_size, h.payload_size + 28);
  }
  return line;
}

std::string ping_timestamp_prefix(std::chrono::system_clock::time_point when) {
  const long long us = duration_cast<microseconds>(when.time_since_epoch()).count();
  return fmt::format("[{}.{:06}] ", us / 1000000, us % 1000000);
}

std::string ping_reply_line(const ReplyLine& r) {
  std::string line = r.timestamp ? ping_timestamp_prefix(*r.timestamp) : std::string();
  line += fmt::format("{} bytes from {}: icmp_seq={}", r.bytes, r.from, r.seq);
  if (r.ttl) line += fmt::format(" ttl={}", *r.ttl);
  if (r.rtt) line += fmt::format(" time={} ms", iputils_rtt(*r.rtt));
  if (r.duplicate) line += " (DUP!)";
  return line;
}

std::string ping_icmp_error_text(wire::Family family, std::uint8_t type, std::uint8_t code, std::uint32_t info) {
  return family == wire::Family::v4 ? v4_error_text(type, code, info) : v6_error_text(type, code, info);
}

std::string ping_error_line(std::string_view from, std::uint32_t seq, std::string_view text,
                            std::optional<std::chrono::system_clock::time_point> timestamp) {
  std::string line = timestamp ? ping_timestamp_prefix(*timestamp) : std::string();
  return line + fmt::format("From {} icmp_seq={} {}", from, seq, text);
}

std::string ping_no_answer_line(std::uint32_t seq, std::optional<std::chrono::system_clock::time_point> timestamp) {
  std::string line = timestamp ? ping_timestamp_prefix(*timestamp) : std::string();
  return line + fmt::format("no answer yet for icmp_seq={}", seq);
}

std::string iputils_loss(std::uint64_t sent, std::uint64_t received) {
  if (sent == 0) return "0";
  const std::uint64_t lost = received > sent ? 0 : sent - received;
  // iputils: printf("%g", (float)(lost * 100.0 / sent)).
  const auto percent = static_cast<float>(static_cast<double>(lost) * 100.0 / static_cast<double>(sent));
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(percent));
  return text;
}

std::vector<std::string> ping_statistics_block(std::string_view host, const engine::PingStatistics& s,
                                               nanoseconds elapsed) {
  std::vector<std::string> lines;
  lines.emplace_back();
  lines.push_back(fmt::format("--- {} ping statistics ---", host));
  std::string counts = fmt::format("{} packets transmitted, {} received", s.sent, s.received);
  if (s.duplicates != 0) counts += fmt::format(", +{} duplicates", s.duplicates);
  if (s.errors != 0) counts += fmt::format(", +{} errors", s.errors);
  if (s.sent != 0) {
    const long long ms = (duration_cast<microseconds>(elapsed).count() + 500) / 1000;
    counts += fmt::format(", {}% packet loss, time {}ms", iputils_loss(s.sent, s.received), ms);
  }
  lines.push_back(std::move(counts));
  if (s.received != 0 && s.rtt.samples != 0) {
    lines.push_back(fmt::format("rtt min/avg/max/mdev = {}/{}/{}/{} ms", micros_text(s.rtt.min),
                                micros_text(s.rtt.avg), micros_text(s.rtt.max), micros_text(s.rtt.mdev)));
  } else {
    lines.emplace_back();  // iputils ends the block with a bare newline
  }
  return lines;
}

int ping_exit_code(const engine::PingStatistics& stats, bool deadline_given, std::uint64_t count) {
  if (stats.received == 0) return 1;
  if (deadline_given && count != 0 && stats.received < count) return 1;
  return 0;
}

PatternParse parse_ping_pattern(std::string_view text) {
  PatternParse out;
  if (text.empty()) {
    out.error = "-p: empty pattern";
    return out;
  }
  if (text.size() > 32) {
    out.error = fmt::format("-p '{}': at most 16 bytes (32 hex digits)", text);
    return out;
  }
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    for (std::size_t j = i; j < i + 2 && j < text.size(); ++j) {
      const char c = text[j];
      unsigned digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<unsigned>(c - 'A' + 10);
      } else {
        out.error = fmt::format("-p '{}': patterns must be specified as hex digits", text);
        out.bytes.clear();
        return out;
      }
      value = value * 16 + digit;
    }
    out.bytes.push_back(static_cast<std::byte>(value));
  }
  return out;
}

std::string ping_pattern_line(const std::vector<std::byte>& bytes) {
  std::string line = "PATTERN: 0x";
  for (std::byte b : bytes) line += fmt::format("{:02x}", static_cast<unsigned>(b));
  return line;
}

std::optional<PmtuMode> parse_pmtu_mode(std::string_view text) {
  if (text == "do") return PmtuMode::do_;
  if (text == "dont") return PmtuMode::dont;
  if (text == "want") return PmtuMode::want;
  return std::nullopt;
}

std::optional<std::uint8_t> parse_tos(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  unsigned value = 0;
  for (char c : text) {
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = value * base + digit;
    if (value > 255) return std::nullopt;
  }
  return static_cast<std::uint8_t>(value);
}

Json ping_reply_json(std::string_view host, const wire::IpAddress& from, std::uint32_t seq, std::size_t bytes,
                     std::optional<unsigned> ttl, std::optional<nanoseconds> rtt, bool duplicate) {
  Json j;
  j["event"] = duplicate ? "duplicate" : "reply";
  j["host"] = std::string(host);
  j["from"] = from.to_string();
  j["seq"] = seq;
  j["bytes"] = bytes;
  if (ttl) j["ttl"] = *ttl;
  if (rtt) j["rtt_ms"] = millis(*rtt);
  return j;
}

Json ping_error_json(std::string_view host, const wire::IpAddress& from, std::uint32_t seq, std::uint8_t type,
                     std::uint8_t code, std::string_view text) {
  Json j;
  j["event"] = "error";
  j["host"] = std::string(host);
  j["from"] = from.to_string();
  j["seq"] = seq;
  j["type"] = type;
  j["code"] = code;
  j["text"] = std::string(text);
  return j;
}

Json ping_timeout_json(std::string_view host, const wire::IpAddress& address, std::uint32_t seq) {
  Json j;
  j["event"] = "timeout";
  j["host"] = std::string(host);
  j["address"] = address.to_string();
  j["seq"] = seq;
  return j;
}

Json ping_summary_json(std::string_view host, const wire::IpAddress& address, const engine::PingStatistics& s,
                       nanoseconds elapsed) {
  Json j;
  j["event"] = "summary";
  j["host"] = std::string(host);
  j["address"] = address.to_string();
  j["transmitted"] = s.sent;
  j["received"] = s.received;
  j["duplicates"] = s.duplicates;
  j["errors"] = s.errors;
  j["loss_percent"] = s.loss_percent();
  j["time_ms"] = millis(elapsed);
  if (s.received != 0) {
    j["rtt_ms"] = {{"min", millis(s.rtt.min)},   {"avg", millis(s.rtt.avg)}, {"max", millis(s.rtt.max)},
                   {"mdev", millis(s.rtt.mdev)}, {"p50", millis(s.rtt.p50)}, {"p90", millis(s.rtt.p90)},
                   {"p99", millis(s.rtt.p99)}};
  }
  return j;
}

}  // namespace icmpkit::tools
