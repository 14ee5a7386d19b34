// One instance's change patched into its service's previous ServiceRecord (the incremental
// write path; the rules are in the header).
#include "catalog/internal/service_record_patch.hh"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "catalog/dns_record.hh"
#include "common/ascii.hh"

namespace muster::catalog::internal {

namespace {

namespace layout = service_layout;
using layout::header_size;
using layout::load_u32;
using layout::store_u32;
constexpr uint32_t none = UINT32_MAX;

void append_u32(std::vector<uint8_t>& out, uint32_t v) {
    const std::size_t at = out.size();
    out.resize(at + 4);
    store_u32(out.data() + at, v);
}
void append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
}

// Where an instance on node `a` sorts against one on node `b` in the fragments' key order
// (lowercase node \0 service ID): decided by the nodes, or `same` when the IDs would decide.
enum class Order { less, greater, same };
Order compare_nodes(std::string_view a, std::string_view b) {
    const std::size_t n = std::min(a.size(), b.size()) + 1;
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = static_cast<uint8_t>(i < a.size() ? ascii::to_lower(a[i]) : '\0');
        const auto y = static_cast<uint8_t>(i < b.size() ? ascii::to_lower(b[i]) : '\0');
        if (x != y)
            return x < y ? Order::less : Order::greater;
    }
    return Order::same;
}

// Emits a sequence of `n` old items with the one at `remove_at` left out and a new one put
// before old item `insert_before` (`none`: no such change), as runs of old items.
template <class Old, class New>
void splice(uint32_t n, uint32_t remove_at, uint32_t insert_before, Old&& old_run, New&& fresh) {
    const uint32_t r = remove_at, q = insert_before;
    if (q == none) {
        if (r == none) {
            old_run(0, n);
        } else {
            old_run(0, r);
            old_run(r + 1, n);
        }
    } else if (r == none) {
        old_run(0, q);
        fresh();
        old_run(q, n);
    } else if (q <= r) {
        old_run(0, q);
        fresh();
        old_run(q, r);
        old_run(r + 1, n);
    } else {
        old_run(0, r);
        old_run(r + 1, q);
        fresh();
        old_run(q, n);
    }
}

