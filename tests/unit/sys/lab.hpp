// A two-namespace lab for real-socket tests (root only). The test process
// moves itself into namespace "a" for the lifetime of the lab and back out
// afterwards; both namespaces are deleted in the destructor (and stale ones
// left by a crashed run of this binary are removed at the next start).
//
//   ns ikD-t<pid>-a: lo, ikDa<pid> 10.77.0.1/24 fd77::1/64,
//                    net.ipv4.ping_group_range = "0 2147483647"
//          | veth
//   ns ikD-t<pid>-b: ikDb<pid> 10.77.0.2/24 fd77::2/64, ICMP rate limits off,
//                    nft: echo requests to 10.77.0.2 -> host unreachable,
//                         echo requests to fd77::2  -> admin prohibited
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

namespace icmpkit::test {

class NamespaceLab {
 public:
  /// Creates the lab and enters namespace a; nullptr (with `why_not`) if it cannot.
  static std::unique_ptr<NamespaceLab> create(std::string& why_not) {
    if (::geteuid() != 0) {
      why_not = "needs root: creates network namespaces";
      return nullptr;
    }
    remove_stale();
    auto lab = std::unique_ptr<NamespaceLab>(new NamespaceLab());
    const std::string a = lab->a_, b = lab->b_, va = lab->va_, vb = lab->vb_;
    const std::string script =
        "set -e\n"
        "ip netns add " + a + "\n"
        "ip netns add " + b + "\n"
        "ip link add " + va + " netns " + a + " type veth peer name " + vb + " netns " + b + "\n"
        "ip -n " + a + " addr add 10.77.0.1/24 dev " + va + "\n"
        "ip -n " + b + " addr add 10.77.0.2/24 dev " + vb + "\n"
        "ip -n " + a + " -6 addr add fd77::1/64 dev " + va + " nodad\n"
        "ip -n " + b + " -6 addr add fd77::2/64 dev " + vb + " nodad\n"
        "ip -n " + a + " link set lo up\n"
        "ip -n " + b + " link set lo up\n"
        "ip -n " + a + " link set " + va + " up\n"
        "ip -n " + b + " link set " + vb + " up\n"
        "ip netns exec " + a + " sysctl -qw net.ipv4.ping_group_range='0 2147483647'\n"
        "ip netns exec " + b + " sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0\n"
        "printf '%s\\n' 'table inet ikd {' ' chain in {' '  type filter hook input priority 0;'"
        " '  ip daddr 10.77.0.2 icmp type echo-request reject with icmp type host-unreachable'"
        " '  ip6 daddr fd77::2 icmpv6 type echo-request reject with icmpv6 type admin-prohibited'"
        " ' }' '}' | ip netns exec " + b + " nft -f -\n";
    if (std::system(("/bin/sh -c " + quote(script) + " >/dev/null 2>&1").c_str()) != 0) {
      why_not = "could not build the namespace lab (ip/nft failed)";
      return nullptr;  // the destructor deletes what was created
    }
    lab->original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = ::open(("/run/netns/" + a).c_str(), O_RDONLY | O_CLOEXEC);
    if (lab->original_ < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      if (target >= 0) ::close(target);
      why_not = "could not enter the lab namespace";
      return nullptr;
    }
    ::close(target);
    lab->entered_ = true;
    return lab;
  }

  ~NamespaceLab() {
    if (entered_) ::setns(original_, CLONE_NEWNET);
    if (original_ >= 0) ::close(original_);
    std::system(("ip netns del " + a_ + " >/dev/null 2>&1; ip netns del " + b_ + " >/dev/null 2>&1").c_str());
  }

  /// True when the calling thread is inside namespace a (guards sysctl writes).
  bool inside_a() const {
    struct stat here{}, lab{};
    return ::stat("/proc/thread-self/ns/net", &here) == 0 && ::stat(("/run/netns/" + a_).c_str(), &lab) == 0 &&
           here.st_ino == lab.st_ino && here.st_dev == lab.st_dev;
  }

  /// Name of namespace a's veth (10.77.0.1 / fd77::1).
  const std::string& interface_a() const { return va_; }

  /// Runs a shell command inside namespace a (the test process is in it).
  bool run_in_a(const std::string& command) const {
    return inside_a() && std::system((command + " >/dev/null 2>&1").c_str()) == 0;
  }

  /// Writes net.ipv4.ping_group_range of namespace a (never the host's).
  bool set_ping_group_range(const char* value) const {
    if (!inside_a()) return false;
    std::ofstream file("/proc/sys/net/ipv4/ping_group_range");
    file << value;
    return static_cast<bool>(file.flush());
  }

 private:
  NamespaceLab()
      : a_("ikD-t" + std::to_string(::getpid()) + "-a"),
        b_("ikD-t" + std::to_string(::getpid()) + "-b"),
        va_("ikDa" + std::to_string(::getpid())),
        vb_("ikDb" + std::to_string(::getpid())) {}

  static std::string quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
      if (c == '\'') out += "'\\''";
      else out += c;
    }
    return out + "'";
  }

  /// Deletes ikD-t<pid>-* namespaces whose creating process is gone.
  static void remove_stale() {
    DIR* dir = ::opendir("/run/netns");
    if (!dir) return;
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name.rfind("ikD-t", 0) != 0) continue;
      const auto dash = name.find('-', 5);
      if (dash == std::string::npos) continue;
      const int pid = std::atoi(name.substr(5, dash - 5).c_str());
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
        std::system(("ip netns del " + name + " >/dev/null 2>&1").c_str());
      }
    }
    ::closedir(dir);
  }

  std::string a_, b_, va_, vb_;
  int original_ = -1;
  bool entered_ = false;
};

}  // namespace icmpkit::test
