#include "actors/node/session.hpp"

#include <caf/all.hpp>

#include "actors/audit/audit_file.hpp"
#include "actors/host/host_atoms.hpp"
#include "messages/timestamp.hpp"

namespace tp::actors {
namespace {

using end_atom = caf::atom_constant<caf::atom("tp_end")>;

std::string now_text() {
  return messages::format_rfc3339(
      messages::timestamp::from_time_point(std::chrono::system_clock::now()));
}

struct session_state {
  std::string sid;
  std::string started;  // RFC 3339, set by session.start
  std::string size;     // "cols:rows" of the terminal, when there is one
  std::uint64_t events = 0;
  static inline const char* name = "session";
};

caf::behavior session(caf::stateful_actor<session_state>* self, caf::actor auth_link,
                      std::string sid) {
  self->state.sid = std::move(sid);
  return {
      [=](audit_atom, const std::string& text) {
        auto& st = self->state;
        auto e = nlohmann::json::parse(text, nullptr, false);
        if (e.is_discarded()) return;
        const std::string type = e.value("event", "");
        e["sid"] = st.sid;
        e["time"] = now_text();
        if (type == "session.start") {
          st.started = e["time"];
          if (!st.size.empty()) e["size"] = st.size;
        } else if (type == "resize") {
          st.size = e.value("size", "");
        } else if (type == "session.end") {
          e["session_start"] = st.started;
          e["session_stop"] = e["time"];
        }
        ++st.events;
        self->send(auth_link, audit_atom::value, event_text(e));
      },
      [=](end_atom) { self->quit(); },
  };
}

class session_handle : public session_events {
 public:
  explicit session_handle(caf::actor a) : actor_(std::move(a)) {}
  ~session_handle() override { caf::anon_send(actor_, end_atom::value); }
  void post(nlohmann::json event) override {
    caf::anon_send(actor_, audit_atom::value, event_text(event));
  }

 private:
  caf::actor actor_;
};

}  // namespace

std::shared_ptr<session_events> spawn_session(caf::actor_system& sys, const caf::actor& auth_link,
                                              std::string sid) {
  return std::make_shared<session_handle>(sys.spawn(session, auth_link, std::move(sid)));
}

}  // namespace tp::actors
