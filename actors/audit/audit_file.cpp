#include "actors/audit/audit_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "actors/identity/secrets.hpp"
#include "messages/timestamp.hpp"

namespace tp::actors {

std::string event_text(const nlohmann::json& event) {
  return event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string string_field(const nlohmann::json& event, const char* key) {
  if (!event.is_object()) return {};
  auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string event_hash(nlohmann::json event) {
  event.erase("hash");
  return sha256_hex(event_text(event));
}

audit_file::audit_file(std::string dir) : dir_(std::move(dir)) {}

audit_file::~audit_file() {
  if (fd_ >= 0) ::close(fd_);
}

tp::status audit_file::open_day(const std::string& day) {
  if (fd_ >= 0 && day == day_) return {};
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return tp::make_error("cannot create the audit log directory " + dir_ + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  const std::string path = dir_ + "/" + day + ".00:00:00.log";
  // Continue the chain of what the file already holds.
  std::string last;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
  }
  std::string last_hash;
  if (!last.empty()) {
    auto j = nlohmann::json::parse(last, nullptr, false);
    if (j.is_object() && j.contains("hash") && j["hash"].is_string())
      last_hash = j["hash"];
    else
      last_hash = sha256_hex(last);  // a foreign last line: chain to its bytes
  }
  if (auto st = sync(); !st) return st;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return tp::make_error("cannot open the audit log " + path + ": " + std::strerror(errno));
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  day_ = day;
  last_hash_ = std::move(last_hash);
  return {};
}

tp::status audit_file::append(const std::string& day, std::vector<nlohmann::json> events) {
  if (auto st = write(day, std::move(events)); !st) return st;
  return sync();
}

tp::status audit_file::sync() {
  if (fd_ < 0 || !dirty_) return {};
  if (::fdatasync(fd_) != 0) {
    return tp::make_error("syncing the audit log: " + std::string(std::strerror(errno)));
  }
  dirty_ = false;
  return {};
}

tp::status audit_file::write(const std::string& day, std::vector<nlohmann::json> events,
                             std::vector<line_ref>* refs) {
  if (events.empty()) return {};
  if (auto st = open_day(day); !st) return st;
  // The single writer appends: the file's end is where this batch starts.
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) return tp::make_error("the audit log: " + std::string(std::strerror(errno)));
  std::string buf;
  std::string hash = last_hash_;
  for (auto& e : events) {
    e.erase("hash");
    e["prev_hash"] = hash;
    hash = event_hash(e);
    e["hash"] = hash;
    const std::string line = event_text(e);
    if (refs != nullptr) {
      line_ref r;
      r.offset = static_cast<std::uint64_t>(end) + buf.size();
      r.length = line.size();
      if (auto t = messages::parse_rfc3339(string_field(e, "time"))) {
        r.unix_seconds = t->unix_seconds;
        r.nanos = t->nanos;
      }
      r.type = string_field(e, "event");
      r.uid = string_field(e, "uid");
      refs->push_back(std::move(r));
    }
    buf += line;
    buf += '\n';
  }
  const char* p = buf.data();
  std::size_t left = buf.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tp::make_error("writing the audit log: " + std::string(std::strerror(errno)));
    }
    dirty_ = true;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  size_ = static_cast<std::uint64_t>(end) + buf.size();
  last_hash_ = std::move(hash);
  return {};
}

tp::result<chain_report> verify_chain(const std::string& path) {
  std::ifstream in(path);
  if (!in) return tp::make_error("cannot read " + path);
  chain_report r;
  std::string line;
  std::string prev;
  while (std::getline(in, line)) {
    ++r.lines;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      r.bad_line = r.lines;
      r.reason = "not a JSON object";
      return r;
    }
    if (!j.contains("hash") || !j["hash"].is_string() || !j.contains("prev_hash") ||
        !j["prev_hash"].is_string()) {
      r.bad_line = r.lines;
      r.reason = "no hash chain fields";
      return r;
    }
    if (j["prev_hash"].get<std::string>() != prev) {
      r.bad_line = r.lines;
      r.reason = "does not follow the line before it (a line was removed or inserted)";
      return r;
    }
    const std::string stated = j["hash"];
    if (event_hash(j) != stated) {
      r.bad_line = r.lines;
      r.reason = "its content was altered";
      return r;
    }
    prev = stated;
  }
  return r;
}

}  // namespace tp::actors
