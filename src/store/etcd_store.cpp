#include "store/etcd_store.h"

#include <spdlog/spdlog.h>

#include <map>

#include "common/quote.h"

namespace xlb {
namespace {

using nlohmann::json;

std::string etcd_key_text(const json& kv) {
  if (!kv.contains("key") || !kv["key"].is_string()) return {};
  return base64_decode_text(kv["key"].get<std::string>()).value_or("");
}

Result<std::string> etcd_value_text(const json& kv, const std::string& key) {
  if (!kv.contains("value")) return std::string();
  if (kv["value"].is_string()) {
    if (auto text = base64_decode_text(kv["value"].get<std::string>())) return *text;
  }
  return Error{ErrorCode::invalid_argument, "etcd key " + key + " holds a value that is not base64",
               ""};
}

// The item at `key` in a range or watch answer, checked like API input.
Result<StoreItem> etcd_item(const std::string& name, const std::string& key, const json& kv) {
  auto text = etcd_value_text(kv, key);
  if (!text) return text.error();
  return decode_item(name, *text, "etcd key " + key);
}

}  // namespace

Result<void> check_store_prefix(const std::string& prefix) {
  const bool chars_ok = std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
           c == '.';
  });
  if (prefix.size() < 2 || prefix.size() > 200 || prefix.front() != '/' || prefix.back() == '/' ||
      prefix.find("//") != std::string::npos || !chars_ok) {
    return invalid("store-prefix",
                   "--store-prefix must be a key prefix such as /xlb (a leading /, no trailing /, "
                   "letters, digits, / _ - .), got " +
                       xlb::quoted(prefix));
  }
  return Ok{};
}

int64_t etcd_int(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field)) return 0;
  const json& v = j[field];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc{} && end == s.data() + s.size()) return out;
  }
  return 0;
}

EtcdStore::EtcdStore(EtcdStoreOptions options)
    : options_(std::move(options)),
      versioned_prefix_(options_.prefix + "/v1/"),
      client_(options_.client),
      local_copy_(options_.local_copy_dir) {}

std::string etcd_prefix_end(const std::string& prefix) {
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);  // prefixes end in '/', never 0xff
  return end;
}

std::string EtcdStore::item_name_of(const std::string& key) const {
  if (key.rfind(versioned_prefix_, 0) != 0) return {};
  std::string name = key.substr(versioned_prefix_.size());
  if (name.rfind(kRuleItems, 0) == 0 || name.rfind(kProbeItems, 0) == 0) return name;
  // nodes/ (membership) and kinds a newer xlb may add are not part of the configuration
  // this node applies.
  return {};
}

Result<StoreSnapshot> EtcdStore::snapshot() {
  StoreSnapshot snapshot;
  for (std::string_view kind : {kRuleItems, kProbeItems}) {
    const std::string prefix = key_of(kind);
    json body = {{"key", base64_encode_text(prefix)},
                 {"range_end", base64_encode_text(etcd_prefix_end(prefix))}};
    // The probes are read at the rules' revision: one consistent view.
    if (snapshot.revision != 0) body["revision"] = std::to_string(snapshot.revision);
    auto answer = client_.call("kv/range", body);
    if (!answer) return answer.error();
    if (snapshot.revision == 0) snapshot.revision = etcd_int((*answer)["header"], "revision");
    if (!answer->contains("kvs")) continue;
    for (const json& kv : (*answer)["kvs"]) {
      const std::string key = etcd_key_text(kv);
      const std::string name = item_name_of(key);
      if (name.empty()) continue;
      auto item = etcd_item(name, key, kv);
      if (!item) {
        snapshot.invalid.emplace(name, item.error());
        continue;
      }
      snapshot.items.push_back(ItemChange{name, etcd_int(kv, "mod_revision"), std::move(*item)});
    }
  }
  return snapshot;
}

