#include "apps/tsh/recording.hpp"

#include "messages/timestamp.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

namespace tp::apps::tsh {
namespace {

using nlohmann::json;

// nlohmann's parser is iterative but its serializer recurses: bound nesting up front.
constexpr int max_json_depth = 64;
constexpr int max_terminal_dim = 10000;
constexpr std::string_view replacement_char = "\xEF\xBF\xBD";  // U+FFFD

bool nests_too_deep(std::string_view s) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (escaped) {
      escaped = false;
    } else if (in_string) {
      escaped = c == '\\';
      in_string = c != '"';
    } else if (c == '"') {
      in_string = true;
    } else if ((c == '[' || c == '{') && ++depth > max_json_depth) {
      return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

enum class field { absent, ok, bad };

// A non-negative integer that fits in int64 (JSON floats such as 1.0 are rejected).
field read_count(const json& ev, const char* key, std::int64_t& out) {
  auto it = ev.find(key);
  if (it == ev.end()) return field::absent;
  if (it->is_number_unsigned()) {
    if (it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return field::bad;
  } else if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    return field::bad;
  }
  out = it->get<std::int64_t>();
  return field::ok;
}

std::string_view event_type(const json& ev) {
  auto it = ev.find("event");
  if (it == ev.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

// s[pos, pos+len) as a decimal number; len <= 5 keeps it within int.
bool digits(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// "cols:rows" → field::ok with both set; absent when the event has no "size".
field read_size(const json& ev, int& cols, int& rows) {
  auto it = ev.find("size");
  if (it == ev.end()) return field::absent;
  if (!it->is_string()) return field::bad;
  std::string_view s = it->get_ref<const std::string&>();
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return field::bad;
  int c = 0, r = 0;
  const std::size_t rlen = s.size() - colon - 1;
  if (colon < 1 || colon > 5 || rlen < 1 || rlen > 5 || !digits(s, 0, colon, c) ||
      !digits(s, colon + 1, rlen, r) || c > max_terminal_dim || r > max_terminal_dim) {
    return field::bad;
  }
  // "0:0": a client that asked for a terminal without knowing its size (ssh -tt
  // from a pipe); the default size stands.
  if (c == 0 || r == 0) return field::absent;
  cols = c;
  rows = r;
  return field::ok;
}

// Unix seconds of an RFC3339 timestamp (fraction truncated), or nullopt.
std::optional<std::int64_t> rfc3339_seconds(std::string_view s) {
  auto t = messages::parse_rfc3339(s);
  if (!t) return std::nullopt;
  return t->unix_seconds;
}

std::string time_of(const json& ev) {
  auto t = ev.find("time");
  return t != ev.end() && t->is_string() ? t->get<std::string>() : std::string();
}

struct print_slice {
  std::int64_t ms;
  std::string_view data;
};

// The output of a print event, re-checked because `recording` is a plain struct.
std::optional<print_slice> as_print(const json& ev, const std::string& bytes) {
  if (!ev.is_object() || event_type(ev) != "print") return std::nullopt;
  std::int64_t ms = 0, off = 0, n = 0;
  if (read_count(ev, "ms", ms) != field::ok || read_count(ev, "offset", off) != field::ok ||
      read_count(ev, "bytes", n) != field::ok) {
    return std::nullopt;
  }
  auto size = static_cast<std::uint64_t>(bytes.size());
  if (static_cast<std::uint64_t>(off) > size) return std::nullopt;
  auto len = std::min<std::uint64_t>(static_cast<std::uint64_t>(n), size - off);
  return print_slice{ms, std::string_view(bytes).substr(off, len)};
}

struct utf8_lead {
  std::size_t need;      // continuation bytes; 0: not a lead byte
  unsigned char lo, hi;  // range of the second byte (Unicode table 3-7)
};

utf8_lead classify(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};  // no surrogates
  if (b >= 0xE1 && b <= 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xF0) return {3, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F};  // up to U+10FFFF
  return {0, 0, 0};
}

// Valid UTF-8 of carry+in; invalid bytes become U+FFFD (one per maximal subpart). A
// sequence cut off by the end is kept in `carry` for the next call unless `flush`.
std::string clean_utf8(std::string& carry, std::string_view in, bool flush) {
  std::string buf = carry;
  buf += in;
  carry.clear();
  std::string out;
  out.reserve(buf.size());
  const std::size_t n = buf.size();
  std::size_t i = 0;
  while (i < n) {
    auto b = static_cast<unsigned char>(buf[i]);
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    const utf8_lead lead = classify(b);
    std::size_t k = 1;
    while (k <= lead.need && i + k < n) {
      auto c = static_cast<unsigned char>(buf[i + k]);
      if (c < (k == 1 ? lead.lo : 0x80) || c > (k == 1 ? lead.hi : 0xBF)) break;
      ++k;
    }
    if (lead.need > 0 && k == lead.need + 1) {
      out.append(buf, i, k);
    } else if (lead.need > 0 && i + k == n && !flush) {
      carry.assign(buf, i, k);
    } else {
      out += replacement_char;
    }
    i += k;
  }
  return out;
}

std::string json_string(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// "12.345": exact, unlike printing a double.
std::string seconds_text(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

// Turns print times into delays; times that go backwards count as no gap.
struct pacer {
  double speed;
  std::int64_t max_idle;
  std::int64_t prev = 0;

  std::chrono::milliseconds next(std::int64_t ms) {
    std::int64_t gap = std::clamp<std::int64_t>(ms - std::min(prev, ms), 0, max_idle);
    prev = std::max(prev, ms);
    double d = std::min(static_cast<double>(gap) / speed, 1e12);  // bounded for tiny speeds
    return std::chrono::milliseconds(std::llround(d));
  }
};

pacer make_pacer(double speed, std::chrono::milliseconds max_idle) {
  assert(speed > 0);
  if (!(speed > 0) || !std::isfinite(speed)) speed = 1;
  return pacer{speed, std::max<std::int64_t>(max_idle.count(), 0)};
}

// 0 or errno.
int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return errno;
    } else {
      return n < 0 ? errno : EIO;
    }
  }
  return 0;
}

result<std::string> read_bounded(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path + ": cannot open: " + std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return make_error(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return make_error(path + ": not a regular file");
  auto too_big = [&] {
    return make_error(path + ": larger than the " + std::to_string(max_recording_file_size >> 20) +
                      " MiB limit for recordings");
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_recording_file_size) return too_big();
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(path + ": read failed: " + std::strerror(errno));
    }
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_recording_file_size) return too_big();  // grew while reading
  }
  return out;
}

}  // namespace

result<recording> parse_recording(std::string_view log_text, std::string bytes) {
  recording rec;
  rec.bytes = std::move(bytes);
  bool have_start = false, clipped = false;
  std::string first_time;
  std::size_t pos = 0, line_no = 0;
  while (pos < log_text.size()) {
    std::size_t nl = log_text.find('\n', pos);
    const bool complete = nl != std::string_view::npos;
    std::string_view line = log_text.substr(pos, complete ? nl - pos : std::string_view::npos);
    pos = complete ? nl + 1 : log_text.size();
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank(line)) continue;
    const std::string where = "line " + std::to_string(line_no) + ": ";

    const bool deep = nests_too_deep(line);
    json ev = deep ? json(json::value_t::discarded)
                   : json::parse(line.begin(), line.end(), nullptr, false);
    if (!ev.is_object()) {
      if (!complete) {  // the writer died mid-line
        rec.truncated = true;
        break;
      }
      return make_error(where + (deep ? "JSON nested too deeply" : "not a JSON object"));
    }

    auto not_count = [&](const char* key) {
      return make_error(where + "\"" + key + "\" must be a non-negative integer");
    };
    const std::string_view type = event_type(ev);
    std::int64_t ms = 0;
    const field ms_field = read_count(ev, "ms", ms);
    if (ms_field == field::bad) return not_count("ms");
    int cols = 0, rows = 0;
    if ((type == "resize" || type == "session.start") && read_size(ev, cols, rows) == field::bad) {
      return make_error(where + "\"size\" must be \"cols:rows\" with each in 0.." +
                        std::to_string(max_terminal_dim));
    }
    if (type == "print") {
      std::int64_t off = 0, n = 0;
      if (ms_field == field::absent) return not_count("ms");
      if (read_count(ev, "offset", off) != field::ok) return not_count("offset");
      if (read_count(ev, "bytes", n) != field::ok) return not_count("bytes");
      if (clipped) continue;  // output after a gap in the bytes file cannot be placed
      const auto size = static_cast<std::uint64_t>(rec.bytes.size());
      if (static_cast<std::uint64_t>(off) + static_cast<std::uint64_t>(n) > size) {
        clipped = rec.truncated = true;
        if (static_cast<std::uint64_t>(off) >= size) continue;
        ev["bytes"] = size - static_cast<std::uint64_t>(off);
      }
    } else if (type == "session.start" && !have_start) {
      have_start = true;
      if (cols > 0) {
        rec.cols = cols;
        rec.rows = rows;
      }
      rec.start_time = time_of(ev);
    }
    if (first_time.empty()) first_time = time_of(ev);
    rec.events.push_back(std::move(ev));
  }
  if (rec.start_time.empty()) rec.start_time = std::move(first_time);
  return rec;
}

