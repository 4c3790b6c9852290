#include "actors/proxy/proxy_queries.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <cerrno>

#include <nlohmann/json.hpp>

#include "actors/proxy/auth_pool.hpp"

namespace tp::actors {
namespace {

using nlohmann::json;

// Recordings larger than this are not served through the proxy in one answer.
constexpr std::uint64_t max_served_recording = 512ull << 20;

query_answer failure(const std::string& why) {
  return {json{{"error", why}}.dump() + "\n", 1};
}

query_answer events_array(const std::vector<std::string>& lines) {
  json out = json::array();
  for (const auto& l : lines) {
    auto e = json::parse(l, nullptr, false);
    if (e.is_object()) out.push_back(std::move(e));
  }
  return {out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", 0};
}

tp::result<std::string> fetch_part(auth_pool& auth, const std::string& sid,
                                   const std::string& part) {
  std::string out;
  for (int i = 0; i < 1000; ++i) {
    auto r = auth.call_as(messages::recording_request{sid, part, out.size()});
    if (!r) return r.err();
    if (r->total > max_served_recording) {
      return tp::make_error("the recording is too large to play through the proxy");
    }
    out += r->data;
    if (r->data.empty() || out.size() >= r->total) return out;
  }
  return tp::make_error("the recording kept growing while it was read");
}

// "tp-recordings:<since>:<until>" -> the two numbers (0 when absent).
bool parse_range(std::string_view rest, std::int64_t& since, std::int64_t& until) {
  since = until = 0;
  if (rest.empty()) return true;
  if (rest.front() != ':') return false;
  rest.remove_prefix(1);
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return false;
  try {
    std::size_t used = 0;
    const std::string a(rest.substr(0, colon)), b(rest.substr(colon + 1));
    since = std::stoll(a, &used);
    if (used != a.size()) return false;
    until = std::stoll(b, &used);
    return used == b.size() && since >= 0 && until >= 0;
  } catch (...) {
    return false;
  }
}

}  // namespace

bool is_proxy_query(std::string_view s) {
  return s == "tp-sessions" || s.rfind("tp-recordings", 0) == 0 || s.rfind("tp-play:", 0) == 0;
}

query_answer answer_proxy_query(auth_pool& auth, const std::string& s) {
  if (s == "tp-sessions") {
    auto r = auth.call_as(messages::list_sessions_request{});
    if (!r) return failure(r.message());
    return events_array(r->events);
  }
  if (s.rfind("tp-recordings", 0) == 0) {
    messages::audit_query_request q;
    if (!parse_range(std::string_view(s).substr(13), q.since_unix, q.until_unix)) {
      return failure("bad time range in " + s);
    }
    q.event_type = "session.end";
    q.limit = 10000;
    auto r = auth.call_as(std::move(q));
    if (!r) return failure(r.message());
    return events_array(r->events);
  }
  if (s.rfind("tp-play:", 0) == 0) {
    const std::string sid = s.substr(8);
    auto log = fetch_part(auth, sid, "log");
    if (!log) return failure(log.message());
    auto bytes = fetch_part(auth, sid, "bytes");
    if (!bytes) return failure(bytes.message());
    std::string out = json{{"log", log->size()}, {"bytes", bytes->size()}}.dump() + "\n";
    out += *log;
    out += *bytes;
    return {std::move(out), 0};
  }
  return failure("unknown request " + s);
}

blocking_pool::blocking_pool(std::size_t threads) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

blocking_pool::~blocking_pool() {
  stop();
}

bool blocking_pool::submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || tasks_.size() >= max_queued) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void blocking_pool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    tasks_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void blocking_pool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

query_answer read_remote_answer(int fd, std::chrono::milliseconds timeout) {
  // A recording as large as we serve, plus its header line.
  constexpr std::size_t max_answer = max_served_recording + (1u << 20);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return failure("the trusted cluster did not answer in time");
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) return failure("reading the trusted cluster's answer failed");
    if (rc <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return failure("the trusted cluster's answer broke off");
    }
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_answer) return failure("the trusted cluster's answer is too large");
  }
  const auto first = json::parse(out.substr(0, out.find('\n')), nullptr, false);
  const bool refused = first.is_object() && first.contains("error");
  return {std::move(out), refused ? 1 : 0};
}

}  // namespace tp::actors
