// The audit_log actor: the single writer of the auth server's audit log and
// session recordings (an audit_store). It takes (caller, api_request) for the
// requests audit_store handles, already authorized, and answers api_reply.
//
// Writes are acknowledged only once they are on disk. Requests that arrive
// while a batch is being written wait in the mailbox and make up the next
// batch: one fdatasync serves every sender of that batch, which keeps the
// event rate high without acknowledging anything early.
//
// Also: (audit_atom, json text) for auth's own events (no reply), and
// (host_gone_atom, host ID) when a host stops announcing itself.
#pragma once

#include <memory>
#include <string>

#include <caf/atom.hpp>

namespace caf {
class actor;
class actor_system;
}  // namespace caf

namespace tp::actors {

class audit_store;

using host_gone_atom = caf::atom_constant<caf::atom("tp_gone")>;

caf::actor spawn_audit_log(caf::actor_system& sys, std::shared_ptr<audit_store> store);

}  // namespace tp::actors
