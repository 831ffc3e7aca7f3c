// File: tests/integration/lab/command.hpp
//
// A small checked command runner for the test lab: runs `ip`, `nft`,
// `ethtool` ... without a shell (argv only, so no quoting surprises), feeds
// optional standard input, captures standard output and error together and
// bounds the run with a timeout (the child is killed by PID if it overruns).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace icmpkit::lab {

/// Raised when the lab cannot be built or a checked command fails.
class LabError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What a command did.
struct CommandResult {
  int exit_code = -1;      ///< Exit status, or -1 when killed by a signal.
  int term_signal = 0;     ///< Signal that ended it (SIGKILL on timeout).
  bool timed_out = false;  ///< Killed because it overran its timeout.
  std::string output;      ///< Standard output and standard error, interleaved.
};

/// "ip -n x link ..." for messages.
std::string join_command(const std::vector<std::string>& argv);

/// Runs argv[0] (looked up in PATH) with `input` on standard input. Never
/// throws for a failing command; throws LabError only if it cannot start.
CommandResult run_command_unchecked(const std::vector<std::string>& argv, std::string_view input = {},
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// As run_command_unchecked, but a non-zero exit, a signal or a timeout is a
/// LabError naming the command and its output. Returns the output.
std::string run_command(const std::vector<std::string>& argv, std::string_view input = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace icmpkit::lab
