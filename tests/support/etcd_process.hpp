// Test fixture: a real single-member etcd (the system's /usr/bin/etcd) on loopback,
// serving clients over TLS with client-certificate authentication, in a private
// temp dir holding its data, its log and throwaway certificates made with the
// openssl CLI. Depends only on the standard library and POSIX, so any test binary
// can link it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace tp::test {

struct etcd_tls_files {
  std::string ca, cert, key;  // PEM paths
};

class etcd_process {
 public:
  // nullptr with `why` set when etcd or openssl is missing, or etcd does not
  // come up within ~15 s (why then ends with the tail of its log).
  static std::unique_ptr<etcd_process> start(std::string& why);

  ~etcd_process();  // stop(), then remove the temp dir
  etcd_process(const etcd_process&) = delete;
  etcd_process& operator=(const etcd_process&) = delete;

  std::string url() const;  // "https://127.0.0.1:<port>"
  // Client certificate (CN "teleport") signed by the CA etcd trusts, plus that CA.
  const etcd_tls_files& client() const { return client_; }
  // Certificate + key from another CA, which etcd must reject; .ca is the real CA
  // so that the client side still verifies the server.
  const etcd_tls_files& foreign_client() const { return foreign_; }

  void stop();   // SIGTERM, wait up to 5 s, then SIGKILL; idempotent
  void kill9();  // SIGKILL now and reap (crash tests)
  // Starts again on the same ports and data dir; stops the running etcd first.
  bool restart(std::string& why);
  pid_t pid() const { return pid_; }  // 0 when not running

 private:
  etcd_process() = default;
  bool make_certs(std::string& why);
  bool spawn(std::string& why);
  bool wait_ready(std::string& why);
  void signal_and_reap(int sig, int wait_ms);
  std::string log_tail() const;

  std::string etcd_bin_, openssl_bin_;
  std::string dir_;  // removed by the destructor
  int client_port_ = 0, peer_port_ = 0;
  pid_t pid_ = 0;
  long log_offset_ = 0;  // log size when the current run began
  std::vector<std::string> argv_;
  etcd_tls_files server_, client_, foreign_;
};

}  // namespace tp::test
