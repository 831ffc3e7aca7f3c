// ICMPv4 code names. Names follow the IANA "ICMP Type Numbers" registry,
// lower-case and hyphenated like type_name(); unreachable names match the
// nftables keywords where nftables has one.
#include <array>

#include "icmpkit/wire/icmpv4.hpp"

namespace icmpkit::wire {
namespace {

template <std::size_t N>
std::string_view lookup(const std::array<std::string_view, N>& names, std::uint8_t code) noexcept {
  return code < N ? names[code] : std::string_view{};
}

constexpr std::array<std::string_view, 16> unreachable_names = {
    "net-unreachable",          "host-unreachable",         "protocol-unreachable",  "port-unreachable",
    "fragmentation-needed",     "source-route-failed",      "net-unknown",           "host-unknown",
    "host-isolated",            "net-prohibited",           "host-prohibited",       "net-unreachable-for-tos",
    "host-unreachable-for-tos", "admin-prohibited",         "host-precedence-violation", "precedence-cutoff",
};

constexpr std::array<std::string_view, 16> traceroute_flags = {
    "!N", "!H", "!P", "", "!F", "!S", "!N", "!H", "!<8>", "!N", "!H", "!N", "!H", "!X", "!V", "!C",
};

constexpr std::array<std::string_view, 4> redirect_names = {"redirect-net", "redirect-host", "redirect-tos-net",
                                                            "redirect-tos-host"};

constexpr std::array<std::string_view, 2> time_exceeded_names = {"ttl-exceeded", "reassembly-time-exceeded"};

constexpr std::array<std::string_view, 3> parameter_problem_names = {"pointer", "missing-option", "bad-length"};

constexpr std::array<std::string_view, 5> extended_echo_reply_names = {
    "no-error", "malformed-query", "no-such-interface", "no-such-table-entry", "multiple-interfaces"};

constexpr std::array<std::string_view, 7> probe_state_names = {"reserved", "incomplete", "reachable", "stale",
                                                               "delay",    "probe",      "failed"};

}  // namespace

std::string_view unreachable_code_name(Icmpv4UnreachableCode code) noexcept {
  return lookup(unreachable_names, static_cast<std::uint8_t>(code));
}

std::string_view unreachable_traceroute_flag(Icmpv4UnreachableCode code) noexcept {
  return lookup(traceroute_flags, static_cast<std::uint8_t>(code));
}

std::string_view redirect_code_name(Icmpv4RedirectCode code) noexcept {
  return lookup(redirect_names, static_cast<std::uint8_t>(code));
}

std::string_view time_exceeded_code_name(Icmpv4TimeExceededCode code) noexcept {
  return lookup(time_exceeded_names, static_cast<std::uint8_t>(code));
}

std::string_view parameter_problem_code_name(Icmpv4ParameterProblemCode code) noexcept {
  return lookup(parameter_problem_names, static_cast<std::uint8_t>(code));
}

std::string_view extended_echo_reply_code_name(ExtendedEchoReplyCode code) noexcept {
  return lookup(extended_echo_reply_names, static_cast<std::uint8_t>(code));
}

std::string_view probe_state_name(ProbeState state) noexcept {
  return lookup(probe_state_names, static_cast<std::uint8_t>(state));
}

std::string_view icmpv4_code_name(std::uint8_t type, std::uint8_t code) noexcept {
  switch (type) {
    case icmpv4_type::destination_unreachable: return lookup(unreachable_names, code);
    case icmpv4_type::redirect: return lookup(redirect_names, code);
    case icmpv4_type::time_exceeded: return lookup(time_exceeded_names, code);
    case icmpv4_type::parameter_problem: return lookup(parameter_problem_names, code);
    case icmpv4_type::extended_echo_reply: return lookup(extended_echo_reply_names, code);
    default: return {};
  }
}

}  // namespace icmpkit::wire
