// Identity, capabilities, live diagnosis and privilege dropping on Linux.
// Capabilities are read with the capget(2) system call directly (no libcap).
#include "icmpkit/sys/privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "icmpkit/sys/system_calls.hpp"
#include "sys_util.hpp"

namespace icmpkit::sys {
namespace {

using linux_detail::errno_code;

bool has_bit(const __user_cap_data_struct (&data)[2], int capability, std::uint32_t __user_cap_data_struct::*set) {
  return (data[capability / 32].*set & (1u << (capability % 32))) != 0;
}

/// socket() through the seam; returns 0 or the errno.
int try_open(wire::Family family, SocketKind kind) noexcept {
  const int domain = family == wire::Family::v4 ? AF_INET : AF_INET6;
  const int protocol = family == wire::Family::v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  const int type = (kind == SocketKind::dgram ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC;
  const auto& calls = detail::system_calls();
  const int fd = calls.socket(domain, type, protocol);
  if (fd < 0) return errno;
  calls.close(fd);
  return 0;
}

}  // namespace

Identity current_identity() {
  Identity out;
  out.uid = ::getuid();
  out.euid = ::geteuid();
  out.gid = ::getgid();
  out.egid = ::getegid();
  const int count = ::getgroups(0, nullptr);
  if (count > 0) {
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    const int got = ::getgroups(count, groups.data());
    for (int i = 0; i < got; ++i) out.supplementary_groups.push_back(groups[static_cast<std::size_t>(i)]);
  }
  return out;
}

Result<CapabilityState> current_capabilities() noexcept {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return linux_detail::last_error();
  CapabilityState out;
  out.net_raw_effective = has_bit(data, CAP_NET_RAW, &__user_cap_data_struct::effective);
  out.net_raw_permitted = has_bit(data, CAP_NET_RAW, &__user_cap_data_struct::permitted);
  out.net_admin_effective = has_bit(data, CAP_NET_ADMIN, &__user_cap_data_struct::effective);
  out.net_admin_permitted = has_bit(data, CAP_NET_ADMIN, &__user_cap_data_struct::permitted);
  return out;
}

Diagnosis diagnose(wire::Family family, std::string_view program, std::string_view range_path) {
  const Identity identity = current_identity();
  std::optional<PingGroupRange> range;
  if (auto read = read_ping_group_range(range_path)) range = *read;
  std::optional<CapabilityState> capabilities;
  if (auto caps = current_capabilities()) capabilities = *caps;
  const int dgram_errno = try_open(family, SocketKind::dgram);
  const int raw_errno = try_open(family, SocketKind::raw);
  return explain(family, identity, range, capabilities, dgram_errno ? errno_code(dgram_errno) : std::error_code{},
                 raw_errno ? errno_code(raw_errno) : std::error_code{}, program);
}

Result<void> drop_privileges(std::uint32_t uid, std::uint32_t gid) noexcept {
  // Order matters: groups and gid need privilege, so they go before the uid.
  if (::setgroups(0, nullptr) != 0) return linux_detail::last_error();
  if (::setresgid(gid, gid, gid) != 0) return linux_detail::last_error();
  if (::setresuid(uid, uid, uid) != 0) return linux_detail::last_error();
  // Leaving uid 0 clears permitted/effective capabilities unless
  // PR_SET_KEEPCAPS was set; clear them explicitly in any case, and the
  // ambient set, so nothing survives an exec either.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) return linux_detail::last_error();
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);  // EINVAL on old kernels: nothing to clear
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return linux_detail::last_error();
  if (uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) return errc::permission_denied;
  if (gid != 0 && (::setgid(0) == 0 || ::setegid(0) == 0)) return errc::permission_denied;
  return {};
}

}  // namespace icmpkit::sys
