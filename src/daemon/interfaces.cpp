#include "daemon/interfaces.h"

#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace xlb::daemon {
namespace {

LinkInfo link_info(nl_object* obj) {
  auto* link = reinterpret_cast<rtnl_link*>(obj);
  const char* name = rtnl_link_get_name(link);
  const unsigned flags = rtnl_link_get_flags(link);
  return LinkInfo{name ? name : "", (flags & IFF_LOOPBACK) != 0, (flags & IFF_UP) != 0};
}

Error netlink_error(const std::string& what, int err) {
  return Error{ErrorCode::startup,
               "cannot " + what + " over netlink (" + nl_geterror(err) +
                   "): xlbd needs CAP_NET_ADMIN in its network namespace",
               "interfaces"};
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Result<std::vector<LinkInfo>> list_links() {
  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sock(nl_socket_alloc(), nl_socket_free);
  if (!sock) return netlink_error("open a socket", -NLE_NOMEM);
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    return netlink_error("connect", err);
  }
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw); err < 0) {
    return netlink_error("list interfaces", err);
  }
  std::unique_ptr<nl_cache, decltype(&nl_cache_free)> cache(raw, nl_cache_free);
  std::vector<LinkInfo> links;
  nl_cache_foreach(
      cache.get(),
      [](nl_object* obj, void* out) {
        static_cast<std::vector<LinkInfo>*>(out)->push_back(link_info(obj));
      },
      &links);
  return links;
}

Result<void> check_interfaces_exist(const std::vector<std::string>& names) {
  auto links = list_links();
  if (!links) return links.error();
  std::vector<std::string> present;
  for (const auto& l : *links) present.push_back(l.name);
  for (const auto& name : names) {
    if (std::find(present.begin(), present.end(), name) == present.end()) {
      return Error{ErrorCode::startup,
                   "interface \"" + name +
                       "\" does not exist in this network namespace (present: " + join(present) +
                       "): fix --interfaces or leave it out to manage every interface",
                   "interfaces"};
    }
  }
  return Ok{};
}

InterfaceManager::InterfaceManager(Datapath& datapath, std::vector<std::string> names)
    : datapath_(datapath), names_(std::move(names)) {}

InterfaceManager::~InterfaceManager() {
  stop();
  if (mngr_) nl_cache_mngr_free(mngr_);  // also frees cache_
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

bool InterfaceManager::wanted(const LinkInfo& link) const {
  if (names_.empty()) return !link.loopback;
  return std::find(names_.begin(), names_.end(), link.name) != names_.end();
}

Result<void> InterfaceManager::attach(const std::string& name) {
  auto done = datapath_.attach(name);
  if (done) {
    // Asked here, on the thread that attaches: the datapath's list has no lock of its own.
    Attachment attachment{name};
    for (const auto& a : datapath_.attachments()) {
      if (a.ifname == name) attachment = a;
    }
    std::lock_guard lock(mu_);
    attached_[name] = attachment;
    spdlog::debug("managing {} ({}, TC program on {})", name, attach_hook_name(attachment.hook),
                  tc_link_name(attachment.tc_link));
  }
  return done;
}

void InterfaceManager::handle(const LinkInfo& link, int action) {
  if (link.name.empty() || !wanted(link)) return;
  bool is_attached = false;
  bool was_up = false;
  {
    std::lock_guard lock(mu_);
    is_attached = attached_.count(link.name) > 0;
    was_up = was_up_[link.name];
    was_up_[link.name] = link.up;
    if (action == NL_ACT_DEL) {
      attached_.erase(link.name);
      was_up_.erase(link.name);
    }
  }
  if (action == NL_ACT_DEL) {
    // The kernel removed the filter with the device; this only updates the datapath's view.
    if (is_attached) (void)datapath_.detach(link.name);
    spdlog::info("interface {} disappeared", link.name);
    return;
  }
  // Attach when a link appears, and retry a failed attach when it comes up.
  const bool retry = action == NL_ACT_CHANGE && link.up && !was_up;
  if (is_attached || (action != NL_ACT_NEW && !retry)) return;
  if (auto done = attach(link.name); !done) {
    spdlog::warn("cannot attach to {}: {}", link.name, done.error().message);
  }
}

void InterfaceManager::on_change(nl_cache*, nl_object* obj, int action, void* self) {
  static_cast<InterfaceManager*>(self)->handle(link_info(obj), action);
}

Result<void> InterfaceManager::start() {
  if (int err = nl_cache_mngr_alloc(nullptr, NETLINK_ROUTE, 0, &mngr_); err < 0) {
    return netlink_error("watch interfaces", err);
  }
  if (int err = nl_cache_mngr_add(mngr_, "route/link", on_change, this, &cache_); err < 0) {
    return netlink_error("watch interfaces", err);
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0)
    return Error{ErrorCode::startup, "cannot create an eventfd for the link watcher", ""};

  std::vector<LinkInfo> links;
  nl_cache_foreach(
      cache_,
      [](nl_object* obj, void* out) {
        static_cast<std::vector<LinkInfo>*>(out)->push_back(link_info(obj));
      },
      &links);
  for (const LinkInfo& link : links) {
    if (!wanted(link)) continue;
    {
      std::lock_guard lock(mu_);
      was_up_[link.name] = link.up;
    }
    if (auto done = attach(link.name); !done) {
      if (!names_.empty()) return done.error();
      spdlog::warn("cannot attach to {}: {}", link.name, done.error().message);
    }
  }
  if (names_.empty() && managed().empty()) {
    spdlog::warn("no non-loopback interface to attach to yet; waiting for one to appear");
  }
  thread_ = std::thread([this] { run(); });
  return Ok{};
}

void InterfaceManager::run() {
  pollfd fds[2] = {{nl_cache_mngr_get_fd(mngr_), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("link watcher stopped: poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    if (fds[0].revents) {
      if (int err = nl_cache_mngr_data_ready(mngr_); err < 0) {
        spdlog::warn("link watcher: {}", nl_geterror(err));
      }
    }
  }
}

void InterfaceManager::stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof(one));
  thread_.join();
}

std::vector<std::string> InterfaceManager::managed() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, attachment] : attached_) names.push_back(name);
  return names;
}

std::vector<Attachment> InterfaceManager::attachments() const {
  std::lock_guard lock(mu_);
  std::vector<Attachment> out;
  for (const auto& [name, attachment] : attached_) out.push_back(attachment);
  return out;
}

}  // namespace xlb::daemon
