#include "actors/auth/control_plane.hpp"

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include <mutex>
#include <unordered_map>

#include "actors/auth/auth_atoms.hpp"
#include "messages/api_codec.hpp"
#include "messages/type_ids.hpp"

namespace tp::actors::auth {
namespace {

using namespace tp::messages;

constexpr std::chrono::seconds auth_reply_timeout{60};

void send_reply(const transport::connection_ptr& conn, std::uint64_t id, const api_reply& reply) {
  const auto payload = encode_reply(id, reply);
  // A failed send means the connection is gone or its queue overflowed (then
  // it is being closed); either way there is nobody left to tell.
  (void)conn->send(transport::frame::message({payload.data(), payload.size()}));
}

struct connection_state {
  std::size_t in_flight = 0;
  static inline const char* name = "control_plane_connection";
};

caf::behavior connection(caf::stateful_actor<connection_state>* self,
                         transport::connection_ptr conn, caller who, caf::actor auth_server) {
  return {[=](frame_atom, const std::string& payload) {
    auto env = decode_request(payload);
    if (!env) {
      spdlog::warn("control plane: closing {}: {}", conn->remote_address(), env.message());
      conn->close(env.message());
      self->quit();
      return;
    }
    if (++self->state.in_flight > max_requests_in_flight) {
      conn->close("too many requests in flight");
      self->quit();
      return;
    }
    const auto id = env->id;
    self->request(auth_server, auth_reply_timeout, who, std::move(env->body))
        .then(
            [=](api_reply& reply) {
              --self->state.in_flight;
              send_reply(conn, id, reply);
            },
            [=](caf::error& err) {
              --self->state.in_flight;
              send_reply(conn, id,
                         api_error{api_errc::internal,
                                   "the auth server failed: " + self->system().render(err)});
            });
  }};
}

}  // namespace

// Connection actors by connection id; touched by the TLS server's io threads.
struct control_plane::connections {
  connections(caf::actor_system& s, caf::actor a) : sys(s), auth_server(std::move(a)) {}

  caf::actor_system& sys;
  caf::actor auth_server;
  std::mutex mu;
  std::unordered_map<std::uint64_t, caf::actor> actors;

  caf::actor find(std::uint64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = actors.find(id);
    return it == actors.end() ? caf::actor{} : it->second;
  }
};

tp::result<std::unique_ptr<control_plane>> control_plane::start(
    caf::actor_system& sys, const caf::actor& auth_server, transport::tls_server_config config) {
  auto conns = std::make_shared<connections>(sys, auth_server);
  transport::tls_server_handlers h;
  h.on_connect = [conns](const transport::connection_ptr& conn,
                         const std::optional<transport::peer_identity>& peer) {
    caller who;
    who.remote_address = conn->remote_address();
    if (peer) {
      who.name = peer->name;
      who.roles = peer->roles;
    }
    auto actor = conns->sys.spawn(connection, conn, std::move(who), conns->auth_server);
    std::lock_guard<std::mutex> lock(conns->mu);
    conns->actors.emplace(conn->id(), std::move(actor));
  };
  h.on_frame = [conns](const transport::connection_ptr& conn, transport::frame f) {
    if (auto actor = conns->find(conn->id())) {
      caf::anon_send(actor, frame_atom::value, std::string(f.payload.begin(), f.payload.end()));
    }
  };
  h.on_close = [conns](const transport::connection_ptr& conn, const tp::status&) {
    caf::actor actor;
    {
      std::lock_guard<std::mutex> lock(conns->mu);
      auto it = conns->actors.find(conn->id());
      if (it == conns->actors.end()) return;
      actor = std::move(it->second);
      conns->actors.erase(it);
    }
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  };
  h.on_reject = [](const std::string& remote, const tp::error& why) {
    spdlog::warn("control plane: refused {}: {}", remote, why.message);
  };
  auto server = transport::tls_server::start(std::move(config), std::move(h));
  if (!server) return server.err();
  std::unique_ptr<control_plane> cp(new control_plane());
  cp->conns_ = std::move(conns);
  cp->server_ = std::move(*server);
  return cp;
}

control_plane::~control_plane() {
  stop();
}

std::uint16_t control_plane::port() const {
  return server_ ? server_->port() : 0;
}

tp::status control_plane::reload(const transport::tls_credentials& credentials,
                                 const transport::x509_certificate& ca,
                                 const std::vector<transport::x509_certificate>& also_trusted) {
  if (!server_) return make_error("the control plane is stopped");
  return server_->reload(credentials, ca, also_trusted);
}

void control_plane::stop() {
  if (server_) server_->stop();
}

}  // namespace tp::actors::auth
