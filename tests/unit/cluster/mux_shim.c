/* mux_shim: the mux transport behind plain functions for the C++ tests (see mux_shim.h). */
#include "mux_shim.h"

#include <raft.h>
#include <raft/uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mux_test {
    struct raft_uv_transport t; /* first: the transport callbacks get &t */
    mux_test_accept_cb accept_cb;
    void* accept_data;
    mux_test_closed_cb closed_cb;
    void* closed_data;
};

struct dial {
    struct raft_uv_connect req;
    mux_test_connect_cb cb;
    void* data;
};

struct mux_test* mux_test_new(struct uv_loop_s* loop, const char* address, uint64_t id,
                              muster_rpc_accept_cb rpc_accept, void* rpc_data,
                              const struct muster_link_policy* policy, char* errmsg,
                              size_t errmsg_len) {
    struct mux_test* m = calloc(1, sizeof *m);
    int rv;
    if (m == NULL) {
        snprintf(errmsg, errmsg_len, "out of memory");
        return NULL;
    }
    rv = muster_mux_transport_init(&m->t, loop, address, rpc_accept, rpc_data, policy);
    if (rv != 0) {
        snprintf(errmsg, errmsg_len, "%s", m->t.errmsg);
        free(m);
        return NULL;
    }
    rv = m->t.init(&m->t, (raft_id)id, address);
    if (rv != 0) {
        snprintf(errmsg, errmsg_len, "%s", m->t.errmsg);
        muster_mux_transport_abandon(&m->t);
        free(m);
        return NULL;
    }
    return m;
}

static void accepted(struct raft_uv_transport* t, raft_id id, const char* address,
                     struct uv_stream_s* stream) {
    struct mux_test* m = (struct mux_test*)t;
    m->accept_cb(m->accept_data, (uint64_t)id, address, stream);
}

int mux_test_listen(struct mux_test* m, mux_test_accept_cb cb, void* data) {
    m->accept_cb = cb;
    m->accept_data = data;
    return m->t.listen(&m->t, accepted);
}

static void dialled(struct raft_uv_connect* req, struct uv_stream_s* stream, int status) {
    struct dial* d = req->data;
    mux_test_connect_cb cb = d->cb;
    void* data = d->data;
    free(d);
    cb(data, stream, status);
}

int mux_test_connect(struct mux_test* m, uint64_t id, const char* address, mux_test_connect_cb cb,
                     void* data) {
    struct dial* d = calloc(1, sizeof *d);
    int rv;
    if (d == NULL) {
        return RAFT_NOMEM;
    }
    d->req.data = d;
    d->cb = cb;
    d->data = data;
    rv = m->t.connect(&m->t, &d->req, (raft_id)id, address, dialled);
    if (rv != 0) {
        free(d);
    }
    return rv;
}

static void closed(struct raft_uv_transport* t) {
    struct mux_test* m = (struct mux_test*)t;
    mux_test_closed_cb cb = m->closed_cb;
    void* data = m->closed_data;
    muster_mux_transport_close(&m->t);
    free(m);
    if (cb != NULL) {
        cb(data);
    }
}

void mux_test_close(struct mux_test* m, mux_test_closed_cb cb, void* data) {
    m->closed_cb = cb;
    m->closed_data = data;
    m->t.close(&m->t, closed);
}

void mux_test_abandon(struct mux_test* m) {
    muster_mux_transport_abandon(&m->t);
    free(m);
}

unsigned long mux_test_rejected(const struct mux_test* m) {
    return muster_mux_rejected(&m->t);
}

unsigned long mux_test_raft_refused(const struct mux_test* m) {
    return muster_mux_raft_refused(&m->t);
}

const char* mux_test_strerror(int rv) {
    return raft_strerror(rv);
}
