// raft_dir: what a Raft directory holds besides libraft's files: the server's ID (dir/id,
// decimal text), and whether libraft has state there yet.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hh"

namespace muster::cluster::internal {

// libraft's libuv backend keeps metadata1/2, closed segments "<first>-<last>", open segments
// "open-<n>" and "snapshot-..." files.
bool is_raft_state_file(const std::string& name);
Result<bool> has_raft_state(const std::string& dir);
// The ID in dir/id; made (random, nonzero, below 2^63, written atomically) when dir has neither
// an ID nor Raft state. Error when dir has Raft state but no ID.
Result<uint64_t> take_server_id(const std::string& dir);
// Random, nonzero: tags one instance's entries.
uint64_t random_u64();

}  // namespace muster::cluster::internal
