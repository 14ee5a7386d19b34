// Fuzz target: any bytes as an HCL config file must parse or give a "LINE: message" error, and
// a parsed tree must load or give errors, never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/internal/hcl.hh"
#include "config/internal/loader.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const muster::config::internal::HclShape shape{.list_blocks = {"services", "service.checks"}};
    auto parsed = muster::config::internal::parse_hcl(text, shape);
    if (!parsed.ok()) {
        const std::string& m = parsed.error().message;
        if (m.empty() || m[0] < '1' || m[0] > '9' || m.find(": ") == std::string::npos)
            __builtin_trap();  // every error names its line
        return 0;
    }
    if (!parsed->tree.is_object())
        __builtin_trap();
    for (const auto& [path, line] : parsed->lines)
        if (line < 1 || line > static_cast<int>(size) + 1)
            __builtin_trap();  // every line is one of the text's (a key may be "")
    std::vector<muster::config::internal::Source> sources;
    sources.push_back({.name = "fuzz.hcl", .text = text});
    muster::config::LoadRequest req;
    auto result = muster::config::internal::load_sources(sources, req, {});
    if (!result.ok() && result.error().message.empty())
        __builtin_trap();  // errors always say why
    return 0;
}
