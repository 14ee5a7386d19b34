// Fuzz target: the TTL state file. Any bytes give states or an error that says why, never a
// crash; states that decode encode to text that decodes to the same states.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checks/internal/ttl_state_codec.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace muster::checks::internal;
    auto states = decode_ttl_state({reinterpret_cast<const char*>(data), size});
    if (!states.ok()) {
        if (states.error().message.empty())
            __builtin_trap();  // errors always say why
        return 0;
    }
    auto again = decode_ttl_state(encode_ttl_state(*states));
    if (!again.ok() || again->size() != states->size())
        __builtin_trap();
    for (const auto& [id, state] : *states) {
        auto it = again->find(id);
        if (it == again->end() || it->second.status != state.status ||
            it->second.output != state.output || it->second.expires != state.expires)
            __builtin_trap();
    }
    return 0;
}
