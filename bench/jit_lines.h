// The JIT's line table of a loaded BPF program, for bench/profile.sh: where each of its
// functions' machine code lies in the kernel, and which source line each stretch of it comes
// from. Debian's perf cannot annotate BPF code (it is built without libopcodes); a sample's
// address and this table say the line. The load time tells loads apart: the kernel gives a new
// program the addresses an unloaded one had, so an address means the latest load before the
// sample.
#pragma once

#include <cstdio>
#include <string>

namespace xlbbench {

// Appends the table of the program behind prog_fd to out, as tab-separated lines:
//   prog  <name>  <load time, ns of CLOCK_BOOTTIME>
//   func  <start address, hex>  <length in bytes>  <name>
//   line  <address, hex>  <file>:<line>  <source text>
// Returns an error message, empty on success.
std::string write_jit_lines(int prog_fd, std::FILE* out);

}  // namespace xlbbench
