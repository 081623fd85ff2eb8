// RFC 1071 Internet checksum, written for the tests only: the datapath's checksums are verified
// with this code, never with the code under test or libtins.
#pragma once

#include <cstdint>
#include <span>

namespace xlbtest::csum {

// One's-complement sum of `data` (16-bit big-endian words, an odd last byte padded with zero)
// added to `acc`, unfolded.
uint64_t add(uint64_t acc, std::span<const uint8_t> data);
// Folds the carries of an accumulator into 16 bits.
uint16_t fold(uint64_t acc);
// The checksum to store: the complement of the folded sum of `data` (checksum field zeroed).
uint16_t checksum(std::span<const uint8_t> data, uint64_t acc = 0);
// Pseudo-header sum for TCP/UDP over IPv4; addresses are the 4 bytes as on the wire.
uint64_t pseudo_header(std::span<const uint8_t, 4> saddr, std::span<const uint8_t, 4> daddr,
                       uint8_t proto, uint16_t l4_len);
// Pseudo-header sum for TCP/UDP/ICMPv6 over IPv6 (RFC 8200 8.1): addresses as on the wire,
// the upper-layer length as 32 bits, three zero bytes and the next header.
uint64_t pseudo_header6(std::span<const uint8_t, 16> saddr, std::span<const uint8_t, 16> daddr,
                        uint8_t next_header, uint32_t l4_len);
// True when data that includes its checksum field sums to all ones (RFC 1071 verification).
bool verifies(std::span<const uint8_t> data, uint64_t acc = 0);

}  // namespace xlbtest::csum