result<recording> load_recording_files(const std::string& path) {
  std::string prefix = path;
  for (std::string_view suffix : {".session.log", ".session.bytes"}) {
    if (std::string_view(prefix).ends_with(suffix)) {
      prefix.resize(prefix.size() - suffix.size());
      break;
    }
  }
  const std::string log_path = prefix + ".session.log";
  auto log = read_bounded(log_path);
  if (!log) return log.err();
  auto bytes = read_bounded(prefix + ".session.bytes");
  if (!bytes) return bytes.err();
  auto rec = parse_recording(*log, std::move(*bytes));
  if (!rec) return make_error(log_path + ": " + rec.message());
  return rec;
}

std::string recording_json(const recording& rec) {
  json arr = json::array();
  for (const auto& ev : rec.events) arr.push_back(ev);
  return arr.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string recording_asciicast(const recording& rec) {
  std::string out = "{\"version\":2,\"width\":" + std::to_string(rec.cols) +
                    ",\"height\":" + std::to_string(rec.rows);
  if (auto ts = rfc3339_seconds(rec.start_time)) out += ",\"timestamp\":" + std::to_string(*ts);
  out += ",\"env\":{\"TERM\":\"xterm\"}}\n";
  std::string carry;
  std::int64_t t = 0, carried_at = 0;  // t is non-decreasing, as players expect
  for (const auto& ev : rec.events) {
    if (!ev.is_object()) continue;
    std::int64_t ms = 0;
    if (read_count(ev, "ms", ms) == field::ok) t = std::max(t, ms);
    if (auto p = as_print(ev, rec.bytes)) {
      std::string text = clean_utf8(carry, p->data, false);
      carried_at = t;
      if (!text.empty()) out += "[" + seconds_text(t) + ", \"o\", " + json_string(text) + "]\n";
    } else if (int cols = 0, rows = 0;
               event_type(ev) == "resize" && read_size(ev, cols, rows) == field::ok) {
      out += "[" + seconds_text(t) + ", \"r\", \"" + std::to_string(cols) + "x" +
             std::to_string(rows) + "\"]\n";
    }
  }
  if (!carry.empty()) {  // the recording ends inside a character
    out += "[" + seconds_text(carried_at) + ", \"o\", " + json_string(clean_utf8(carry, {}, true)) +
           "]\n";
  }
  return out;
}

std::vector<play_step> playback_steps(const recording& rec, double speed,
                                      std::chrono::milliseconds max_idle) {
  pacer pace = make_pacer(speed, max_idle);
  std::vector<play_step> steps;
  for (const auto& ev : rec.events) {
    if (auto p = as_print(ev, rec.bytes)) {
      steps.push_back(play_step{pace.next(p->ms), std::string(p->data)});
    }
  }
  return steps;
}

int play_to(const recording& rec, double speed, std::chrono::milliseconds max_idle, int out_fd) {
  pacer pace = make_pacer(speed, max_idle);
  for (const auto& ev : rec.events) {
    auto p = as_print(ev, rec.bytes);
    if (!p) continue;
    auto delay = pace.next(p->ms);
    if (delay.count() > 0) std::this_thread::sleep_for(delay);  // resumes after signals
    if (int e = write_all(out_fd, p->data); e != 0) {
      std::fprintf(stderr, "tsh: cannot write the recording: %s\n", std::strerror(e));
      return 1;
    }
  }
  return 0;
}

}  // namespace tp::apps::tsh
