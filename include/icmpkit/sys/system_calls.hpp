// File: icmpkit/sys/system_calls.hpp
//
// The seam between sys/ and the kernel (fmt's FMT_SYSTEM idea): every socket
// system call sys/ makes goes through this table, so unit tests can inject
// EACCES, EPERM, EAGAIN, EINTR ... without privileges or a network. The
// signatures mirror the POSIX calls with OS structures passed as void* so
// this header includes no OS header. A hook reports failure like the real
// call: return -1 and set errno.
//
// Not for production use; not thread-safe to swap while sockets are in use.
#pragma once

#include <cstddef>
#include <cstdint>

namespace icmpkit::sys::detail {

struct SystemCalls {
  int (*socket)(int domain, int type, int protocol);
  int (*close)(int fd);
  int (*setsockopt)(int fd, int level, int name, const void* value, std::uint32_t length);
  int (*getsockopt)(int fd, int level, int name, void* value, std::uint32_t* length);
  int (*bind)(int fd, const void* address, std::uint32_t length);
  int (*getsockname)(int fd, void* address, std::uint32_t* length);
  std::ptrdiff_t (*sendto)(int fd, const void* data, std::size_t size, int flags,
                           const void* address, std::uint32_t length);
  /// `message` is a struct msghdr*.
  std::ptrdiff_t (*recvmsg)(int fd, void* message, int flags);
  /// `messages` is a struct mmsghdr*.
  int (*sendmmsg)(int fd, void* messages, unsigned count, int flags);
  /// `messages` is a struct mmsghdr*, `timeout` a struct timespec* (may be null).
  int (*recvmmsg)(int fd, void* messages, unsigned count, int flags, void* timeout);
  /// fcntl with an int argument (F_GETFL / F_SETFL).
  int (*fcntl)(int fd, int command, int argument);
};

/// The table in use (the real calls unless a test replaced it).
const SystemCalls& system_calls() noexcept;

/// The real system calls.
const SystemCalls& real_system_calls() noexcept;

/// Replaces the table; returns the previous one.
SystemCalls exchange_system_calls(const SystemCalls& calls) noexcept;

/// Installs `calls` for the lifetime of the object (tests).
class ScopedSystemCalls {
 public:
  explicit ScopedSystemCalls(const SystemCalls& calls) noexcept : previous_(exchange_system_calls(calls)) {}
  ~ScopedSystemCalls() { exchange_system_calls(previous_); }
  ScopedSystemCalls(const ScopedSystemCalls&) = delete;
  ScopedSystemCalls& operator=(const ScopedSystemCalls&) = delete;

 private:
  SystemCalls previous_;
};

}  // namespace icmpkit::sys::detail
