// The web UI's files (src/api/ui/), embedded in the binary at build time by ui/embed.py.
#pragma once

#include <span>
#include <string_view>

namespace muster::api {

struct UiAsset {
    std::string_view name;  // served as /ui/<name>
    std::string_view body;
};

// Every embedded file, in the order meson lists them; the bodies live as long as the program.
std::span<const UiAsset> ui_assets();

}  // namespace muster::api
