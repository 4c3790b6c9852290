// PAM for node logins (`ssh_service.pam`): the account check decides whether
// the login may proceed; the session modules run for the SSH connection's
// lifetime and may add environment variables. Non-interactive: prompts fail.
//
// The calls run on the reactor thread that authenticates the connection, as
// the login decision must be answered at once: local modules (pam_unix,
// pam_env, pam_limits) take microseconds; a slow networked module would hold
// up that reactor's other sessions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace tp::actors {

class pam_session {
 public:
  // pam_start + pam_acct_mgmt + pam_setcred + pam_open_session. The error
  // says which step refused and why.
  static tp::result<std::unique_ptr<pam_session>> open(const std::string& service,
                                                       const std::string& login,
                                                       const std::string& remote_host);
  ~pam_session();  // pam_close_session + pam_setcred(DELETE) + pam_end
  pam_session(const pam_session&) = delete;
  pam_session& operator=(const pam_session&) = delete;

  // "NAME=value" entries the modules set (pam_getenvlist).
  std::vector<std::string> environment() const;

 private:
  pam_session() = default;
  struct handle;
  std::unique_ptr<handle> h_;
};

}  // namespace tp::actors
