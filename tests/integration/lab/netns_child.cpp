#include "lab/netns_child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "lab/command.hpp"

namespace icmpkit::lab {
namespace {

using Clock = std::chrono::steady_clock;

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

struct Caps {
  std::uint64_t effective = 0;
  std::uint64_t permitted = 0;
};

Caps read_caps() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return {~0ULL, ~0ULL};
  Caps caps;
  caps.effective = (std::uint64_t{data[1].effective} << 32) | data[0].effective;
  caps.permitted = (std::uint64_t{data[1].permitted} << 32) | data[0].permitted;
  return caps;
}

// Everything setpriv --reuid=nobody --regid=nogroup --clear-groups
// --no-new-privs does. Order matters: groups and gid while still root, uid last
// (setresuid to non-zero ids clears permitted and effective capabilities
// because SECBIT_KEEP_CAPS is not set).
std::string drop_to_nobody(std::uint32_t uid, std::uint32_t gid) {
  if (::setgroups(0, nullptr) != 0) return std::string("setgroups: ") + std::strerror(errno);
  if (::setresgid(gid, gid, gid) != 0) return std::string("setresgid: ") + std::strerror(errno);
  if (::setresuid(uid, uid, uid) != 0) return std::string("setresuid: ") + std::strerror(errno);
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return std::string("no_new_privs: ") + std::strerror(errno);
  uid_t r = 0, e = 0, s = 0;
  ::getresuid(&r, &e, &s);
  if (r == 0 || e == 0 || s == 0) return "a uid is still 0 after setresuid";
  const Caps caps = read_caps();
  if (caps.effective != 0 || caps.permitted != 0) return "capabilities survived the uid change";
  if (caps.effective & (1ULL << CAP_NET_RAW)) return "CAP_NET_RAW still effective";
  return {};
}

}  // namespace

void ChildReport::send(char tag, const std::string& key, const std::string& value) {
  const std::uint32_t key_size = static_cast<std::uint32_t>(key.size());
  const std::uint32_t value_size = static_cast<std::uint32_t>(value.size());
  std::string record;
  record.reserve(9 + key.size() + value.size());
  record.push_back(tag);
  record.append(reinterpret_cast<const char*>(&key_size), sizeof key_size);
  record.append(key);
  record.append(reinterpret_cast<const char*>(&value_size), sizeof value_size);
  record.append(value);
  write_all(fd_, record.data(), record.size());
}

void ChildReport::set(const std::string& key, const std::string& value) { send('V', key, value); }
void ChildReport::fail(const std::string& why) { send('F', {}, why); }

std::string ChildOutcome::get(const std::string& key) const {
  const auto it = values.find(key);
  return it == values.end() ? std::string() : it->second;
}

std::optional<long long> ChildOutcome::get_int(const std::string& key) const {
  const auto it = values.find(key);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const long long value = std::stoll(it->second, &used, 0);
    if (used != it->second.size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string ChildOutcome::describe() const {
  std::string text = "child ";
  if (timed_out) {
    text += "timed out (killed)";
  } else if (!exited) {
    text += "killed by signal " + std::to_string(term_signal);
  } else {
    text += "exited " + std::to_string(exit_code);
  }
  if (!failure.empty()) text += "; failures:\n" + failure;
  text += "\nvalues:";
  for (const auto& [key, value] : values) text += "\n  " + key + " = " + value;
  return text;
}

std::uint32_t nobody_uid() {
  const passwd* entry = ::getpwnam("nobody");
  return entry != nullptr ? entry->pw_uid : 65534;
}

std::uint32_t nogroup_gid() {
  const group* entry = ::getgrnam("nogroup");
  if (entry == nullptr) entry = ::getgrnam("nobody");
  return entry != nullptr ? entry->gr_gid : 65534;
}

std::uint64_t effective_capabilities() { return read_caps().effective; }
std::uint64_t permitted_capabilities() { return read_caps().permitted; }

ChildOutcome run_in_netns(const std::string& netns, const ChildOptions& options,
                          const std::function<void(ChildReport&)>& body) {
  // Look-ups that may allocate or read files happen before fork.
  const std::uint32_t uid = nobody_uid();
  const std::uint32_t gid = nogroup_gid();
  int netns_fd = -1;
  if (!netns.empty()) {
    const std::string path = "/run/netns/" + netns;
    netns_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) throw LabError("open " + path + ": " + std::strerror(errno));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    if (netns_fd >= 0) ::close(netns_fd);
    throw LabError(std::string("pipe2: ") + std::strerror(errno));
  }

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    if (netns_fd >= 0) ::close(netns_fd);
    throw LabError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    // Die with the parent so a crashed test run leaves no child behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    ChildReport report(pipe_fds[1]);
    if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) {
      report.fail(std::string("setns: ") + std::strerror(errno));
      ::_exit(2);
    }
    if (netns_fd >= 0) ::close(netns_fd);
    if (options.identity == Identity::nobody) {
      const std::string why = drop_to_nobody(uid, gid);
      if (!why.empty()) {
        report.fail("dropping privileges: " + why);
        ::_exit(3);
      }
    }
    try {
      body(report);
    } catch (const std::exception& e) {
      report.fail(std::string("exception: ") + e.what());
    } catch (...) {
      report.fail("unknown exception");
    }
    ::_exit(0);
  }

  ::close(pipe_fds[1]);
  if (netns_fd >= 0) ::close(netns_fd);
  const int read_fd = pipe_fds[0];

  ChildOutcome outcome;
  std::string data;
  const auto deadline = Clock::now() + options.timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      outcome.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{read_fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(read_fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(read_fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    outcome.exited = true;
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.term_signal = WTERMSIG(status);
  }

  std::size_t pos = 0;
  auto read_u32 = [&](std::uint32_t& value) {
    if (data.size() - pos < sizeof value) return false;
    std::memcpy(&value, data.data() + pos, sizeof value);
    pos += sizeof value;
    return true;
  };
  while (pos < data.size()) {
    const char tag = data[pos++];
    std::uint32_t key_size = 0, value_size = 0;
    if (!read_u32(key_size) || data.size() - pos < key_size) break;
    std::string key = data.substr(pos, key_size);
    pos += key_size;
    if (!read_u32(value_size) || data.size() - pos < value_size) break;
    std::string value = data.substr(pos, value_size);
    pos += value_size;
    if (tag == 'F') {
      if (!outcome.failure.empty()) outcome.failure += '\n';
      outcome.failure += value;
    } else {
      outcome.values[key] = std::move(value);
    }
  }
  if (pos < data.size() && outcome.failure.empty()) outcome.failure = "truncated report from child";
  // ICMPKIT_LAB_VERBOSE=1 prints every child's account (CI logs, debugging).
  if (const char* verbose = std::getenv("ICMPKIT_LAB_VERBOSE"); verbose != nullptr && *verbose != '\0' && *verbose != '0') {
    std::fprintf(stderr, "[lab] in netns '%s': %s\n", netns.c_str(), outcome.describe().c_str());
  }
  return outcome;
}

}  // namespace icmpkit::lab
