// The query pipeline's stages.
#include "resolver/stages.hh"

namespace muster::resolver {

Verdict LocalDataStage::handle(QueryContext& ctx) {
    if (!zone_)
        return Verdict::next;
    dns::ResponseWriter w(ctx.response, ctx.limit);
    uint16_t flags = ctx.recursion_allowed ? dns::flag::ra : 0;
    if (zone_->answer(ctx.query, w, ctx.edns, flags) == LocalZone::Outcome::not_ours)
        return Verdict::next;
    ctx.length = w.finish();
    return Verdict::answered;
}

Verdict CatalogStage::handle(QueryContext& ctx) {
    dns::ResponseWriter w(ctx.response, ctx.limit);
    uint16_t flags = ctx.recursion_allowed ? dns::flag::ra : 0;
    if (zone_.answer(ctx.query, w, ctx.edns, flags) == CatalogZone::Outcome::not_ours)
        return Verdict::next;
    ctx.length = w.finish();
    return Verdict::answered;
}

Verdict RecursionAclStage::handle(QueryContext& ctx) {
    if (ctx.recursion_allowed)
        return Verdict::next;
    dns::EdnsOut edns = ctx.edns;
    if (edns.present) {
        edns.has_ede = true;
        edns.ede_code = dns::ede::prohibited;  // RFC 8914 §4.19
    }
    dns::ResponseWriter w(ctx.response, ctx.limit);
    w.begin(ctx.query, 0, dns::rcode::refused, edns);
    ctx.length = w.finish();
    return Verdict::answered;
}

Verdict CacheStage::handle(QueryContext& ctx) {
    CacheKey key(ctx.query.qname_lower, ctx.query.qtype, ctx.query.qclass, ctx.query.do_bit);
    auto hit = cache_.lookup(key, ctx.query, ctx.edns, ctx.response, ctx.limit, StaleUse::never);
    if (hit.state != CacheState::fresh || hit.length == 0)
        return Verdict::next;
    ctx.length = hit.length;
    if (hit.prefetch_due && cache_.claim_prefetch(key))
        forwarder_.prefetch(ctx.query);
    return Verdict::answered;
}

}  // namespace muster::resolver