Result<Revision> EtcdStore::commit(const std::vector<ItemWrite>& writes) {
  if (writes.empty()) return Revision{0};
  if (writes.size() > kEtcdMaxTxnOps) {
    return invalid("", "this change touches " + std::to_string(writes.size()) +
                           " rules and probes; etcd takes at most " +
                           std::to_string(kEtcdMaxTxnOps) +
                           " in one transaction: apply it in smaller parts");
  }
  json compare = json::array(), success = json::array(), failure = json::array();
  for (const ItemWrite& w : writes) {
    const std::string key = base64_encode_text(key_of(w.name));
    compare.push_back({{"key", key},
                       {"target", "MOD"},
                       {"result", "EQUAL"},
                       {"mod_revision", std::to_string(w.expected)}});
    if (w.item) {
      success.push_back(
          {{"request_put", {{"key", key}, {"value", base64_encode_text(encode_item(*w.item))}}}});
    } else {
      success.push_back({{"request_delete_range", {{"key", key}}}});
    }
    failure.push_back({{"request_range", {{"key", key}}}});
  }
  auto answer =
      client_.call("kv/txn", {{"compare", compare}, {"success", success}, {"failure", failure}});
  if (!answer) {
    Error e = answer.error();
    if (e.code == ErrorCode::unavailable) e.message += "; nothing was changed";
    return e;
  }
  if (answer->value("succeeded", false)) return etcd_int((*answer)["header"], "revision");

  // Which item moved: the failure branch read each key.
  const json responses = answer->value("responses", json::array());
  for (size_t i = 0; i < writes.size() && i < responses.size(); ++i) {
    const json range = responses[i].value("response_range", json::object());
    const json kvs = range.value("kvs", json::array());
    const Revision now = kvs.empty() ? 0 : etcd_int(kvs[0], "mod_revision");
    if (now == writes[i].expected) continue;
    const std::string what = item_description(writes[i].name);
    std::string how = now == 0 ? "was deleted by another writer"
                      : writes[i].expected == 0
                          ? "was created by another writer"
                          : "was changed by another writer (now at revision " +
                                std::to_string(now) + ", this node read " +
                                std::to_string(writes[i].expected) + ")";
    return Error{ErrorCode::conflict,
                 what + " " + how + "; nothing was applied: read it again and retry", ""};
  }
  return Error{ErrorCode::conflict,
               "the configuration was changed by another writer; nothing was applied: retry", ""};
}

Result<void> EtcdStore::watch(Revision after,
                              const std::function<void(const StoreUpdate&)>& on_update) {
  const json body = {{"create_request",
                      {{"key", base64_encode_text(versioned_prefix_)},
                       {"range_end", base64_encode_text(etcd_prefix_end(versioned_prefix_))},
                       {"start_revision", std::to_string(after + 1)}}}};
  std::optional<Error> ended;
  auto done = client_.stream("watch", body, [&](const json& message) {
    if (message.contains("error")) {
      ended = Error{ErrorCode::unavailable,
                    "etcd ended the watch: " + message["error"].value("message", std::string("?")),
                    "store"};
      return false;
    }
    const json result = message.value("result", json::object());
    if (result.value("canceled", false)) {
      const Revision compacted = etcd_int(result, "compact_revision");
      ended = Error{ErrorCode::unavailable,
                    compacted ? "etcd compacted revision " + std::to_string(after + 1) +
                                    " away (now from " + std::to_string(compacted) + ")"
                              : "etcd canceled the watch",
                    "store"};
      return false;
    }
    // Events in revision order; one update per revision.
    std::map<Revision, StoreUpdate> updates;
    for (const json& event : result.value("events", json::array())) {
      const json kv = event.value("kv", json::object());
      const std::string key = etcd_key_text(kv);
      const std::string name = item_name_of(key);
      const Revision rev = etcd_int(kv, "mod_revision");
      if (name.empty() || rev == 0) continue;
      StoreUpdate& update = updates[rev];
      update.revision = rev;
      if (event.value("type", std::string()) == "DELETE") {
        update.changes.push_back(ItemChange{name, rev, std::nullopt});
        continue;
      }
      auto item = etcd_item(name, key, kv);
      if (!item) {
        update.invalid.insert_or_assign(name, item.error());
        continue;
      }
      update.changes.push_back(ItemChange{name, rev, std::move(*item)});
    }
    for (const auto& [rev, update] : updates) on_update(update);
    return true;
  });
  if (ended) return *ended;
  if (!done) return done.error();
  return Error{ErrorCode::unavailable, "watch stopped", "store"};
}

Result<size_t> EtcdStore::import(const model::Config& cfg) {
  auto existing = snapshot();
  if (!existing) return existing.error();
  if (const size_t held = existing->items.size() + existing->invalid.size(); held != 0) {
    return Error{ErrorCode::conflict,
                 "etcd prefix " + versioned_prefix_ + " already holds " + std::to_string(held) +
                     " rules and probes; import only into an empty prefix (or drop "
                     "--store-import)",
                 "store-import"};
  }
  std::vector<ItemWrite> all;
  for (const auto& svc : cfg.services) all.push_back(ItemWrite{rule_item_name(svc.key), 0, svc});
  for (const auto& probe : cfg.endpoint_probes)
    all.push_back(ItemWrite{probe_item_name(probe.ip), 0, probe});
  for (size_t i = 0; i < all.size(); i += kEtcdMaxTxnOps) {
    std::vector<ItemWrite> part(
        all.begin() + static_cast<std::ptrdiff_t>(i),
        all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + kEtcdMaxTxnOps)));
    if (auto done = commit(part); !done) return done.error();
  }
  return all.size();
}

}  // namespace xlb
