// GET / and GET /ui/...: the embedded web UI, free of sockets (the request in, the reply out).
#pragma once

#include <span>
#include <string_view>

#include "api/options.hh"
#include "api/ui_assets.hh"
#include "common/http_server.hh"

namespace muster::api {

// The Content-Type a UI file is served with, from its extension ("application/octet-stream"
// for one it does not know).
std::string_view ui_content_type(std::string_view name);

// "/" (the route's Endpoint::ui_root) and "/ui", "/ui/", "/ui/<name>" (Endpoint::ui). On:
// "/" and "/ui" redirect to "/ui/" with 301 (as Consul), "/ui/" is index.html, "/ui/<name>" the
// file of that name from `assets`, anything else 404. Off: "/" is 404 as any unknown path, and
// "/ui/..." a 404 saying how to turn the UI on.
http::Response ui_reply(Ui ui, std::span<const UiAsset> assets, const http::Request& request);

}  // namespace muster::api
