// Fuzz target: any bytes as a config file must load or give errors, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/internal/loader.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<muster::config::internal::Source> sources;
    sources.push_back(
        {.name = "fuzz.json", .text = std::string(reinterpret_cast<const char*>(data), size)});
    muster::config::LoadRequest req;
    auto result = muster::config::internal::load_sources(sources, req, {});
    if (!result.ok() && result.error().message.empty())
        __builtin_trap();  // errors always say why
    return 0;
}
