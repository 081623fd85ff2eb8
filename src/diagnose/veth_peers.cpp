#include "diagnose/veth_peers.h"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

namespace xlb::diagnose {
namespace {

using VethSocket = std::unique_ptr<nl_sock, decltype(&nl_socket_free)>;

// What RTM_GETLINK says of one link.
struct VethLinkAnswer {
  bool found = false;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND: "veth", "bridge", ...
  int link_index = 0;
  std::optional<int> link_netnsid;  // set when the peer lives in another namespace
  bool xdp = false;
};

VethSocket veth_netlink_socket() {
  VethSocket sock(nl_socket_alloc(), nl_socket_free);
  if (sock && nl_connect(sock.get(), NETLINK_ROUTE) < 0) sock.reset();
  return sock;
}

int veth_parse_link(nl_msg* msg, void* arg) {
  auto* out = static_cast<VethLinkAnswer*>(arg);
  nlattr* tb[IFLA_MAX + 1] = {};
  if (nlmsg_parse(nlmsg_hdr(msg), sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0) return NL_SKIP;
  out->found = true;
  if (tb[IFLA_IFNAME]) out->name = nla_get_string(tb[IFLA_IFNAME]);
  if (tb[IFLA_LINK]) out->link_index = static_cast<int>(nla_get_u32(tb[IFLA_LINK]));
  if (tb[IFLA_LINK_NETNSID]) out->link_netnsid = nla_get_s32(tb[IFLA_LINK_NETNSID]);
  if (tb[IFLA_LINKINFO]) {
    nlattr* info[IFLA_INFO_MAX + 1] = {};
    if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) == 0 &&
        info[IFLA_INFO_KIND]) {
      out->kind = nla_get_string(info[IFLA_INFO_KIND]);
    }
  }
  if (tb[IFLA_XDP]) {
    nlattr* xdp[IFLA_XDP_MAX + 1] = {};
    if (nla_parse_nested(xdp, IFLA_XDP_MAX, tb[IFLA_XDP], nullptr) == 0 && xdp[IFLA_XDP_ATTACHED]) {
      // Only a native (driver-mode) program gives a veth NAPI; a generic one runs on skbs.
      const uint8_t mode = nla_get_u8(xdp[IFLA_XDP_ATTACHED]);
      out->xdp = mode == XDP_ATTACHED_DRV ||
                 (mode == XDP_ATTACHED_MULTI && xdp[IFLA_XDP_DRV_PROG_ID] != nullptr);
    }
  }
  return NL_OK;
}

// One rtnetlink request in the calling thread's namespace: `header` (`len` bytes), the
// attributes `put` adds, each answer to `parse(msg, arg)`. False if it could not be sent or was
// refused. A socket per request: one reused across requests read a previous request's late ACK
// as its answer.
bool veth_request(int type, const void* header, size_t len, const std::function<int(nl_msg*)>& put,
                  nl_recvmsg_msg_cb_t parse, void* arg) {
  VethSocket sock = veth_netlink_socket();
  nl_msg* msg = sock ? nlmsg_alloc_simple(type, NLM_F_REQUEST) : nullptr;
  if (!msg) return false;
  if (nlmsg_append(msg, const_cast<void*>(header), len, NLMSG_ALIGNTO) < 0 || put(msg) < 0) {
    nlmsg_free(msg);
    return false;
  }
  nl_socket_modify_cb(sock.get(), NL_CB_VALID, NL_CB_CUSTOM, parse, arg);
  return nl_send_sync(sock.get(), msg) >= 0;  // frees msg
}

// RTM_GETLINK by name (ifindex 0) or by index.
VethLinkAnswer veth_query_link(int ifindex, const std::string& name) {
  VethLinkAnswer answer;
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  const bool ok = veth_request(
      RTM_GETLINK, &ifi, sizeof ifi,
      [&name](nl_msg* msg) {
        return name.empty() ? 0 : nla_put_string(msg, IFLA_IFNAME, name.c_str());
      },
      veth_parse_link, &answer);
  if (!ok) answer.found = false;
  return answer;
}

int veth_parse_nsid(nl_msg* msg, void* arg) {
  nlattr* tb[NETNSA_MAX + 1] = {};
  if (nlmsg_parse(nlmsg_hdr(msg), sizeof(rtgenmsg), tb, NETNSA_MAX, nullptr) == 0 &&
      tb[NETNSA_NSID]) {
    *static_cast<int*>(arg) = nla_get_s32(tb[NETNSA_NSID]);
  }
  return NL_OK;
}

// The id this namespace gives the namespace behind `fd`; -1: none assigned (or an error).
int veth_nsid_of(int fd) {
  int nsid = -1;
  rtgenmsg gen{};
  gen.rtgen_family = AF_UNSPEC;
  const bool ok = veth_request(
      RTM_GETNSID, &gen, sizeof gen,
      [fd](nl_msg* msg) { return nla_put_u32(msg, NETNSA_FD, static_cast<uint32_t>(fd)); },
      veth_parse_nsid, &nsid);
  return ok ? nsid : -1;
}

struct VethNetns {
  int fd = -1;       // owned
  std::string name;  // its /run/netns name; empty when found through a process
};

// The namespace with id `nsid` here: the named ones (ip netns) first, then those of processes.
std::optional<VethNetns> veth_find_netns(int nsid) {
  auto try_path = [&](const std::string& path,
                      const std::string& name) -> std::optional<VethNetns> {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    if (veth_nsid_of(fd) == nsid) return VethNetns{fd, name};
    ::close(fd);
    return std::nullopt;
  };
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    if (auto found = try_path(e.path().string(), e.path().filename().string())) return found;
  }
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (auto found = try_path("/proc/" + pid + "/ns/net", "")) return found;
  }
  return std::nullopt;
}

