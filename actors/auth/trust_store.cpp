#include "actors/auth/trust_store.hpp"

#include <algorithm>

#include "actors/auth/ca_store.hpp"
#include "messages/metadata.hpp"
#include "messages/resource.hpp"
#include "transport/ssh_key.hpp"

namespace tp::actors::auth {
namespace {

using messages::ca_type;
using messages::cert_authority;

constexpr std::size_t max_keys = 8;

tp::status check_keys(const std::vector<std::string>& keys, const std::string& what) {
  if (keys.empty()) return make_error(what + ": no keys");
  if (keys.size() > max_keys) return make_error(what + ": more than 8 keys");
  for (const auto& k : keys) {
    auto pub = transport::public_key::from_authorized_key(k);
    if (!pub) return make_error(what + ": " + pub.message());
  }
  return {};
}

tp::status check_remote_name(const std::string& own, const std::string& remote) {
  if (auto s = messages::validate_name(remote); !s) {
    return make_error("bad cluster name \"" + remote + "\": " + s.message());
  }
  if (remote == own) {
    return make_error("the cluster name \"" + remote + "\" is this cluster's own name");
  }
  return {};
}

}  // namespace

tp::status store_remote_ca(persistence::backend& db, const std::string& own_cluster,
                           const std::string& remote_cluster, ca_type type,
                           const std::vector<std::string>& checking_keys) {
  if (auto s = check_remote_name(own_cluster, remote_cluster); !s) return s;
  if (auto s = check_keys(checking_keys,
                          "the " + std::string(to_string(type)) + " CA of " + remote_cluster);
      !s) {
    return s;
  }
  cert_authority ca;
  ca.meta.name = remote_cluster;
  ca.spec.type = type;
  ca.spec.cluster_name = remote_cluster;
  ca.spec.checking_keys = checking_keys;
  const auto raw = messages::to_json(messages::resource{ca}, /*with_secrets=*/true).dump();
  auto put = db.put(ca_backend_key(type, remote_cluster), raw);
  if (!put) return make_error("storing the CA of " + remote_cluster + ": " + put.message());
  return {};
}

namespace {

std::vector<std::string> blobs_of(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    if (auto k = transport::public_key::from_authorized_key(line)) out.push_back(k->blob());
  }
  return out;
}

}  // namespace

tp::result<std::optional<remote_ca_update>> prepare_remote_ca_rotation(
    persistence::backend& db, const std::string& own_cluster, const std::string& remote_cluster,
    ca_type type, const std::vector<std::string>& checking_keys) {
  const std::string what = "the " + std::string(to_string(type)) + " CA of " + remote_cluster;
  if (auto s = check_remote_name(own_cluster, remote_cluster); !s) return s.err();
  if (auto s = check_keys(checking_keys, what); !s) return s.err();
  remote_ca_update u;
  u.key = ca_backend_key(type, remote_cluster);
  auto stored = db.get(u.key);
  if (!stored && stored.is(persistence::error_kind::not_found)) {
    return make_error(what + " is not trusted here");
  }
  if (!stored) return make_error("reading " + what + ": " + stored.message());
  auto ca = messages::as_kind<cert_authority>(messages::parse_resource_json(stored->value));
  if (!ca) return make_error("the stored record " + u.key + " is damaged: " + ca.message());
  const auto old_blobs = blobs_of(ca->spec.checking_keys);
  const auto new_blobs = blobs_of(checking_keys);
  if (old_blobs == new_blobs) return std::optional<remote_ca_update>{};
  const bool shared = std::any_of(new_blobs.begin(), new_blobs.end(), [&](const std::string& b) {
    return std::find(old_blobs.begin(), old_blobs.end(), b) != old_blobs.end();
  });
  if (!shared) {
    return make_error(what + " was announced with keys that share none with the trusted ones " +
                      "(it rotated while we were not connected): establish the trust again");
  }
  ca->spec.checking_keys = checking_keys;
  u.expected = std::move(stored->value);
  u.value = messages::to_json(messages::resource{*ca}, /*with_secrets=*/true).dump();
  u.keys = checking_keys.size();
  return std::optional<remote_ca_update>{std::move(u)};
}

