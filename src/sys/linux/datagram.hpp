// Internal: turning a completed recvmsg (message header + byte count) into a
// ReceivedDatagram, shared by receive() and receive_batch().
#pragma once

#include <sys/socket.h>

#include "icmpkit/result.hpp"
#include "icmpkit/sys/receive.hpp"

namespace icmpkit::sys::linux_detail {

/// `length` is recvmsg's return value; `buffer` the buffer given to it.
Result<ReceivedDatagram> make_datagram(SocketRef socket, const msghdr& message, std::size_t length,
                                       MutableBytes buffer) noexcept;

}  // namespace icmpkit::sys::linux_detail
