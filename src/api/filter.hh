// Consul's filter expressions (?filter=, the go-bexpr language), over the JSON of each row.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string_view>

#include "common/result.hh"

namespace muster::api {

// Supported: `Sel == "v"`, `Sel != "v"`, `Sel contains "v"`, `Sel not contains "v"`,
// `"v" in Sel`, `"v" not in Sel`, `Sel matches "re"`, `Sel not matches "re"`, `Sel is empty`,
// `Sel is not empty`, `and`, `or`, `not`, parentheses. Values are double-quoted, backquoted or
// bare words. A selector is dotted field names (`Service.Meta.version`); through a list
// (`Checks.Status`) it has one value per element, and a match holds if any value matches
// (`!=` and `not ...`: if none does).
class Filter {
  public:
    // `shape` is an example row: every selector must name a field of it (keys of the user maps
    // Meta/NodeMeta/ServiceMeta/TaggedAddresses/ServiceTaggedAddresses are free). The error says
    // what is wrong and where, for a 400.
    static Result<Filter> parse(std::string_view expression, const nlohmann::json& shape);
    bool matches(const nlohmann::json& row) const;

    struct Node;

  private:
    std::shared_ptr<const Node> root_;
};

}  // namespace muster::api
