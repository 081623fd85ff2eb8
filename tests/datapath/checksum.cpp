#include "checksum.h"

namespace xlbtest::csum {

uint64_t add(uint64_t acc, std::span<const uint8_t> data) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) acc += (uint64_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) acc += uint64_t{data[i]} << 8;
  return acc;
}

uint16_t fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

uint16_t checksum(std::span<const uint8_t> data, uint64_t acc) {
  return static_cast<uint16_t>(~fold(add(acc, data)));
}

uint64_t pseudo_header(std::span<const uint8_t, 4> saddr, std::span<const uint8_t, 4> daddr,
                       uint8_t proto, uint16_t l4_len) {
  uint64_t acc = add(0, saddr);
  acc = add(acc, daddr);
  return acc + proto + l4_len;
}

uint64_t pseudo_header6(std::span<const uint8_t, 16> saddr, std::span<const uint8_t, 16> daddr,
                        uint8_t next_header, uint32_t l4_len) {
  uint64_t acc = add(0, saddr);
  acc = add(acc, daddr);
  return acc + (l4_len >> 16) + (l4_len & 0xffff) + next_header;
}

bool verifies(std::span<const uint8_t> data, uint64_t acc) {
  return fold(add(acc, data)) == 0xffff;
}

}  // namespace xlbtest::csum
