// /v1/snapshot (muster snapshot save|restore) as decisions on data: the store as a snapshot
// file, and a snapshot file as the one catalog command that restores it on every replica.
#pragma once

#include <cstddef>
#include <vector>

#include "api/options.hh"
#include "catalog/command.hh"
#include "catalog/store.hh"
#include "common/http_server.hh"

namespace muster::api {

// A Restore goes through the Raft log like any write, as one command in an entry of its own,
// and a follower forwards it to the leader (a client agent sends it over its feed): it must be
// at most cluster::max_command_bytes (6 MiB; app checks the two agree), with room for framing.
inline constexpr std::size_t max_restore_command_bytes = (std::size_t{6} << 20) - 64 * 1024;
// PUT /v1/snapshot takes a body this large (other paths: Options::max_body_bytes).
inline constexpr std::size_t max_snapshot_body_bytes = std::size_t{8} << 20;

// GET /v1/snapshot: 200 with the snapshot file (application/octet-stream, X-Consul-Index the
// catalog index it holds), or 500 naming why none could be taken.
http::Response snapshot_response(const Options& options, const catalog::Store& store);

// PUT /v1/snapshot: the body checked in full (catalog::read_snapshot_file) and turned into a
// one-command batch; or, with an empty batch, the 400 (foreign, truncated, damaged, too big)
// or 413 that says why.
struct RestorePlan {
    std::vector<catalog::Command> batch;
    http::Response refusal;
};
RestorePlan plan_restore(const http::Request& request);

}  // namespace muster::api
