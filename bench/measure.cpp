// measure: runs a command and reports what it cost, like /usr/bin/time but
// with the child's own peak RSS (a child forked from a large parent, say a
// Python driver, inherits the parent's high-water mark across exec) and with
// SIGTERM/SIGINT forwarded to the child so a bounded run really ends
// (SIGUSR1 becomes SIGKILL for the child).
//
//   measure OUT_FILE command [args...]
//
// Writes one JSON line to OUT_FILE: wall, user, sys seconds, max_rss_kb and
// the exit code (128 + signal when killed). Exits with the child's code.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace {

volatile sig_atomic_t child_pid = 0;

void forward(int signum) {
  // SIGUSR1 is the driver's "it ignored SIGTERM": kill it for good.
  if (child_pid > 0) kill(child_pid, signum == SIGUSR1 ? SIGKILL : signum);
}

double now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT_FILE command [args...]\n", argv[0]);
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);

  const double start = now();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("measure: fork");
    return 2;
  }
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    execvp(argv[2], argv + 2);
    std::fprintf(stderr, "measure: %s: %s\n", argv[2], std::strerror(errno));
    _exit(127);
  }
  child_pid = pid;
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("measure: wait4");
      return 2;
    }
  }
  const double wall = now() - start;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (FILE* out = std::fopen(argv[1], "w")) {
    std::fprintf(out, "{\"wall\":%.6f,\"user\":%.6f,\"sys\":%.6f,\"max_rss_kb\":%ld,\"rc\":%d}\n", wall,
                 seconds(usage.ru_utime), seconds(usage.ru_stime), usage.ru_maxrss, code);
    std::fclose(out);
  }
  return code;
}
