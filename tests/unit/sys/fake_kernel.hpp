// A scripted stand-in for the kernel behind sys::detail::SystemCalls: tests
// queue the errno each call should fail with (or 0 = succeed) and inspect
// what was called. Plain function pointers, so state is global; every test
// makes a FakeKernel, which resets it and installs itself for its lifetime.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <vector>

#include "icmpkit/sys/system_calls.hpp"

namespace icmpkit::test {

struct SocketCall {
  int domain, type, protocol;
};
struct OptionCall {
  int fd, level, name;
  std::vector<unsigned char> value;
};

struct FakeKernelState {
  std::deque<int> socket_errors;   // front: errno for the next socket() (0 = succeed)
  std::deque<int> sendto_errors;   // front: errno for the next sendto() (0 = succeed)
  std::deque<int> recvmsg_errors;  // front: errno for the next recvmsg() (0 = use on_recvmsg)
  std::deque<int> setsockopt_errors;
  int next_fd = 100;
  std::vector<SocketCall> socket_calls;
  std::vector<OptionCall> option_calls;
  std::vector<int> closed;
  int sendto_calls = 0;
  int sendmmsg_calls = 0;  // each sends every message it is given
  int recvmsg_calls = 0;
  int last_recvmsg_flags = 0;
  /// Fills the msghdr like the kernel would; returns the byte count.
  std::function<std::ptrdiff_t(msghdr&)> on_recvmsg;
};

inline FakeKernelState& fake_state() {
  static FakeKernelState state;
  return state;
}

inline int pop_errno(std::deque<int>& queue) {
  if (queue.empty()) return 0;
  const int e = queue.front();
  queue.pop_front();
  return e;
}

inline sys::detail::SystemCalls fake_calls() {
  sys::detail::SystemCalls calls = sys::detail::real_system_calls();
  calls.socket = [](int domain, int type, int protocol) -> int {
    auto& s = fake_state();
    s.socket_calls.push_back({domain, type, protocol});
    if (int e = pop_errno(s.socket_errors)) {
      errno = e;
      return -1;
    }
    return s.next_fd++;
  };
  calls.close = [](int fd) -> int {
    fake_state().closed.push_back(fd);
    return 0;
  };
  calls.setsockopt = [](int fd, int level, int name, const void* value, std::uint32_t length) -> int {
    auto& s = fake_state();
    const auto* bytes = static_cast<const unsigned char*>(value);
    s.option_calls.push_back({fd, level, name, std::vector<unsigned char>(bytes, bytes + length)});
    if (int e = pop_errno(s.setsockopt_errors)) {
      errno = e;
      return -1;
    }
    return 0;
  };
  calls.getsockopt = [](int, int, int, void* value, std::uint32_t* length) -> int {
    std::memset(value, 0, *length);
    return 0;
  };
  calls.sendto = [](int, const void*, std::size_t size, int, const void*, std::uint32_t) -> std::ptrdiff_t {
    auto& s = fake_state();
    ++s.sendto_calls;
    if (int e = pop_errno(s.sendto_errors)) {
      errno = e;
      return -1;
    }
    return static_cast<std::ptrdiff_t>(size);
  };
  calls.sendmmsg = [](int, void* messages, unsigned count, int) -> int {
    ++fake_state().sendmmsg_calls;
    auto* m = static_cast<mmsghdr*>(messages);
    for (unsigned i = 0; i < count; ++i) m[i].msg_len = static_cast<unsigned>(m[i].msg_hdr.msg_iov[0].iov_len);
    return static_cast<int>(count);
  };
  calls.recvmsg = [](int, void* message, int flags) -> std::ptrdiff_t {
    auto& s = fake_state();
    ++s.recvmsg_calls;
    s.last_recvmsg_flags = flags;
    if (int e = pop_errno(s.recvmsg_errors)) {
      errno = e;
      return -1;
    }
    if (!s.on_recvmsg) {
      errno = EAGAIN;
      return -1;
    }
    return s.on_recvmsg(*static_cast<msghdr*>(message));
  };
  return calls;
}

class FakeKernel {
 public:
  FakeKernel() : scope_((fake_state() = FakeKernelState{}, fake_calls())) {}
  FakeKernelState& operator*() { return fake_state(); }
  FakeKernelState* operator->() { return &fake_state(); }

 private:
  sys::detail::ScopedSystemCalls scope_;
};

}  // namespace icmpkit::test
