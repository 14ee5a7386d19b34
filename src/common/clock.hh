// Clock: an injected time source so caches and timers test without sleeping.
#pragma once

#include <chrono>

namespace muster {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
  public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SteadyClock final : public Clock {
  public:
    TimePoint now() const override { return std::chrono::steady_clock::now(); }
    static const SteadyClock& instance() {
        static const SteadyClock c;
        return c;
    }
};

// For tests: time moves only when told to.
class FakeClock final : public Clock {
  public:
    TimePoint now() const override { return now_; }
    void advance(Duration d) { now_ += d; }

  private:
    TimePoint now_{std::chrono::hours(1000)};
};

}  // namespace muster
