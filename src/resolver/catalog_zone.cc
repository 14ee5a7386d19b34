// CatalogZone: node, service, addr, PTR and apex answers built from the store's flat DNS
// records into the response buffer, names and rdata in stack buffers.
#include "resolver/catalog_zone.hh"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/ascii.hh"

namespace muster::resolver {
namespace {

constexpr size_t max_label = 63;
constexpr size_t max_key = 512;  // node key: up to 255 octets of node, "." and the domain
constexpr uint32_t soa_refresh = 3600, soa_retry = 600, soa_expire = 86400, soa_minimum = 0;

// Builds a wire name label by label in a fixed buffer; any bad label spoils the whole name.
class NameBuilder {
  public:
    NameBuilder& label(std::string_view l) {
        if (l.empty() || l.size() > max_label || len_ + 1 + l.size() + 1 > dns::max_name_wire) {
            ok_ = false;
            return *this;
        }
        buf_[len_++] = static_cast<uint8_t>(l.size());
        std::memcpy(buf_ + len_, l.data(), l.size());
        len_ += l.size();
        return *this;
    }
    // "a.b.c" as three labels.
    NameBuilder& dotted(std::string_view text) {
        for (size_t start = 0;;) {
            size_t dot = text.find('.', start);
            label(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
            if (dot == std::string_view::npos)
                return *this;
            start = dot + 1;
        }
    }
    NameBuilder& hex(std::span<const uint8_t> bytes) {
        static constexpr char digits[] = "0123456789abcdef";
        char text[32];
        size_t n = 0;
        for (uint8_t b : bytes) {
            text[n++] = digits[b >> 4];
            text[n++] = digits[b & 0xf];
        }
        return label({text, n});
    }
    // Appends a whole name (its root label included) and writes the result to out.
    bool finish(const dns::Name& suffix, dns::Name& out) {
        if (!ok_ || len_ + suffix.size() > dns::max_name_wire)
            return false;
        std::memcpy(buf_ + len_, suffix.data(), suffix.size());
        return out.assign_wire({buf_, len_ + suffix.size()});
    }

  private:
    uint8_t buf_[dns::max_name_wire];
    size_t len_ = 0;
    bool ok_ = true;
};

uint16_t address_type(uint8_t family) {
    return family == 4 ? dns::type::a : dns::type::aaaa;
}

bool wants(uint16_t qtype, uint16_t type) {
    return qtype == type || qtype == dns::type::any;
}

uint32_t ttl_of(std::chrono::seconds s) {
    return static_cast<uint32_t>(std::clamp<int64_t>(s.count(), 0, INT32_MAX));  // RFC 2181 §8
}

// The domain as lowercase dotted text without the trailing dot ("" for the root).
std::string dotted_lower(const dns::Name& name) {
    std::string text = name.to_text();
    if (!text.empty() && text.back() == '.')
        text.pop_back();
    for (char& c : text)
        c = ascii::to_lower(c);
    return text;
}

}  // namespace

std::chrono::seconds select_service_ttl(std::span<const TtlRule> rules, std::string_view service) {
    const TtlRule* best = nullptr;
    size_t best_prefix = 0;
    bool have_prefix = false;
    const TtlRule* wildcard = nullptr;
    for (const TtlRule& rule : rules) {
        std::string_view p = rule.pattern;
        if (p == "*") {
            wildcard = wildcard ? wildcard : &rule;
        } else if (p.ends_with('*')) {
            std::string_view prefix = p.substr(0, p.size() - 1);
            if (prefix.size() <= service.size() &&
                ascii::iequals(prefix, service.substr(0, prefix.size())) &&
                (!have_prefix || prefix.size() > best_prefix)) {
                best = &rule;
                best_prefix = prefix.size();
                have_prefix = true;
            }
        } else if (ascii::iequals(p, service)) {
            return rule.ttl;  // an exact name beats every pattern
        }
    }
    if (best)
        return best->ttl;
    return wildcard ? wildcard->ttl : std::chrono::seconds{0};
}

// The read snapshot one answer uses: in a batch, the batch's (the first answer takes it,
// batch_end() releases it); outside one, its own, released on every return path.
class CatalogZone::ReadScope {
  public:
    explicit ReadScope(CatalogZone& zone) : zone_(zone) {
        if (!zone_.snapshot_open_) {
            zone_.reader_->begin();
            zone_.snapshot_open_ = true;
        }
    }
    ~ReadScope() {
        if (!zone_.in_batch_) {
            zone_.reader_->end();
            zone_.snapshot_open_ = false;
        }
    }
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;