// An ethtool on/off value of `ifname` (ETHTOOL_GGRO, ETHTOOL_GTXCSUM), in the namespace of
// the calling thread.
std::optional<bool> veth_ethtool_flag(const std::string& ifname, uint32_t cmd) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  ethtool_value value{};
  value.cmd = cmd;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&value);
  const int rc = ::ioctl(fd, SIOCETHTOOL, &ifr);
  const int saved = errno;  // for the caller's message, past close()
  ::close(fd);
  errno = saved;
  if (rc < 0) return std::nullopt;
  return value.data != 0;
}

// The peer's name, XDP program, GRO and TX checksum offload, read in the calling thread's
// namespace.
void veth_inspect_peer(int peer_index, VethPeerFact& fact) {
  const VethLinkAnswer peer = veth_query_link(peer_index, "");
  if (!peer.found) {
    fact.error = "its peer (ifindex " + std::to_string(peer_index) + ") is not found";
    return;
  }
  fact.peer_if = peer.name;
  const auto gro = veth_ethtool_flag(peer.name, ETHTOOL_GGRO);
  const auto tx_csum = gro ? veth_ethtool_flag(peer.name, ETHTOOL_GTXCSUM) : std::nullopt;
  if (!gro || !tx_csum) {
    fact.error = "cannot read the offloads of " + peer.name + ": " + std::strerror(errno);
    return;
  }
  fact.xdp = peer.xdp;
  fact.gro = *gro;
  fact.tx_csum = *tx_csum;
  fact.checked = true;
}

VethPeerFact veth_peer_fact(const std::string& ifname, const VethLinkAnswer& link) {
  VethPeerFact fact;
  fact.ifname = ifname;
  if (!link.link_netnsid) {
    veth_inspect_peer(link.link_index, fact);
    fact.peer = fact.peer_if;
    return fact;
  }
  auto ns = veth_find_netns(*link.link_netnsid);
  if (!ns) {
    fact.error = "its peer's network namespace (id " + std::to_string(*link.link_netnsid) +
                 ") has no name and no process";
    return fact;
  }
  fact.peer_netns = ns->name;
  // setns moves only this thread: the daemon's other threads stay where they are.
  std::thread inside([&fact, &ns, &link] {
    if (::setns(ns->fd, CLONE_NEWNET) != 0) {
      fact.error =
          std::string("cannot enter its peer's network namespace: ") + std::strerror(errno);
      return;
    }
    veth_inspect_peer(link.link_index, fact);
  });
  inside.join();
  ::close(ns->fd);
  fact.peer = (fact.peer_if.empty() ? "if" + std::to_string(link.link_index) : fact.peer_if) +
              " (netns " +
              (ns->name.empty() ? "id " + std::to_string(*link.link_netnsid) : ns->name) + ")";
  return fact;
}

}  // namespace

std::vector<VethPeerFact> gather_veth_peers(const std::vector<std::string>& ifnames) {
  std::vector<VethPeerFact> out;
  for (const auto& ifname : ifnames) {
    const VethLinkAnswer link = veth_query_link(0, ifname);
    if (!link.found || link.kind != "veth") continue;
    out.push_back(veth_peer_fact(ifname, link));
  }
  return out;
}

}  // namespace xlb::diagnose
