// The items of a shared configuration: one per rule and one per host probe, each under its own
// name, so unrelated writes on two nodes never touch the same item. Names are relative to the
// store's versioned prefix ("/xlb/v1/" + name in etcd).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "model/service.h"

namespace xlb {

// A shared store's revision (etcd's): it grows with every change; 0 means "none" or "absent".
using Revision = int64_t;

using StoreItem = std::variant<model::Service, model::EndpointProbe>;

inline constexpr std::string_view kRuleItems = "rules/";
inline constexpr std::string_view kProbeItems = "probes/";

// "rules/20.20.20.1:80:tcp", "rules/20.20.20.1:8080:tcp:www.a.com" (a fullproxy rule's host):
// the one place a rule's key becomes a name (a rule key that gains a field gains it here).
std::string rule_item_name(const model::ServiceKey& key);
// "probes/10.1.2.10".
std::string probe_item_name(const std::string& ip);
std::string item_name(const StoreItem& item);
// "rule 20.20.20.1:80/tcp", "the probe of endpoint 10.1.2.10": for messages.
std::string item_description(const StoreItem& item);
std::string item_description(std::string_view name);

// The stored text of an item: the API's JSON of the rule or probe.
std::string encode_item(const StoreItem& item);
// An item read from the store, held to the checks API input gets: strict JSON, the model's
// decoder and validation, and a name that matches its content. `where` names it in errors
// ("etcd key /xlb/v1/rules/...").
Result<StoreItem> decode_item(std::string_view name, std::string_view text,
                              const std::string& where);

// An item as read or as changed at a revision.
struct ItemChange {
  std::string name;
  Revision revision = 0;          // the item's last change (etcd's mod_revision)
  std::optional<StoreItem> item;  // nullopt: deleted
};

// One item of a conditional write.
struct ItemWrite {
  std::string name;
  Revision expected = 0;          // the revision the writer read; 0: it must not exist
  std::optional<StoreItem> item;  // nullopt: delete it
};

// What an API request changes, before revisions are attached.
struct ConfigChange {
  std::vector<StoreItem> put;
  std::vector<std::string> removed;  // item names
  bool empty() const { return put.empty() && removed.empty(); }
};

// A revision a node would not apply, and why.
struct RefusedRevision {
  Revision revision = 0;
  std::string reason;
  bool operator==(const RefusedRevision&) const = default;
};

// The change that turns `from` into `to`: rules and probes created, replaced or removed.
ConfigChange config_change(const model::Config& from, const model::Config& to);

}  // namespace xlb
