// format_info: Consul's `consul info` layout over any Stats object.
#include "app/info_format.hh"

#include <map>

namespace muster::app {

std::string format_info(const nlohmann::json& stats) {
    std::string out;
    if (!stats.is_object())
        return out;
    // nlohmann's object is a std::map already; sort explicitly so the layout never depends on
    // how the JSON type orders its keys.
    std::map<std::string, const nlohmann::json*> sections;
    for (const auto& [name, section] : stats.items())
        sections.emplace(name, &section);
    for (const auto& [name, section] : sections) {
        if (!section->is_object() || section->empty())
            continue;
        std::map<std::string, std::string> values;
        for (const auto& [key, value] : section->items())
            values.emplace(key, value.is_string() ? value.get<std::string>() : value.dump());
        out += name + ":\n";
        for (const auto& [key, value] : values)
            out += "\t" + key + " = " + value + "\n";
    }
    return out;
}

}  // namespace muster::app
