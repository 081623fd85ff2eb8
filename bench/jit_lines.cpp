#include "jit_lines.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace xlbbench {
namespace {

struct BtfDeleter {
  void operator()(btf* b) const { btf__free(b); }
};

const char* btf_string(const btf* b, uint32_t off) {
  const char* s = b ? btf__name_by_offset(b, off) : nullptr;
  return s ? s : "";
}

const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// One line of source text on one output line.
std::string flattened(const char* text) {
  std::string s;
  for (const char* c = text; *c; ++c) s += (*c == '\t' || *c == '\n') ? ' ' : *c;
  return s;
}

}  // namespace

std::string write_jit_lines(int prog_fd, std::FILE* out) {
  // First ask for the counts, then for the arrays sized by them.
  bpf_prog_info counts{};
  uint32_t len = sizeof counts;
  if (bpf_obj_get_info_by_fd(prog_fd, &counts, &len) != 0)
    return std::string("bpf_obj_get_info_by_fd: ") + std::strerror(errno);
  if (counts.nr_jited_ksyms == 0 || counts.nr_jited_line_info == 0)
    return "the program has no JIT line table (not JIT-compiled, or loaded without BTF)";
  std::vector<uint64_t> ksyms(counts.nr_jited_ksyms), jited_lines(counts.nr_jited_line_info);
  std::vector<uint32_t> func_lens(counts.nr_jited_func_lens);
  std::vector<char> lines(size_t{counts.nr_line_info} * counts.line_info_rec_size);
  std::vector<char> funcs(size_t{counts.nr_func_info} * counts.func_info_rec_size);

  bpf_prog_info info{};
  info.nr_jited_ksyms = counts.nr_jited_ksyms;
  info.jited_ksyms = reinterpret_cast<uintptr_t>(ksyms.data());
  info.nr_jited_func_lens = counts.nr_jited_func_lens;
  info.jited_func_lens = reinterpret_cast<uintptr_t>(func_lens.data());
  info.nr_jited_line_info = counts.nr_jited_line_info;
  info.jited_line_info_rec_size = sizeof(uint64_t);
  info.jited_line_info = reinterpret_cast<uintptr_t>(jited_lines.data());
  info.nr_line_info = counts.nr_line_info;
  info.line_info_rec_size = counts.line_info_rec_size;
  info.line_info = reinterpret_cast<uintptr_t>(lines.data());
  info.nr_func_info = counts.nr_func_info;
  info.func_info_rec_size = counts.func_info_rec_size;
  info.func_info = reinterpret_cast<uintptr_t>(funcs.data());
  len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0)
    return std::string("bpf_obj_get_info_by_fd: ") + std::strerror(errno);
  std::unique_ptr<btf, BtfDeleter> types(btf__load_from_kernel_by_id(counts.btf_id));

  std::fprintf(out, "prog\t%s\t%llu\n", counts.name,
               static_cast<unsigned long long>(counts.load_time));
  // Functions are in the same order in ksyms, func_lens and func_info.
  for (size_t f = 0; f < ksyms.size() && f < func_lens.size(); ++f) {
    const char* name = "?";
    if (types && f < counts.nr_func_info) {
      const auto* fi =
          reinterpret_cast<const bpf_func_info*>(funcs.data() + f * counts.func_info_rec_size);
      if (const btf_type* t = btf__type_by_id(types.get(), fi->type_id))
        name = btf_string(types.get(), t->name_off);
    }
    std::fprintf(out, "func\t%llx\t%u\t%s\n", static_cast<unsigned long long>(ksyms[f]),
                 func_lens[f], name);
  }
  // The n-th JIT address belongs to the n-th line-info record.
  for (size_t i = 0; i < jited_lines.size() && i < counts.nr_line_info; ++i) {
    const auto* li =
        reinterpret_cast<const bpf_line_info*>(lines.data() + i * counts.line_info_rec_size);
    std::fprintf(out, "line\t%llx\t%s:%u\t%s\n", static_cast<unsigned long long>(jited_lines[i]),
                 base_name(btf_string(types.get(), li->file_name_off)), li->line_col >> 10,
                 flattened(btf_string(types.get(), li->line_off)).c_str());
  }
  std::fflush(out);
  return "";
}

}  // namespace xlbbench
