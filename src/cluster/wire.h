// The peer channel's wire format, inside the TLS-PSK session. Every frame is
//
//   magic "XL" (2) | version (1) | type (1) | payload length (4, big endian) | payload
//
// Integers are big endian. A receiver accepts only its own version (a mismatch is one clear
// log line and a disconnect), known types, payloads up to kMaxPayloadBytes that parse exactly
// to their length, and a hello before anything else. Anything else is malformed: the peer is
// disconnected and nothing from the read that carried it is applied.
//
// Payloads:
//   hello      (1): self (4) | software length (1) | software (printable ASCII, <= 64)
//   ha_states  (2): count (1, <= XLB_HA_MAX_INSTANCES) | count x
//                   [ name length (1) | name ([a-z0-9_-], 1..32) | state (1, enum xlb_ha_state) ]
//   flows      (3): conntrack sync records, in the order they happened (sync_records.h)
//   end_of_dump(4): flows (4, the flow records of the full dump just completed)
//
// Version 2 added flows and end_of_dump (conntrack sync); version 3 IPv6 flow records (family 6
// in a record: a version 2 node would call the frame malformed, so it is refused at hello).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cluster/ha_state.h"
#include "cluster/sync_records.h"
#include "common/result.h"

namespace xlb::cluster::wire {

inline constexpr uint8_t kMagic[2] = {'X', 'L'};
inline constexpr uint8_t kVersion = 3;
inline constexpr size_t kHeaderBytes = 8;
// One frame's payload at most: the receiver's buffer never holds more than one frame and one
// read beyond it.
inline constexpr size_t kMaxPayloadBytes = 64 * 1024;
inline constexpr size_t kMaxSoftwareChars = 64;
inline constexpr size_t kMaxInstanceNameChars = 32;

enum class MsgType : uint8_t { hello = 1, ha_states = 2, flows = 3, end_of_dump = 4 };

struct Hello {
  uint32_t self = 0;     // the sender's --self
  std::string software;  // "xlb 0.1.0", for logs
  bool operator==(const Hello&) const = default;
};

struct HaStates {
  std::vector<std::pair<std::string, HaState>> states;
  bool operator==(const HaStates&) const = default;
};

// The end of a full dump: every flow the sender held when its dump began has been sent.
struct EndOfDump {
  uint32_t flows = 0;
  bool operator==(const EndOfDump&) const = default;
};

using Message = std::variant<Hello, HaStates, FlowBatch, EndOfDump>;

// An instance name the wire (and the API) allows.
bool valid_instance_name(std::string_view name);

// The frame for a message. Values beyond the format's limits (a longer software string, more
// instances) are cut to them, so a frame this encodes always decodes.
std::vector<uint8_t> encode(const Message& message);

// Incremental decoder for one connection: bytes in, whole messages out.
class FrameReader {
 public:
  // Decodes every complete frame in the bytes received so far. On error (code not_supported:
  // another wire version; invalid_argument: malformed) `out` is left empty, the reader is
  // spent and the connection must be closed.
  Result<void> feed(std::span<const uint8_t> bytes, std::vector<Message>& out);
  bool hello_seen() const { return hello_seen_; }

 private:
  std::vector<uint8_t> buffer_;
  bool hello_seen_ = false;
  bool failed_ = false;
};

}  // namespace xlb::cluster::wire
