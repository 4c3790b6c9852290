#include "etcd_process.hpp"

#include "child_support.hpp"

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

using namespace child;

using clock_type = std::chrono::steady_clock;

constexpr auto ready_timeout = std::chrono::seconds(15);
constexpr int stop_wait_ms = 5000;
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
  p->dir_ = make_temp_dir("tp-etcd", why);
  if (p->dir_.empty()) return nullptr;
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
  child::signal_and_reap(pid_, sig, wait_ms);
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
