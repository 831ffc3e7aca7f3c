// traceroute(8)'s output, reproduced from its print_probe()/print_end():
// "%2d " for the TTL, " name (addr)" or " addr" whenever the responder
// differs from the previous probe's, "  %.3f ms" per answer, " *" per silent
// probe, " !X" after a flagged answer.
#include "trace_format.hpp"

#include <fmt/format.h>

#include <chrono>

namespace icmpkit::tools {
namespace {

double to_ms(std::chrono::nanoseconds ns) { return std::chrono::duration<double, std::milli>(ns).count(); }

bool answered(const engine::ProbeResult& p) {
  return p.reason != engine::ProbeReason::timeout && p.reason != engine::ProbeReason::pending &&
         p.reason != engine::ProbeReason::send_failed && p.responder.has_value();
}

std::string address_text(const wire::IpAddress& address, const TraceFormat& format) {
  const std::string numeric = address.to_string();
  if (!format.name_of) return " " + numeric;
  const std::string name = format.name_of(address);
  return fmt::format(" {} ({})", name.empty() ? numeric : name, numeric);
}

}  // namespace

std::string format_trace_header(const std::string& host, const wire::IpAddress& address, unsigned max_ttl,
                                std::size_t packet_size) {
  return fmt::format("traceroute to {} ({}), {} hops max, {} byte packets", host, address.to_string(), max_ttl,
                     packet_size);
}

std::string format_extensions(const engine::ProbeResult& probe) {
  if (probe.mpls.empty()) return {};
  std::string out = " <MPLS:";
  bool first = true;
  for (const auto& entry : probe.mpls) {
    if (!first) out += '/';
    first = false;
    out += fmt::format("L={},E={},S={},T={}", entry.label, entry.traffic_class, entry.bottom_of_stack ? 1 : 0,
                       entry.ttl);
  }
  out += '>';
  return out;
}

std::string format_hop(const engine::HopResult& hop, const TraceFormat& format,
                       std::optional<std::uint32_t>* last_mtu) {
  std::string line = fmt::format("{:2d} ", hop.ttl.value());
  if (format.multipath) {
    if (hop.interfaces.empty()) return line + " *";
    for (const auto& address : hop.interfaces) line += address_text(address, format);
    return line;
  }
  std::optional<wire::IpAddress> previous;
  for (const auto& probe : hop.probes) {
    if (!answered(probe)) {
      line += probe.reason == engine::ProbeReason::send_failed && !probe.flag.empty() ? " " + probe.flag : " *";
      continue;
    }
    if (!previous || *previous != *probe.responder) {
      line += address_text(*probe.responder, format);
      if (format.show_extensions) line += format_extensions(probe);
      previous = probe.responder;
      if (format.show_mtu && last_mtu != nullptr && hop.mtu && *last_mtu != hop.mtu) {
        line += fmt::format(" F={}", *hop.mtu);
        *last_mtu = hop.mtu;
      }
    }
    line += fmt::format("  {:.3f} ms", to_ms(probe.rtt));
    if (!probe.flag.empty()) line += " " + probe.flag;
  }
  return line;
}

const char* stop_name(engine::StopReason stop) noexcept {
  switch (stop) {
    case engine::StopReason::destination_reached:
      return "destination-reached";
    case engine::StopReason::unreachable:
      return "unreachable";
    case engine::StopReason::max_ttl:
      return "max-ttl";
    case engine::StopReason::gap_limit:
      return "gap-limit";
    case engine::StopReason::cancelled:
      return "cancelled";
  }
  return "unknown";
}

nlohmann::json trace_to_json(const std::string& host, const engine::TraceResult& result) {
  nlohmann::json hops = nlohmann::json::array();
  for (const auto& hop : result.hops) {
    nlohmann::json probes = nlohmann::json::array();
    for (const auto& p : hop.probes) {
      nlohmann::json probe{{"ttl", p.ttl.value()}, {"reason", engine::reason_name(p.reason)}};
      if (p.responder) probe["responder"] = p.responder->to_string();
      if (answered(p)) probe["rtt_ms"] = to_ms(p.rtt);
      if (p.flow != 0) probe["flow"] = p.flow;
      if (!p.flag.empty()) probe["flag"] = p.flag;
      if (p.icmp) {
        probe["icmp_type"] = p.icmp_type;
        probe["icmp_code"] = p.icmp_code;
      }
      if (p.reply_ttl) probe["reply_ttl"] = p.reply_ttl->value();
      if (p.mtu) probe["mtu"] = *p.mtu;
      if (!p.mpls.empty()) {
        nlohmann::json labels = nlohmann::json::array();
        for (const auto& e : p.mpls) {
          labels.push_back({{"label", e.label}, {"tc", e.traffic_class}, {"s", e.bottom_of_stack}, {"ttl", e.ttl}});
        }
        probe["mpls"] = labels;
      }
      if (p.send_error) probe["send_error"] = p.send_error.message();
      probes.push_back(std::move(probe));
    }
    nlohmann::json h{{"ttl", hop.ttl.value()}, {"reason", engine::reason_name(hop.reason)}, {"probes", probes}};
    nlohmann::json interfaces = nlohmann::json::array();
    for (const auto& a : hop.interfaces) interfaces.push_back(a.to_string());
    h["interfaces"] = interfaces;
    if (!hop.links.empty()) {
      nlohmann::json links = nlohmann::json::array();
      for (const auto& l : hop.links) links.push_back({{"from", l.from.to_string()}, {"to", l.to.to_string()}});
      h["links"] = links;
    }
    if (hop.mtu) h["mtu"] = *hop.mtu;
    hops.push_back(std::move(h));
  }
  nlohmann::json out{{"host", host},
                     {"destination", result.destination.to_string()},
                     {"stop", stop_name(result.stop)},
                     {"probes_sent", result.probes_sent},
                     {"hops", hops}};
  if (result.path_mtu) out["path_mtu"] = *result.path_mtu;
  return out;
}

}  // namespace icmpkit::tools