  private:
    CatalogZone& zone_;
};

struct CatalogZone::Reply {
    const dns::Query& q;
    dns::ResponseWriter& w;
    const dns::EdnsOut& edns;
    uint16_t flags;
    const dns::Name& domain;  // the domain the query is under (domain or alt_domain)
    uint64_t index;           // the catalog index, the SOA serial

    void begin(uint8_t rcode) { w.begin(q, flags, rcode, edns); }
};

CatalogZone::CatalogZone(const CatalogOptions& options, uint64_t seed)
    : options_(options),
      domain_text_(dotted_lower(options.domain)),
      rng_(seed | 1),  // xorshift state must not be 0
      instances_(max_instances),
      addrs_(max_instances) {}

CatalogZone::~CatalogZone() {
    batch_end();
}

void CatalogZone::batch_end() {
    in_batch_ = false;
    if (snapshot_open_) {
        reader_->end();  // LMDB readers pin the pages of their snapshot: never keep one longer
        snapshot_open_ = false;
    }
}

uint64_t CatalogZone::random() {
    // xorshift64* (Vigna 2016): cheap, and the shuffle needs no more.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545F4914F6CDD1DULL;
}

// A client agent whose servers have been silent for longer than max_stale (RFC 8914 §4.4).
bool CatalogZone::stale() const {
    if (!options_.replica_contact_ms || options_.max_stale.count() <= 0)
        return false;
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    return now - options_.replica_contact_ms->load(std::memory_order_relaxed) >
           options_.max_stale.count();
}

CatalogZone::Outcome CatalogZone::answer(const dns::Query& q, dns::ResponseWriter& w,
                                         const dns::EdnsOut& edns, uint16_t extra_flags) {
    if (!options_.source || (q.qclass != dns::klass::in && q.qclass != dns::klass::any))
        return Outcome::not_ours;
    CatalogName n = parse_catalog_name(q.qname_lower, options_);
    switch (n.kind) {
        case CatalogNameKind::not_ours:
            return Outcome::not_ours;
        case CatalogNameKind::non_grammar:
            if (options_.forward_unknown_in_domain)
                return Outcome::not_ours;
            break;
        case CatalogNameKind::reverse:
            if (!wants(q.qtype, dns::type::ptr))
                return Outcome::not_ours;
            break;
        default:
            break;
    }
    if (!reader_)
        reader_ = options_.source->reader();  // once per worker, on its own thread
    ReadScope scope(*this);
    const dns::Name& domain = n.domain ? *n.domain : options_.domain;
    dns::EdnsOut stale_edns = edns;
    const bool mark_stale = edns.present && stale();
    if (mark_stale) {
        stale_edns.has_ede = true;
        stale_edns.ede_code = dns::ede::stale_answer;
    }
    Reply r{q,
            w,
            mark_stale ? stale_edns : edns,
            static_cast<uint16_t>(dns::flag::aa | extra_flags),
            domain,
            reader_->index()};
    switch (n.kind) {
        case CatalogNameKind::reverse:
            return answer_reverse(r, n) ? Outcome::answered : Outcome::not_ours;
        case CatalogNameKind::apex:
            answer_apex(r);
            break;
        case CatalogNameKind::node:
            answer_node(r, n);
            break;
        case CatalogNameKind::service:
            answer_service(r, n);
            break;
        case CatalogNameKind::addr:
            answer_addr(r, n);
            break;
        default:  // invalid, or non_grammar when not forwarded
            negative(r, dns::rcode::nxdomain);
            break;
    }
    return Outcome::answered;
}

// RFC 2308 §3: negative answers carry the zone's SOA in the authority section.
void CatalogZone::negative(Reply& r, uint8_t rcode) {
    r.begin(rcode);
    add_soa(r, dns::Section::authority);
}

void CatalogZone::add_soa(Reply& r, dns::Section section) {
    dns::Name mname, rname;
    if (!NameBuilder().label("ns").finish(r.domain, mname) ||
        !NameBuilder().label("hostmaster").finish(r.domain, rname))
        return;  // a domain too long for the prefixes: no SOA rather than a wrong one
    uint8_t rdata[2 * dns::max_name_wire + 20];
    size_t len = 0;
    std::memcpy(rdata, mname.data(), mname.size());
    len += mname.size();
    std::memcpy(rdata + len, rname.data(), rname.size());
    len += rname.size();
    for (uint32_t v :
         {static_cast<uint32_t>(r.index), soa_refresh, soa_retry, soa_expire, soa_minimum}) {
        dns::put32(rdata + len, v);
        len += 4;
    }
    r.w.add(section, r.domain, dns::type::soa, dns::klass::in, 0, {rdata, len});
}

void CatalogZone::answer_apex(Reply& r) {
    r.begin(dns::rcode::noerror);
    bool wrote = false;
    if (wants(r.q.qtype, dns::type::soa)) {
        add_soa(r, dns::Section::answer);
        wrote = true;
    }
    dns::Name ns;
    if (wants(r.q.qtype, dns::type::ns) && NameBuilder().label("ns").finish(r.domain, ns)) {
        r.w.add(dns::Section::answer, r.q.qname, dns::type::ns, dns::klass::in, 0, ns.wire());
        wrote = true;
    }
    if (!wrote)
        add_soa(r, dns::Section::authority);  // NODATA
}

// The node's meta as TXT records: RFC 1464 "key=value"; Consul gives a key prefixed
// "rfc1035-" as the value alone. True when one was written (an additional one may not fit).
bool CatalogZone::add_meta_txt(Reply& r, const catalog::NodeView& node, dns::Section section,
                               uint32_t ttl) {
    bool wrote = false;
    catalog::for_each_meta(node, [&](std::string_view k, std::string_view v) {
        constexpr std::string_view bare = "rfc1035-";
        const std::string_view key = k.starts_with(bare) ? std::string_view{} : k;
        const size_t sep = k.starts_with(bare) ? 0 : 1;
        if (key.size() + sep + v.size() > 255)
            return;  // a TXT string holds 255 octets (RFC 1035 §3.3.14)
        uint8_t rdata[256];
        rdata[0] = static_cast<uint8_t>(key.size() + sep + v.size());
        if (sep != 0) {
            std::memcpy(rdata + 1, key.data(), key.size());
            rdata[1 + key.size()] = '=';
        }
        std::memcpy(rdata + 1 + key.size() + sep, v.data(), v.size());
        wrote = r.w.add(section, r.q.qname, dns::type::txt, dns::klass::in, ttl,
                        {rdata, size_t{rdata[0]} + 1}) ||
                wrote;
    });
    return wrote;
}

void CatalogZone::answer_node(Reply& r, const CatalogName& n) {
    char key[max_key];
    size_t len = dotted_labels(n.node, {key, dns::max_name_wire});
    std::span<const uint8_t> bytes;
    if (len > 0)
        bytes = reader_->node({key, len});
    // A node registered under its FQDN ("harpsichord.mooncarrot.space" in mooncarrot.space.)
    // answers to the short form too.
    if (bytes.empty() && len > 0 && !domain_text_.empty()) {
        key[len] = '.';
        std::memcpy(key + len + 1, domain_text_.data(), domain_text_.size());
        bytes = reader_->node({key, len + 1 + domain_text_.size()});
    }
    auto node = catalog::read_node_record(bytes);
    if (!node) {
        negative(r, dns::rcode::nxdomain);
        return;
    }
    r.begin(dns::rcode::noerror);
    const uint32_t ttl = ttl_of(options_.node_ttl);
    bool wrote = false;
    if (node->addr.family != 0 && wants(r.q.qtype, address_type(node->addr.family))) {
        r.w.add(dns::Section::answer, r.q.qname, address_type(node->addr.family), dns::klass::in,
                ttl, node->addr.span());
        wrote = true;
    }
    if (wants(r.q.qtype, dns::type::txt))
        wrote = add_meta_txt(r, *node, dns::Section::answer, ttl) || wrote;
    else if (wrote && options_.additional_node_meta_txt)
        add_meta_txt(r, *node, dns::Section::additional, ttl);  // as Consul's default
    if (!wrote)
        add_soa(r, dns::Section::authority);  // NODATA
}

// The instances a service query may answer with: the record's healthy ones (passing only with
// only_passing), or those of them with the tag. Nothing is walked: the store keeps them ready.
struct CatalogZone::Eligible {
    catalog::ServiceRecord record;
    bool by_tag = false;
    catalog::ServiceRecord::Tagged tagged;
    uint32_t count = 0;

