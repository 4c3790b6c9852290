#include "etcd_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace tp::test {
namespace {

using clock_type = std::chrono::steady_clock;

constexpr auto ready_timeout = std::chrono::seconds(15);
constexpr int stop_wait_ms = 5000;
constexpr int tool_wait_ms = 30000;
// etcd 3.4 logs the first with its default capnslog logger, the second with zap
// (which we use); both come once the client listener serves, gateway included.
constexpr const char* ready_markers[] = {"ready to serve client requests",
                                         "serving client traffic"};

// Extensions of every certificate, from our own file so the system openssl.cnf
// cannot add or contradict any.
constexpr const char* openssl_cnf = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = tp-test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
# clientAuth too: etcd's gRPC gateway dials its own server with this certificate.
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
)";

std::string find_program(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::stringstream path(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
  for (std::string d; std::getline(path, d, ':');) {
    const std::string p = (d.empty() ? "." : d) + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

std::string read_from(const std::string& path, long offset) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  f.seekg(offset);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

long file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : 0;
}

// Last lines of `text`, at most ~4 KB, for failure messages.
std::string tail_of(const std::string& text) {
  constexpr std::size_t max_chars = 4000;
  std::size_t from = text.size() > max_chars ? text.size() - max_chars : 0;
  if (from > 0) {
    const auto nl = text.find('\n', from);
    if (nl != std::string::npos) from = nl + 1;
  }
  return text.substr(from);
}

// Reaps `pid` within `wait_ms`; true once it is gone (ECHILD counts: a SIGCHLD
// of SIG_IGN in the test binary reaps children for us).
bool reap(pid_t pid, int wait_ms, int* status = nullptr) {
  const auto deadline = clock_type::now() + std::chrono::milliseconds(wait_ms);
  while (true) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      if (status) *status = r == pid ? st : 0;
      return true;
    }
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// fork+exec in its own process group, stdin from /dev/null, stdout and stderr
// appended to `log_path`, no other fds inherited. Returns the pid or -1.
pid_t spawn_child(const std::vector<std::string>& argv, const std::string& log_path,
                  const std::string& cwd) {
  // Everything the child needs is prepared before fork: after it only
  // async-signal-safe calls are allowed (the test binary may be threaded).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A clean environment: no ETCD_* variable of the caller can shadow our flags.
  char env_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  char env_lang[] = "LANG=C";
  char* envp[] = {env_path, env_lang, nullptr};
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return -1;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, 0);
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(args[0], args.data(), envp);
    ::_exit(127);
  }
  if (pid > 0) ::setpgid(pid, pid);  // also from here: no window where a signal misses the group
  ::close(log_fd);
  ::close(null_fd);
  return pid;
}

// Runs a short tool (openssl) to completion, bounded in time.
bool run_tool(const std::vector<std::string>& argv, const std::string& log_path,
              const std::string& cwd, std::string& why) {
  const pid_t pid = spawn_child(argv, log_path, cwd);
  if (pid < 0) {
    why = "cannot start " + argv[0];
    return false;
  }
  int status = 0;
  if (!reap(pid, tool_wait_ms, &status)) {
    ::kill(-pid, SIGKILL);
    reap(pid, stop_wait_ms);
    why = argv[0] + " timed out";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += " " + a;
    why = "failed:" + cmd + "\n" + tail_of(read_from(log_path, 0));
    return false;
  }
  return true;
}

