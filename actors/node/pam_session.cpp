#include "actors/node/pam_session.hpp"

#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>

namespace tp::actors {
namespace {

// Answers nothing: a module that needs a password or a code cannot be used
// for certificate logins. Informational messages are accepted.
int no_prompts(int n, const pam_message** msg, pam_response** resp, void*) {
  if (n <= 0 || n > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
  auto* out =
      static_cast<pam_response*>(std::calloc(static_cast<std::size_t>(n), sizeof(pam_response)));
  if (out == nullptr) return PAM_BUF_ERR;
  for (int i = 0; i < n; ++i) {
    if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
      std::free(out);
      return PAM_CONV_ERR;
    }
  }
  *resp = out;
  return PAM_SUCCESS;
}

}  // namespace

struct pam_session::handle {
  pam_handle_t* pamh = nullptr;
  bool cred = false;
  bool session = false;
};

tp::result<std::unique_ptr<pam_session>> pam_session::open(const std::string& service,
                                                           const std::string& login,
                                                           const std::string& remote_host) {
  std::unique_ptr<pam_session> s(new pam_session());
  s->h_ = std::make_unique<handle>();
  static const pam_conv conv{no_prompts, nullptr};
  int rc = pam_start(service.c_str(), login.c_str(), &conv, &s->h_->pamh);
  if (rc != PAM_SUCCESS) return tp::make_error("PAM: cannot start service \"" + service + "\"");
  auto& h = *s->h_;
  auto fail = [&](const char* step, int code) {
    return tp::make_error(std::string("PAM ") + step + " refused " + login + ": " +
                          pam_strerror(h.pamh, code));
  };
  pam_set_item(h.pamh, PAM_RHOST, remote_host.c_str());
  pam_set_item(h.pamh, PAM_RUSER, login.c_str());
  if ((rc = pam_acct_mgmt(h.pamh, PAM_SILENT)) != PAM_SUCCESS) return fail("account", rc);
  // Credentials come from the auth stack, which certificate logins skip: a
  // service without auth modules refuses setcred, and that is not a refusal
  // of the login (sshd behaves the same way with its auth stack unused).
  h.cred = pam_setcred(h.pamh, PAM_ESTABLISH_CRED | PAM_SILENT) == PAM_SUCCESS;
  if ((rc = pam_open_session(h.pamh, PAM_SILENT)) != PAM_SUCCESS) return fail("session", rc);
  h.session = true;
  return s;
}

pam_session::~pam_session() {
  if (!h_ || h_->pamh == nullptr) return;
  int rc = PAM_SUCCESS;
  if (h_->session) rc = pam_close_session(h_->pamh, PAM_SILENT);
  if (h_->cred) pam_setcred(h_->pamh, PAM_DELETE_CRED | PAM_SILENT);
  pam_end(h_->pamh, rc);
}

std::vector<std::string> pam_session::environment() const {
  std::vector<std::string> out;
  char** list = pam_getenvlist(h_->pamh);
  if (list == nullptr) return out;
  for (char** p = list; *p != nullptr; ++p) {
    out.emplace_back(*p);
    std::free(*p);
  }
  std::free(list);
  return out;
}

}  // namespace tp::actors
