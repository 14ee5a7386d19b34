// A configuration change asked of the cluster (a server joins, or is removed / leaves). The
// leader runs one at a time, in steps (add, assign, remove, transfer), each committed before the
// next; a follower forwards it to the leader.
#pragma once

#include <cstdint>
#include <string>

#include "cluster/internal/callbacks.hh"

namespace muster::cluster::internal {

struct Change {
    enum class Kind { join, remove };
    Kind kind = Kind::join;
    uint64_t server = 0;
    std::string address;  // join
    BarrierDone done;
    Clock::time_point deadline;
    unsigned steps = 0;
};

}  // namespace muster::cluster::internal
