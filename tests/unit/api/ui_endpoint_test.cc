// Tests for src/api/ui_endpoint.cc: the redirect, content types, index, 404 and the UI off.
#include "api/ui_endpoint.hh"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace muster;
using namespace muster::api;

namespace {

const UiAsset fake[] = {
    {"index.html", "<!doctype html><title>muster</title>"},
    {"app.js", "'use strict';"},
    {"style.css", "body{}"},
};

http::Request get(std::string path) {
    http::Request r;
    r.method = http::Method::get;
    r.path = std::move(path);
    return r;
}

std::optional<std::string> header(const http::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name)
            return v;
    return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ui_endpoint)

BOOST_AUTO_TEST_CASE(root_and_bare_ui_redirect_permanently_to_ui_slash) {
    for (const char* path : {"/", "/ui"}) {
        BOOST_TEST_CONTEXT(path) {
            http::Response r = ui_reply(Ui::enabled, fake, get(path));
            BOOST_TEST(r.status == 301);
            BOOST_TEST(header(r, "Location").value_or("") == "/ui/");
        }
    }
}

BOOST_AUTO_TEST_CASE(ui_slash_is_the_index_page_and_files_have_their_types) {
    http::Response index = ui_reply(Ui::enabled, fake, get("/ui/"));
    BOOST_TEST(index.status == 200);
    BOOST_TEST(index.body == "<!doctype html><title>muster</title>");
    BOOST_TEST(index.content_type == "text/html; charset=utf-8");
    BOOST_TEST(header(index, "Cache-Control").value_or("") == "no-cache");
    BOOST_TEST(header(index, "Content-Security-Policy")
                   .value_or("")
                   .starts_with("default-src "
                                "'self'"));
    http::Response js = ui_reply(Ui::enabled, fake, get("/ui/app.js"));
    BOOST_TEST(js.body == "'use strict';");
    BOOST_TEST(js.content_type == "text/javascript; charset=utf-8");
    BOOST_TEST(ui_reply(Ui::enabled, fake, get("/ui/style.css")).content_type ==
               "text/css; charset=utf-8");
    BOOST_TEST(ui_content_type("logo.svg") == "image/svg+xml");
    BOOST_TEST(ui_content_type("README") == "application/octet-stream");
}

BOOST_AUTO_TEST_CASE(unknown_files_and_paths_outside_the_table_are_404) {
    for (const char* path :
         {"/ui/nope.js", "/ui/../etc/passwd", "/ui/app.js/", "/ui/APP.JS", "/ui//app.js", "/uix"}) {
        BOOST_TEST_CONTEXT(path) {
            BOOST_TEST(ui_reply(Ui::enabled, fake, get(path)).status == 404);
        }
    }
}

BOOST_AUTO_TEST_CASE(off_the_ui_is_404_saying_how_to_turn_it_on_and_root_is_plain_404) {
    http::Response ui = ui_reply(Ui::disabled, fake, get("/ui/"));
    BOOST_TEST(ui.status == 404);
    BOOST_TEST(ui.body.find("ui_config") != std::string::npos);
    BOOST_TEST(ui_reply(Ui::disabled, fake, get("/ui/app.js")).status == 404);
    http::Response root = ui_reply(Ui::disabled, fake, get("/"));
    BOOST_TEST(root.status == 404);
    BOOST_TEST(root.body == "404 page not found");
    BOOST_TEST(!header(root, "Location").has_value());
}

// The files the build embeds: the page and what it loads, each with a type a browser runs.
BOOST_AUTO_TEST_CASE(the_embedded_ui_has_its_page_script_and_style) {
    auto assets = ui_assets();
    for (const char* name : {"index.html", "app.js", "style.css"}) {
        BOOST_TEST_CONTEXT(name) {
            auto it = std::find_if(assets.begin(), assets.end(),
                                   [&](const UiAsset& a) { return a.name == name; });
            BOOST_REQUIRE(it != assets.end());
            BOOST_TEST(!it->body.empty());
            http::Response r = ui_reply(Ui::enabled, assets, get(std::string("/ui/") + name));
            BOOST_TEST(r.status == 200);
            BOOST_TEST(r.body == it->body);
        }
    }
    std::string index(ui_reply(Ui::enabled, assets, get("/ui/")).body);
    BOOST_TEST(index.find("app.js") != std::string::npos);
    BOOST_TEST(index.find("style.css") != std::string::npos);
    BOOST_TEST(index.find("http://") == std::string::npos);  // nothing from elsewhere
    BOOST_TEST(index.find("https://") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
