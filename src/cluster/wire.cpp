#include "cluster/wire.h"

#include <algorithm>

#include "cluster/wire_codec.h"

namespace xlb::cluster::wire {
namespace {

void put_short_string(std::vector<uint8_t>& out, std::string_view text, size_t max_chars) {
  text = text.substr(0, max_chars);
  out.push_back(static_cast<uint8_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

Result<Message> decode_hello(PayloadCursor& in) {
  Hello hello;
  uint8_t len = 0;
  if (!in.u32(hello.self) || !in.u8(len) || len > kMaxSoftwareChars ||
      !in.text(len, hello.software) || !printable_ascii(hello.software)) {
    return wire_malformed("a hello must carry --self and a software name of up to 64 characters");
  }
  return Message{std::move(hello)};
}

Result<Message> decode_ha_states(PayloadCursor& in) {
  HaStates msg;
  uint8_t count = 0;
  if (!in.u8(count) || count > XLB_HA_MAX_INSTANCES) {
    return wire_malformed("ha_states carries at most " + std::to_string(XLB_HA_MAX_INSTANCES) +
                          " instances");
  }
  for (uint8_t i = 0; i < count; ++i) {
    uint8_t len = 0, state = 0;
    std::string name;
    if (!in.u8(len) || !in.text(len, name) || !valid_instance_name(name) || !in.u8(state)) {
      return wire_malformed("an ha_states entry needs an instance name ([a-z0-9_-], 1 to 32)");
    }
    auto ha = ha_state_from_abi(state);
    if (!ha) return wire_malformed("HA state " + std::to_string(state) + " is not a state");
    msg.states.emplace_back(std::move(name), *ha);
  }
  return Message{std::move(msg)};
}

Result<Message> decode_end_of_dump(PayloadCursor& in) {
  EndOfDump end;
  if (!in.u32(end.flows)) return wire_malformed("end_of_dump carries the dump's flow count");
  return Message{end};
}

// One frame's payload, which must parse to exactly its length.
Result<Message> decode_payload(uint8_t type, std::span<const uint8_t> payload) {
  PayloadCursor in(payload);
  Result<Message> msg = wire_malformed("unknown frame type " + std::to_string(type));
  switch (static_cast<MsgType>(type)) {
    case MsgType::hello:
      msg = decode_hello(in);
      break;
    case MsgType::ha_states:
      msg = decode_ha_states(in);
      break;
    case MsgType::flows: {
      auto batch = decode_flow_batch(payload);
      if (!batch) return batch.error();
      return Message{std::move(*batch)};  // the batch decoder checks the length itself
    }
    case MsgType::end_of_dump:
      msg = decode_end_of_dump(in);
      break;
  }
  if (msg && in.left() != 0) return wire_malformed("bytes left over after the payload");
  return msg;
}

}  // namespace

bool valid_instance_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxInstanceNameChars &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

std::vector<uint8_t> encode(const Message& message) {
  std::vector<uint8_t> payload;
  MsgType type = MsgType::hello;
  if (const auto* hello = std::get_if<Hello>(&message)) {
    put_u32(payload, hello->self);
    put_short_string(payload, hello->software, kMaxSoftwareChars);
  } else if (const auto* batch = std::get_if<FlowBatch>(&message)) {
    type = MsgType::flows;
    encode_flow_batch(*batch, payload);
  } else if (const auto* end = std::get_if<EndOfDump>(&message)) {
    type = MsgType::end_of_dump;
    put_u32(payload, end->flows);
  } else {
    const auto& msg = std::get<HaStates>(message);
    type = MsgType::ha_states;
    const size_t count = std::min<size_t>(msg.states.size(), XLB_HA_MAX_INSTANCES);
    payload.push_back(static_cast<uint8_t>(count));
    for (size_t i = 0; i < count; ++i) {
      put_short_string(payload, msg.states[i].first, kMaxInstanceNameChars);
      payload.push_back(static_cast<uint8_t>(to_abi(msg.states[i].second)));
    }
  }
  std::vector<uint8_t> frame = {kMagic[0], kMagic[1], kVersion, static_cast<uint8_t>(type)};
  put_u32(frame, static_cast<uint32_t>(payload.size()));
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

Result<void> FrameReader::feed(std::span<const uint8_t> bytes, std::vector<Message>& out) {
  out.clear();
  if (failed_) return wire_malformed("the connection already failed");
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  std::vector<Message> decoded;
  size_t at = 0;
  auto fail = [&](Error e) -> Result<void> {
    failed_ = true;
    buffer_.clear();
    return e;
  };
  while (buffer_.size() - at >= kHeaderBytes) {
    const uint8_t* h = buffer_.data() + at;
    if (h[0] != kMagic[0] || h[1] != kMagic[1]) return fail(wire_malformed("bad magic"));
    if (h[2] != kVersion) {
      return fail(Error{ErrorCode::not_supported,
                        "the peer speaks cluster wire version " + std::to_string(h[2]) +
                            ", this xlbd speaks version " + std::to_string(kVersion) +
                            ": run the same xlb release on every node",
                        ""});
    }
    const uint8_t type = h[3];
    const uint32_t length = get_u32(h + 4);
    if (length > kMaxPayloadBytes) {
      return fail(wire_malformed("a payload of " + std::to_string(length) + " bytes exceeds " +
                                 std::to_string(kMaxPayloadBytes)));
    }
    if (buffer_.size() - at - kHeaderBytes < length) break;  // the rest has not arrived yet
    if (type == static_cast<uint8_t>(MsgType::hello) && hello_seen_)
      return fail(wire_malformed("a second hello"));
    if (type != static_cast<uint8_t>(MsgType::hello) && !hello_seen_)
      return fail(wire_malformed("frame type " + std::to_string(type) + " before the hello"));
    auto msg = decode_payload(type, {h + kHeaderBytes, length});
    if (!msg) return fail(msg.error());
    if (std::holds_alternative<Hello>(*msg)) hello_seen_ = true;
    decoded.push_back(std::move(*msg));
    at += kHeaderBytes + length;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(at));
  out = std::move(decoded);
  return Ok{};
}

}  // namespace xlb::cluster::wire
