// The stages of the query pipeline, in the order Worker runs them:
//   local data → catalog → recursion ACL → cache → forward.
#pragma once

#include <memory>
#include <vector>

#include "resolver/cache.hh"
#include "resolver/catalog_zone.hh"
#include "resolver/forwarder.hh"
#include "resolver/local_zone.hh"
#include "resolver/stage.hh"

namespace muster::resolver {

// records + hosts_file, answered authoritatively to every client.
class LocalDataStage final : public Stage {
  public:
    explicit LocalDataStage(const std::shared_ptr<const LocalZone>& zone) : zone_(zone) {}
    const char* name() const override { return "local"; }
    AnswerSource source() const override { return AnswerSource::local; }
    Verdict handle(QueryContext& ctx) override;

  private:
    const std::shared_ptr<const LocalZone>& zone_;  // the worker's current zone
};

// The catalog zone (nodes, services, addr, their PTRs), answered authoritatively to every
// client. Its answers are written here and never reach the cache, so a catalog change shows
// in the next query.
class CatalogStage final : public Stage {
  public:
    explicit CatalogStage(CatalogZone& zone) : zone_(zone) {}
    const char* name() const override { return "catalog"; }
    AnswerSource source() const override { return AnswerSource::catalog; }
    Verdict handle(QueryContext& ctx) override;
    // One LMDB read snapshot per batch instead of one per query (CatalogZone::batch_begin).
    void batch_begin() override { zone_.batch_begin(); }
    void batch_end() override { zone_.batch_end(); }

  private:
    CatalogZone& zone_;
};

// Past this point names are not ours: only allow_recursion sources may go on (REFUSED else).
class RecursionAclStage final : public Stage {
  public:
    const char* name() const override { return "acl"; }
    AnswerSource source() const override { return AnswerSource::refused; }
    Verdict handle(QueryContext& ctx) override;
};

class CacheStage final : public Stage {
  public:
    CacheStage(Cache& cache, Forwarder& forwarder) : cache_(cache), forwarder_(forwarder) {}
    const char* name() const override { return "cache"; }
    AnswerSource source() const override { return AnswerSource::cache; }
    Verdict handle(QueryContext& ctx) override;

  private:
    Cache& cache_;
    Forwarder& forwarder_;
};

class ForwardStage final : public Stage {
  public:
    explicit ForwardStage(Forwarder& forwarder) : forwarder_(forwarder) {}
    const char* name() const override { return "forward"; }
    AnswerSource source() const override { return AnswerSource::forwarded; }
    Verdict handle(QueryContext& ctx) override { return forwarder_.forward(ctx); }

  private:
    Forwarder& forwarder_;
};

}  // namespace muster::resolver