tp::status apply_remote_ca_update(persistence::backend& db, const remote_ca_update& u) {
  auto put = db.compare_and_swap(u.key, u.expected, u.value);
  if (!put) return make_error("storing " + u.key + ": " + put.message());
  return {};
}

tp::status remove_remote_cas(persistence::backend& db, const std::string& own_cluster,
                             const std::string& remote_cluster) {
  if (auto s = check_remote_name(own_cluster, remote_cluster); !s) return s;
  for (auto type : {ca_type::user, ca_type::host}) {
    auto st = db.remove(ca_backend_key(type, remote_cluster));
    if (!st && !st.is(persistence::error_kind::not_found)) {
      return make_error("removing the CA of " + remote_cluster + ": " + st.message());
    }
  }
  return {};
}

tp::result<std::vector<cert_authority>> list_cas(persistence::backend& db) {
  std::vector<cert_authority> out;
  for (auto type : {ca_type::host, ca_type::user}) {
    auto items = db.get_range("/authorities/" + std::string(to_string(type)) + "/");
    if (!items) return make_error("listing certificate authorities: " + items.message());
    for (const auto& it : *items) {
      auto ca = messages::as_kind<cert_authority>(messages::parse_resource_json(it.value));
      if (!ca) return make_error("the stored record " + it.key + " is damaged: " + ca.message());
      out.push_back(std::move(*ca));
    }
  }
  return out;
}

namespace {

std::vector<cert_authority> remote_cas(persistence::backend& db, const std::string& own_cluster,
                                       ca_type type) {
  std::vector<cert_authority> out;
  auto items = db.get_range("/authorities/" + std::string(to_string(type)) + "/");
  if (!items) return out;
  for (const auto& it : *items) {
    auto ca = messages::as_kind<cert_authority>(messages::parse_resource_json(it.value));
    if (!ca || ca->spec.cluster_name == own_cluster || ca->meta.name == own_cluster) continue;
    out.push_back(std::move(*ca));
  }
  return out;
}

}  // namespace

std::vector<std::string> remote_cluster_names(persistence::backend& db,
                                              const std::string& own_cluster, ca_type type) {
  std::vector<std::string> out;
  for (auto& ca : remote_cas(db, own_cluster, type)) out.push_back(std::move(ca.meta.name));
  return out;
}

std::vector<std::string> remote_ca_keys(persistence::backend& db, const std::string& own_cluster,
                                        ca_type type) {
  std::vector<std::string> out;
  for (const auto& ca : remote_cas(db, own_cluster, type)) {
    for (const auto& k : ca.spec.checking_keys) out.push_back(k);
  }
  return out;
}

tp::status check_trust_request(const messages::validate_trusted_cluster_request& r,
                               const std::string& own_cluster) {
  if (r.token.empty()) return make_error("no token: the trusted cluster resource needs one");
  // Refused before anything is stored: the leaf would refuse our answer anyway.
  if (!r.root_cluster_name.empty() && r.root_cluster_name != own_cluster) {
    return make_error("this cluster is named \"" + own_cluster + "\", not \"" +
                      r.root_cluster_name +
                      "\": the trusted_cluster resource's name must equal its cluster_name");
  }
  if (auto s = check_remote_name(own_cluster, r.cluster_name); !s) return s;
  if (auto s = check_keys(r.host_ca_keys, "the host CA of " + r.cluster_name); !s) return s;
  if (!r.user_ca_keys.empty()) {
    if (auto s = check_keys(r.user_ca_keys, "the user CA of " + r.cluster_name); !s) return s;
  }
  return {};
}

tp::status check_trust_reply(const messages::ca_keys& reply, const std::string& expected_cluster) {
  if (reply.cluster_name != expected_cluster) {
    return make_error("the trusted cluster is named \"" + reply.cluster_name + "\", not \"" +
                      expected_cluster + "\": the resource's name must equal its cluster_name");
  }
  if (auto s = check_keys(reply.user_ca_keys, "the user CA of " + expected_cluster); !s) return s;
  if (auto s = check_keys(reply.host_ca_keys, "the host CA of " + expected_cluster); !s) return s;
  return {};
}

}  // namespace tp::actors::auth
