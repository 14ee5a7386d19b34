"""The probes: GET /livez is 200 while the agent serves; GET /readyz is 200 when DNS serves and
the catalog is in sync with a leader (a standalone agent is its own catalog), 503 otherwise,
and ?verbose gives a JSON reason per check."""

import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import scaled, wait_until
from test_client_agents import Clients
from test_raft_cluster import Cluster

multi_agent = pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                                 reason="multi-agent tests run once, in the optimized build")


def test_livez_and_readyz_on_a_serving_agent(muster):
    agent = muster.start(muster.config())
    # (under MUSTER_TEST_SERVER=1 the agent is a server of one: ready once it leads)
    wait_until(lambda: agent.api("GET", "/readyz").status == 200, scaled(10), 0.1, "ready")
    live = agent.api("GET", "/livez")
    assert (live.status, live.text) == (200, "ok\n")
    ready = agent.api("GET", "/readyz")
    assert (ready.status, ready.text) == (200, "ok\n")
    verbose = agent.api("GET", "/readyz?verbose")
    assert verbose.status == 200
    body = verbose.json()
    assert body["Ready"] is True
    assert [c["Name"] for c in body["Checks"]] == ["dns", "catalog"]
    assert all(c["Ok"] and c["Reason"] for c in body["Checks"])
    assert agent.api("HEAD", "/readyz").status == 200
    refused = agent.api("PUT", "/readyz")
    assert refused.status == 405


@multi_agent
def test_a_client_is_ready_only_while_fed_by_a_server_with_a_leader(muster):
    cluster = Cluster(muster, 1)
    clients = Clients(muster, cluster, 1).start(wait=False)
    (client,) = clients.agents
    # DNS serves from the replica at once, but no server was reached yet
    assert client.api("GET", "/livez").status == 200
    ready = client.api("GET", "/readyz?verbose")
    assert ready.status == 503
    catalog = ready.json()["Checks"][1]
    assert (catalog["Name"], catalog["Ok"]) == ("catalog", False)
    assert "no server reached" in catalog["Reason"]
    plain = client.api("GET", "/readyz")
    assert plain.status == 503 and "catalog: no server reached" in plain.text
    cluster.start()
    wait_until(lambda: client.api("GET", "/readyz").status == 200, scaled(15), 0.1,
               "the client ready once fed")
    reason = client.api_ok("GET", "/readyz?verbose")["Checks"][1]["Reason"]
    assert "fed by 127.0.0.11" in reason, reason
    # the only server dies: the client keeps answering DNS, but is no longer ready
    assert replica_metric(client, "muster_replica_connected") == 1
    cluster.agents[0].kill()
    wait_until(lambda: client.api("GET", "/readyz").status == 503, scaled(15), 0.1,
               "the client not ready without its server")
    assert client.api("GET", "/livez").status == 200
    assert replica_metric(client, "muster_replica_connected") == 0
    wait_until(lambda: replica_metric(client, "muster_replica_lag_seconds") > 1, scaled(5), 0.1,
               "the replica's lag grows while no server speaks")
    # the server comes back: ready again, fed and caught up
    cluster.agents[0].start()
    wait_until(lambda: client.api("GET", "/readyz").status == 200, scaled(20), 0.1,
               "the client ready again once its server is back")
    wait_until(lambda: replica_metric(client, "muster_replica_connected") == 1, scaled(10), 0.1,
               "the replica's feed in the metrics")
    assert replica_metric(client, "muster_replica_lag_index") == 0
    assert replica_metric(client, "muster_replica_sessions_total") >= 2


def replica_metric(agent, name: str) -> float:
    for family in text_string_to_metric_families(agent.api("GET", "/metrics").text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    raise AssertionError(f"{name} not in /metrics")
