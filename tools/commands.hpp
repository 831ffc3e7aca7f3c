// The subcommands of `icmpkit`: each file adds one CLI11 subcommand and
// returns the function that runs it once the command line has been parsed.
#pragma once

#include <functional>
#include <string_view>

#include <CLI/CLI.hpp>

namespace icmpkit::tools {

/// Exit codes shared by every subcommand.
inline constexpr int exit_ok = 0;
inline constexpr int exit_no_reply = 1;  ///< Also: input decoded but malformed.
inline constexpr int exit_usage = 2;     ///< Bad flags or input, or no socket could be opened.

/// A registered subcommand: the CLI11 node and what runs it.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
  int usage_exit = exit_usage;  ///< Exit code for a flag parse error (sweep: fping's 3).
};

Command add_doctor(CLI::App& parent);
Command add_send(CLI::App& parent);
Command add_listen(CLI::App& parent);
Command add_decode(CLI::App& parent);
Command add_ping(CLI::App& parent);
Command add_sweep(CLI::App& parent);
Command add_trace(CLI::App& parent);

/// Prints "icmpkit <command>: <message>" to stderr and returns `code`.
int fail(std::string_view command, int code, std::string_view message);

}  // namespace icmpkit::tools
