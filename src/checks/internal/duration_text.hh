// Durations in check output as Go (and so Consul) prints them: "500ms", "10s", "1m30s".
#pragma once

#include <chrono>
#include <string>

namespace muster::checks::internal {

std::string duration_text(std::chrono::milliseconds d);

}  // namespace muster::checks::internal
