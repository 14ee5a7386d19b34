/* raft_shim: libraft 0.22 (legacy raft_io API) with its libuv I/O over internal/mux_transport,
 * behind opaque functions that C++ can call. */
#include "cluster/internal/raft_shim.h"

#include <raft.h>
#include <raft/uv.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "cluster/internal/mux_transport.h"

#define MUSTER_SAME_CODE(a, b) _Static_assert((int)(a) == (int)(b), #a " is libraft's " #b)
MUSTER_SAME_CODE(MUSTER_RAFT_NOTLEADER, RAFT_NOTLEADER);
MUSTER_SAME_CODE(MUSTER_RAFT_LEADERSHIPLOST, RAFT_LEADERSHIPLOST);
MUSTER_SAME_CODE(MUSTER_RAFT_SHUTDOWN, RAFT_SHUTDOWN);
MUSTER_SAME_CODE(MUSTER_RAFT_CANTBOOTSTRAP, RAFT_CANTBOOTSTRAP);
MUSTER_SAME_CODE(MUSTER_RAFT_CANTCHANGE, RAFT_CANTCHANGE);
MUSTER_SAME_CODE(MUSTER_RAFT_CORRUPT, RAFT_CORRUPT);
MUSTER_SAME_CODE(MUSTER_RAFT_NOCONNECTION, RAFT_NOCONNECTION);
MUSTER_SAME_CODE(MUSTER_RAFT_STANDBY, RAFT_STANDBY);
MUSTER_SAME_CODE(MUSTER_RAFT_VOTER, RAFT_VOTER);
MUSTER_SAME_CODE(MUSTER_RAFT_SPARE, RAFT_SPARE);
MUSTER_SAME_CODE(MUSTER_RAFT_UNAVAILABLE, RAFT_UNAVAILABLE);
MUSTER_SAME_CODE(MUSTER_RAFT_FOLLOWER, RAFT_FOLLOWER);
MUSTER_SAME_CODE(MUSTER_RAFT_CANDIDATE, RAFT_CANDIDATE);
MUSTER_SAME_CODE(MUSTER_RAFT_LEADER, RAFT_LEADER);
#undef MUSTER_SAME_CODE
_Static_assert(sizeof(raft_id) == sizeof(uint64_t) && sizeof(raft_index) == sizeof(uint64_t),
               "64-bit raft ids and indexes");

void* muster_raft_malloc(size_t size) {
    return raft_malloc(size);
}

void muster_raft_free(void* ptr) {
    raft_free(ptr);
}

const char* muster_raft_strerror(int rv) {
    return raft_strerror(rv);
}

/* --- state machine ------------------------------------------------------------------------ */

struct muster_fsm {
    struct raft_fsm fsm;
    struct muster_fsm_ops ops;
    struct raft* raft;
};

/* libraft's legacy apply loop calls fsm->apply for the entry at last_applied + 1 and advances
 * last_applied only after apply returns 0 (barrier and configuration entries advance it too),
 * so the index of the entry being applied is raft_last_applied() + 1. */
static int fsm_apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result) {
    struct muster_fsm* m = fsm->data;
    uint64_t index;
    *result = NULL;
    if (m->raft == NULL) {
        return RAFT_CORRUPT;
    }
    index = (uint64_t)raft_last_applied(m->raft) + 1;
    if (m->ops.apply(m->ops.ctx, index, buf->base, buf->len) != 0) {
        return RAFT_CORRUPT;
    }
    return 0;
}

/* The buffers handed to libraft are one longer than it is told: the hidden last one carries the
 * owner of the parts, which fsm_snapshot_finalize gives back to the state machine. */
static int fsm_snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs) {
    struct muster_fsm* m = fsm->data;
    struct muster_snapshot_parts parts;
    struct raft_buffer* out;
    unsigned i;
    memset(&parts, 0, sizeof parts);
    if (m->ops.snapshot(m->ops.ctx, &parts) != 0) {
        return RAFT_CORRUPT;
    }
    out = raft_malloc((parts.n + 1) * sizeof *out);
    if (out == NULL) {
        m->ops.release(m->ops.ctx, parts.owner);
        return RAFT_NOMEM;
    }
    for (i = 0; i < parts.n; i++) {
        out[i].base = (void*)parts.base[i];
        out[i].len = parts.len[i];
    }
    out[parts.n].base = parts.owner;
    out[parts.n].len = 0;
    *bufs = out;
    *n_bufs = parts.n;
    return 0;
}

