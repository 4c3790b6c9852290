#include "actors/audit/recording_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "actors/audit/audit_file.hpp"

namespace tp::actors {
namespace {

constexpr std::size_t max_chunk_bytes = 8u << 20;
constexpr std::size_t max_chunk_events = 10000;
constexpr std::size_t max_event_line = 64u << 10;
constexpr std::size_t max_open_sessions = 512;

std::string errno_text() {
  return std::strerror(errno);
}

tp::status pwrite_all(int fd, const char* p, std::size_t n, std::uint64_t offset) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return tp::make_error("writing a session recording: " + errno_text());
    }
    p += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<std::uint64_t>(w);
  }
  return {};
}

tp::status append_all(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t n = s.size();
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return tp::make_error("writing a session log: " + errno_text());
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

// A print event of a resent chunk whose output the file already holds.
bool already_stored(const std::string& line, std::uint64_t stored) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || string_field(j, "event") != "print") return false;
  const auto& offset = j["offset"];
  const auto& bytes = j["bytes"];
  if (!offset.is_number_unsigned() || !bytes.is_number_unsigned()) return false;
  return offset.get<std::uint64_t>() + bytes.get<std::uint64_t>() <= stored;
}

}  // namespace

bool valid_session_id(const std::string& sid) {
  if (sid.empty() || sid.size() > 64) return false;
  for (const char c : sid) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
  }
  return true;
}

recording_store::recording_store(std::string dir) : dir_(std::move(dir)) {}

recording_store::~recording_store() {
  for (auto& [sid, f] : open_) close(f);
}

void recording_store::close(open_files& f) {
  if (f.bytes_fd >= 0) ::close(f.bytes_fd);
  if (f.log_fd >= 0) ::close(f.log_fd);
  f.bytes_fd = f.log_fd = -1;
}

tp::status recording_store::stage(const std::string& host, messages::session_chunk_request c) {
  if (!valid_session_id(c.sid)) return tp::make_error("bad session ID");
  if (c.data.size() > max_chunk_bytes) return tp::make_error("recording chunk too large");
  if (c.events.size() > max_chunk_events) return tp::make_error("too many events in one chunk");
  if (c.offset > (std::uint64_t{1} << 50)) return tp::make_error("recording offset out of range");
  for (auto& line : c.events) {
    if (line.size() > max_event_line) return tp::make_error("session event too large");
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("event") || !j["event"].is_string()) {
      return tp::make_error("a session event must be a JSON object with \"event\"");
    }
    // Hosts speak only for themselves; one line per event, whatever was sent.
    if (j["event"] != "print") j["server_id"] = host;
    line = event_text(j);
  }
  auto [it, fresh] = owner_.try_emplace(c.sid, host);
  if (!fresh && it->second != host) {
    return tp::make_error("session " + c.sid + " is recorded by another host");
  }
  staged_.push_back(std::move(c));
  return {};
}

tp::result<recording_store::open_files*> recording_store::open(const std::string& sid) {
  if (auto it = open_.find(sid); it != open_.end()) return &it->second;
  if (open_.size() >= max_open_sessions) {
    // Many live sessions: drop the descriptors of one that is synced; it is
    // reopened on its next chunk.
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (!it->second.dirty) {
        close(it->second);
        open_.erase(it);
        break;
      }
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return tp::make_error("cannot create " + dir_ + ": " + ec.message());
  const std::string base = dir_ + "/" + sid;
  open_files f;
  f.bytes_fd =
      ::open((base + ".session.bytes").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  f.log_fd = ::open((base + ".session.log").c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (f.bytes_fd < 0 || f.log_fd < 0) {
    const std::string why = errno_text();
    close(f);
    return tp::make_error("cannot open the recording of session " + sid + ": " + why);
  }
  struct stat st {};
  if (::fstat(f.bytes_fd, &st) == 0) f.size = static_cast<std::uint64_t>(st.st_size);
  return &open_.emplace(sid, f).first->second;
}

tp::status recording_store::commit() {
  auto chunks = std::move(staged_);
  staged_.clear();
  tp::status result;
  for (auto& c : chunks) {
    auto f = open(c.sid);
    if (!f) {
      result = f.err();
      break;
    }
    open_files& files = **f;
    const std::uint64_t end = c.offset + c.data.size();
    if (!c.data.empty() && end <= files.size) continue;  // resent: already stored
    const std::uint64_t stored = files.size;
    if (!c.data.empty()) {
      // A resent chunk that overlaps the end: write only what is new.
      const std::uint64_t skip = stored > c.offset ? stored - c.offset : 0;
      auto st =
          pwrite_all(files.bytes_fd, c.data.data() + skip, c.data.size() - skip, c.offset + skip);
      if (!st) {
        result = st;
        break;
      }
      files.size = std::max(files.size, end);
    }
    std::string lines;
    for (const auto& e : c.events) {
      if (c.offset < stored && already_stored(e, stored)) continue;
      lines += e;
      lines += '\n';
      if (e.find("\"event\":\"session.end\"") != std::string::npos) files.ended = true;
    }
    if (auto st = append_all(files.log_fd, lines); !st) {
      result = st;
      break;
    }
    files.dirty = true;
  }
  for (auto it = open_.begin(); it != open_.end();) {
    auto& f = it->second;
    if (f.dirty) {
      if (::fdatasync(f.bytes_fd) != 0 || ::fdatasync(f.log_fd) != 0) {
        if (result) result = tp::make_error("syncing a session recording: " + errno_text());
      } else {
        f.dirty = false;
      }
    }
    if (f.ended && !f.dirty) {
      close(f);
      owner_.erase(it->first);
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  return result;
}

tp::result<messages::recording_reply> recording_store::read(const std::string& sid,
                                                            const std::string& part,
                                                            std::uint64_t offset) const {
  if (!valid_session_id(sid)) return tp::make_error("bad session ID");
  if (part != "log" && part != "bytes") return tp::make_error("part must be \"log\" or \"bytes\"");
  const std::string path = dir_ + "/" + sid + (part == "log" ? ".session.log" : ".session.bytes");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return tp::make_error("no recording of session " + sid);
  messages::recording_reply r;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return tp::make_error("reading the recording of session " + sid + ": " + errno_text());
  }
  r.total = static_cast<std::uint64_t>(st.st_size);
  if (offset < r.total) {
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(r.total - offset, messages::max_recording_read));
    r.data.resize(n);
    std::size_t got = 0;
    while (got < n) {
      const ssize_t k = ::pread(fd, r.data.data() + got, n - got, static_cast<off_t>(offset + got));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;
      got += static_cast<std::size_t>(k);
    }
    r.data.resize(got);
  }
  ::close(fd);
  return r;
}

}  // namespace tp::actors
