// `icmpkit doctor`: which ICMP socket kinds open for this user, why (not),
// and the command that would fix it. The facts come from sys::diagnose().
#include <memory>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "format_message.hpp"
#include "icmpkit/sys/privileges.hpp"

namespace icmpkit::tools {
namespace {

struct DoctorOptions {
  bool json = false;
  bool v4 = false;
  bool v6 = false;
};

std::string_view kind_name(sys::SocketKind kind) { return kind == sys::SocketKind::raw ? "raw" : "dgram"; }

Json mode_json(const sys::ModeDiagnosis& m) {
  Json j;
  j["kind"] = kind_name(m.kind);
  j["opens"] = m.opened;
  if (m.error) j["error"] = m.error.message();
  j["why"] = m.why;
  j["fixes"] = m.fixes;
  return j;
}

std::string groups_text(const std::vector<std::uint32_t>& groups) {
  std::string out;
  for (auto g : groups) out += (out.empty() ? "" : ",") + std::to_string(g);
  return out.empty() ? "none" : out;
}

Json diagnosis_json(const sys::Diagnosis& d) {
  Json j;
  j["family"] = d.family == wire::Family::v4 ? "ipv4" : "ipv6";
  j["dgram"] = mode_json(d.dgram);
  j["raw"] = mode_json(d.raw);
  const auto automatic = d.automatic_result();
  j["auto"] = automatic ? Json(kind_name(*automatic)) : Json(nullptr);
  return j;
}

void print_mode(const char* label, const sys::ModeDiagnosis& m) {
  fmt::print("  {:<22} {}", label, m.opened ? "opens" : "refused");
  if (m.error) fmt::print(" ({})", m.error.message());
  fmt::print("\n");
  if (!m.why.empty()) fmt::print("    why: {}\n", m.why);
  for (const auto& fix : m.fixes) fmt::print("    fix: {}\n", fix);
}

int run_doctor(const DoctorOptions& o) {
  std::vector<wire::Family> families;
  if (!o.v6) families.push_back(wire::Family::v4);
  if (!o.v4) families.push_back(wire::Family::v6);
  std::vector<sys::Diagnosis> results;
  for (auto family : families) results.push_back(sys::diagnose(family, "icmpkit"));
  bool every_family_works = true;
  for (const auto& d : results) every_family_works = every_family_works && d.automatic_result().has_value();

  const sys::Diagnosis& first = results.front();
  if (o.json) {
    Json j;
    const auto& id = first.identity;
    j["identity"] = {{"uid", id.uid}, {"euid", id.euid}, {"gid", id.gid}, {"egid", id.egid},
                     {"groups", id.all_groups()}};
    if (first.ping_group_range) {
      const auto& r = *first.ping_group_range;
      j["ping_group_range"] = {{"lo", r.lo}, {"hi", r.hi}, {"closed", r.is_closed()}};
    } else {
      j["ping_group_range"] = nullptr;
    }
    if (first.capabilities) {
      const auto& c = *first.capabilities;
      j["capabilities"] = {{"net_raw_effective", c.net_raw_effective},
                           {"net_raw_permitted", c.net_raw_permitted},
                           {"net_admin_effective", c.net_admin_effective},
                           {"net_admin_permitted", c.net_admin_permitted}};
    } else {
      j["capabilities"] = nullptr;
    }
    Json fam = Json::array();
    for (const auto& d : results) fam.push_back(diagnosis_json(d));
    j["families"] = fam;
    j["ok"] = every_family_works;
    fmt::print("{}\n", j.dump(2));
    return every_family_works ? exit_ok : exit_no_reply;
  }

  const auto& id = first.identity;
  fmt::print("identity: uid={} euid={} gid={} egid={} groups={}\n", id.uid, id.euid, id.gid, id.egid,
             groups_text(id.all_groups()));
  if (first.ping_group_range) {
    const auto& r = *first.ping_group_range;
    fmt::print("net.ipv4.ping_group_range: {} {}{}\n", r.lo, r.hi,
               r.is_closed() ? " (closed: no group may open ping sockets)" : "");
  } else {
    fmt::print("net.ipv4.ping_group_range: unreadable\n");
  }
  if (first.capabilities) {
    const auto& c = *first.capabilities;
    fmt::print("CAP_NET_RAW: {}; CAP_NET_ADMIN: {}\n",
               c.net_raw_effective ? "effective" : (c.net_raw_permitted ? "permitted, not effective" : "absent"),
               c.net_admin_effective ? "effective" : (c.net_admin_permitted ? "permitted, not effective" : "absent"));
  } else {
    fmt::print("capabilities: unknown (capget failed)\n");
  }
  for (const auto& d : results) {
    fmt::print("{}:\n", d.family == wire::Family::v4 ? "IPv4 (ICMP)" : "IPv6 (ICMPv6)");
    print_mode("ping socket (dgram):", d.dgram);
    print_mode("raw socket:", d.raw);
    const auto automatic = d.automatic_result();
    fmt::print("  --mode auto uses:      {}\n", automatic ? std::string(kind_name(*automatic)) : "nothing: no socket opens");
  }
  return every_family_works ? exit_ok : exit_no_reply;
}

}  // namespace

Command add_doctor(CLI::App& parent) {
  auto o = std::make_shared<DoctorOptions>();
  auto* app = parent.add_subcommand(
      "doctor", "Say which ICMP socket kinds open for this user (ping_group_range, CAP_NET_RAW) and how to fix it");
  app->add_flag("--json", o->json, "Print JSON");
  auto* v4 = app->add_flag("-4", o->v4, "IPv4 only");
  auto* v6 = app->add_flag("-6", o->v6, "IPv6 only");
  v4->excludes(v6);
  app->footer("Exit status: 0 every family has a socket kind that opens, 1 otherwise.");
  return {app, [o] { return run_doctor(*o); }};
}

}  // namespace icmpkit::tools
