// api::Writer: the one way the HTTP API changes the catalog (Raft will implement it later).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "catalog/command.hh"
#include "catalog/store.hh"
#include "common/result.hh"

namespace muster::api {

class Writer {
  public:
    virtual ~Writer() = default;
    // Applies the batch atomically; `done` gets the new catalog index or the error. `done` may
    // run on any thread, before or after submit returns.
    virtual void submit(std::vector<catalog::Command> batch,
                        std::function<void(Result<uint64_t>)> done) = 0;
};

// Applies to a local Store synchronously (single server, dev mode, tests).
class LocalWriter final : public Writer {
  public:
    explicit LocalWriter(catalog::Store& store) : store_(store) {}
    void submit(std::vector<catalog::Command> batch,
                std::function<void(Result<uint64_t>)> done) override;

  private:
    catalog::Store& store_;
};

}  // namespace muster::api
