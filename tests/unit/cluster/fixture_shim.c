/* fixture_shim: drives raft_fixture with muster fsms; no sockets, no clocks. */
#include "fixture_shim.h"

#include <raft.h>
#include <raft/fixture.h>
#include <stdlib.h>

#include "cluster/internal/raft_shim.h"

struct mf_cluster {
    struct raft_fixture f;
    struct raft_tracer quiet; /* the fixture's own tracer prints every step to stderr */
};

static void quiet_emit(struct raft_tracer* t, int type, const void* info) {
    (void)t;
    (void)type;
    (void)info;
}

struct mf_cluster* mf_cluster_new(unsigned n, struct muster_fsm* const* fsms) {
    struct mf_cluster* c = calloc(1, sizeof *c);
    struct raft_configuration conf;
    unsigned i;
    if (c == NULL || raft_fixture_init(&c->f) != 0) {
        abort();
    }
    c->quiet.version = 2;
    c->quiet.emit = quiet_emit;
    for (i = 0; i < n; i++) {
        if (raft_fixture_grow(&c->f, muster_fsm_raft(fsms[i])) != 0) {
            abort();
        }
        muster_fsm_bind(fsms[i], raft_fixture_get(&c->f, i));
        raft_fixture_get(&c->f, i)->tracer = &c->quiet;
        raft_set_pre_vote(raft_fixture_get(&c->f, i), true);
    }
    if (raft_fixture_configuration(&c->f, n, &conf) != 0 ||
        raft_fixture_bootstrap(&c->f, &conf) != 0) {
        abort();
    }
    raft_configuration_close(&conf);
    if (raft_fixture_start(&c->f) != 0) {
        abort();
    }
    return c;
}

void mf_cluster_free(struct mf_cluster* c) {
    raft_fixture_close(&c->f);
    free(c);
}

struct raft* mf_cluster_raft(struct mf_cluster* c, unsigned i) {
    return raft_fixture_get(&c->f, i);
}

unsigned mf_cluster_leader(struct mf_cluster* c) {
    return raft_fixture_leader_index(&c->f);
}

bool mf_cluster_step_until_has_leader(struct mf_cluster* c, unsigned max_ms) {
    return raft_fixture_step_until_has_leader(&c->f, max_ms);
}

/* The fixture's own leader detection wants every connected server to follow the leader, which
 * a disconnected old leader never does: look at the servers' states instead. */
static bool leader_is_not(struct raft_fixture* f, void* arg) {
    unsigned i = *(unsigned*)arg;
    unsigned j;
    for (j = 0; j < raft_fixture_n(f); j++) {
        struct raft* r = raft_fixture_get(f, j);
        if (j != i && raft_state(r) == RAFT_LEADER &&
            raft_current_term(r) > raft_current_term(raft_fixture_get(f, i))) {
            return true;
        }
    }
    return false;
}

bool mf_cluster_step_until_leader_is_not(struct mf_cluster* c, unsigned i, unsigned max_ms) {
    return raft_fixture_step_until(&c->f, leader_is_not, &i, max_ms);
}

unsigned mf_cluster_leader_other_than(struct mf_cluster* c, unsigned i) {
    unsigned j;
    for (j = 0; j < raft_fixture_n(&c->f); j++) {
        if (j != i && raft_state(raft_fixture_get(&c->f, j)) == RAFT_LEADER) {
            return j;
        }
    }
    return raft_fixture_n(&c->f);
}

bool mf_cluster_step_until_applied(struct mf_cluster* c, unsigned i, uint64_t index,
                                   unsigned max_ms) {
    return raft_fixture_step_until_applied(&c->f, i, (raft_index)index, max_ms);
}

bool mf_cluster_step_until_follower(struct mf_cluster* c, unsigned i, unsigned max_ms) {
    return raft_fixture_step_until_state_is(&c->f, i, RAFT_FOLLOWER, max_ms);
}

void mf_cluster_step_until_elapsed(struct mf_cluster* c, unsigned ms) {
    raft_fixture_step_until_elapsed(&c->f, ms);
}

void mf_cluster_kill(struct mf_cluster* c, unsigned i) {
    raft_fixture_kill(&c->f, i);
}

void mf_cluster_revive(struct mf_cluster* c, unsigned i) {
    raft_fixture_revive(&c->f, i);
}

void mf_cluster_disconnect(struct mf_cluster* c, unsigned i, unsigned j) {
    raft_fixture_disconnect(&c->f, i, j);
    raft_fixture_disconnect(&c->f, j, i);
}

void mf_cluster_reconnect(struct mf_cluster* c, unsigned i, unsigned j) {
    raft_fixture_reconnect(&c->f, i, j);
    raft_fixture_reconnect(&c->f, j, i);
}

void mf_cluster_set_snapshot(struct mf_cluster* c, unsigned threshold, unsigned trailing) {
    unsigned i;
    for (i = 0; i < raft_fixture_n(&c->f); i++) {
        raft_set_snapshot_threshold(raft_fixture_get(&c->f, i), threshold);
        raft_set_snapshot_trailing(raft_fixture_get(&c->f, i), trailing);
    }
}

uint64_t mf_cluster_last_applied(struct mf_cluster* c, unsigned i) {
    return raft_last_applied(raft_fixture_get(&c->f, i));
}

uint64_t mf_cluster_commit_index(struct mf_cluster* c, unsigned i) {
    return raft_commit_index(raft_fixture_get(&c->f, i));
}

bool mf_cluster_is_leader(struct mf_cluster* c, unsigned i) {
    return raft_state(raft_fixture_get(&c->f, i)) == RAFT_LEADER;
}
