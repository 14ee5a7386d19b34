// RecyclingMap: an unordered_map that keeps the nodes of erased entries and reuses them for
// later inserts (C++17 node handles), so an index over per-query records stops allocating
// once it has held as many entries as it ever will at once.
#pragma once

#include <cstddef>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace muster::resolver::internal {

// Spare nodes are bounded by the most entries the map held at once (its high-water mark),
// which for the in-flight tables is bounded by the queries a worker keeps in flight.
template <class K, class V, class Hash = std::hash<K>>
class RecyclingMap {
    using Map = std::unordered_map<K, V, Hash>;

  public:
    V* find(const K& key) {
        auto it = map_.find(key);
        return it == map_.end() ? nullptr : &it->second;
    }

    // Adds key -> value; false (and nothing changes) when the key is already there.
    bool insert(const K& key, V value) {
        if (map_.contains(key))
            return false;
        if (spare_.empty()) {
            map_.emplace(key, std::move(value));
            return true;
        }
        typename Map::node_type node = std::move(spare_.back());
        spare_.pop_back();
        node.key() = key;
        node.mapped() = std::move(value);
        map_.insert(std::move(node));
        return true;
    }

    // Removes key; false when it was not there.
    bool erase(const K& key) {
        auto it = map_.find(key);
        if (it == map_.end())
            return false;
        spare_.push_back(map_.extract(it));
        return true;
    }

    bool contains(const K& key) const { return map_.contains(key); }

    // Every entry, as f(key, value&); f must not insert or erase.
    template <class F>
    void for_each(F&& f) {
        for (auto& [k, v] : map_)
            f(k, v);
    }

    // Removes every entry, keeping their nodes.
    void clear() {
        while (!map_.empty())
            spare_.push_back(map_.extract(map_.begin()));
    }

    size_t size() const { return map_.size(); }
    bool empty() const { return map_.empty(); }

  private:
    Map map_;
    std::vector<typename Map::node_type> spare_;
};

}  // namespace muster::resolver::internal
