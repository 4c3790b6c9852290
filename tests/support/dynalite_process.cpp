#include "dynalite_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "child_support.hpp"

#ifndef TP_DYNALITE_SERVER
#error "TP_DYNALITE_SERVER must name tests/tools/dynalite/server.js"
#endif

namespace tp::test {
namespace {

using namespace child;
constexpr auto ready_timeout = std::chrono::seconds(20);
constexpr int stop_wait_ms = 5000;

// One HTTP/1.0 POST on loopback; true on a 200 answer.
bool post(int port, const std::string& path, const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  const std::string req = "POST " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  ok = ok && ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  char buf[64] = {};
  ok = ok && ::recv(fd, buf, sizeof buf - 1, 0) > 12;
  ::close(fd);
  return ok && std::string(buf).find(" 200 ") != std::string::npos;
}

}  // namespace

std::unique_ptr<dynalite_process> dynalite_process::start(const std::vector<key>& keys,
                                                          std::string& why) {
  std::unique_ptr<dynalite_process> p(new dynalite_process());
  const std::string node = find_program("node");
  if (node.empty()) {
    why = "node is not installed (Debian: apt-get install nodejs)";
    return nullptr;
  }
  const std::filesystem::path server = TP_DYNALITE_SERVER;
  if (!std::filesystem::exists(server.parent_path() / "node_modules" / "dynalite")) {
    why = "dynalite is not installed: run scripts/setup (npm ci in " +
          server.parent_path().string() + ")";
    return nullptr;
  }
  p->dir_ = make_temp_dir("tp-dynalite", why);
  if (p->dir_.empty()) return nullptr;
  const std::string state = p->dir_ + "/state";
  std::vector<std::string> argv = {node, server.string(), state};
  for (const auto& k : keys) {
    argv.push_back(k.access_key + ":" + k.secret_key + (k.deny ? ":deny" : ""));
  }
  const std::string log = p->dir_ + "/dynalite.log";
  p->pid_ = spawn_child(argv, log, p->dir_);
  if (p->pid_ < 0) {
    p->pid_ = 0;
    why = "cannot start " + node;
    return nullptr;
  }
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = read_from(state, 0);
    const auto at = text.find("url=http://127.0.0.1:");
    if (at != std::string::npos && text.find("pid=") != std::string::npos) {
      p->port_ = std::atoi(text.c_str() + at + 21);
      p->url_ = "http://127.0.0.1:" + std::to_string(p->port_);
      if (tcp_connects(p->port_)) return p;
    }
    int status = 0;
    if (reap(p->pid_, 0, &status)) {
      p->pid_ = 0;
      why = "dynalite exited during start-up; log:\n" + tail_of(read_from(log, 0));
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  why = "dynalite did not come up within 20 s; log:\n" + tail_of(read_from(log, 0));
  return nullptr;
}

dynalite_process::~dynalite_process() {
  stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

bool dynalite_process::throttle(int count) {
  return post(port_, "/__throttle", "{\"count\": " + std::to_string(count) + "}");
}

void dynalite_process::stop() {
  signal_and_reap(pid_, SIGTERM, stop_wait_ms);
  signal_and_reap(pid_, SIGKILL, stop_wait_ms);
  pid_ = 0;
}

}  // namespace tp::test
