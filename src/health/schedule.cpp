#include "health/schedule.h"

#include <memory>
#include <random>

namespace xlb::health {
namespace {

JitterSchedule::Duration seconds(double s) {
  return std::chrono::duration_cast<JitterSchedule::Duration>(std::chrono::duration<double>(s));
}

}  // namespace

UniformSource default_uniform_source() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

JitterSchedule::JitterSchedule(UniformSource uniform) : uniform_(std::move(uniform)) {}

JitterSchedule::Duration JitterSchedule::first_delay(double period_s) {
  return seconds(period_s * uniform_());
}

JitterSchedule::Duration JitterSchedule::next_delay(double period_s) {
  return seconds(period_s * (1.0 + kJitter * (2.0 * uniform_() - 1.0)));
}

}  // namespace xlb::health
