// Signal names as SSH "signal" and "exit-signal" requests spell them (RFC 4254 6.9/6.10,
// without the "SIG" prefix).
#include <csignal>
#include <string>
#include <utility>

#include "transport/child_process.hpp"

namespace tp::transport {

namespace {

const std::pair<int, const char*> k_signals[] = {
    {SIGABRT, "ABRT"}, {SIGALRM, "ALRM"},   {SIGFPE, "FPE"},       {SIGHUP, "HUP"},
    {SIGILL, "ILL"},   {SIGINT, "INT"},     {SIGKILL, "KILL"},     {SIGPIPE, "PIPE"},
    {SIGQUIT, "QUIT"}, {SIGSEGV, "SEGV"},   {SIGTERM, "TERM"},     {SIGUSR1, "USR1"},
    {SIGUSR2, "USR2"}, {SIGBUS, "BUS"},     {SIGCHLD, "CHLD"},     {SIGCONT, "CONT"},
    {SIGSTOP, "STOP"}, {SIGTSTP, "TSTP"},   {SIGTTIN, "TTIN"},     {SIGTTOU, "TTOU"},
    {SIGTRAP, "TRAP"}, {SIGSYS, "SYS"},     {SIGXCPU, "XCPU"},     {SIGXFSZ, "XFSZ"},
    {SIGPROF, "PROF"}, {SIGWINCH, "WINCH"}, {SIGVTALRM, "VTALRM"}, {SIGURG, "URG"},
    {SIGIO, "IO"},     {SIGPWR, "PWR"},
};

}  // namespace

std::string signal_name(int sig) {
  for (const auto& [n, name] : k_signals)
    if (n == sig) return name;
  return {};
}

int signal_from_name(const std::string& name) {
  for (const auto& [n, s] : k_signals)
    if (name == s) return n;
  return 0;
}

}  // namespace tp::transport
