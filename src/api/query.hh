// Consul's common query parameters: blocking (?index, ?wait), ?passing, ?tag, ?filter, ?dc.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_server.hh"
#include "common/result.hh"

namespace muster::api {

inline constexpr std::chrono::milliseconds default_wait = std::chrono::minutes(5);
inline constexpr std::chrono::milliseconds max_wait = std::chrono::minutes(10);

struct QueryOptions {
    uint64_t index = 0;  // ?index=N: block until the catalog index passes N (0: no blocking)
    std::chrono::milliseconds wait = default_wait;  // ?wait=D, at most max_wait
    bool passing = false;                           // ?passing[=true|1]
    std::vector<std::string> tags;                  // ?tag=a&tag=b: instances with every tag
    std::optional<std::string> filter;              // ?filter=expr
    std::optional<std::string> dc;                  // ?dc=name
    bool consistent = false;  // ?consistent: read after a Raft barrier (the leader's state)
};

// Errors are the 400 message, e.g. "Invalid wait time: bad duration \"5x\"".
Result<QueryOptions> parse_query_options(const http::Request& request);

// Go's strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
std::optional<bool> parse_go_bool(std::string_view text);

}  // namespace muster::api
