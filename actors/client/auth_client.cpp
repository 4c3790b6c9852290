#include "actors/client/auth_client.hpp"

#include "messages/api_codec.hpp"

namespace tp::actors {

tp::result<std::unique_ptr<auth_client>> auth_client::connect(const std::string& host,
                                                              std::uint16_t port,
                                                              const identity& id) {
  auto parts = tls_parts(id);
  if (!parts) return parts.err();
  transport::tls_client_config cfg;
  cfg.host = host;
  cfg.port = port;
  cfg.credentials = std::move(parts->credentials);
  cfg.trust.ca = std::move(parts->ca);
  cfg.trust.also_trusted = std::move(parts->also_trusted);
  auto c = transport::tls_client::connect(cfg);
  if (!c) return c.err();
  return std::unique_ptr<auth_client>(new auth_client(std::move(*c)));
}

tp::result<std::unique_ptr<auth_client>> auth_client::connect(const std::string& host,
                                                              std::uint16_t port,
                                                              transport::server_trust trust) {
  transport::tls_client_config cfg;
  cfg.host = host;
  cfg.port = port;
  cfg.trust = std::move(trust);
  auto c = transport::tls_client::connect(cfg);
  if (!c) return c.err();
  return std::unique_ptr<auth_client>(new auth_client(std::move(*c)));
}

tp::result<messages::api_reply> auth_client::call(messages::api_request request,
                                                  std::chrono::milliseconds timeout) {
  const std::uint64_t id = next_id_++;
  transport::frame f{transport::frame_type::message, messages::encode_request(id, request)};
  if (auto st = client_->send(f); !st) {
    return st.err();
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return tp::make_error("the auth server did not answer in time");
    auto f = client_->receive(left);
    if (!f) return f.err();
    auto env = messages::decode_reply(f->text());
    if (!env) return env.err();
    if (env->id != id) continue;  // a late reply to an abandoned call
    if (auto* e = std::get_if<messages::api_error>(&env->body)) {
      return tp::make_error(messages::describe(*e));
    }
    return std::move(env->body);
  }
}

}  // namespace tp::actors
