// The web UI's files over HTTP: the redirect from "/", content types, and a 404 that says why.
#include "api/ui_endpoint.hh"

#include <string>

#include "api/endpoints.hh"

namespace muster::api {
namespace {

constexpr std::string_view ui_prefix = "/ui/";

struct Type {
    std::string_view extension;
    std::string_view content_type;
};

constexpr Type types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
};

http::Response redirect_to_ui() {
    http::Response r = text_response(301, "<a href=\"/ui/\">Moved Permanently</a>.\n");
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("Location", std::string(ui_prefix));
    return r;
}

http::Response serve(const UiAsset& asset) {
    http::Response r;
    r.body = std::string(asset.body);
    r.content_type = std::string(ui_content_type(asset.name));
    // The files change with the binary: a browser revalidates instead of keeping an old app.js
    // next to a new index.html.
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    // The UI loads nothing from elsewhere and runs no inline script: say so, so that an
    // injected string could not either.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                           "base-uri 'none'; frame-ancestors 'none'");
    return r;
}

}  // namespace

std::string_view ui_content_type(std::string_view name) {
    for (const Type& t : types)
        if (name.ends_with(t.extension))
            return t.content_type;
    return "application/octet-stream";
}

http::Response ui_reply(Ui ui, std::span<const UiAsset> assets, const http::Request& request) {
    const std::string& path = request.path;
    if (ui == Ui::disabled) {
        if (path == "/")
            return text_response(404, "404 page not found");
        return text_response(404,
                             "The web UI is disabled on this agent: set ui_config { enabled = "
                             "true } (or start it with --ui; --dev turns it on).\n");
    }
    if (path == "/" || path == "/ui")
        return redirect_to_ui();
    if (!path.starts_with(ui_prefix))
        return text_response(404, "404 page not found");
    std::string_view name = std::string_view(path).substr(ui_prefix.size());
    if (name.empty())
        name = "index.html";
    for (const UiAsset& asset : assets)
        if (asset.name == name)
            return serve(asset);
    return text_response(404, "404 page not found");
}

}  // namespace muster::api
