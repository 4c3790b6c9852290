// Session recordings for `tsh play`: the auth server stores a session as
// <sid>.session.log (one JSON event per line) plus <sid>.session.bytes (the terminal
// output, concatenated; each "print" event names its slice by offset/bytes). This module
// parses those files defensively (they may come from a node that crashed mid-write) and
// renders them as JSON, asciicast v2 or timed terminal output. No I/O except the two
// loaders/writers named below.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/result.hpp"

namespace tp::apps::tsh {

// Files larger than this are refused rather than read into memory.
inline constexpr std::uint64_t max_recording_file_size = std::uint64_t{1} << 30;

struct recording {
  // Every event object of the log, in order. Invariant after parsing: each "print" event
  // has integer ms/offset/bytes >= 0 and offset + bytes <= this->bytes.size() (prints that
  // overran a truncated bytes file are clipped or dropped).
  std::vector<nlohmann::json> events;
  std::string bytes;
  int cols = 80, rows = 24;  // from session.start "size" ("cols:rows")
  std::string start_time;    // RFC3339 "time" of session.start, else of the first event
  bool truncated = false;    // a partial last line was ignored or prints were clipped
};

// Parses the log text against the bytes file content. Errors name the 1-based line.
result<recording> parse_recording(std::string_view log_text, std::string bytes);

// `path` is <dir>/<sid>.session.log, <dir>/<sid>.session.bytes or <dir>/<sid>; reads both
// files (each at most max_recording_file_size). Errors name the offending file.
result<recording> load_recording_files(const std::string& path);

// `--format=json`: all events as a pretty-printed JSON array (ends with a newline).
std::string recording_json(const recording& rec);

// asciicast v2: a header line, then [t, "o", text] per print and [t, "r", "COLSxROWS"]
// per resize, t in seconds. UTF-8 split across prints is reassembled; invalid bytes
// become U+FFFD. The header omits "timestamp" when start_time is not valid RFC3339.
std::string recording_asciicast(const recording& rec);

struct play_step {
  std::chrono::milliseconds delay;  // sleep before writing data
  std::string data;
};

// One step per print event: delay = min(gap to the previous print, max_idle) / speed,
// where the first gap is measured from the session start. speed must be > 0 (asserted;
// a non-positive or non-finite speed plays at 1x in release builds); a negative max_idle
// counts as 0.
std::vector<play_step> playback_steps(const recording& rec, double speed,
                                      std::chrono::milliseconds max_idle);

// Writes the steps to out_fd in real time. Returns 0, or 1 after printing the reason to
// stderr if a write fails. Callers writing to a pipe should ignore SIGPIPE.
int play_to(const recording& rec, double speed, std::chrono::milliseconds max_idle, int out_fd);

}  // namespace tp::apps::tsh
