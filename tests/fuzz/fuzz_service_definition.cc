// Fuzz target: any bytes that parse as JSON must give a service definition or an error that
// says why, never a crash; a definition that parses also yields a registration.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

#include "catalog/definition.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false,
                                      /*ignore_comments=*/true);
    if (json.is_discarded())
        return 0;
    auto def = muster::catalog::parse_service_definition(json, "fuzz");
    if (!def.ok()) {
        if (def.error().message.empty())
            __builtin_trap();  // errors always say why
    } else {
        muster::catalog::Node self;
        self.name = "fuzz-node";
        auto reg = muster::catalog::registration(*def, self);
        if (!reg.service || reg.service->id.empty() || reg.checks.size() != def->checks.size())
            __builtin_trap();
    }
    // The same bytes as a standalone check.
    auto check = muster::catalog::parse_check_definition(json, "fuzz");
    if (!check.ok() && check.error().message.empty())
        __builtin_trap();
    if (check.ok() && check->id.empty())
        __builtin_trap();  // the ID defaults to the name, which is required
    return 0;
}
