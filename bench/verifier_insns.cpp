// Prints how many instructions the kernel's verifier processed for each program of BPF objects
// (bpf_prog_info.verified_insns): the measure of how close a program is to the verifier's
// 1M-instruction limit. Maps pinned by name go to a private directory under a bpffs, removed
// after. Usage: verifier_insns BPFFS_DIR OBJECT...
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace {

int report_object_insns(const std::string& pin_dir, const char* path) {
  LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir.c_str());
  bpf_object* obj = bpf_object__open_file(path, &opts);
  if (!obj) {
    std::fprintf(stderr, "%s: cannot open\n", path);
    return 1;
  }
  int rc = bpf_object__load(obj);
  if (rc) {
    std::fprintf(stderr, "%s: load failed (%d)\n", path, rc);
    bpf_object__close(obj);
    return 1;
  }
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
      std::printf("%s\t%u\tverified_insns\t%u\txlated_insns\n", bpf_program__name(prog),
                  info.verified_insns, info.xlated_prog_len / 8);
  }
  bpf_object__unpin_maps(obj, nullptr);
  bpf_object__close(obj);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BPFFS_DIR OBJECT...\n", argv[0]);
    return 2;
  }
  std::string pin_dir = std::string(argv[1]) + "/verifier-insns-" + std::to_string(getpid());
  std::filesystem::create_directories(pin_dir);
  int rc = 0;
  for (int i = 2; i < argc; ++i) rc |= report_object_insns(pin_dir, argv[i]);
  std::filesystem::remove_all(pin_dir);
  return rc;
}
