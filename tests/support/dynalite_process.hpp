// Test fixture: a DynamoDB on loopback — dynalite (npm, installed by scripts/setup in
// tests/tools/dynalite) behind tests/tools/dynalite/server.js, which checks AWS
// Signature Version 4 against the keys given here and can throttle on request.
// Started in a private temp dir, stopped by PID.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace tp::test {

class dynalite_process {
 public:
  struct key {
    std::string access_key;
    std::string secret_key;
    bool deny = false;  // every operation answers AccessDeniedException
  };

  // nullptr with `why` set when node or dynalite is missing or it does not come up.
  static std::unique_ptr<dynalite_process> start(const std::vector<key>& keys, std::string& why);
  ~dynalite_process();  // stop(), then remove the temp dir
  dynalite_process(const dynalite_process&) = delete;
  dynalite_process& operator=(const dynalite_process&) = delete;

  const std::string& url() const { return url_; }  // "http://127.0.0.1:<port>"
  // The next `count` requests answer ProvisionedThroughputExceededException.
  bool throttle(int count);
  void stop();
  pid_t pid() const { return pid_; }

 private:
  dynalite_process() = default;
  std::string dir_, url_;
  int port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace tp::test
