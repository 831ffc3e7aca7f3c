// File: tests/integration/lab/require_lab.hpp
//
// ICMPKIT_REQUIRE_LAB(): skips the current GoogleTest test, with a reason,
// when this process cannot build network namespaces (not root, or root
// without CAP_SYS_ADMIN / CAP_NET_ADMIN as in an unprivileged container).
// CTest reports such tests as skipped (SKIP_REGULAR_EXPRESSION).
#pragma once

#include <linux/capability.h>
#include <unistd.h>

#include "lab/netns_child.hpp"

namespace icmpkit::lab {

/// True when namespaces can be created and configured here.
inline bool can_build_labs() {
  const std::uint64_t caps = effective_capabilities();
  return ::geteuid() == 0 && (caps & (1ULL << CAP_SYS_ADMIN)) != 0 && (caps & (1ULL << CAP_NET_ADMIN)) != 0;
}

}  // namespace icmpkit::lab

#define ICMPKIT_REQUIRE_LAB()                                                                   \
  if (!::icmpkit::lab::can_build_labs())                                                        \
  GTEST_SKIP() << "needs root to build network namespaces (euid 0 with CAP_SYS_ADMIN and "      \
                  "CAP_NET_ADMIN)"