    Eligible(std::span<const uint8_t> bytes, std::string_view tag, bool only_passing)
        : record(bytes), by_tag(!tag.empty()) {
        if (by_tag)
            tagged = record.tagged(tag);
        count = by_tag ? tagged.eligible(only_passing) : record.eligible(only_passing);
    }
    // Eligible instance k (k < count) as an instance number of the record.
    uint32_t number(uint32_t k) const { return by_tag ? tagged.at(k) : k; }
};

void CatalogZone::answer_service(Reply& r, const CatalogName& n) {
    const Eligible eligible(reader_->service(n.service), n.tag, options_.only_passing);
    if (eligible.count == 0) {
        negative(r, dns::rcode::nxdomain);
        return;
    }
    r.begin(dns::rcode::noerror);
    const uint32_t ttl = ttl_of(select_service_ttl(options_.service_ttl, n.service));
    bool wrote = false;
    if (wants(r.q.qtype, dns::type::a))
        wrote |= add_addresses(r, eligible, 4, ttl);
    if (wants(r.q.qtype, dns::type::aaaa))
        wrote |= add_addresses(r, eligible, 6, ttl);
    if (r.q.qtype == dns::type::srv)
        wrote |= add_srv(r, eligible, ttl);
    if (!wrote)
        add_soa(r, dns::Section::authority);  // NODATA
}

// One RR per distinct address of the family, in random order, at most a_record_limit, and it
// stops at the first RR that does not fit (the answer is then TC and empty). Without a tag the
// record's distinct addresses are drawn straight; with one, the tagged instances are drawn and
// repeated addresses skipped. Either way the cost is what the answer writes.
bool CatalogZone::add_addresses(Reply& r, const Eligible& e, uint8_t family, uint32_t ttl) {
    const size_t limit = options_.a_record_limit > 0 ? options_.a_record_limit : SIZE_MAX;
    const uint16_t type = address_type(family);
    size_t written = 0;
    if (!e.by_tag) {
        const catalog::ServiceRecord::Addresses addrs = e.record.addresses(family);
        const uint32_t eligible = addrs.eligible(options_.only_passing);
        // Each RR is a pointer to the question's name, the fixed fields and the address: when
        // they cannot all fit, say so now rather than after writing 64 KiB of them.
        const size_t rr = 2 + 10 + (family == 4 ? 4 : 16);
        if (std::min<size_t>(limit, eligible) * rr > r.w.room()) {
            r.w.truncate();
            return false;
        }
        if (eligible <= limit) {
            // All of them, in a random order: written at once and shuffled in place (a
            // Fisher-Yates over the RRs, which differ only in their address).
            size_t rr = 0;
            std::span<uint8_t> rrs =
                r.w.add_run(dns::Section::answer, r.q.qname, type, dns::klass::in, ttl,
                            addrs.bytes.first(size_t{eligible} * (family == 4 ? 4 : 16)),
                            family == 4 ? 4 : 16, rr);
            if (!rrs.empty()) {
                if (family == 4)
                    shuffle_rdata<4>(rrs, rr);
                else
                    shuffle_rdata<16>(rrs, rr);
                return true;
            }
            if (r.w.truncated())
                return false;
            // Not a run the writer takes at once: drawn one by one below.
        }
        shuffle_.reset(eligible);
        while (!shuffle_.done() && written < limit && !r.w.truncated()) {
            const catalog::IpBytes a = addrs.at(shuffle_.next([this] { return random(); }));
            if (a.family == 0)
                continue;  // malformed bytes
            r.w.add(dns::Section::answer, r.q.qname, type, dns::klass::in, ttl, a.span());
            ++written;
        }
        return written > 0;
    }
    size_t n = 0;  // addresses written or skipped, in addrs_
    seen_.clear();
    shuffle_.reset(e.count);
    catalog::InstanceView inst;
    while (!shuffle_.done() && written < limit && !r.w.truncated()) {
        if (!e.record.instance(e.number(shuffle_.next([this] { return random(); })), inst) ||
            inst.addr.family != family)
            continue;
        // RFC 2181 §5: an RRset has no duplicate records (several instances share a node).
        addrs_[n] = inst.addr;
        const catalog::IpBytes& a = addrs_[n];
        uint64_t h =
            internal::SeenSet::hash(internal::SeenSet::hash_start, a.bytes, sizeof a.bytes);
        if (!seen_.insert(h, static_cast<uint32_t>(n++), [&](uint32_t j) {
                return std::memcmp(addrs_[j].bytes, a.bytes, sizeof a.bytes) == 0;
            }))
            continue;
        r.w.add(dns::Section::answer, r.q.qname, type, dns::klass::in, ttl, a.span());
        ++written;
    }
    return written > 0;
}

bool CatalogZone::node_target(std::string_view node, const dns::Name& domain,
                              dns::Name& out) const {
    // Nodes registered under their FQDN in the domain get the short label.
    if (!domain_text_.empty() && node.size() > domain_text_.size() + 1 &&
        node[node.size() - domain_text_.size() - 1] == '.' &&
        ascii::iequals(node.substr(node.size() - domain_text_.size()), domain_text_))
        node = node.substr(0, node.size() - domain_text_.size() - 1);
    return NameBuilder().dotted(node).label("node").label(options_.datacenter).finish(domain, out);
}

bool CatalogZone::srv_target(const Reply& r, const catalog::InstanceView& inst,
                             dns::Name& out) const {
    if (inst.own_address && inst.addr.family != 0)
        return NameBuilder()
            .hex(inst.addr.span())
            .label("addr")
            .label(options_.datacenter)
            .finish(r.domain, out);
    return node_target(inst.node, r.domain, out);
}

// SRV records first, in random order (TC when they do not fit), then the targets' addresses as
// glue in what room is left (glue that does not fit is left out, RFC 2181 §9).
bool CatalogZone::add_srv(Reply& r, const Eligible& e, uint32_t ttl) {
    bool wrote = false;
    dns::Name target;
    size_t count = 0;  // instances drawn, in instances_
    // An SRV RR takes at least a pointer to the question's name, the fixed fields, priority,
    // weight, port and a one-label target: when even that many cannot fit, truncate now.
    if (size_t{e.count} * (2 + 10 + 6 + 2) > r.w.room()) {
        r.w.truncate();
        return false;
    }
    shuffle_.reset(e.count);
    while (!shuffle_.done() && !r.w.truncated()) {
        catalog::InstanceView& inst = instances_[count];
        if (!e.record.instance(e.number(shuffle_.next([this] { return random(); })), inst))
            continue;
        // The target is built once: the glue below reuses it (targets_ holds the first ones).
        dns::Name& built = count < targets_.size() ? targets_[count] : target;
        ++count;
        if (!srv_target(r, inst, built)) {
            inst.addr.family = 0;  // no glue either
            continue;              // a node name that is no DNS name cannot be a target
        }
        uint8_t rdata[6 + dns::max_name_wire];
        dns::put16(rdata, 1);  // priority
        dns::put16(rdata + 2, inst.health == catalog::Status::passing ? inst.weight_passing
                                                                      : inst.weight_warning);
        dns::put16(rdata + 4, inst.port);
        std::memcpy(rdata + 6, built.data(), built.size());
        r.w.add(dns::Section::answer, r.q.qname, dns::type::srv, dns::klass::in, ttl,
                {rdata, 6 + built.size()});
        wrote = true;
    }
    if (r.w.truncated())
        return wrote;
    seen_.clear();
    for (size_t i = 0; i < count; ++i) {
        const catalog::InstanceView& inst = instances_[i];
        if (inst.addr.family == 0)
            continue;
        if (i >= targets_.size() && !srv_target(r, inst, target))
            continue;
        const dns::Name& glue_owner = i < targets_.size() ? targets_[i] : target;
        // One glue RR per target and address.
        uint64_t h = internal::SeenSet::hash(internal::SeenSet::hash_start, inst.addr.bytes,
                                             sizeof inst.addr.bytes);
        h = inst.own_address ? internal::SeenSet::hash(h, &inst.addr.family, 1)
                             : internal::SeenSet::hash_lower(h, inst.node);
        bool seen = !seen_.insert(h, static_cast<uint32_t>(i), [&](uint32_t j) {
            const catalog::InstanceView& other = instances_[j];
            return other.addr.family == inst.addr.family &&
                   std::memcmp(other.addr.bytes, inst.addr.bytes, 16) == 0 &&
                   other.own_address == inst.own_address &&
                   (inst.own_address || ascii::iequals(other.node, inst.node));
        });
        if (!seen)
            r.w.add(dns::Section::additional, glue_owner, address_type(inst.addr.family),
                    dns::klass::in, ttl, inst.addr.span());
    }
    return wrote;
}

void CatalogZone::answer_addr(Reply& r, const CatalogName& n) {
    r.begin(dns::rcode::noerror);
    if (wants(r.q.qtype, address_type(n.addr.family)))
        r.w.add(dns::Section::answer, r.q.qname, address_type(n.addr.family), dns::klass::in,
                ttl_of(options_.node_ttl), n.addr.span());
    else
        add_soa(r, dns::Section::authority);  // NODATA
}

// PTR to every node and service that has the address; false (not ours) when none does.
bool CatalogZone::answer_reverse(Reply& r, const CatalogName& n) {
    std::span<const uint8_t> bytes = reader_->ptr(n.addr.span());
    size_t entries = 0;
    if (bytes.empty() ||
        !catalog::for_each_ptr(bytes, [&](catalog::PtrKind, std::string_view) { ++entries; }) ||
        entries == 0)
        return false;
    r.begin(dns::rcode::noerror);
    catalog::for_each_ptr(bytes, [&](catalog::PtrKind kind, std::string_view name) {
        dns::Name target;
        uint32_t ttl = 0;
        if (kind == catalog::PtrKind::node) {
            if (!node_target(name, options_.domain, target))
                return;
            ttl = ttl_of(options_.node_ttl);
        } else {
            if (!NameBuilder()
                     .label(name)
                     .label("service")
                     .label(options_.datacenter)
                     .finish(options_.domain, target))
                return;
            ttl = ttl_of(select_service_ttl(options_.service_ttl, name));
        }
        r.w.add(dns::Section::answer, r.q.qname, dns::type::ptr, dns::klass::in, ttl,
                target.wire());
    });
    return true;
}

}  // namespace muster::resolver
