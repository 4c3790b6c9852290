// tp_etcd: runs a test etcd (tests/support/etcd_process.hpp) for shell tests.
//   tp_etcd <state file>
// Writes url=, ca=, cert=, key=, foreign_cert=, foreign_key= and pid= lines to the state
// file once etcd serves, then waits; SIGTERM or SIGINT stops etcd and removes its files.
// SIGUSR1 kills etcd hard (-9), SIGUSR2 starts it again on the same port and data.
#include <signal.h>

#include <fstream>
#include <iostream>

#include "tests/support/etcd_process.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: tp_etcd STATE_FILE\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::string why;
  auto etcd = tp::test::etcd_process::start(why);
  if (!etcd) {
    std::cerr << "tp_etcd: " << why << "\n";
    return 1;
  }
  auto write_state = [&] {
    const std::string tmp = std::string(argv[1]) + ".tmp";
    {
      std::ofstream out(tmp);
      out << "url=" << etcd->url() << "\nca=" << etcd->client().ca
          << "\ncert=" << etcd->client().cert << "\nkey=" << etcd->client().key
          << "\nforeign_cert=" << etcd->foreign_client().cert
          << "\nforeign_key=" << etcd->foreign_client().key << "\npid=" << etcd->pid() << "\n";
    }
    std::rename(tmp.c_str(), argv[1]);
  };
  write_state();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      etcd->kill9();
    } else if (sig == SIGUSR2) {
      if (!etcd->restart(why)) std::cerr << "tp_etcd: restart: " << why << "\n";
      write_state();
    } else {
      etcd->stop();
      return 0;
    }
  }
}
