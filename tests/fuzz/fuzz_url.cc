// Fuzz target: check URLs, Location references and host:port addresses (src/checks/internal/
// url.cc). Whatever parses must print and re-parse to itself and yield a sendable target.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checks/internal/url.hh"

using namespace muster::checks::internal;

namespace {

void check_url(const Url& u) {
    if (u.host.empty() || u.port == 0 || !u.target.starts_with('/'))
        __builtin_trap();
    for (char c : u.target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#')
            __builtin_trap();  // the request line must stay one line of three tokens
    auto again = parse_url(u.to_string());
    if (!again || again->to_string() != u.to_string())
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // The first line is a URL; the rest a Location reference resolved against it.
    size_t nl = text.find('\n');
    std::string_view first = text.substr(0, nl);
    std::string_view rest = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);

    auto url = parse_url(first);
    if (url) {
        check_url(*url);
        auto next = resolve_reference(*url, rest);
        if (next)
            check_url(*next);
        else if (next.error().message.empty())
            __builtin_trap();
    } else if (url.error().message.empty()) {
        __builtin_trap();
    }

    auto hp = parse_host_port(text);
    if (hp && (hp->host.empty() || hp->port == 0))
        __builtin_trap();
    return 0;
}
