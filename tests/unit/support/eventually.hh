// eventually: polls a condition that another thread or process makes true, for the tests that
// must use real time (style.md: prefer an injected clock where there is one).
#pragma once

#include <chrono>
#include <thread>

namespace muster::test {

// How long a wait for something expected may take.
inline constexpr std::chrono::milliseconds patience{2000};

// Polls `pred` every few milliseconds until it holds (true) or `timeout` passes (false).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = patience) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace muster::test
