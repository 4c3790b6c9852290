#include "messages/user.hpp"

#include "messages/tree_reader.hpp"
#include "messages/tree_writer.hpp"

namespace tp::messages {
namespace {

void decode_identities(map_reader& in, std::string_view key, std::vector<external_identity>& out) {
  in.for_each(key, [&](map_reader& r) {
    auto& id = out.emplace_back();
    r.read("connector_id", id.connector_id);
    r.read("username", id.username);
    if (id.connector_id.empty()) r.fail("connector_id", "missing");
  });
}

tree encode_identities(const std::vector<external_identity>& ids) {
  tree out = tree::array();
  for (const auto& id : ids)
    out.push_back(tree{{"connector_id", id.connector_id}, {"username", id.username}});
  return out;
}

}  // namespace

const std::vector<std::string>& user::logins() const {
  static const std::vector<std::string> kNone;
  auto it = spec.traits.find("logins");
  return it == spec.traits.end() ? kNone : it->second;
}

void decode_spec(map_reader& in, user& res) {
  user_spec& out = res.spec;
  in.read("roles", out.roles);
  check_names(in, "roles", out.roles, "role name");
  in.read("traits", out.traits, false);
  if (auto it = out.traits.find("logins"); it != out.traits.end()) {
    check_names(in, "traits.logins", it->second, "login");
  }
  {
    map_reader st = in.child("status");
    st.read("is_locked", out.status.is_locked);
    st.read("locked_message", out.status.locked_message);
    st.read("locked_time", out.status.locked_time);
    st.read("lock_expires", out.status.lock_expires);
    st.finish();
  }
  in.read("expires", out.expires);
  {
    map_reader cb = in.child("created_by");
    cb.read("time", out.created.time);
    {
      map_reader u = cb.child("user");
      u.read("name", out.created.user_name);
      u.finish();
    }
    {
      map_reader c = cb.child("connector");
      c.read("type", out.created.connector_type);
      c.read("id", out.created.connector_id);
      c.read("identity", out.created.connector_identity);
      c.finish();
    }
    cb.finish();
  }
  decode_identities(in, "oidc_identities", out.oidc_identities);
  decode_identities(in, "saml_identities", out.saml_identities);
  decode_identities(in, "github_identities", out.github_identities);
  {
    map_reader la = in.child("local_auth");
    la.read("password_hash", out.auth.password_hash);
    la.read("totp_key", out.auth.totp_key);
    {
      map_reader u2f = la.child("u2f_registration");
      u2f.read("raw", out.auth.u2f.raw);
      u2f.read("key_handle", out.auth.u2f.key_handle);
      u2f.read("pubkey", out.auth.u2f.pubkey);
      u2f.finish();
    }
    la.read("u2f_counter", out.auth.u2f_counter);
    la.finish();
  }
}

tree encode_spec(const user& res) {
  const user_spec& in = res.spec;
  tree spec = tree::object();
  put_nonempty(spec, "roles", in.roles);
  tree status = tree::object();
  status["is_locked"] = in.status.is_locked;
  put_time(status, "lock_expires", in.status.lock_expires);
  put_nonempty(status, "locked_message", in.status.locked_message);
  put_time(status, "locked_time", in.status.locked_time);
  spec["status"] = std::move(status);
  if (!in.traits.empty()) {
    tree traits = tree::object();
    for (const auto& [k, v] : in.traits) traits[k] = v;
    spec["traits"] = std::move(traits);
  }
  put_time(spec, "expires", in.expires);
  tree created = tree::object();
  if (!in.created.connector_type.empty() || !in.created.connector_id.empty() ||
      !in.created.connector_identity.empty()) {
    tree c = tree::object();
    put_nonempty(c, "type", in.created.connector_type);
    put_nonempty(c, "id", in.created.connector_id);
    put_nonempty(c, "identity", in.created.connector_identity);
    created["connector"] = std::move(c);
  }
  put_time(created, "time", in.created.time);
  if (!in.created.user_name.empty()) created["user"] = tree{{"name", in.created.user_name}};
  spec["created_by"] = std::move(created);
  put_nonempty(spec, "oidc_identities", encode_identities(in.oidc_identities));
  put_nonempty(spec, "saml_identities", encode_identities(in.saml_identities));
  put_nonempty(spec, "github_identities", encode_identities(in.github_identities));
  if (!in.auth.empty()) {
    tree la = tree::object();
    put_nonempty(la, "password_hash", in.auth.password_hash);
    put_nonempty(la, "totp_key", in.auth.totp_key);
    if (in.auth.u2f != u2f_registration{}) {
      la["u2f_registration"] = tree{{"raw", in.auth.u2f.raw},
                                    {"key_handle", in.auth.u2f.key_handle},
                                    {"pubkey", in.auth.u2f.pubkey}};
    }
    if (in.auth.u2f_counter != 0) la["u2f_counter"] = in.auth.u2f_counter;
    spec["local_auth"] = std::move(la);
  }
  return spec;
}

void clear_secrets(user& r) {
  r.spec.auth = local_auth{};
}

}  // namespace tp::messages