// The lowercase, distinct tags of an instance.
std::vector<std::string> lower_tags(const InstanceView& v) {
    std::vector<std::string> out;
    ByteCursor c{v.tags};
    for (unsigned k = 0; k < v.tag_count; ++k)
        out.push_back(ascii::to_lower(c.str()));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

bool healthy(const InstanceView& v) {
    return v.health != Status::critical;
}

class Patch {
  public:
    Patch(std::span<const uint8_t> record, const NodePeers& peers, std::vector<uint8_t>& out)
        : old_(record), peers_(peers), out_(out) {}

    bool run(std::span<const uint8_t> before, std::span<const uint8_t> after);

  private:
    bool read_header();
    bool locate(std::span<const uint8_t> before);
    bool instances(std::span<const uint8_t> after);
    bool addresses();
    bool tags();

    uint32_t start(uint32_t i) const {
        return i < count_ ? load_u32(old_.data() + header_size + 4 * std::size_t{i}) : addrs_at_;
    }
    bool instance(uint32_t i, InstanceView& v) const {
        const uint32_t from = start(i), to = start(i + 1);
        if (from < table_end_ || from > to || to > addrs_at_)
            return false;
        return read_instance(old_.subspan(from, to - from), v);
    }
    std::pair<uint32_t, uint32_t> group(Status health) const {
        switch (health) {
            case Status::passing:
                return {0, passing_};
            case Status::warning:
                return {passing_, passing_ + warning_};
            default:
                return {passing_ + warning_, count_};
        }
    }
    // The first old instance in [lo, hi) that does not sort before an instance on `node`;
    // none on malformed bytes.
    uint32_t lower_bound(uint32_t lo, uint32_t hi, std::string_view node) const;
    // New instance t's address bytes when it has one of `family`; `bytes` stays null when the
    // instance is malformed.
    bool new_address(uint32_t t, uint8_t family, const uint8_t*& bytes) const {
        if (inserted_ != none && t == new_number_) {
            bytes = after_.addr.bytes;
            return after_.addr.family == family;
        }
        const uint32_t j = t - (inserted_ != none && t > new_number_ ? 1 : 0);
        const uint32_t i = j + (removed_ != none && j >= removed_ ? 1 : 0);
        const uint32_t from = start(i);
        if (i >= count_ || from < table_end_ || from + 18 > addrs_at_)
            return false;
        bytes = old_.data() + from + 2;
        return old_[from + 1] == family;
    }
    // Old instance i (i != removed_) in the new record.
    uint32_t renumber(uint32_t i) const {
        const uint32_t j = i - (removed_ != none && i > removed_ ? 1 : 0);
        return j + (inserted_ != none && j >= new_number_ ? 1 : 0);
    }

    std::span<const uint8_t> old_;
    const NodePeers& peers_;
    std::vector<uint8_t>& out_;
    uint32_t count_ = 0, passing_ = 0, warning_ = 0, addrs_at_ = 0, tags_at_ = 0;
    std::size_t table_end_ = 0;
    bool has_before_ = false, has_after_ = false;
    InstanceView before_, after_;
    uint32_t removed_ = none;     // the old instance the change replaces
    uint32_t inserted_ = none;    // the old instance the new bytes go before (count_: last)
    uint32_t new_number_ = none;  // the instance's number in the new record
    uint32_t new_count_ = 0, new_passing_ = 0, new_warning_ = 0;
};

bool Patch::read_header() {
    const ServiceRecord record(old_);
    if (!record.valid())
        return false;
    count_ = record.count();
    passing_ = record.passing();
    warning_ = record.warning();
    addrs_at_ = load_u32(old_.data() + layout::addrs_at);
    tags_at_ = load_u32(old_.data() + layout::tags_at);
    table_end_ = header_size + 4 * std::size_t{count_};
    return true;
}

uint32_t Patch::lower_bound(uint32_t lo, uint32_t hi, std::string_view node) const {
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        InstanceView v;
        if (!instance(mid, v))
            return none;
        if (compare_nodes(v.node, node) == Order::less) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

// Finds the instance's old place and its new one. Instances on one node sort together (the
// node is a NUL-free prefix of the key), so "the same node" is a contiguous run of a group, in
// which the caller's peer counts place the instance.
bool Patch::locate(std::span<const uint8_t> before) {
    const InstanceView& x = has_before_ ? before_ : after_;
    if (std::memchr(x.node.data(), '\0', x.node.size()) != nullptr)
        return false;
    auto same_node = [&](uint32_t i, uint32_t hi) {
        InstanceView v;
        return i < hi && instance(i, v) && compare_nodes(v.node, x.node) == Order::same;
    };
    // The first of the node's run in the group of `health`, when the run is `size` long.
    auto run = [&](Status health, uint32_t size) {
        const auto [lo, hi] = group(health);
        const uint32_t s = lower_bound(lo, hi, x.node);
        if (s == none || (size > 0 && !same_node(s + size - 1, hi)) || same_node(s + size, hi))
            return none;
        return s;
    };
    auto h = [](Status s) { return static_cast<uint8_t>(s); };
    if (has_before_) {
        const uint8_t k = h(before_.health);
        const uint32_t s =
            peers_.before[k] > peers_.total[k] ? none : run(before_.health, peers_.total[k] + 1);
        if (s == none)
            return false;
        const uint32_t i = s + peers_.before[k];
        const uint32_t from = start(i), to = start(i + 1);
        if (from > to || to > addrs_at_ || to - from != before.size() ||
            std::memcmp(old_.data() + from, before.data(), to - from) != 0)
            return false;
        removed_ = i;
    }
    if (has_after_) {
        const uint8_t k = h(after_.health);
        const bool here = has_before_ && before_.health == after_.health;
        const uint32_t s = peers_.before[k] > peers_.total[k]
                               ? none
                               : run(after_.health, peers_.total[k] + (here ? 1 : 0));
        if (s == none)
            return false;
        inserted_ = s + peers_.before[k];  // where it was, when it stays in its group
        new_number_ = inserted_ - (removed_ != none && inserted_ > removed_ ? 1 : 0);
    }
    auto in = [](const InstanceView& v, Status s) { return v.health == s ? 1u : 0u; };
    new_count_ = count_ - (has_before_ ? 1 : 0) + (has_after_ ? 1 : 0);
    new_passing_ = passing_ - (has_before_ ? in(before_, Status::passing) : 0) +
                   (has_after_ ? in(after_, Status::passing) : 0);
    new_warning_ = warning_ - (has_before_ ? in(before_, Status::warning) : 0) +
                   (has_after_ ? in(after_, Status::warning) : 0);
    return new_count_ > 0;
}

bool Patch::instances(std::span<const uint8_t> after) {
    out_.clear();
    out_.reserve(old_.size() + after.size() + 64);
    out_.resize(header_size + 4 * std::size_t{new_count_});
    out_[layout::version_at] = service_record_version;
    store_u32(out_.data() + layout::count_at, new_count_);
    store_u32(out_.data() + layout::passing_at, new_passing_);
    store_u32(out_.data() + layout::warning_at, new_warning_);
    uint32_t next = 0;  // the next instance number written
    bool ok = true;
    auto old_run = [&](uint32_t a, uint32_t b) {
        if (a >= b)
            return;
        const uint32_t from = start(a), to = start(b);
        if (from < table_end_ || from > to || to > addrs_at_) {
            ok = false;
            return;
        }
        const std::size_t base = out_.size();
        for (uint32_t i = a; i < b; ++i) {
            const uint32_t at = start(i);
            ok = ok && at >= from && at <= to;
            store_u32(out_.data() + header_size + 4 * std::size_t{next++},
                      static_cast<uint32_t>(base + at - from));
        }
        append(out_, old_.subspan(from, to - from));
    };
    auto fresh = [&] {
        store_u32(out_.data() + header_size + 4 * std::size_t{next++},
                  static_cast<uint32_t>(out_.size()));
        append(out_, after);
    };
    splice(count_, removed_, inserted_, old_run, fresh);
    store_u32(out_.data() + layout::addrs_at, static_cast<uint32_t>(out_.size()));
    return ok && next == new_count_;
}

// A family's lists hold each distinct address once, in the order of the first instance with it
// (passing instances first). The change moves only the instance's own address: the others keep
// their order, so walking the new instance order against them finds where the address goes.
bool Patch::addresses() {
    ByteCursor c{old_.subspan(addrs_at_, tags_at_ - addrs_at_)};
    const bool was = has_before_ && healthy(before_), is = has_after_ && healthy(after_);
    const IpBytes& addr = has_before_ ? before_.addr : after_.addr;
    if (has_before_ && has_after_ &&
        (before_.addr.family != after_.addr.family ||
         std::memcmp(before_.addr.bytes, after_.addr.bytes, 16) != 0))
        return false;
    for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
        const std::size_t width = family == 4 ? 4 : 16;
        const uint32_t np = c.u32(), nw = c.u32();
        const uint64_t n = uint64_t{np} + nw;
        std::span<const uint8_t> list;
        if (!c.ok || n * width > c.rest.size() || !c.take(n * width, list))
            return false;
        if (addr.family != family || (!was && !is)) {
            append_u32(out_, np);
            append_u32(out_, nw);
            append(out_, list);
            continue;
        }
        const uint8_t* mine = addr.bytes;
        // Inline fixed-width compares: the walk below makes two per instance.
        auto same = [family](const uint8_t* x, const uint8_t* y) {
            if (family == 4) {
                uint32_t a = 0, b = 0;
                std::memcpy(&a, x, 4);
                std::memcpy(&b, y, 4);
                return a == b;
            }
            uint64_t a[2] = {}, b[2] = {};
            std::memcpy(a, x, 16);
            std::memcpy(b, y, 16);
            return a[0] == b[0] && a[1] == b[1];
        };
        uint32_t at = none;  // the address's old entry
        for (uint32_t k = 0; k < n && at == none; ++k)
            at = same(list.data() + k * width, mine) ? k : none;
        if (was && at == none)
            return false;
        const uint32_t p_rest = np - (at != none && at < np ? 1 : 0);
        const uint32_t w_rest = nw - (at != none && at >= np ? 1 : 0);
        auto rest = [&](uint32_t k) {  // entry k of the lists without the address
            return list.data() + (at != none && k >= at ? k + 1 : k) * width;
        };
        // Walks new instances [from, to) against rest() from entry `k`: true when one has the
        // address (`k` is then its place), false at the end (`k` then must have reached `end`).
        bool ok = true;
        auto walk = [&](uint32_t from, uint32_t to, uint32_t& k, uint32_t end) {
            for (uint32_t t = from; t < to; ++t) {
                const uint8_t* bytes = nullptr;
                if (!new_address(t, family, bytes)) {
                    ok = ok && bytes != nullptr;  // null: malformed, else another family
                    continue;
                }
                if (same(bytes, mine))
                    return true;
                k += k < end && same(bytes, rest(k)) ? 1 : 0;
            }
            ok = ok && k == end;
            return false;
        };
        uint32_t kp = 0, kw = p_rest;
        const bool in_passing = walk(0, new_passing_, kp, p_rest);
        const bool in_warning =
            !in_passing && walk(new_passing_, new_passing_ + new_warning_, kw, p_rest + w_rest);
        if (!ok)
            return false;
        append_u32(out_, p_rest + (in_passing ? 1 : 0));
        append_u32(out_, w_rest + (in_warning ? 1 : 0));
        // The new entry's place, counted without the old entry, then as an old entry index.
        uint32_t place = in_passing ? kp : in_warning ? kw : none;
        if (place != none && at != none && place >= at)
            ++place;
        auto old_run = [&](uint32_t a, uint32_t b) {
            if (a < b)
                append(out_, list.subspan(a * width, (b - a) * width));
        };
        splice(static_cast<uint32_t>(n), at, place, old_run,
               [&] { append(out_, std::span<const uint8_t>(mine, width)); });
    }
    store_u32(out_.data() + layout::tags_at, static_cast<uint32_t>(out_.size()));
    return c.ok;
}

bool Patch::tags() {
    const ServiceRecord record(old_);
    const std::vector<std::string> gone =
        has_before_ && healthy(before_) ? lower_tags(before_) : std::vector<std::string>{};
    const std::vector<std::string> come =
        has_after_ && healthy(after_) ? lower_tags(after_) : std::vector<std::string>{};
    auto has = [](const std::vector<std::string>& set, std::string_view tag) {
        return std::binary_search(set.begin(), set.end(), tag, std::less<>{});
    };
    // The new number of entries, and the tags that need one of their own.
    std::vector<std::string_view> fresh;
    ByteCursor c{old_.subspan(tags_at_)};
    uint32_t ntags = c.u32();
    if (!c.ok || uint64_t{ntags} * 4 > c.rest.size())
        return false;
    const uint8_t* table = c.rest.data();
    const uint32_t old_ntags = ntags;
    for (const std::string& tag : gone) {
        const ServiceRecord::Tagged t = record.tagged(tag);
        if (t.passing + t.warning == 0)
            return false;
        ntags -= t.passing + t.warning == 1 && !has(come, tag) ? 1 : 0;
    }
    for (const std::string& tag : come) {
        const ServiceRecord::Tagged t = record.tagged(tag);
        if (t.passing + t.warning == 0)
            fresh.push_back(tag);
    }
    ntags += static_cast<uint32_t>(fresh.size());

    const std::size_t index_at = out_.size();
    append_u32(out_, ntags);
    const std::size_t table_at = out_.size();
    out_.resize(table_at + 4 * std::size_t{ntags});
    uint32_t written = 0;
    auto begin_entry = [&](std::string_view tag, std::size_t numbers) {
        if (written == ntags)
            return std::size_t{0};
        store_u32(out_.data() + table_at + 4 * std::size_t{written++},
                  static_cast<uint32_t>(out_.size() - index_at));
        out_.push_back(static_cast<uint8_t>(tag.size()));
        out_.insert(out_.end(), tag.begin(), tag.end());
        const std::size_t at = out_.size();
        out_.resize(at + 8 + 4 * numbers);
        return at;
    };
    auto end_entry = [&](std::size_t at, uint32_t written_numbers, uint32_t passing) {
        store_u32(out_.data() + at, passing);
        store_u32(out_.data() + at + 4, written_numbers - passing);
        out_.resize(at + 8 + 4 * std::size_t{written_numbers});
    };
    auto write_fresh = [&](std::string_view tag) {
        const std::size_t at = begin_entry(tag, 1);
        if (at == 0)
            return false;
        store_u32(out_.data() + at + 8, new_number_);
        end_entry(at, 1, new_number_ < new_passing_ ? 1 : 0);
        return true;
    };
    std::size_t next_fresh = 0;
    const std::span<const uint8_t> index = old_.subspan(tags_at_);
    for (uint32_t k = 0; k < old_ntags; ++k) {
        const uint32_t entry_at = load_u32(table + 4 * std::size_t{k});
        if (entry_at >= index.size())
            return false;
        ByteCursor e{index.subspan(entry_at)};
        const std::string_view tag = e.str();
        const uint32_t np = e.u32(), nw = e.u32();
        const uint64_t n = uint64_t{np} + nw;
        std::span<const uint8_t> numbers;
        if (!e.ok || !e.take(n * 4, numbers))
            return false;
        for (; next_fresh < fresh.size() && fresh[next_fresh] < tag; ++next_fresh)
            if (!write_fresh(fresh[next_fresh]))
                return false;
        const bool drop = has(gone, tag), add = has(come, tag);
        if (drop && !add && n == 1) {
            if (load_u32(numbers.data()) != removed_)
                return false;
            continue;  // the instance was its only one
        }
        const std::size_t at = begin_entry(tag, n + 1);
        if (at == 0)
            return false;
        uint32_t w = 0, passing = 0;
        bool dropped = false, added = !add;
        auto put = [&](uint32_t number) {
            store_u32(out_.data() + at + 8 + 4 * std::size_t{w++}, number);
            passing += number < new_passing_ ? 1 : 0;
        };
        for (uint32_t j = 0; j < n; ++j) {
            const uint32_t old_number = load_u32(numbers.data() + 4 * std::size_t{j});
            if (old_number == removed_ && removed_ != none) {
                dropped = true;
                continue;
            }
            const uint32_t number = renumber(old_number);
            if (!added && new_number_ < number) {
                put(new_number_);
                added = true;
            }
            put(number);
        }
        if (!added)
            put(new_number_);
        if (dropped != drop)
            return false;  // the old record and the old fragment disagree
        end_entry(at, w, passing);
    }
    for (; next_fresh < fresh.size(); ++next_fresh)
        if (!write_fresh(fresh[next_fresh]))
            return false;
    return written == ntags;
}

bool Patch::run(std::span<const uint8_t> before, std::span<const uint8_t> after) {
    has_before_ = !before.empty();
    has_after_ = !after.empty();
    if ((!has_before_ && !has_after_) || !read_header())
        return false;
    if (has_before_ && !read_instance(before, before_))
        return false;
    if (has_after_ && !read_instance(after, after_))
        return false;
    if (has_before_ && has_after_ && !ascii::iequals(before_.node, after_.node))
        return false;
    if (!locate(before) || !instances(after) || !addresses() || !tags())
        return false;
    store_u32(out_.data() + layout::size_at, static_cast<uint32_t>(out_.size()));
    return true;
}

}  // namespace

bool patch_service_record(std::span<const uint8_t> record, std::span<const uint8_t> before,
                          std::span<const uint8_t> after, const NodePeers& peers,
                          std::vector<uint8_t>& out) {
    return Patch(record, peers, out).run(before, after);
}

}  // namespace muster::catalog::internal
