// member_report: a server's liveness report to the leader (MessageType::report), sent every
// report interval: the server itself, the client agents attached to its feed that heartbeat,
// and those whose feed connection closed lately. Untrusted bytes: decode checks every field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hh"

namespace muster::cluster::internal {

inline constexpr size_t max_node_name = 256;

struct MemberReport {
    struct Client {
        std::string node;
        std::string address;  // its advertised IP
        bool operator==(const Client&) const = default;
    };
    std::string node;     // the reporting server's catalog node
    std::string address;  // and its advertised IP
    std::vector<Client> attached;
    std::vector<std::string> detached;  // node names
    bool operator==(const MemberReport&) const = default;
};

// A report is larger than other control messages: about 30 bytes per attached client, so
// 1 MiB holds some 30,000 clients of one server (an RPC frame carries at least 1 MiB + 64 KiB).
inline constexpr size_t max_report_payload = size_t{1} << 20;

// JSON: {"node", "address", "attached": [node, address, node, address, ...], "detached": [...]}
// (flat, to keep it small).
std::vector<uint8_t> encode_report(const MemberReport& r);
Result<MemberReport> decode_report(std::span<const uint8_t> bytes);

}  // namespace muster::cluster::internal
