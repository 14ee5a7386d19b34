// The C++ side of secure_link.h: the policy an agent's links follow (its key, its flags),
// shared by the mux, RpcConnection dials and the feed client.
#pragma once

#include <memory>
#include <mutex>

#include "cluster/internal/secure_link.h"
#include "cluster/types.hh"
#include "common/tls_link.hh"

struct muster_link_policy {
    muster::cluster::LinkSecurity security;
    std::shared_ptr<muster::TlsLinkContext> tls;  // null without a key

    // refusal log lines: at most a few per second, the rest counted
    std::mutex log_mutex;
    int64_t log_second = 0;
    unsigned logged_this_second = 0;
    unsigned long suppressed = 0;
};

namespace muster::cluster::internal {

using LinkPolicy = muster_link_policy;

// A policy for these settings; an error when the key is unusable.
Result<std::shared_ptr<LinkPolicy>> make_link_policy(const LinkSecurity& security);

}  // namespace muster::cluster::internal
