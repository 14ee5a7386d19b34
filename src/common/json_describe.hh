// describe_json: a value as error messages show it ("got ..."): short, single-line, never
// recursive. Objects and lists are named, not printed; scalars are JSON text cut at 60 bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace muster {

inline std::string describe_json(const nlohmann::json& value) {
    constexpr size_t max_shown = 60;
    using Type = nlohmann::json::value_t;
    if (value.type() == Type::object)
        return value.empty() ? "{}" : "an object";
    if (value.type() == Type::array)
        return value.empty() ? "[]" : "a list";
    std::string s = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.size() > max_shown) {
        s.resize(max_shown);
        s += "...";
    }
    return s;
}

}  // namespace muster
