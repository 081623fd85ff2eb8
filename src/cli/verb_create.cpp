// xlbctl create lb | endpoint.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/verbs.h"

namespace xlb::cli {
namespace {

void add_create_lb(CLI::App* create, Invocation& run) {
  auto args = std::make_shared<CreateLbArgs>();
  auto* cmd = create->add_subcommand("lb", "Create load-balancer rules, one per port");
  cmd->add_option("VIP", args->vip, "Virtual IP")->required();
  cmd->add_option("--tcp", args->tcp, "<port>:<targetPort>[,...]");
  cmd->add_option("--udp", args->udp, "<port>:<targetPort>[,...]");
  cmd->add_option("--endpoints", args->endpoints, "<ip>:<weight>[,<ip>:<weight>...]");
  cmd->add_option("--mode", args->mode, "default|fullnat|dsr|fullproxy");
  cmd->add_option("--select", args->select, "rr|hash|priority|persist|lc|maglev");
  cmd->add_option("--name", args->name, "Rule name");
  cmd->add_flag("--monitor", args->monitor, "Health-check the endpoints");
  cmd->add_option("--inatimeout", args->inactive_timeout, "Idle timeout of flows in seconds");
  cmd->add_flag("--ppv2en", args->ppv2, "Send Proxy Protocol v2 headers");
  cmd->add_option("--snat", args->snat, "fullnat source addresses <ip>[,<ip>]");
  cmd->add_option("--dsr", args->dsr, "dsr encapsulation: auto|ipip");
  cmd->add_option("--persist-timeout", args->persist_timeout,
                  "persist: seconds a client's affinity lasts while idle (300)");
  cmd->add_option("--maglev-size", args->maglev_size, "maglev: lookup table size, a prime (16381)");
  cmd->add_option("--ondown", args->on_down,
                  "Flows of an endpoint its health check marks down: keep|reset (keep)");
  cmd->add_flag("--failopen", args->fail_open,
                "When every endpoint is health-down, keep selecting among them");
  cmd->add_option("--host", args->host, "fullproxy: the Host this rule serves (default: any)");
  cmd->add_option("--xff", args->xff, "fullproxy: X-Forwarded-For append|replace|off (append)");
  cmd->add_option("--xff-trusted", args->xff_trusted,
                  "fullproxy: clients whose XFF chain and PPv2 are kept <cidr>[,<cidr>]");
  cmd->add_option("--reuse", args->reuse,
                  "fullproxy: backend connection reuse safe|always|never (safe)");
  cmd->add_option("--security", args->security,
                  "fullproxy: TLS toward the client none|https|e2ehttps (none; e2ehttps: TLS "
                  "to the endpoints too)");
  cmd->add_option("--tls-cert", args->tls_cert,
                  "https: PEM certificate chain file (absolute path, on xlbd's host)");
  cmd->add_option("--tls-key", args->tls_key,
                  "https: PEM private key file, owner-only (absolute path, on xlbd's host)");
  cmd->add_option("--backend-ca", args->backend_ca,
                  "e2ehttps: PEM CA file the endpoints' certificates chain to (default: the "
                  "system's trust store)");
  cmd->add_option("--backend-name", args->backend_name,
                  "e2ehttps: the name endpoints' certificates must carry, sent as SNI (default: "
                  "each endpoint's IP)");
  cmd->add_flag("--insecure-backend", args->insecure_backend,
                "e2ehttps: do not verify the endpoints' certificates (logged at every load)");
  run_when_chosen(cmd, run, [args](ApiClient& api) { return create_lb(api, *args, std::cout); });
}

void add_create_endpoint(CLI::App* create, Invocation& run) {
  auto args = std::make_shared<CreateEndpointArgs>();
  auto* cmd = create->add_subcommand(
      "endpoint", "Give a host its own health check, in every rule that lists it");
  cmd->add_option("IP", args->ip, "Endpoint (host) IP")->required();
  cmd->add_option("--probetype", args->probetype, "none|ping|tcp|udp|http|https")->required();
  cmd->add_option("--probeport", args->probeport,
                  "Port to probe (default: the endpoint's target port in each rule)");
  cmd->add_option("--probereq", args->probereq,
                  "http(s): path such as /health; udp: payload to send");
  cmd->add_option("--proberesp", args->proberesp,
                  "http(s): status or range (200, 200-299) and/or body text (give twice for "
                  "both); udp: expected reply text")
      ->allow_extra_args(false);  // one value per --proberesp: the IP is never taken for one
  cmd->add_option("--period", args->period, "Seconds between probes (5)");
  cmd->add_option("--timeout", args->timeout, "Seconds per probe (2)");
  cmd->add_option("--retries", args->retries, "Consecutive failures to mark it down (2)");
  cmd->add_option("--rise", args->rise, "Consecutive successes to mark it ok again (2)");
  cmd->add_option("--name", args->name, "Label shown by get ep");
  cmd->add_flag("--verify", args->verify, "https: verify the certificate (system CA store)");
  run_when_chosen(cmd, run,
                  [args](ApiClient& api) { return create_endpoint(api, *args, std::cout); });
}

}  // namespace

void add_create_verb(CLI::App& app, Invocation& run) {
  auto* create = app.add_subcommand("create", "Create (or replace) a rule")->require_subcommand(1);
  add_create_lb(create, run);
  add_create_endpoint(create, run);
  add_create_bgp(create, run);
}

}  // namespace xlb::cli
