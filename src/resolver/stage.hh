// The query pipeline: small stages behind one interface (as CoreDNS plugins). The order is
// fixed in one table (Worker::Worker). Rule: the stage that returns `answered` has written the
// reply into ctx.response/ctx.length; `pending` means it will hand the context back through
// the worker later; `next` means it wrote nothing.
#pragma once

#include "resolver/query_context.hh"

namespace muster::resolver {

enum class Verdict { answered, next, pending };

class Stage {
  public:
    virtual ~Stage() = default;
    virtual const char* name() const = 0;
    // What an answer of this stage counts as (QueryContext::answer); a stage that knows better
    // (a stale answer, a SERVFAIL) sets ctx.answer itself after the worker has set this.
    virtual AnswerSource source() const = 0;
    virtual Verdict handle(QueryContext& ctx) = 0;

    // The worker brackets the queries of one read (a recvmmsg batch, the messages of one TCP
    // read) with these, so a stage may share per-batch work between them (the catalog takes
    // one read snapshot for the whole batch). Both are called within one event-loop callback:
    // nothing a stage holds between them outlives it. handle() must still work outside a batch.
    virtual void batch_begin() {}
    virtual void batch_end() {}
};

}  // namespace muster::resolver