/* fsm version 2: libraft hands the snapshot buffers back once they are written. */
static int fsm_snapshot_finalize(struct raft_fsm* fsm, struct raft_buffer* bufs[],
                                 unsigned* n_bufs) {
    struct muster_fsm* m = fsm->data;
    if (*bufs != NULL) {
        m->ops.release(m->ops.ctx, (*bufs)[*n_bufs].base);
        raft_free(*bufs);
    }
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

/* On success the FSM owns buf->base and must raft_free it; on failure libraft keeps it. */
static int fsm_restore(struct raft_fsm* fsm, struct raft_buffer* buf) {
    struct muster_fsm* m = fsm->data;
    if (m->ops.restore(m->ops.ctx, buf->base, buf->len) != 0) {
        return RAFT_CORRUPT;
    }
    raft_free(buf->base);
    return 0;
}

struct muster_fsm* muster_fsm_new(const struct muster_fsm_ops* ops) {
    struct muster_fsm* m = raft_calloc(1, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    m->ops = *ops;
    m->fsm.version = 2;
    m->fsm.data = m;
    m->fsm.apply = fsm_apply;
    m->fsm.snapshot = fsm_snapshot;
    m->fsm.restore = fsm_restore;
    m->fsm.snapshot_finalize = fsm_snapshot_finalize;
    m->fsm.snapshot_async = NULL;
    return m;
}

void muster_fsm_free(struct muster_fsm* fsm) {
    raft_free(fsm);
}

struct raft_fsm* muster_fsm_raft(struct muster_fsm* fsm) {
    return &fsm->fsm;
}

void muster_fsm_bind(struct muster_fsm* fsm, struct raft* raft) {
    fsm->raft = raft;
}

/* --- client requests ---------------------------------------------------------------------- */

struct shim_apply {
    struct raft_apply req;
    muster_raft_done_cb cb;
    void* arg;
    uint64_t tag;
};

static void shim_apply_cb(struct raft_apply* req, int status, void* result) {
    struct shim_apply* a = req->data;
    muster_raft_done_cb cb = a->cb;
    void* arg = a->arg;
    uint64_t tag = a->tag;
    (void)result;
    raft_free(a);
    cb(arg, tag, status);
}

int muster_raft_apply(struct raft* raft, void* buf, size_t len, muster_raft_done_cb cb, void* arg,
                      uint64_t tag, uint64_t* index) {
    struct raft_buffer b;
    struct shim_apply* a = raft_calloc(1, sizeof *a);
    int rv;
    if (a == NULL) {
        raft_free(buf);
        return RAFT_NOMEM;
    }
    a->req.data = a;
    a->cb = cb;
    a->arg = arg;
    a->tag = tag;
    b.base = buf;
    b.len = len;
    /* One buffer per raft_apply: libraft completes a request at the first entry of a batch. */
    rv = raft_apply(raft, &a->req, &b, 1, shim_apply_cb);
    if (rv != 0) {
        /* RAFT_NOTLEADER comes from raft_step before the entry is taken; after that the legacy
         * layer may have copied the entry and freed buf already, so leak rather than risk a
         * double free on those (rare: out of memory, I/O errors). */
        if (rv == RAFT_NOTLEADER) {
            raft_free(buf);
        }
        raft_free(a);
        return rv;
    }
    *index = a->req.index;
    return 0;
}

struct shim_barrier {
    struct raft_barrier req;
    muster_raft_done_cb cb;
    void* arg;
    uint64_t tag;
};

static void shim_barrier_cb(struct raft_barrier* req, int status) {
    struct shim_barrier* b = req->data;
    muster_raft_done_cb cb = b->cb;
    void* arg = b->arg;
    uint64_t tag = b->tag;
    raft_free(b);
    cb(arg, tag, status);
}

int muster_raft_barrier(struct raft* raft, muster_raft_done_cb cb, void* arg, uint64_t tag) {
    struct shim_barrier* b = raft_calloc(1, sizeof *b);
    int rv;
    if (b == NULL) {
        return RAFT_NOMEM;
    }
    b->req.data = b;
    b->cb = cb;
    b->arg = arg;
    b->tag = tag;
    rv = raft_barrier(raft, &b->req, shim_barrier_cb);
    if (rv != 0) {
        raft_free(b);
    }
    return rv;
}

/* --- configuration changes and leadership transfer ----------------------------------------- */

struct shim_change {
    struct raft_change req;
    muster_raft_done_cb cb;
    void* arg;
    uint64_t tag;
};

static void shim_change_cb(struct raft_change* req, int status) {
    struct shim_change* c = req->data;
    muster_raft_done_cb cb = c->cb;
    void* arg = c->arg;
    uint64_t tag = c->tag;
    raft_free(c);
    cb(arg, tag, status);
}

static struct shim_change* shim_change_new(muster_raft_done_cb cb, void* arg, uint64_t tag) {
    struct shim_change* c = raft_calloc(1, sizeof *c);
    if (c != NULL) {
        c->req.data = c;
        c->cb = cb;
        c->arg = arg;
        c->tag = tag;
    }
    return c;
}

int muster_raft_add(struct raft* raft, uint64_t id, const char* address, muster_raft_done_cb cb,
                    void* arg, uint64_t tag) {
    struct shim_change* c = shim_change_new(cb, arg, tag);
    int rv;
    if (c == NULL) {
        return RAFT_NOMEM;
    }
    rv = raft_add(raft, &c->req, (raft_id)id, address, shim_change_cb);
    if (rv != 0) {
        raft_free(c);
    }
    return rv;
}

int muster_raft_assign_voter(struct raft* raft, uint64_t id, muster_raft_done_cb cb, void* arg,
                             uint64_t tag) {
    struct shim_change* c = shim_change_new(cb, arg, tag);
    int rv;
    if (c == NULL) {
        return RAFT_NOMEM;
    }
    rv = raft_assign(raft, &c->req, (raft_id)id, RAFT_VOTER, shim_change_cb);
    if (rv != 0) {
        raft_free(c);
    }
    return rv;
}

int muster_raft_remove(struct raft* raft, uint64_t id, muster_raft_done_cb cb, void* arg,
                       uint64_t tag) {
    struct shim_change* c = shim_change_new(cb, arg, tag);
    int rv;
    if (c == NULL) {
        return RAFT_NOMEM;
    }
    rv = raft_remove(raft, &c->req, (raft_id)id, shim_change_cb);
    if (rv != 0) {
        raft_free(c);
    }
    return rv;
}

struct shim_transfer {
    struct raft_transfer req;
    muster_raft_done_cb cb;
    void* arg;
    uint64_t tag;
};

static void shim_transfer_cb(struct raft_transfer* req) {
    struct shim_transfer* t = req->data;
    muster_raft_done_cb cb = t->cb;
    void* arg = t->arg;
    uint64_t tag = t->tag;
    raft_free(t);
    cb(arg, tag, 0);
}

int muster_raft_transfer(struct raft* raft, uint64_t id, muster_raft_done_cb cb, void* arg,
                         uint64_t tag) {
    struct shim_transfer* t = raft_calloc(1, sizeof *t);
    int rv;
    if (t == NULL) {
        return RAFT_NOMEM;
    }
    t->req.data = t;
    t->cb = cb;
    t->arg = arg;
    t->tag = tag;
    rv = raft_transfer(raft, &t->req, (raft_id)id, shim_transfer_cb);
    if (rv != 0) {
        raft_free(t);
    }
    return rv;
}

const char* muster_raft_errmsg(struct raft* raft) {
    return raft_errmsg(raft);
}

/* --- status ------------------------------------------------------------------------------- */

void muster_raft_get_info(struct raft* raft, struct muster_raft_info* info) {
    raft_id leader_id = 0;
    const char* leader_address = NULL;
    memset(info, 0, sizeof *info);
    info->state = (int)raft_state(raft);
    info->id = raft->id;
    if (info->state != RAFT_UNAVAILABLE) {
        raft_leader(raft, &leader_id, &leader_address);
    }
    info->leader_id = leader_id;
    info->leader_address = leader_address;
    info->term = raft_current_term(raft);
    info->commit_index = raft_commit_index(raft);
    info->last_applied = raft_last_applied(raft);
    info->last_index = raft_last_index(raft);
    info->election_timer_start = raft->election_timer_start;
    info->configuration_committed_index = raft->configuration_committed_index;
    info->configuration_uncommitted_index = raft->configuration_uncommitted_index;
}

unsigned muster_raft_n_servers(struct raft* raft) {
    return raft->configuration.n;
}

void muster_raft_server(struct raft* raft, unsigned i, uint64_t* id, const char** address,
                        int* role) {
    const struct raft_server* s = &raft->configuration.servers[i];
    *id = s->id;
    *address = s->address;
    *role = s->role;
}

/* --- the libuv node ----------------------------------------------------------------------- */

struct muster_raft_node {
    struct raft raft;
    struct raft_io io;
    struct raft_uv_transport transport;
    muster_raft_closed_cb closed_cb;
    void* closed_arg;
};

static void set_error(char* errmsg, size_t len, const char* what, int rv, const char* detail) {
    if (errmsg == NULL || len == 0) {
        return;
    }
    if (detail != NULL && detail[0] != '\0') {
        snprintf(errmsg, len, "%s: %s (%s)", what, detail, raft_strerror(rv));
    } else {
        snprintf(errmsg, len, "%s: %s", what, raft_strerror(rv));
    }
}

static unsigned election_seed(uint64_t id) {
    unsigned seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = 0;
    return seed ^ (unsigned)id ^ (unsigned)(id >> 32);
}

int muster_raft_node_init(struct muster_raft_node** out, struct uv_loop_s* loop, const char* dir,
                          uint64_t id, const char* address, struct muster_fsm* fsm,
                          const struct muster_raft_node_options* options,
                          muster_raft_rpc_accept_cb rpc_accept, void* rpc_data,
                          const struct muster_link_policy* policy, char* errmsg,
                          size_t errmsg_len) {
    struct muster_raft_node* n = raft_calloc(1, sizeof *n);
    int rv;
    if (n == NULL) {
        set_error(errmsg, errmsg_len, "allocate", RAFT_NOMEM, NULL);
        return RAFT_NOMEM;
    }
    rv = muster_mux_transport_init(&n->transport, loop,
                                   options->bind_address != NULL ? options->bind_address : address,
                                   rpc_accept, rpc_data, policy);
    if (rv != 0) {
        set_error(errmsg, errmsg_len, "transport", rv, n->transport.errmsg);
        raft_free(n);
        return rv;
    }
    n->io.version = 2;
    rv = raft_uv_init(&n->io, loop, dir, &n->transport);
    if (rv != 0) {
        set_error(errmsg, errmsg_len, "libuv I/O", rv, n->io.errmsg);
        muster_mux_transport_abandon(&n->transport);
        raft_free(n);
        return rv;
    }
    raft_uv_set_connect_retry_delay(&n->io, options->connect_retry_ms);
    rv = raft_init(&n->raft, &n->io, muster_fsm_raft(fsm), (raft_id)id, address);
    if (rv != 0) {
        /* raft_init's last fallible step is the I/O's init, which takes the transport last:
         * libraft never closes the transport after a failed raft_init. */
        set_error(errmsg, errmsg_len, "raft init", rv, raft_errmsg(&n->raft));
        raft_uv_close(&n->io);
        muster_mux_transport_abandon(&n->transport);
        raft_free(n);
        return rv;
    }
    /* raft_init seeds libraft's election-timeout generator from rand(), which raft_uv_init
     * seeded with the wall clock in ms XOR the loop's monotonic ms: servers started in the same
     * millisecond (a test's fleet, hosts booted together) drew the same timeouts, so after a
     * leader's death they stood as candidates at the same instant, split the vote and did it
     * again, with no leader for seconds. The kernel's randomness, and the id, differ. */
    raft_seed(&n->raft, election_seed(id));
    n->raft.data = n;
    muster_fsm_bind(fsm, &n->raft);
    raft_set_election_timeout(&n->raft, options->election_timeout_ms);
    raft_set_heartbeat_timeout(&n->raft, options->heartbeat_timeout_ms);
    raft_set_snapshot_threshold(&n->raft, options->snapshot_threshold);
    raft_set_snapshot_trailing(&n->raft, options->snapshot_trailing);
    raft_set_pre_vote(&n->raft, true);
    *out = n;
    return 0;
}

struct raft* muster_raft_node_raft(struct muster_raft_node* node) {
    return &node->raft;
}

int muster_raft_node_bootstrap(struct muster_raft_node* node, unsigned n, const uint64_t* ids,
                               const char* const* addresses, char* errmsg, size_t errmsg_len) {
    struct raft_configuration conf;
    unsigned i;
    int rv = 0;
    raft_configuration_init(&conf);
    for (i = 0; i < n; i++) {
        rv = raft_configuration_add(&conf, (raft_id)ids[i], addresses[i], RAFT_VOTER);
        if (rv != 0) {
            set_error(errmsg, errmsg_len, "bootstrap configuration", rv, addresses[i]);
            goto out;
        }
    }
    rv = raft_bootstrap(&node->raft, &conf);
    if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
        set_error(errmsg, errmsg_len, "bootstrap", rv, node->io.errmsg);
    }
out:
    raft_configuration_close(&conf);
    return rv;
}

int muster_raft_node_start(struct muster_raft_node* node, char* errmsg, size_t errmsg_len) {
    int rv = raft_start(&node->raft);
    if (rv != 0) {
        /* Some failures (the transport's listen) leave their text in the I/O only. */
        const char* detail = raft_errmsg(&node->raft);
        if (detail == NULL || detail[0] == '\0') {
            detail = node->io.errmsg;
        }
        set_error(errmsg, errmsg_len, "start", rv, detail);
    }
    return rv;
}

static void node_raft_closed(struct raft* raft) {
    struct muster_raft_node* n = raft->data;
    muster_raft_closed_cb cb = n->closed_cb;
    void* arg = n->closed_arg;
    raft_uv_close(&n->io);
    muster_mux_transport_close(&n->transport);
    raft_free(n);
    if (cb != NULL) {
        cb(arg);
    }
}

void muster_raft_node_close(struct muster_raft_node* node, muster_raft_closed_cb cb, void* arg) {
    node->closed_cb = cb;
    node->closed_arg = arg;
    raft_close(&node->raft, node_raft_closed);
}
