// api::MetricsSource: what GET /v1/agent/metrics and GET /metrics read (app gathers it from the
// resolver, the catalog, the cluster, the checks and the process).
#pragma once

#include <functional>

#include "common/metrics.hh"

namespace muster::api {

class MetricsSource {
  public:
    virtual ~MetricsSource() = default;
    // `done` gets one scrape's families, on any thread.
    virtual void collect(std::function<void(metrics::Families)> done) = 0;
    // The DNS side's families only (answers, cache, upstreams): cheap at any catalog size, for
    // /v1/agent/self's Stats. `done` on any thread.
    virtual void collect_dns(std::function<void(metrics::Families)> done) = 0;
};

}  // namespace muster::api
