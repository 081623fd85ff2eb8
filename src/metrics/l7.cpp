#include "metrics/l7.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <map>
#include <string>

namespace xlb::metrics {
namespace {

// Handshakes with clients and endpoints, failures by OpenSSL's reason, and the time left on
// each served certificate (labelled like the rule's other series, plus its file), in seconds
// as Prometheus' base unit wants.
void add_l7_tls(prometheus::Registry& r, const proxy::ProxyStatsSnapshot& stats,
                const std::map<std::string, prometheus::Labels>& rule_labels) {
  auto& handshakes = prometheus::BuildCounter()
                         .Name("xlb_l7_tls_handshakes_total")
                         .Help(
                             "TLS handshakes completed by xlb-proxy, with clients (side=client) "
                             "and with endpoints (side=backend, e2ehttps)")
                         .Register(r);
  for (const auto& [side, n] : stats.tls_handshakes)
    handshakes.Add({{"side", side}}).Increment(static_cast<double>(n));
  auto& failures = prometheus::BuildCounter()
                       .Name("xlb_l7_tls_handshake_failures_total")
                       .Help(
                           "TLS handshakes that failed, by side and OpenSSL's reason "
                           "(connection_closed: the peer left without one)")
                       .Register(r);
  for (const auto& f : stats.tls_failures) {
    failures.Add({{"side", f.side}, {"reason", f.reason}}).Increment(static_cast<double>(f.count));
  }
  auto& expiry = prometheus::BuildGauge()
                     .Name("xlb_l7_tls_certificate_expiry_seconds")
                     .Help(
                         "Seconds until the certificate a TLS rule serves expires (/ 86400: "
                         "days; negative: expired)")
                     .Register(r);
  for (const auto& c : stats.certificates) {
    auto it = rule_labels.find(c.key);
    if (it == rule_labels.end()) continue;  // deleted since
    prometheus::Labels with_file = it->second;
    with_file["certificate"] = c.file;
    expiry.Add(with_file).Set(c.days_left * 86400);
  }
}

}  // namespace

void add_l7(prometheus::Registry& r, const proxy::ProxyStatus& proxy,
            const std::vector<ServiceStatus>& rules) {
  prometheus::BuildGauge()
      .Name("xlb_l7_proxy_up")
      .Help("1 while xlb-proxy runs and answers xlbd")
      .Register(r)
      .Add({})
      .Set(proxy.running ? 1 : 0);
  prometheus::BuildCounter()
      .Name("xlb_l7_proxy_restarts_total")
      .Help("Times xlbd started xlb-proxy again after it died")
      .Register(r)
      .Add({})
      .Increment(static_cast<double>(proxy.restarts));
  if (!proxy.stats) return;

  // The stats key of each fullproxy rule (its model key) -> its labels.
  std::map<std::string, prometheus::Labels> labels;
  for (const ServiceStatus& rule : rules) {
    if (!model::is_l7(rule.service)) continue;
    const auto& k = rule.service.key;
    labels[model::to_string(k)] = {{"rule", model::display_name(rule.service)},
                                   {"vip", k.vip},
                                   {"port", std::to_string(k.port)},
                                   {"host", k.host}};
  }
  auto& requests = prometheus::BuildCounter()
                       .Name("xlb_l7_requests_total")
                       .Help("HTTP requests routed to the fullproxy rule")
                       .Register(r);
  auto& responses = prometheus::BuildCounter()
                        .Name("xlb_l7_responses_total")
                        .Help(
                            "Responses to the rule's requests by status class, the proxy's own "
                            "(404, 502, 503, 504) included")
                        .Register(r);
  auto& connections = prometheus::BuildCounter()
                          .Name("xlb_l7_backend_connections_total")
                          .Help(
                              "Connections opened to the rule's endpoints (compare with "
                              "requests: the rest reused pooled connections)")
                          .Register(r);
  auto& latency = prometheus::BuildHistogram()
                      .Name("xlb_l7_request_duration_seconds")
                      .Help("From a request's head received to its response's end, per rule")
                      .Register(r);
  const prometheus::Histogram::BucketBoundaries bounds(proxy::kLatencyBounds.begin(),
                                                       proxy::kLatencyBounds.end());
  for (const auto& rule : proxy.stats->rules) {
    auto it = labels.find(rule.key);
    if (it == labels.end()) continue;  // deleted since
    const prometheus::Labels& base = it->second;
    requests.Add(base).Increment(static_cast<double>(rule.requests));
    for (size_t i = 0; i < rule.responses.size(); ++i) {
      prometheus::Labels with_class = base;
      with_class["class"] = std::to_string(i + 1) + "xx";
      responses.Add(with_class).Increment(static_cast<double>(rule.responses[i]));
    }
    connections.Add(base).Increment(static_cast<double>(rule.backend_connections));
    std::vector<double> increments(rule.latency_buckets.begin(), rule.latency_buckets.end());
    latency.Add(base, bounds).ObserveMultiple(increments, rule.latency_sum_seconds);
  }
  add_l7_tls(r, *proxy.stats, labels);
  auto& refused = prometheus::BuildCounter()
                      .Name("xlb_l7_refused_total")
                      .Help(
                          "Requests the proxy answered before any rule (malformed 400, 408, "
                          "414, 431, 404), by status")
                      .Register(r);
  for (const auto& [status, n] : proxy.stats->refused)
    refused.Add({{"status", std::to_string(status)}}).Increment(static_cast<double>(n));
}

}  // namespace xlb::metrics
