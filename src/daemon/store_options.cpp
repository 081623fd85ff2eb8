#include "daemon/store_options.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

#include "common/quote.h"
#include "store/etcd_client.h"
#include "store/etcd_store.h"

namespace xlb::daemon {
namespace {

bool node_name_ok(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

}  // namespace

void add_store_options(CLI::App& app, DaemonOptions& o) {
  app.add_option("--store", o.store,
                 "Keep the rules and probes shared by a cluster in etcd: "
                 "etcd://<host>:<port>[,<host>:<port>...] (default: the file store in "
                 "--state-dir)");
  app.add_option("--store-prefix", o.store_prefix, "etcd key prefix; keys live under <prefix>/v1/")
      ->capture_default_str();
  app.add_option("--node-name", o.node_name,
                 "This node's name in the cluster (etcd); default: the host name");
  app.add_option("--store-cacert", o.store_cacert,
                 "CA certificate (PEM) etcd's certificate must be signed by; turns on TLS");
  app.add_option("--store-cert", o.store_cert, "Client certificate (PEM) for etcd's TLS");
  app.add_option("--store-key", o.store_key, "Private key (PEM) of --store-cert");
  app.add_option("--store-user", o.store_user, "etcd user (etcd authentication)");
  app.add_option("--store-password-file", o.store_password_file,
                 "File (mode 0600) holding the password of --store-user");
  app.add_option("--store-lease-ttl", o.store_lease_ttl_s,
                 "Seconds a node stays listed in etcd after it stops renewing its lease")
      ->check(CLI::Range(2u, 60u))
      ->capture_default_str();
  app.add_flag("--store-import", o.store_import,
               "Copy the file store of --state-dir into etcd at start; the prefix must hold "
               "no rule or probe yet");
}

std::string check_store_options(DaemonOptions& o) {
  const bool etcd_only = o.store_import || !o.store_cacert.empty() || !o.store_cert.empty() ||
                         !o.store_key.empty() || !o.store_user.empty() ||
                         !o.store_password_file.empty();
  if (o.store.empty()) {
    return etcd_only ? "--store-import, --store-cacert, --store-cert, --store-key, --store-user "
                       "and --store-password-file need --store=etcd://<host>:<port>"
                     : "";
  }
  if (auto endpoints = parse_etcd_url(o.store); !endpoints) return endpoints.error().message;
  if (auto ok = check_store_prefix(o.store_prefix); !ok) return ok.error().message;
  if (o.node_name.empty()) o.node_name = host_name();
  if (!node_name_ok(o.node_name)) {
    return "--node-name must be 1-64 letters, digits, - _ or ., got " + xlb::quoted(o.node_name);
  }
  if (o.store_cert.empty() != o.store_key.empty())
    return "--store-cert and --store-key go together: pass both, or neither";
  if (!o.store_cert.empty() && o.store_cacert.empty())
    return "--store-cert needs --store-cacert (the CA that signed etcd's certificate)";
  if (o.store_user.empty() != o.store_password_file.empty())
    return "--store-user and --store-password-file go together: pass both, or neither";
  return "";
}

}  // namespace xlb::daemon
