// The real system calls behind the sys/ seam. Each entry is a thin shim so
// the table's void* signatures (which keep OS types out of the public
// header) map onto the real prototypes.
#include "icmpkit/sys/system_calls.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace icmpkit::sys::detail {
namespace {

int real_socket(int domain, int type, int protocol) { return ::socket(domain, type, protocol); }
int real_close(int fd) { return ::close(fd); }
int real_setsockopt(int fd, int level, int name, const void* value, std::uint32_t length) {
  return ::setsockopt(fd, level, name, value, length);
}
int real_getsockopt(int fd, int level, int name, void* value, std::uint32_t* length) {
  socklen_t len = *length;
  const int rc = ::getsockopt(fd, level, name, value, &len);
  *length = len;
  return rc;
}
int real_bind(int fd, const void* address, std::uint32_t length) {
  return ::bind(fd, static_cast<const sockaddr*>(address), length);
}
int real_getsockname(int fd, void* address, std::uint32_t* length) {
  socklen_t len = *length;
  const int rc = ::getsockname(fd, static_cast<sockaddr*>(address), &len);
  *length = len;
  return rc;
}
std::ptrdiff_t real_sendto(int fd, const void* data, std::size_t size, int flags, const void* address,
                           std::uint32_t length) {
  return ::sendto(fd, data, size, flags, static_cast<const sockaddr*>(address), length);
}
std::ptrdiff_t real_recvmsg(int fd, void* message, int flags) {
  return ::recvmsg(fd, static_cast<msghdr*>(message), flags);
}
int real_sendmmsg(int fd, void* messages, unsigned count, int flags) {
  return ::sendmmsg(fd, static_cast<mmsghdr*>(messages), count, flags);
}
int real_recvmmsg(int fd, void* messages, unsigned count, int flags, void* timeout) {
  return ::recvmmsg(fd, static_cast<mmsghdr*>(messages), count, flags, static_cast<timespec*>(timeout));
}
int real_fcntl(int fd, int command, int argument) { return ::fcntl(fd, command, argument); }

constexpr SystemCalls real_table{
    real_socket,  real_close,   real_setsockopt, real_getsockopt, real_bind,  real_getsockname,
    real_sendto,  real_recvmsg, real_sendmmsg,   real_recvmmsg,   real_fcntl,
};

SystemCalls current_table = real_table;

}  // namespace

const SystemCalls& system_calls() noexcept { return current_table; }
const SystemCalls& real_system_calls() noexcept { return real_table; }

SystemCalls exchange_system_calls(const SystemCalls& calls) noexcept {
  const SystemCalls previous = current_table;
  current_table = calls;
  return previous;
}

}  // namespace icmpkit::sys::detail
