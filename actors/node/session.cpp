#include "actors/node/session.hpp"

#include <caf/all.hpp>

#include <mutex>

#include "actors/audit/audit_file.hpp"
#include "actors/host/host_atoms.hpp"
#include "messages/timestamp.hpp"
#include "messages/type_ids.hpp"

namespace tp::actors {
namespace {

using end_atom = caf::atom_constant<caf::atom("tp_end")>;
using drain_atom = caf::atom_constant<caf::atom("tp_drain")>;
using flush_atom = caf::atom_constant<caf::atom("tp_flush")>;

// Output this close to the previous print event joins it.
constexpr std::int64_t print_merge_ms = 5;
// While output flows, the actor collects it this often instead of being woken
// for every read of the terminal (each wake-up costs a scheduler thread's time,
// which on a small machine is taken from the session itself).
constexpr std::chrono::milliseconds drain_interval{print_merge_ms};

std::string now_text() {
  return messages::format_rfc3339(
      messages::timestamp::from_time_point(std::chrono::system_clock::now()));
}

// Output on its way from the reactor thread to the actor. The reactor appends
// and sends one drain message per batch; while the actor is busy, output
// gathers here instead of becoming one message per read.
struct output_buffer {
  std::mutex mu;
  std::string data;
  std::int64_t first_ms = 0;  // when the oldest unsent byte was produced
  bool drain_sent = false;
};

struct pending_print {
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
  std::int64_t ms = 0;
  std::string time;
};

struct session_state {
  std::string sid;
  std::string started;  // RFC 3339, set by session.start
  std::string size;     // "cols:rows" of the terminal, when there is one
  bool record = false;
  bool recording = false;  // an interactive session that is being recorded
  // The chunk being assembled.
  std::uint64_t chunk_offset = 0;  // where its data starts in the session's output
  std::string data;
  std::vector<std::string> events;
  std::optional<pending_print> print;
  std::uint64_t prints = 0;  // print events so far ("ci")
  bool flush_armed = false;
  static inline const char* name = "session";
};

using self_ptr = caf::stateful_actor<session_state>*;

void close_print(session_state& st) {
  if (!st.print) return;
  nlohmann::json e{{"event", "print"},   {"bytes", st.print->bytes},
                   {"ms", st.print->ms}, {"offset", st.print->offset},
                   {"ci", st.prints++},  {"time", st.print->time}};
  st.events.push_back(event_text(e));
  st.print.reset();
}

void flush(self_ptr self, const caf::actor& auth_link) {
  auto& st = self->state;
  close_print(st);
  if (st.data.empty() && st.events.empty()) return;
  messages::session_chunk_request chunk;
  chunk.sid = st.sid;
  chunk.offset = st.chunk_offset;
  st.chunk_offset += st.data.size();
  chunk.data = std::move(st.data);
  chunk.events = std::move(st.events);
  st.data.clear();
  st.events.clear();
  self->send(auth_link, messages::api_request{std::move(chunk)});
}

void arm_flush(self_ptr self) {
  if (self->state.flush_armed) return;
  self->state.flush_armed = true;
  self->delayed_send(self, recording_flush_delay, flush_atom::value);
}

// Moves the output the reactor gathered into the recording. True if there was
// some: the caller then looks again after drain_interval (the reactor sends no
// drain meanwhile); with none, the next output sends a drain. `keep_flag`: a
// drain is already on its way, leave the flag as it is.
bool take_output(self_ptr self, output_buffer& out, const caf::actor& auth_link,
                 bool keep_flag = false) {
  std::string data;
  std::int64_t ms = 0;
  {
    std::lock_guard<std::mutex> lock(out.mu);
    if (out.data.empty() && keep_flag) return false;
    data.swap(out.data);
    ms = out.first_ms;
    if (!keep_flag) out.drain_sent = !data.empty();
  }
  auto& st = self->state;
  if (!st.recording || data.empty()) return !data.empty();
  const std::uint64_t offset = st.chunk_offset + st.data.size();
  if (st.print && ms - st.print->ms <= print_merge_ms && st.print->bytes < recording_chunk_bytes) {
    st.print->bytes += data.size();
  } else {
    close_print(st);
    st.print = pending_print{offset, data.size(), ms, now_text()};
  }
  st.data += data;
  if (st.data.size() >= recording_chunk_bytes) {
    flush(self, auth_link);
  } else {
    arm_flush(self);
  }
  return true;
}

caf::behavior session(self_ptr self, caf::actor auth_link, std::string sid, bool record,
                      std::shared_ptr<output_buffer> out) {
  self->state.sid = std::move(sid);
  self->state.record = record;
  return {
      [=](audit_atom, const std::string& text, std::int64_t ms) {
        // Output produced before this event goes first (print events, then the
        // event). Before session.start there is no recording to put it in: it
        // stays for the drain already on its way.
        auto& st = self->state;
        if (st.recording) (void)take_output(self, *out, auth_link, true);
        auto e = nlohmann::json::parse(text, nullptr, false);
        if (e.is_discarded()) return;
        const std::string type = string_field(e, "event");
        e["sid"] = st.sid;
        e["time"] = now_text();
        if (type == "session.start") {
          st.started = e["time"];
          if (!st.size.empty()) e["size"] = st.size;
          st.recording = st.record && e.contains("size");
        } else if (type == "resize") {
          st.size = string_field(e, "size");
        } else if (type == "session.end") {
          e["session_start"] = st.started;
          e["session_stop"] = e["time"];
        }
        self->send(auth_link, audit_atom::value, event_text(e));
        if (st.recording) {
          close_print(st);
          e["ms"] = ms;
          st.events.push_back(event_text(e));
          if (type == "session.end") {
            flush(self, auth_link);
          } else {
            arm_flush(self);
          }
        }
      },
      [=](drain_atom) {
        if (take_output(self, *out, auth_link)) {
          self->delayed_send(self, drain_interval, drain_atom::value);
        }
      },
      [=](flush_atom) {
        self->state.flush_armed = false;
        flush(self, auth_link);
      },
      [=](end_atom) {
        (void)take_output(self, *out, auth_link, true);
        flush(self, auth_link);
        self->quit();
      },
  };
}

class session_handle : public session_events {
 public:
  session_handle(caf::actor a, bool record, std::shared_ptr<output_buffer> out)
      : actor_(std::move(a)), record_(record), out_(std::move(out)) {}
  ~session_handle() override { caf::anon_send(actor_, end_atom::value); }
  void post(nlohmann::json event) override {
    caf::anon_send(actor_, audit_atom::value, event_text(event), elapsed_ms());
  }
  void output(std::string_view data) override {
    if (!record_ || data.empty()) return;
    bool notify = false;
    {
      std::lock_guard<std::mutex> lock(out_->mu);
      if (out_->data.empty()) out_->first_ms = elapsed_ms();
      out_->data.append(data);
      notify = !out_->drain_sent;
      out_->drain_sent = true;
    }
    if (notify) caf::anon_send(actor_, drain_atom::value);
  }
  bool recording() const override { return record_; }

 private:
  std::int64_t elapsed_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
        .count();
  }

  caf::actor actor_;
  bool record_;
  std::shared_ptr<output_buffer> out_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

std::shared_ptr<session_events> spawn_session(caf::actor_system& sys, const caf::actor& auth_link,
                                              std::string sid, bool record) {
  auto out = std::make_shared<output_buffer>();
  return std::make_shared<session_handle>(
      sys.spawn(session, auth_link, std::move(sid), record, out), record, out);
}

}  // namespace tp::actors
