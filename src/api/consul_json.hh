// Consul's JSON shapes for the catalog model: rows of /v1/catalog, /v1/health and /v1/agent,
// and the bodies of /v1/catalog/register and /v1/catalog/deregister.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "catalog/command.hh"
#include "catalog/model.hh"
#include "catalog/store.hh"
#include "common/result.hh"

namespace muster::api {

using nlohmann::json;

// Go's encoding/json matches object keys case-insensitively, so Consul accepts "serviceid" for
// "ServiceID" (python-consul sends lowercase keys). Renames every key that matches one of
// Consul's field names case-insensitively to that name, except inside user maps (Meta,
// NodeMeta, TaggedAddresses, Header), whose keys are data.
json canonical_keys(const json& body);

// /v1/catalog/nodes row: ID, Node, Address, Datacenter, TaggedAddresses, Meta, Create/ModifyIndex.
json node_json(const catalog::Node& node);
// The service object of /v1/health/service and /v1/catalog/node: ID, Service, Tags, Address,
// TaggedAddresses, Meta, Port, Weights, EnableTagOverride, CreateIndex, ModifyIndex.
json service_json(const catalog::Service& service);
// /v1/agent/services value: ID, Service, Tags, Meta, Port, Address, TaggedAddresses, Weights,
// EnableTagOverride, Datacenter.
json agent_service_json(const catalog::Service& service, std::string_view datacenter);
// /v1/catalog/service row: the node's fields then Service* fields.
json catalog_service_json(const catalog::Node& node, const catalog::Service& service);
// A check as every endpoint shows it; service_tags are those of its service (ServiceTags).
json check_json(const catalog::Check& check, const std::vector<std::string>& service_tags = {});
// /v1/health/service row: {Node, Service, Checks}.
json health_entry_json(const catalog::ServiceEntry& entry);

// Bodies as Consul takes them (after canonical_keys). Errors name the field:
// "Request decode failed: Service.Port: expected an integer 0..65535".
Result<catalog::Register> parse_catalog_register(const json& body);
Result<catalog::Deregister> parse_catalog_deregister(const json& body);

}  // namespace muster::api
