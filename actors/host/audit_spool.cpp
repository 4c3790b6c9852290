#include "actors/host/audit_spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "messages/api_codec.hpp"

namespace tp::actors {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view suffix = ".req";

// Spool files, oldest first: <20-digit sequence>.req.
std::vector<fs::path> spool_files(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.size() == 20 + suffix.size() && name.compare(20, std::string::npos, suffix) == 0 &&
        std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; })) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

tp::status sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return tp::make_error("cannot open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return tp::make_error("cannot sync " + dir + ": " + std::strerror(errno));
  return {};
}

}  // namespace

audit_spool::audit_spool(std::string dir) : dir_(std::move(dir)) {
  take_ownership();
  scan();
  if (lock_ && !is_side_dir_) adopt_orphans();
}

void audit_spool::take_ownership() {
  const std::string main_dir = dir_;
  for (const std::string& d : {main_dir, main_dir + "." + std::to_string(::getpid())}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    ::chmod(d.c_str(), 0700);
    auto lock = persistence::lock_file(d + "/.lock", std::chrono::milliseconds(0));
    if (lock) {
      dir_ = d;
      lock_ = std::move(*lock);
      is_side_dir_ = d != main_dir;
      return;
    }
  }
  // Neither could be locked (read-only disk?): spool unguarded in the main dir.
}

void audit_spool::adopt_orphans() {
  const fs::path main_dir(dir_);
  const std::string prefix = main_dir.filename().string() + ".";
  std::error_code ec;
  std::vector<fs::path> sides;
  for (const auto& e : fs::directory_iterator(main_dir.parent_path(), ec)) {
    const auto name = e.path().filename().string();
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        std::all_of(name.begin() + static_cast<long>(prefix.size()), name.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))
      sides.push_back(e.path());
  }
  for (const auto& side : sides) {
    // A live process still holds its side directory: it sends its own files.
    auto held = persistence::lock_file((side / ".lock").string(), std::chrono::milliseconds(0));
    if (!held) continue;
    for (const auto& p : spool_files(side.string())) {
      char name[32];
      std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(next_seq_++));
      fs::rename(p, main_dir / (std::string(name) + std::string(suffix)), ec);
    }
    // Files set aside as unreadable are evidence: they move too, under the side's name.
    for (const auto& e : fs::directory_iterator(side, ec)) {
      const auto name = e.path().filename().string();
      if (name.ends_with(".bad"))
        fs::rename(e.path(), main_dir / (side.filename().string() + "-" + name), ec);
    }
    (void)sync_dir(dir_);
    held->reset();
    // Only an empty directory goes: a file that could not be moved waits for the next owner.
    fs::remove(side / ".lock", ec);
    fs::remove(side, ec);
  }
  scan();
}

void audit_spool::scan() {
  files_ = 0;
  bytes_ = 0;
  for (const auto& p : spool_files(dir_)) {
    std::error_code ec;
    bytes_ += fs::file_size(p, ec);
    ++files_;
    const auto name = p.filename().string();
    std::uint64_t seq = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + 20, seq);
    if (err == std::errc{} && seq < UINT64_MAX) next_seq_ = std::max(next_seq_, seq + 1);
  }
}

tp::status audit_spool::push(const messages::api_request& r) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return tp::make_error("cannot create the audit spool " + dir_ + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  const auto bytes = messages::encode_request(0, r);
  std::string dropped;
  if (bytes_ + bytes.size() > max_spool_bytes) {
    for (const auto& p : spool_files(dir_)) {
      if (bytes_ + bytes.size() <= max_spool_bytes) break;
      const auto size = fs::file_size(p, ec);
      if (fs::remove(p, ec)) {
        bytes_ -= std::min<std::uint64_t>(bytes_, size);
        --files_;
        dropped += (dropped.empty() ? "" : ", ") + p.filename().string();
      }
    }
  }
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(next_seq_++));
  const std::string path = dir_ + "/" + name + std::string(suffix);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return tp::make_error("cannot write " + path + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == bytes.size() && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return tp::make_error("cannot write " + path + ": " + std::strerror(errno));
  }
  ++files_;
  bytes_ += bytes.size();
  if (auto st = sync_dir(dir_); !st) return st;
  if (!dropped.empty()) {
    return tp::make_error("the audit spool is full (" + std::to_string(max_spool_bytes >> 20) +
                          " MiB): dropped the oldest " + dropped);
  }
  return {};
}

std::optional<std::pair<std::string, messages::api_request>> audit_spool::front(
    std::string* problem) {
  for (const auto& p : spool_files(dir_)) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto env = messages::decode_request(ss.str());
    if (env) return std::make_pair(p.string(), std::move(env->body));
    std::error_code ec;
    fs::rename(p, p.string() + ".bad", ec);
    if (problem != nullptr) {
      *problem = "unreadable audit spool file " + p.string() + " set aside: " + env.message();
    }
    scan();
  }
  return std::nullopt;
}

void audit_spool::pop(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (fs::remove(path, ec)) {
    bytes_ -= std::min<std::uint64_t>(bytes_, size);
    if (files_ > 0) --files_;
  }
}

}  // namespace tp::actors
