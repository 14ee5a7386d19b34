// The TTL state file's JSON encoding and its strict, never-throwing decoder.
#include "checks/internal/ttl_state_codec.hh"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>

namespace muster::checks::internal {
namespace {

using nlohmann::json;

// The system clock counts nanoseconds in 64 bits: it ends in 2262. Later expiries (and
// negative ones) are nonsense.
constexpr int64_t max_expires_ms = int64_t{9'000'000'000'000};

Result<TtlState> decode_state(const std::string& id, const json& value) {
    auto bad = [&](const std::string& what) { return make_error("checks." + id + ": " + what); };
    if (!value.is_object())
        return bad("expected an object");
    auto status = value.find("status");
    auto output = value.find("output");
    auto expires = value.find("expires_ms");
    if (status == value.end() || !status->is_string())
        return bad("status: expected a string");
    auto parsed = catalog::parse_status(status->get_ref<const std::string&>());
    if (!parsed)
        return bad("status: expected passing, warning or critical");
    if (output == value.end() || !output->is_string())
        return bad("output: expected a string");
    if (expires == value.end() || !expires->is_number_integer())
        return bad("expires_ms: expected an integer");
    int64_t ms = 0;
    if (expires->is_number_unsigned()) {
        auto u = expires->get<uint64_t>();
        if (u > static_cast<uint64_t>(max_expires_ms))
            return bad("expires_ms: out of range");
        ms = static_cast<int64_t>(u);
    } else {
        ms = expires->get<int64_t>();
    }
    if (ms < 0 || ms > max_expires_ms)
        return bad("expires_ms: out of range");
    TtlState state;
    state.status = *parsed;
    state.output = output->get<std::string>();
    state.expires = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
    return state;
}

}  // namespace

std::string encode_ttl_state(const std::map<std::string, TtlState>& states) {
    json checks = json::object();
    for (const auto& [id, state] : states) {
        auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(state.expires.time_since_epoch())
                .count();
        checks[id] = {{"status", std::string(catalog::status_name(state.status))},
                      {"output", state.output},
                      {"expires_ms", ms}};
    }
    json doc = {{"version", ttl_state_format_version}, {"checks", std::move(checks)}};
    // Script output may be any bytes: replace invalid UTF-8 instead of throwing.
    return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<std::map<std::string, TtlState>> decode_ttl_state(std::string_view text) {
    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded())
        return make_error("not valid JSON");
    if (!doc.is_object())
        return make_error("expected a JSON object");
    auto version = doc.find("version");
    if (version == doc.end() || !version->is_number_integer() ||
        version->get<int64_t>() != ttl_state_format_version)
        return make_error("version: expected " + std::to_string(ttl_state_format_version));
    auto checks = doc.find("checks");
    if (checks == doc.end() || !checks->is_object())
        return make_error("checks: expected an object");
    std::map<std::string, TtlState> out;
    for (const auto& [id, value] : checks->items()) {
        auto state = decode_state(id, value);
        if (!state.ok())
            return state.error();
        out.emplace(id, std::move(state).value());
    }
    return out;
}

}  // namespace muster::checks::internal
