// The store's read paths: Snapshot (HTTP API queries) and DnsReader (one reused read
// transaction per DNS worker), both over one LMDB read transaction.
#pragma once

#include <memory>

#include "catalog/internal/store_db.hh"
#include "catalog/store.hh"

namespace muster::catalog::internal {

std::unique_ptr<Snapshot> make_snapshot(const std::shared_ptr<lmdb::Env>& env, const Dbs& dbs);
std::unique_ptr<DnsReader> make_dns_reader(const std::shared_ptr<lmdb::Env>& env, const Dbs& dbs);

}  // namespace muster::catalog::internal
