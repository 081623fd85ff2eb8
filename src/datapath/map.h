// Typed views over BPF map file descriptors: callers use ABI structs, never void* or names.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace xlb {

inline Error map_error(const char* what, const char* map, int err) {
  return Error{ErrorCode::datapath,
               std::string(what) + " on map " + map + " failed: " + std::strerror(err), ""};
}

template <class K, class V>
class Map {
 public:
  Map(int fd, const char* name) : fd_(fd), name_(name) {}

  Result<std::optional<V>> lookup(const K& key) const {
    V value{};
    if (bpf_map_lookup_elem(fd_, &key, &value) == 0) return std::optional<V>(value);
    if (errno == ENOENT) return std::optional<V>();
    return map_error("lookup", name_, errno);
  }
  Result<void> update(const K& key, const V& value, uint64_t flags = BPF_ANY) {
    if (bpf_map_update_elem(fd_, &key, &value, flags) == 0) return Ok{};
    return map_error("update", name_, errno);
  }
  // Adds `key` only if absent (BPF_NOEXIST); false when the map already holds it.
  Result<bool> insert(const K& key, const V& value) {
    if (bpf_map_update_elem(fd_, &key, &value, BPF_NOEXIST) == 0) return true;
    if (errno == EEXIST) return false;
    return map_error("insert", name_, errno);
  }
  // Deleting an absent key is not an error: the state asked for holds.
  Result<void> erase(const K& key) {
    if (bpf_map_delete_elem(fd_, &key) == 0 || errno == ENOENT) return Ok{};
    return map_error("delete", name_, errno);
  }
  // Visits entries in batches (one syscall per batch) so a million flows do not cost a
  // million syscalls; falls back to key iteration where batching is unsupported.
  template <class Fn>
  Result<void> for_each(Fn&& fn, uint32_t batch = 4096) const {
    std::vector<K> keys(batch);
    std::vector<V> values(batch);
    K out_batch{};
    bool first = true;
    for (;;) {
      uint32_t count = batch;
      LIBBPF_OPTS(bpf_map_batch_opts, opts);
      int rc = bpf_map_lookup_batch(fd_, first ? nullptr : &out_batch, &out_batch, keys.data(),
                                    values.data(), &count, &opts);
      int err = rc ? errno : 0;
      if (rc && err != ENOENT) {
        if (first && (err == EINVAL || err == ENOTSUPP || err == EOPNOTSUPP))
          return for_each_by_key(fn);
        return map_error("batch lookup", name_, err);
      }
      first = false;
      for (uint32_t i = 0; i < count; ++i)
        if (!fn(keys[i], values[i])) return Ok{};
      if (err == ENOENT) return Ok{};
    }
  }
  int fd() const { return fd_; }

 private:
  static constexpr int ENOTSUPP = 524;  // kernel-internal, leaks to user space for batch ops

  template <class Fn>
  Result<void> for_each_by_key(Fn&& fn) const {
    K key{}, next{};
    const K* cursor = nullptr;
    while (bpf_map_get_next_key(fd_, cursor, &next) == 0) {
      V value{};
      if (bpf_map_lookup_elem(fd_, &next, &value) == 0 && !fn(next, value)) return Ok{};
      key = next;
      cursor = &key;
    }
    return Ok{};
  }

  int fd_;
  const char* name_;
};

// Per-CPU array/hash: one value per possible CPU; sum() folds them.
template <class K, class V>
class PerCpuMap {
 public:
  PerCpuMap(int fd, const char* name) : fd_(fd), name_(name) {}

  Result<std::vector<V>> lookup(const K& key) const {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) return Error{ErrorCode::datapath, "cannot count possible CPUs", ""};
    std::vector<V> values(cpus);
    static_assert(sizeof(V) % 8 == 0, "per-CPU values are 8-byte aligned by the kernel");
    if (bpf_map_lookup_elem(fd_, &key, values.data()) != 0)
      return map_error("lookup", name_, errno);
    return values;
  }
  Result<void> zero(const K& key) {
    int cpus = libbpf_num_possible_cpus();
    std::vector<V> values(cpus > 0 ? cpus : 1);
    if (bpf_map_update_elem(fd_, &key, values.data(), BPF_ANY) != 0)
      return map_error("update", name_, errno);
    return Ok{};
  }

 private:
  int fd_;
  const char* name_;
};

}  // namespace xlb
