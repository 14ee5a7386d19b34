// Tests for src/api/router.cc: Consul's paths, arguments, 404 and 405.
#include "api/router.hh"

#include <boost/test/unit_test.hpp>

using namespace muster;
using namespace muster::api;
using http::Method;

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(paths_with_an_argument_take_the_rest_of_the_path) {
    Route r = route(Method::get, "/v1/health/service/web");
    BOOST_TEST((r.status == RouteStatus::found));
    BOOST_TEST((r.endpoint == Endpoint::health_service));
    BOOST_TEST(r.arg == "web");
    Route node = route(Method::get, "/v1/catalog/node/host.example");
    BOOST_TEST((node.endpoint == Endpoint::catalog_node));
    BOOST_TEST(node.arg == "host.example");
    Route empty = route(Method::get, "/v1/catalog/service/");
    BOOST_TEST((empty.status == RouteStatus::found));
    BOOST_TEST(empty.arg.empty());
}

BOOST_AUTO_TEST_CASE(similar_paths_are_not_confused) {
    BOOST_TEST((route(Method::get, "/v1/catalog/services").endpoint == Endpoint::catalog_services));
    BOOST_TEST((route(Method::get, "/v1/catalog/service/x").endpoint == Endpoint::catalog_service));
    BOOST_TEST((route(Method::get, "/v1/catalog/servicesx").status == RouteStatus::not_found));
    BOOST_TEST((route(Method::get, "/v1/agent/services/").status == RouteStatus::not_found));
    BOOST_TEST((route(Method::get, "/v2/catalog/services").status == RouteStatus::not_found));
    BOOST_TEST((route(Method::get, "/v1").status == RouteStatus::not_found));
}

BOOST_AUTO_TEST_CASE(the_root_and_ui_paths_go_to_the_ui_and_nothing_else_does) {
    Route root = route(Method::get, "/");
    BOOST_TEST((root.status == RouteStatus::found && root.endpoint == Endpoint::ui_root));
    BOOST_TEST((route(Method::head, "/").status == RouteStatus::found));
    Route put = route(Method::put, "/");
    BOOST_TEST((put.status == RouteStatus::method_not_allowed));
    BOOST_TEST(put.allow == "GET, HEAD");
    Route asset = route(Method::get, "/ui/app.js");
    BOOST_TEST((asset.status == RouteStatus::found && asset.endpoint == Endpoint::ui));
    BOOST_TEST(asset.arg == "app.js");
    BOOST_TEST((route(Method::get, "/ui").endpoint == Endpoint::ui));
    BOOST_TEST((route(Method::get, "/ui/").endpoint == Endpoint::ui));
    BOOST_TEST((route(Method::get, "/uix").status == RouteStatus::not_found));
    BOOST_TEST((route(Method::put, "/ui/").status == RouteStatus::method_not_allowed));
    BOOST_TEST(!is_blocking(Endpoint::ui));
    BOOST_TEST(!is_write(Endpoint::ui_root));
}

BOOST_AUTO_TEST_CASE(membership_endpoints_are_routed) {
    Route join = route(Method::put, "/v1/agent/join/10.0.0.11:8300");
    BOOST_TEST((join.endpoint == Endpoint::agent_join));
    BOOST_TEST(join.arg == "10.0.0.11:8300");
    BOOST_TEST(
        (route(Method::get, "/v1/agent/join/10.0.0.11").status == RouteStatus::method_not_allowed));
    Route force = route(Method::put, "/v1/agent/force-leave/web-1");
    BOOST_TEST((force.endpoint == Endpoint::agent_force_leave));
    BOOST_TEST(force.arg == "web-1");
    BOOST_TEST(is_write(force.endpoint));
}

BOOST_AUTO_TEST_CASE(snapshot_takes_get_and_put_and_is_no_plain_write) {
    BOOST_TEST((route(Method::get, "/v1/snapshot").endpoint == Endpoint::snapshot));
    Route put = route(Method::put, "/v1/snapshot");
    BOOST_TEST((put.status == RouteStatus::found && put.endpoint == Endpoint::snapshot));
    BOOST_TEST(!is_write(put.endpoint));  // a Restore, not a plan_write
    BOOST_TEST(!is_blocking(put.endpoint));
    BOOST_TEST((route(Method::get, "/v1/snapshot/x").status == RouteStatus::not_found));
}

