#include "actors/audit/audit_log.hpp"

#include "actors/metrics/registry.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/audit/audit_store.hpp"
#include "actors/host/host_atoms.hpp"
#include "messages/type_ids.hpp"

namespace tp::actors {
namespace {

using namespace tp::messages;
using flush_atom = caf::atom_constant<caf::atom("tp_flush")>;

struct audit_log_state {
  std::shared_ptr<audit_store> store;
  std::vector<caf::typed_response_promise<api_reply>> waiting;  // staged, not yet durable
  bool flush_pending = false;
  static inline const char* name = "audit_log";
};

using self_ptr = caf::stateful_actor<audit_log_state>*;

void schedule_flush(self_ptr self) {
  if (self->state.flush_pending) return;
  self->state.flush_pending = true;
  // Behind everything already in the mailbox: those requests join this batch.
  self->send(self, flush_atom::value);
}

void flush(self_ptr self) {
  auto& st = self->state;
  st.flush_pending = false;
  if (!st.store->has_staged() && st.waiting.empty()) return;
  static auto& latency = metrics::global().get_histogram(
      "teleport_audit_commit_seconds",
      "Time to make a batch of audit writes durable (write + fdatasync), s.");
  static auto& failures = metrics::global().get_counter(
      "teleport_audit_commit_failures_total", "Audit batches that could not be made durable.");
  static auto& batches = metrics::global().get_counter(
      "teleport_audit_commits_total", "Audit batches made durable (each acknowledges its writes).");
  const auto t0 = std::chrono::steady_clock::now();
  const auto status = st.store->commit();
  latency.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  (status ? batches : failures).inc();
  if (!status) spdlog::error("audit log: {}", status.message());
  const api_reply reply =
      status ? api_reply{ok_reply{}} : api_reply{api_error{api_errc::internal, status.message()}};
  for (auto& rp : st.waiting) rp.deliver(reply);
  st.waiting.clear();
}

caf::behavior audit_log(self_ptr self, std::shared_ptr<audit_store> store) {
  self->state.store = std::move(store);
  return {
      [self](const caller& who, api_request& request) -> caf::result<api_reply> {
        auto& st = self->state;
        const auto now = std::chrono::system_clock::now();
        if (!audit_store::writes(request)) {
          flush(self);  // reads see every acknowledged write
          return st.store->read(request, now);
        }
        api_reply staged = st.store->stage(who, request, now);
        if (std::holds_alternative<api_error>(staged)) return staged;
        auto rp = self->make_response_promise<api_reply>();
        st.waiting.push_back(rp);
        schedule_flush(self);
        return rp;
      },
      [self](audit_atom, const std::string& text) {
        auto e = nlohmann::json::parse(text, nullptr, false);
        if (!e.is_object()) return;
        self->state.store->stage_own(std::move(e), std::chrono::system_clock::now());
        schedule_flush(self);
      },
      [self](flush_atom) { flush(self); },
      [self](host_gone_atom, const std::string& host) { self->state.store->host_offline(host); },
  };
}

}  // namespace

caf::actor spawn_audit_log(caf::actor_system& sys, std::shared_ptr<audit_store> store) {
  // Detached: it waits on fdatasync.
  return sys.spawn<caf::detached>(audit_log, std::move(store));
}

}  // namespace tp::actors
