#include "lab/netns_sysctl.hpp"

#include <fstream>
#include <sstream>

#include "lab/command.hpp"
#include "lab/netns_child.hpp"

namespace icmpkit::lab {
namespace {

std::string sysctl_path(const std::string& dotted) {
  std::string path = "/proc/sys/";
  for (const char c : dotted) path += c == '.' ? '/' : c;
  return path;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) text.pop_back();
  return text;
}

}  // namespace

void write_netns_sysctls(const std::string& netns, const Sysctls& values) {
  if (values.empty()) return;
  const auto outcome = run_in_netns(netns, {}, [&](ChildReport& report) {
    for (const auto& [name, value] : values) {
      std::ofstream file(sysctl_path(name));
      file << value << '\n';
      file.flush();
      if (!file) report.fail("cannot write " + name + " = " + value);
    }
  });
  if (!outcome.ok()) throw LabError("sysctl in " + netns + ": " + outcome.describe());
}

std::string read_netns_sysctl(const std::string& netns, const std::string& name) {
  const auto outcome = run_in_netns(netns, {}, [&](ChildReport& report) {
    std::ifstream file(sysctl_path(name));
    std::stringstream text;
    text << file.rdbuf();
    if (!file) report.fail("cannot read " + name);
    report.set("value", trim(text.str()));
  });
  if (!outcome.ok()) throw LabError("sysctl in " + netns + ": " + outcome.describe());
  return outcome.get("value");
}

}  // namespace icmpkit::lab
