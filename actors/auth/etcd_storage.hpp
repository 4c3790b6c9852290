// storage.type: etcd -- the etcd backend (persistence/etcd_backend.hpp) over
// transport's HTTP client: TLS with the configured client certificate and CA,
// failover between `peers`, keep-alive.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "config/config.hpp"
#include "messages/result.hpp"
#include "persistence/backend.hpp"

namespace tp::actors::auth {

// Opens it, retrying for up to `patience` while etcd is unreachable (each failure is
// logged); anything else (files, URLs, a refused certificate) fails at once. Values
// in etcd that listings skip (etcd_options::on_skipped) go to on_skipped, else to
// the log, once per key.
tp::result<std::unique_ptr<persistence::backend>> open_etcd_storage(
    const config::etcd_config& cfg, std::chrono::seconds patience = std::chrono::seconds{60},
    std::function<void(const std::string&)> on_skipped = nullptr);

}  // namespace tp::actors::auth
