#include "map_state.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xlbtest {
namespace {

// Owns a map fd opened by id.
struct MapStateFd {
  int fd = -1;
  explicit MapStateFd(int f) : fd(f) {}
  MapStateFd(const MapStateFd&) = delete;
  MapStateFd& operator=(const MapStateFd&) = delete;
  ~MapStateFd() {
    if (fd >= 0) close(fd);
  }
};

bool map_state_per_cpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}
bool map_state_array(uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}
bool map_state_hash(uint32_t type) {
  return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH ||
         type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}
// Maps whose slots hold other objects (read back as ids): emptied, never rewritten.
bool map_state_fd_slots(uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

std::string map_state_errno(const std::string& what, const std::string& map) {
  return what + " " + map + ": " + std::strerror(errno);
}

// The program's maps, opened by id (the program keeps them alive).
std::string map_state_open_all(int prog_fd, std::vector<std::unique_ptr<MapStateFd>>& fds) {
  std::vector<uint32_t> ids(64);
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  info.nr_map_ids = static_cast<uint32_t>(ids.size());
  info.map_ids = reinterpret_cast<uint64_t>(ids.data());
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0)
    return map_state_errno("read the program's info", "");
  if (info.nr_map_ids > ids.size()) return "the program uses more maps than MapState reads";
  for (uint32_t i = 0; i < info.nr_map_ids; ++i) {
    int fd = bpf_map_get_fd_by_id(ids[i]);
    if (fd < 0) return map_state_errno("open map id", std::to_string(ids[i]));
    fds.push_back(std::make_unique<MapStateFd>(fd));
  }
  return "";
}

std::string map_state_describe(int fd, MapState::Copy& c) {
  bpf_map_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return map_state_errno("read map info", "");
  c.name = info.name;
  c.type = info.type;
  c.key_size = info.key_size;
  c.max_entries = info.max_entries;
  c.value_size = info.value_size;
  if (map_state_per_cpu(c.type))
    c.value_size =
        ((info.value_size + 7) / 8 * 8) * static_cast<uint32_t>(libbpf_num_possible_cpus());
  return "";
}

// Every entry of an array or hash map, in batches (one syscall for most maps).
std::string map_state_read_batched(int fd, MapState::Copy& c) {
  std::string keys(static_cast<size_t>(c.key_size) * c.max_entries, '\0');
  std::string values(static_cast<size_t>(c.value_size) * c.max_entries, '\0');
  uint64_t in_batch = 0, out_batch = 0;
  bool first = true;
  size_t got = 0;
  for (;;) {
    uint32_t count = c.max_entries - static_cast<uint32_t>(got);
    if (count == 0) break;
    int rc = bpf_map_lookup_batch(fd, first ? nullptr : &in_batch, &out_batch,
                                  keys.data() + got * c.key_size,
                                  values.data() + got * c.value_size, &count, nullptr);
    bool done = rc != 0 && errno == ENOENT;
    if (rc != 0 && !done) return map_state_errno("batch-read map", c.name);
    got += count;
    if (done) break;
    in_batch = out_batch;
    first = false;
  }
  for (size_t i = 0; i < got; ++i)
    c.entries.emplace_back(keys.substr(i * c.key_size, c.key_size),
                           values.substr(i * c.value_size, c.value_size));
  return "";
}

// Map-in-map slots: the keys that hold an object, and its id.
std::string map_state_read_slots(int fd, MapState::Copy& c) {
  std::string key(c.key_size, '\0'), next(c.key_size, '\0');
  uint32_t id = 0;
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : key.data(), next.data()) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(fd, key.data(), &id) == 0)
      c.entries.emplace_back(key, std::string(reinterpret_cast<char*>(&id), sizeof id));
  }
  return "";
}

