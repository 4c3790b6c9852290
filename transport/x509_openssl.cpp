#include "transport/x509_openssl.hpp"

#include <openssl/err.h>

#include <climits>

namespace tp::transport::ossl {

void free_general_names(GENERAL_NAMES* names) {
  GENERAL_NAMES_free(names);
}

std::string drain_errors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    // Prefer the reason text ("bad decrypt") over the packed code dump.
    const char* reason = ERR_reason_error_string(code);
    out += reason != nullptr ? reason : buf;
  }
  return out;
}

error openssl_error(std::string_view what) {
  std::string detail = drain_errors();
  std::string msg(what);
  if (!detail.empty()) msg += ": " + detail;
  return make_error(std::move(msg));
}

bio_ptr memory_bio(std::string_view data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return bio_ptr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_contents(BIO* bio) {
  char* ptr = nullptr;
  long len = BIO_get_mem_data(bio, &ptr);
  if (len <= 0 || ptr == nullptr) return {};
  return std::string(ptr, static_cast<std::size_t>(len));
}

}  // namespace tp::transport::ossl
