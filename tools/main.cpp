// icmpkit: ICMP and ICMPv6 from the command line.
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"

namespace icmpkit::tools {

int fail(std::string_view command, int code, std::string_view message) {
  fmt::print(stderr, "icmpkit {}: {}\n", command, message);
  return code;
}

}  // namespace icmpkit::tools

int main(int argc, char** argv) {
  using namespace icmpkit::tools;
  CLI::App app{"icmpkit: build, send, receive and decode ICMP and ICMPv6 messages"};
  app.require_subcommand(1);
  app.footer("Run 'icmpkit <command> --help' for the options of a command.");
  const std::vector<Command> commands = {add_doctor(app), add_send(app), add_listen(app), add_decode(app),
                                         add_ping(app), add_sweep(app), add_trace(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every real parse error is a usage error.
    const int rc = app.exit(e);
    if (rc == 0) return exit_ok;
    for (const auto& command : commands) {
      if (command.app->parsed()) return command.usage_exit;
    }
    return exit_usage;
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) {
      try {
        return command.run();
      } catch (const std::exception& e) {
        return fail(command.app->get_name(), exit_usage, e.what());
      }
    }
  }
  return exit_usage;
}
