// Catalog commands: every change to the catalog is one of these, encoded to bytes so that one
// apply path (Store::apply) serves the single server today and the Raft log later.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "catalog/model.hh"
#include "common/result.hh"

namespace muster::catalog {

// Upsert a node, optionally one service on it, and checks on it (Consul's
// /v1/catalog/register). A check whose service_id names a service must name one that exists
// on the node after this command. Indexes in the payload are ignored; the store sets them.
struct Register {
    Node node;
    std::optional<Service> service;
    std::vector<Check> checks;
    // Consul's SkipNodeUpdate: keep the stored node's address/meta if it exists.
    bool skip_node_update = false;
    // Applied only while the node exists; otherwise a no-op. The leader's liveness writes set
    // it: they are computed from a snapshot that may predate the node's Leave or Deregister,
    // and must not bring a node that went away back.
    bool if_node_exists = false;
};

// Remove a whole node (with its services and checks), or one service (with its checks), or one
// check (Consul's /v1/catalog/deregister). Removing something absent is not an error.
struct Deregister {
    std::string node;
    std::optional<std::string> service_id;
    std::optional<std::string> check_id;
};

// Set one check's status and output (the health-check runners, TTL updates).
struct UpdateCheck {
    std::string node;
    std::string check_id;
    Status status = Status::critical;
    std::string output;
};

// A member leaves the cluster: its node goes exactly as with Deregister{node} (services and
// checks with it), and the store keeps a LeftMember record of it (name, the stored address,
// `server`, the catalog index) until a Register of the same name brings it back, or newer
// leaves push it out (the store keeps the newest 1000). Leaving an unknown node changes
// nothing and records nothing.
struct Leave {
    std::string node;
    bool server = false;  // the node was a server (known to the agent or API that writes this)
};

// Replace the whole catalog by a snapshot's (muster snapshot restore): every node goes (with its
// services and checks, as Deregister{node}), then these are registered, in one batch at one
// catalog index. Every service and check must name a node of `nodes` (and a check's service_id
// a service of its node); otherwise the command is refused and nothing changes. Left-member
// records stay as they are.
struct Restore {
    std::string datacenter;  // where the snapshot was saved (for the log of every replica)
    std::vector<Node> nodes;
    std::vector<Service> services;
    std::vector<Check> checks;
};

using Command = std::variant<Register, Deregister, UpdateCheck, Leave, Restore>;

// Wire format: one version byte (command_format_version) then a MessagePack body. A batch of
// commands (group commit: one Raft entry, one LMDB transaction) is encoded the same way.
inline constexpr uint8_t command_format_version = 1;

std::vector<uint8_t> encode(std::span<const Command> batch);
// Never throws or crashes on any input: a wrong version, bad MessagePack or a missing/mistyped
// field is an Error naming what was wrong.
Result<std::vector<Command>> decode(std::span<const uint8_t> bytes);

}  // namespace muster::catalog
