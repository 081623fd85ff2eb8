// Wire names of the model enums: one table per enum, shared by to_string, parsing and the
// "allowed: ..." lists in error messages so the three never drift.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "model/service.h"

namespace xlb::model {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

// The first entry for a value is its canonical name; later ones are accepted aliases.
inline constexpr EnumName<Protocol> kProtocolNames[] = {{Protocol::tcp, "tcp"},
                                                        {Protocol::udp, "udp"}};
inline constexpr EnumName<Mode> kModeNames[] = {{Mode::nat, "default"},
                                                {Mode::nat, "nat"},
                                                {Mode::fullnat, "fullnat"},
                                                {Mode::dsr, "dsr"},
                                                {Mode::fullproxy, "fullproxy"}};
inline constexpr EnumName<Select> kSelectNames[] = {
    {Select::rr, "rr"},     {Select::priority, "priority"},
    {Select::hash, "hash"}, {Select::persist, "persist"},
    {Select::lc, "lc"},     {Select::maglev, "maglev"}};
inline constexpr EnumName<EndpointState> kEndpointStateNames[] = {
    {EndpointState::up, "up"},
    {EndpointState::down, "down"},
    {EndpointState::draining, "draining"}};
inline constexpr EnumName<OnDown> kOnDownNames[] = {{OnDown::keep, "keep"},
                                                    {OnDown::reset, "reset"}};
inline constexpr EnumName<Xff> kXffNames[] = {
    {Xff::append, "append"}, {Xff::replace, "replace"}, {Xff::off, "off"}};
inline constexpr EnumName<Reuse> kReuseNames[] = {
    {Reuse::safe, "safe"}, {Reuse::always, "always"}, {Reuse::never, "never"}};
inline constexpr EnumName<Security> kSecurityNames[] = {
    {Security::none, "none"}, {Security::https, "https"}, {Security::e2ehttps, "e2ehttps"}};

template <class E>
std::string enum_name(std::span<const EnumName<E>> table, E value) {
  for (const auto& e : table) {
    if (e.value == value) return std::string(e.name);
  }
  return "unknown";
}

template <class E>
std::optional<E> enum_parse(std::span<const EnumName<E>> table, std::string_view text) {
  for (const auto& e : table) {
    if (e.name == text) return e.value;
  }
  return std::nullopt;
}

// "a, b, c" for error messages.
template <class E>
std::string enum_choices(std::span<const EnumName<E>> table) {
  std::string out;
  for (const auto& e : table) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

}  // namespace xlb::model