// Two distinct free loopback ports: both sockets are held until both are read,
// then closed (etcd binds them right after; the race is accepted).
bool free_ports(int& a, int& b) {
  int fds[2] = {-1, -1};
  int ports[2] = {0, 0};
  bool ok = true;
  for (int i = 0; i < 2 && ok; ++i) {
    fds[i] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ok = fds[i] >= 0 && ::bind(fds[i], reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
         ::getsockname(fds[i], reinterpret_cast<sockaddr*>(&sa), &len) == 0;
    if (ok) ports[i] = ntohs(sa.sin_port);
  }
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  a = ports[0];
  b = ports[1];
  return ok;
}

bool tcp_connects(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::unique_ptr<etcd_process> etcd_process::start(std::string& why) {
  std::unique_ptr<etcd_process> p(new etcd_process());
  p->etcd_bin_ = find_program("etcd");
  p->openssl_bin_ = find_program("openssl");
  if (p->etcd_bin_.empty()) {
    why = "etcd is not installed (no etcd on PATH; Debian: apt-get install etcd-server)";
    return nullptr;
  }
  if (p->openssl_bin_.empty()) {
    why = "openssl is not installed";
    return nullptr;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/tp-etcd-XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    why = "mkdtemp " + tmpl + ": " + std::strerror(errno);
    return nullptr;
  }
  p->dir_ = tmpl;
  ::chmod(p->dir_.c_str(), 0700);
  if (!free_ports(p->client_port_, p->peer_port_)) {
    why = "no free loopback port";
    return nullptr;
  }
  if (!p->make_certs(why)) return nullptr;

  const std::string client_url = p->url();
  const std::string peer_url = "http://127.0.0.1:" + std::to_string(p->peer_port_);
  p->argv_ = {
      p->etcd_bin_,
      "--name=tp-test",
      "--data-dir=" + p->dir_ + "/data",
      "--listen-client-urls=" + client_url,
      "--advertise-client-urls=" + client_url,
      "--listen-peer-urls=" + peer_url,
      "--initial-advertise-peer-urls=" + peer_url,
      "--initial-cluster=tp-test=" + peer_url,
      "--initial-cluster-state=new",
      "--initial-cluster-token=tp-test",
      "--cert-file=" + p->server_.cert,
      "--key-file=" + p->server_.key,
      "--trusted-ca-file=" + p->server_.ca,
      "--client-cert-auth",
      // Single member, so no election can be lost: short raft ticks only
      // make the first (and each restart's) self-election quick.
      "--heartbeat-interval=10",
      "--election-timeout=100",
      "--logger=zap",
      "--log-outputs=stderr",
  };
  if (!p->spawn(why) || !p->wait_ready(why)) return nullptr;  // destructor cleans up
  return p;
}

etcd_process::~etcd_process() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string etcd_process::url() const {
  return "https://127.0.0.1:" + std::to_string(client_port_);
}

bool etcd_process::make_certs(std::string& why) {
  const std::string cnf = dir_ + "/openssl.cnf";
  const std::string log = dir_ + "/openssl.log";
  {
    std::ofstream f(cnf);
    f << openssl_cnf;
    if (!f) {
      why = "cannot write " + cnf;
      return false;
    }
  }
  std::mt19937_64 rng(std::random_device{}());
  auto path = [&](const std::string& name) { return dir_ + "/" + name; };
  // A new EC P-256 key (fast to make; Go's TLS supports it) and either its
  // signing request or a self-signed CA certificate.
  auto new_key = [&](const std::string& name, const std::string& cn, bool self_signed) {
    std::vector<std::string> a = {openssl_bin_, "req", "-config", cnf, "-new", "-nodes"};
    a.insert(a.end(), {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
    a.insert(a.end(), {"-keyout", path(name + ".key"), "-subj", "/CN=" + cn});
    if (self_signed) {
      a.insert(a.end(),
               {"-x509", "-days", "3", "-extensions", "ca_ext", "-out", path(name + ".pem")});
    } else {
      a.insert(a.end(), {"-out", path(name + ".csr")});
    }
    return run_tool(a, log, dir_, why);
  };
  auto sign = [&](const std::string& name, const std::string& ca, const std::string& ext) {
    return run_tool(
        {openssl_bin_, "x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"),
         "-CAkey", path(ca + ".key"), "-set_serial", std::to_string(rng() >> 2), "-days", "2",
         "-extfile", cnf, "-extensions", ext, "-out", path(name + ".pem")},
        log, dir_, why);
  };
  const bool ok =
      new_key("ca", "tp-test-etcd-ca", true) && new_key("foreign-ca", "tp-test-foreign-ca", true) &&
      new_key("server", "tp-test-etcd", false) && sign("server", "ca", "server_ext") &&
      new_key("client", "teleport", false) && sign("client", "ca", "client_ext") &&
      new_key("foreign", "teleport", false) && sign("foreign", "foreign-ca", "client_ext");
  if (!ok) return false;
  server_ = {path("ca.pem"), path("server.pem"), path("server.key")};
  client_ = {path("ca.pem"), path("client.pem"), path("client.key")};
  foreign_ = {path("ca.pem"), path("foreign.pem"), path("foreign.key")};
  return true;
}

bool etcd_process::spawn(std::string& why) {
  const std::string log = dir_ + "/etcd.log";
  log_offset_ = file_size(log);
  pid_ = spawn_child(argv_, log, dir_);
  if (pid_ < 0) {
    pid_ = 0;
    why = "cannot start " + etcd_bin_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool etcd_process::wait_ready(std::string& why) {
  const std::string log = dir_ + "/etcd.log";
  const auto deadline = clock_type::now() + ready_timeout;
  bool logged = false;
  while (clock_type::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = 0;
      const std::string how = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                  : "code " + std::to_string(WEXITSTATUS(status));
      why = "etcd exited during start-up (" + how + "); log:\n" + log_tail();
      return false;
    }
    if (!logged) {
      const std::string text = read_from(log, log_offset_);
      for (const char* m : ready_markers) logged = logged || text.find(m) != std::string::npos;
    }
    // The probe shows up as a harmless "rejected connection ... EOF" in the log.
    if (logged && tcp_connects(client_port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill9();
  why = "etcd did not become ready within 15 s; log:\n" + log_tail();
  return false;
}

void etcd_process::signal_and_reap(int sig, int wait_ms) {
  if (pid_ <= 0) return;
  // The group too (our child leads it); safe while the pid is not yet reaped.
  ::kill(-pid_, sig);
  ::kill(pid_, sig);
  if (reap(pid_, wait_ms)) pid_ = 0;
}

void etcd_process::stop() {
  signal_and_reap(SIGTERM, stop_wait_ms);
  signal_and_reap(SIGKILL, stop_wait_ms);
  pid_ = 0;  // idempotent even if a SIGKILLed child never got reaped
}

void etcd_process::kill9() {
  signal_and_reap(SIGKILL, stop_wait_ms);
  pid_ = 0;
}

bool etcd_process::restart(std::string& why) {
  stop();
  return spawn(why) && wait_ready(why);
}

std::string etcd_process::log_tail() const {
  return tail_of(read_from(dir_ + "/etcd.log", log_offset_));
}

}  // namespace tp::test
