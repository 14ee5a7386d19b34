// libFuzzer target: hosts(5) file parsing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns/hosts_file.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto r = muster::dns::parse_hosts({reinterpret_cast<const char*>(data), size});
    for (const auto& e : r.entries) {
        if (e.name.size() < 2 || e.addr.port() != 0)
            __builtin_trap();  // never the root
        (void)e.name.to_text();
    }
    return 0;
}
