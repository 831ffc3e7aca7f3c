#include "lab/stale_namespaces.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "lab/command.hpp"

namespace icmpkit::lab {
namespace {

std::vector<std::string> namespace_names() {
  std::vector<std::string> names;
  if (DIR* dir = ::opendir("/run/netns")) {
    while (const dirent* entry = ::readdir(dir)) names.emplace_back(entry->d_name);
    ::closedir(dir);
  }
  return names;
}

}  // namespace

std::string process_namespace_prefix(const std::string& tag) { return tag + std::to_string(::getpid()) + "-"; }

std::vector<std::string> namespaces_with_prefix(const std::string& prefix) {
  std::vector<std::string> out;
  for (auto& name : namespace_names()) {
    if (name.rfind(prefix, 0) == 0) out.push_back(std::move(name));
  }
  return out;
}

std::vector<std::string> orphaned_namespaces(const std::string& tag, long min_age_seconds) {
  std::vector<std::string> out;
  const auto now = ::time(nullptr);
  for (auto& name : namespace_names()) {
    if (name.rfind(tag, 0) != 0) continue;
    const auto dash = name.find('-');
    if (dash == std::string::npos || dash == tag.size()) continue;
    const std::string digits = name.substr(tag.size(), dash - tag.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    struct stat info {};
    if (::stat(("/run/netns/" + name).c_str(), &info) != 0) continue;
    if (now - info.st_mtime < min_age_seconds) continue;
    out.push_back(std::move(name));
  }
  return out;
}

int delete_namespaces(const std::vector<std::string>& names) {
  int deleted = 0;
  for (const auto& name : names) {
    if (run_command_unchecked({"ip", "netns", "delete", name}).exit_code == 0) ++deleted;
  }
  return deleted;
}

}  // namespace icmpkit::lab
