// Shared helpers for the persistence tests: a private temp directory and a
// thread-safe recorder for watch events.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "persistence/backend.hpp"

namespace tp::persistence::test {

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tp-persist-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::system_error(errno, std::generic_category());
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

class event_log {
 public:
  watch_callback callback() {
    return [this](const event& ev) {
      {
        std::lock_guard lock(mu_);
        events_.push_back(ev);
      }
      cv_.notify_all();
    };
  }

  // Waits (bounded) until some event has this key; true if one arrived.
  bool wait_for_key(const std::string& key,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& ev : events_) {
        if (ev.item.key == key) return true;
      }
      return false;
    });
  }

  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
  }

  std::vector<event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<event> events_;
};

}  // namespace tp::persistence::test
