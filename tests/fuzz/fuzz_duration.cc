// Fuzz target: Go durations (src/common/duration.cc). Whatever parses stays within the bound,
// and a whole number of milliseconds prints (go_duration_text) and parses back to itself.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/duration.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto d = muster::parse_go_duration(text);
    if (!d)
        return 0;
    if (d->count() > muster::max_go_duration.count() ||
        -d->count() > muster::max_go_duration.count())
        __builtin_trap();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    auto again = muster::parse_go_duration(muster::go_duration_text(ms));
    if (!again || *again != ms)
        __builtin_trap();
    return 0;
}
