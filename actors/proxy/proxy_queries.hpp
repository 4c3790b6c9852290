// What tsh asks the proxy besides routing, as SSH subsystems on port 3023
// (the user's certificate already authenticated the connection):
//   tp-sessions                 sessions in progress (JSON array of their
//                               session.start events, with "parties")
//   tp-recordings[:since:until] ended sessions (JSON array of session.end
//                               events; unix seconds, 0 = open)
//   tp-play:<sid>               a recording: one JSON line {"log":N,"bytes":M},
//                               then N bytes of .session.log, M of .session.bytes
// Each answer ends the channel; a failure is one line {"error":"..."} and exit
// status 1. Answering takes auth round trips, so it runs on a blocking_pool,
// never on a reactor thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tp::actors {

class auth_pool;

bool is_proxy_query(std::string_view subsystem);

struct query_answer {
  std::string output;
  int exit_code = 0;
};
// Blocking: asks auth and formats the answer.
query_answer answer_proxy_query(auth_pool& auth, const std::string& subsystem);

// Blocking: a leaf cluster's answer read from the reverse tunnel stream `fd` to its
// end (bounded in size and time); a first line {"error": ...} makes exit status 1.
query_answer read_remote_answer(int fd, std::chrono::milliseconds timeout);

// A few threads for work that waits (auth round trips). stop() joins them;
// tasks still queued then are dropped.
class blocking_pool {
 public:
  explicit blocking_pool(std::size_t threads);
  ~blocking_pool();
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  // False once stopping (the task is dropped) or when `max_queued` tasks wait.
  bool submit(std::function<void()> task);
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
  static constexpr std::size_t max_queued = 256;
};

}  // namespace tp::actors