std::string map_state_read(int fd, MapState::Copy& c) {
  if (auto err = map_state_describe(fd, c); !err.empty()) return err;
  if (c.type == BPF_MAP_TYPE_RINGBUF) return "";  // drained by the caller
  std::string err;
  if (map_state_array(c.type) || map_state_hash(c.type))
    err = map_state_read_batched(fd, c);
  else if (map_state_fd_slots(c.type))
    err = map_state_read_slots(fd, c);
  else
    return "map " + c.name + " is of type " + std::to_string(c.type) +
           ", which MapState cannot put back: teach tests/datapath/map_state.cpp";
  std::sort(c.entries.begin(), c.entries.end());
  return err;
}

std::string map_state_restore_one(int fd, const MapState::Copy& want) {
  MapState::Copy now;
  if (auto err = map_state_read(fd, now); !err.empty()) return err;
  if (now.type == BPF_MAP_TYPE_RINGBUF) return "";
  if (now.max_entries != want.max_entries || now.value_size != want.value_size)
    return "map " + want.name + " changed shape since it was captured";
  if (map_state_array(now.type)) {
    // Same indices on both sides: rewrite only the values that moved (.rodata never does,
    // and being frozen it could not be written).
    for (size_t i = 0; i < now.entries.size(); ++i)
      if (now.entries[i].second != want.entries[i].second &&
          bpf_map_update_elem(fd, want.entries[i].first.data(), want.entries[i].second.data(),
                              BPF_ANY) != 0)
        return map_state_errno("rewrite an element of", want.name);
    return "";
  }
  for (const auto& [key, value] : now.entries)
    if (bpf_map_delete_elem(fd, key.data()) != 0 && errno != ENOENT)
      return map_state_errno("delete an element of", want.name);
  if (map_state_fd_slots(now.type)) {
    if (!want.entries.empty()) return "map " + want.name + ": captured objects cannot be put back";
    return "";
  }
  for (const auto& [key, value] : want.entries)
    if (bpf_map_update_elem(fd, key.data(), value.data(), BPF_NOEXIST) != 0)
      return map_state_errno("put back an element of", want.name);
  return "";
}

}  // namespace

std::string MapState::capture(int prog_fd) {
  maps_.clear();
  std::vector<std::unique_ptr<MapStateFd>> fds;
  if (auto err = map_state_open_all(prog_fd, fds); !err.empty()) return err;
  for (const auto& fd : fds) {
    Copy c;
    if (auto err = map_state_read(fd->fd, c); !err.empty()) return err;
    maps_.push_back(std::move(c));
  }
  return "";
}

std::string MapState::restore(int prog_fd) const {
  std::vector<std::unique_ptr<MapStateFd>> fds;
  if (auto err = map_state_open_all(prog_fd, fds); !err.empty()) return err;
  if (fds.size() != maps_.size()) return "the program's maps are not the captured ones";
  for (size_t i = 0; i < fds.size(); ++i)
    if (auto err = map_state_restore_one(fds[i]->fd, maps_[i]); !err.empty()) return err;
  return "";
}

std::string MapState::differences(const MapState& other) const {
  std::string out;
  for (const Copy& mine : maps_) {
    auto it = std::find_if(other.maps_.begin(), other.maps_.end(),
                           [&](const Copy& c) { return c.name == mine.name; });
    if (it == other.maps_.end()) {
      out += mine.name + ": missing on the other side\n";
      continue;
    }
    // Map-in-map slots hold object ids, unique to each datapath: only which slots are set.
    bool same = it->entries.size() == mine.entries.size();
    for (size_t i = 0; same && i < mine.entries.size(); ++i)
      same = mine.entries[i].first == it->entries[i].first &&
             (map_state_fd_slots(mine.type) || mine.entries[i].second == it->entries[i].second);
    if (!same)
      out += mine.name + ": " + std::to_string(mine.entries.size()) + " entries against " +
             std::to_string(it->entries.size()) + ", or different values\n";
  }
  return out;
}

}  // namespace xlbtest
