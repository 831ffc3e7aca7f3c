#include "lab/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace icmpkit::lab {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

std::string join_command(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    text += arg;
  }
  return text;
}

CommandResult run_command_unchecked(const std::vector<std::string>& argv, std::string_view input,
                                    std::chrono::milliseconds timeout) {
  if (argv.empty()) throw LabError("run_command: empty argv");
  // A command that exits before reading its input must not kill the test
  // process with SIGPIPE; the write then fails with EPIPE instead.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw LabError(errno_text("pipe2"));
  Fd in_read(in_pipe[0]);
  Fd in_write(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw LabError(errno_text("pipe2"));
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);

  // Build argv before fork: the child of a possibly threaded process may
  // only make async-signal-safe calls.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) throw LabError(errno_text("fork"));
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // an ignored signal would survive exec
    ::dup2(in_read.get(), STDIN_FILENO);
    ::dup2(out_write.get(), STDOUT_FILENO);
    ::dup2(out_write.get(), STDERR_FILENO);
    ::execvp(args[0], args.data());
    const char msg[] = "exec failed\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  in_read.reset();
  out_write.reset();
  if (input.empty()) in_write.reset();

  CommandResult result;
  const auto deadline = Clock::now() + timeout;
  std::size_t written = 0;
  bool out_open = true;
  while (out_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {in_write.get(), POLLOUT, 0}};
    const nfds_t count = in_write.get() >= 0 ? 2 : 1;
    const int ready = ::poll(fds, count, static_cast<int>(left));
    if (ready < 0) {
      if (errno == EINTR) continue;
      ::kill(pid, SIGKILL);
      break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[4096];
      const ssize_t n = ::read(out_read.get(), buffer, sizeof buffer);
      if (n > 0) {
        result.output.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        out_open = false;
      }
    }
    if (count == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in_write.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EINTR) written = input.size();
      if (written >= input.size()) in_write.reset();
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

std::string run_command(const std::vector<std::string>& argv, std::string_view input,
                        std::chrono::milliseconds timeout) {
  auto result = run_command_unchecked(argv, input, timeout);
  if (result.timed_out) throw LabError("timed out: " + join_command(argv) + "\n" + result.output);
  if (result.exit_code != 0) {
    throw LabError("failed (exit " + std::to_string(result.exit_code) + ", signal " +
                   std::to_string(result.term_signal) + "): " + join_command(argv) + "\n" + result.output);
  }
  return std::move(result.output);
}

}  // namespace icmpkit::lab
