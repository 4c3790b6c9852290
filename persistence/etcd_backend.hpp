// The HA backend: cluster state in etcd v3 (storage.type: etcd), so that several
// auth servers share it. It speaks etcd's JSON gateway (/v3/kv/..., /v3/lease/grant,
// the streaming /v3/watch) through an etcd_gateway that the caller provides
// (transport's HTTP client, with TLS and failover between peers), which keeps this
// layer free of sockets.
//
// Mapping: our key K is etcd key <prefix>K; values are record::encode()d (the
// expiry travels with the value, so reads never see an expired item even before
// etcd's lease reclaims it); item.revision is etcd's mod_revision. A TTL becomes an
// etcd lease of the TTL rounded up to whole seconds plus one, which deletes the key
// (and tells watchers) soon after it expired. Writes that depend on the current state
// (create, compare_and_swap) are etcd transactions comparing mod_revision, so they
// are atomic across every auth server.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "persistence/backend.hpp"

namespace tp::persistence {

class etcd_gateway {
 public:
  virtual ~etcd_gateway() = default;
  // A POST of a JSON body to the gateway (path "/v3/kv/range"...): the body of a 200
  // reply, or why not (unreachable, or the status and message etcd answered).
  virtual tp::result<std::string> call(std::string_view path, const std::string& body) = 0;
  // A streaming POST: on_data gets the body as it arrives until the stream ends, on_data
  // returns false, or `stop` is set (then an error).
  virtual tp::status stream(std::string_view path, const std::string& body,
                            const std::function<bool(std::string_view)>& on_data,
                            const std::atomic<bool>& stop) = 0;
  // "etcd at https://127.0.0.1:2379" for messages.
  virtual std::string name() const = 0;
};

struct etcd_options {
  std::string prefix = "/teleport";  // every key lives under it
  std::size_t watch_queue_capacity = 16384;
  std::chrono::milliseconds watch_retry{500};  // after a watch stream broke
  // get_range skips a value this backend did not write (another program, damage) so
  // one bad key cannot hide the rest; it is reported here (the text names the key).
  // get() of that key fails naming it, and a put repairs it.
  std::function<void(const std::string& why)> on_skipped{};
};

// Checks that etcd answers (one read) before returning the backend. io with the
// gateway's reason if it does not; bad_parameter for an unusable prefix.
db_result<std::unique_ptr<backend>> open_etcd_backend(std::shared_ptr<etcd_gateway> gateway,
                                                      const etcd_options& options = {});

// etcd keeps a transaction to this many operations by default (--max-txn-ops): a
// put_batch of more items is refused rather than split (it must be all or nothing).
inline constexpr std::size_t etcd_max_batch = 128;

}  // namespace tp::persistence
