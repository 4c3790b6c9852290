#include "persistence/etcd_json.hpp"

#include "messages/base64.hpp"
#include "persistence/key_path.hpp"
#include "persistence/record.hpp"

namespace tp::persistence::etcd_json {
namespace {

// The least key greater than every key starting with s ("\0" = no upper bound).
std::string successor(std::string s) {
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) s.pop_back();
  if (s.empty()) return std::string(1, '\0');
  s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

db_result<std::string> bytes_of(const json& kv, const char* field) {
  auto it = kv.find(field);
  if (it == kv.end()) return std::string();  // the gateway omits empty fields
  if (!it->is_string()) return {error_kind::io, std::string("etcd sent a non-string ") + field};
  auto raw = messages::base64_decode(it->get<std::string>());
  if (!raw) return {error_kind::io, std::string("etcd sent a bad ") + field + ": " + raw.message()};
  return std::move(*raw);
}

}  // namespace

std::string b64(std::string_view bytes) {
  return messages::base64_encode(bytes);
}

db_result<std::string> normalize_prefix(std::string_view prefix) {
  std::string p(prefix);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p.empty()) return {error_kind::bad_parameter, "the etcd key prefix must not be empty"};
  if (p.find('\0') != std::string::npos) {
    return {error_kind::bad_parameter, "the etcd key prefix contains a NUL byte"};
  }
  if (p.front() != '/') p.insert(p.begin(), '/');
  return p;
}

key_space::key_space(std::string prefix) : prefix_(std::move(prefix)) {}

std::optional<std::string> key_space::ours(std::string_view etcd_key) const {
  if (etcd_key.size() <= prefix_.size() || etcd_key.compare(0, prefix_.size(), prefix_) != 0 ||
      etcd_key[prefix_.size()] != '/') {
    return std::nullopt;
  }
  return std::string(etcd_key.substr(prefix_.size()));
}

std::pair<std::string, std::string> key_space::span(std::string_view prefix) const {
  std::string from = of(prefix);
  std::string to = successor(from);
  return {std::move(from), std::move(to)};
}

std::vector<std::pair<std::string, std::string>> key_space::subtree(std::string_view prefix) const {
  std::string full = of(prefix);
  if (full.back() == '/') {
    std::string to = successor(full);
    return {{std::move(full), std::move(to)}};
  }
  std::string children = full + "/";
  std::string to = successor(children);
  return {{std::move(full), std::string()}, {std::move(children), std::move(to)}};
}

std::uint64_t number_of(const json& j, const char* field) {
  if (!j.is_object()) return 0;
  auto it = j.find(field);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (it->is_number_integer()) {
    const auto v = it->get<std::int64_t>();
    return v < 0 ? 0 : static_cast<std::uint64_t>(v);
  }
  if (!it->is_string()) return 0;
  const auto& s = it->get_ref<const std::string&>();
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::uint64_t header_revision(const json& reply) {
  auto h = reply.find("header");
  return h == reply.end() ? 0 : number_of(*h, "revision");
}

const json* first_kv(const json& range_reply) {
  auto kvs = range_reply.find("kvs");
  if (kvs == range_reply.end() || !kvs->is_array() || kvs->empty()) return nullptr;
  return &kvs->front();
}

const json* range_in_failure(const json& txn_reply) {
  auto rs = txn_reply.find("responses");
  if (rs == txn_reply.end() || !rs->is_array() || rs->empty()) return nullptr;
  auto range = rs->front().find("response_range");
  if (range == rs->front().end()) return nullptr;
  return first_kv(*range);
}

json compare_created(const std::string& b64_key, std::uint64_t create_revision) {
  return {{"key", b64_key},
          {"target", "CREATE"},
          {"result", "EQUAL"},
          {"create_revision", std::to_string(create_revision)}};
}

json compare_mod(const std::string& b64_key, std::uint64_t mod_revision) {
  return {{"key", b64_key},
          {"target", "MOD"},
          {"result", "EQUAL"},
          {"mod_revision", std::to_string(mod_revision)}};
}

std::int64_t lease_seconds(std::chrono::milliseconds ttl) {
  return (ttl.count() + 999) / 1000 + 1;
}

db_result<item> decode_kv(const json& kv, const key_space& keys) {
  auto raw_key = bytes_of(kv, "key");
  if (!raw_key) return error_as<item>(raw_key);
  auto key = keys.ours(*raw_key);
  if (!key) {
    return {error_kind::io,
            "etcd returned key " + printable_key(*raw_key) + " outside the configured prefix"};
  }
  auto raw = bytes_of(kv, "value");
  if (!raw) return error_as<item>(raw);
  auto rec = record::decode(*raw);
  if (!rec) {
    return {error_kind::io, "stored record for key " + printable_key(*key) +
                                " is corrupt (not written by this version?)"};
  }
  item it;
  it.key = std::move(*key);
  it.value = rec->value;
  if (rec->expires_ms != 0) it.expires = record::from_ms(rec->expires_ms);
  it.revision = number_of(kv, "mod_revision");
  return it;
}

bool is_expired(const item& it) {
  return it.expires && record::to_ms(*it.expires) <= record::now_ms();
}

db_result<watch_batch> parse_watch_line(std::string_view line, const key_space& keys,
                                        std::string_view prefix) {
  auto j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return {error_kind::io, "etcd sent a malformed watch message"};
  if (auto e = j.find("error"); e != j.end()) {
    const std::string text = e->is_object() ? e->value("message", e->dump()) : e->dump();
    return {error_kind::io, "etcd ended the watch: " + text};
  }
  auto r = j.find("result");
  if (r == j.end() || !r->is_object())
    return {error_kind::io, "etcd sent a watch message without a result"};
  watch_batch out;
  out.created = r->value("created", false);
  if (r->value("canceled", false)) {
    if (number_of(*r, "compact_revision") != 0) {
      out.compacted = true;
      return out;
    }
    return {error_kind::io,
            "etcd cancelled the watch: " + r->value("cancel_reason", std::string())};
  }
  auto evs = r->find("events");
  if (evs == r->end() || !evs->is_array()) return out;
  for (const auto& ev : *evs) {
    auto kv = ev.find("kv");
    if (kv == ev.end()) continue;
    const auto rev = number_of(*kv, "mod_revision");
    if (rev != 0) out.next_revision = rev + 1;
    event e;
    if (ev.value("type", std::string("PUT")) == "DELETE") {
      auto raw_key = bytes_of(*kv, "key");
      if (!raw_key) continue;
      auto key = keys.ours(*raw_key);
      if (!key || !in_prefix(*key, prefix)) continue;
      e.type = event_type::remove;
      e.item.key = std::move(*key);
      e.item.revision = rev;
    } else {
      auto it = decode_kv(*kv, keys);
      // A value we did not write is no event of ours (get reports it, naming the key).
      if (!it || !in_prefix(it->key, prefix)) continue;
      e.type = event_type::put;
      e.item = std::move(*it);
    }
    out.events.push_back(std::move(e));
  }
  return out;
}

}  // namespace tp::persistence::etcd_json