BOOST_AUTO_TEST_CASE(check_endpoints_are_routed) {
    Route pass = route(Method::put, "/v1/agent/check/pass/service:web");
    BOOST_TEST((pass.endpoint == Endpoint::agent_check_pass));
    BOOST_TEST(pass.arg == "service:web");
    BOOST_TEST(is_ttl_update(pass.endpoint));
    BOOST_TEST(!is_write(pass.endpoint));
    BOOST_TEST(
        (route(Method::get, "/v1/agent/check/fail/x").endpoint == Endpoint::agent_check_fail));
    BOOST_TEST(
        (route(Method::put, "/v1/agent/check/update/x").endpoint == Endpoint::agent_check_update));
    BOOST_TEST(
        (route(Method::get, "/v1/agent/check/update/x").status == RouteStatus::method_not_allowed));
    Route reg = route(Method::put, "/v1/agent/check/register");
    BOOST_TEST((reg.endpoint == Endpoint::agent_check_register));
    BOOST_TEST(is_write(reg.endpoint));
    BOOST_TEST(is_write(route(Method::put, "/v1/agent/maintenance").endpoint));
    BOOST_TEST(is_write(route(Method::put, "/v1/agent/check/deregister/x").endpoint));
    Route health = route(Method::get, "/v1/agent/health/service/name/web");
    BOOST_TEST((health.endpoint == Endpoint::agent_health_service_name));
    BOOST_TEST(health.arg == "web");
    BOOST_TEST((route(Method::get, "/v1/agent/health/service/id/web-1").endpoint ==
                Endpoint::agent_health_service_id));
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_with_allow) {
    Route r = route(Method::get, "/v1/agent/service/register");
    BOOST_TEST((r.status == RouteStatus::method_not_allowed));
    BOOST_TEST(r.allow == "PUT");
    Route put_read = route(Method::put, "/v1/catalog/nodes");
    BOOST_TEST((put_read.status == RouteStatus::method_not_allowed));
    BOOST_TEST(put_read.allow == "GET, HEAD");
    BOOST_TEST(
        (route(Method::del, "/v1/catalog/register").status == RouteStatus::method_not_allowed));
}

BOOST_AUTO_TEST_CASE(cache_endpoints_are_routed) {
    BOOST_TEST(
        (route(Method::put, "/v1/agent/cache/flush").endpoint == Endpoint::agent_cache_flush));
    BOOST_TEST(
        (route(Method::get, "/v1/agent/cache/stats").endpoint == Endpoint::agent_cache_stats));
    Route get_flush = route(Method::get, "/v1/agent/cache/flush");
    BOOST_TEST((get_flush.status == RouteStatus::method_not_allowed));
    BOOST_TEST(get_flush.allow == "PUT");
    Route put_stats = route(Method::put, "/v1/agent/cache/stats");
    BOOST_TEST((put_stats.status == RouteStatus::method_not_allowed));
    BOOST_TEST(put_stats.allow == "GET, HEAD");
    BOOST_TEST(!is_write(Endpoint::agent_cache_flush));
    BOOST_TEST(!is_blocking(Endpoint::agent_cache_stats));
}

BOOST_AUTO_TEST_CASE(metrics_endpoints_are_routed) {
    BOOST_TEST((route(Method::get, "/v1/agent/metrics").endpoint == Endpoint::agent_metrics));
    BOOST_TEST((route(Method::get, "/metrics").endpoint == Endpoint::metrics));
    BOOST_TEST((route(Method::put, "/metrics").status == RouteStatus::method_not_allowed));
    BOOST_TEST((route(Method::get, "/metricsx").status == RouteStatus::not_found));
    BOOST_TEST(!is_write(Endpoint::agent_metrics));
    BOOST_TEST(!is_blocking(Endpoint::metrics));
}

BOOST_AUTO_TEST_CASE(service_deregister_takes_get_for_old_clients_and_put) {
    Route get = route(Method::get, "/v1/agent/service/deregister/web");
    BOOST_TEST((get.status == RouteStatus::found));
    BOOST_TEST(get.arg == "web");
    BOOST_TEST(
        (route(Method::put, "/v1/agent/service/deregister/web").status == RouteStatus::found));
    BOOST_TEST((route(Method::post, "/v1/agent/service/deregister/web").status ==
                RouteStatus::method_not_allowed));
}

BOOST_AUTO_TEST_CASE(writes_and_blocking_reads_are_classified) {
    BOOST_TEST(is_write(Endpoint::catalog_register));
    BOOST_TEST(is_write(Endpoint::agent_service_maintenance));
    BOOST_TEST(!is_write(Endpoint::agent_services));
    BOOST_TEST(is_blocking(Endpoint::health_service));
    BOOST_TEST(is_blocking(Endpoint::catalog_nodes));
    BOOST_TEST(!is_blocking(Endpoint::agent_self));
    BOOST_TEST(!is_blocking(Endpoint::status_leader));
}

BOOST_AUTO_TEST_SUITE_END()
