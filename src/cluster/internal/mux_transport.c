/* mux_transport: Raft and cluster RPC on one TCP port (see mux_transport.h). */
#include "cluster/internal/mux_transport.h"

#include "cluster/internal/secure_link.h"

#include <raft.h>
#include <raft/uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define MUX_TLS_HANDSHAKE 0x16 /* the first byte of a TLS ClientHello record */

#define MUX_HEAD MUSTER_MUX_PREAMBLE_BYTES
#define MUX_RAFT_FIXED (MUX_HEAD + 10) /* + id (8) + address length (2) */
#define MUX_MAX_ADDRESS 255
#define MUX_MAX_INCOMING 128         /* connections still sending their preamble */
#define MUX_PREAMBLE_TIMEOUT_MS 5000 /* to send the whole preamble */
#define MUX_SWEEP_MS 1000

struct mux;

/* An accepted connection whose preamble is still being read. */
struct incoming {
    struct mux* mux;
    /* raft_malloc'ed: libraft frees a stream it was handed with raft_free. The accepted TCP,
     * or, once a TLS ClientHello began, a pipe to the relay (secure_link.h) */
    uv_stream_t* tcp;
    uint64_t accepted_at;
    char peer[64];
    int sniffing;     /* the first byte decides: TLS, or (when allowed) plaintext */
    int role_pending; /* through a relay: its first byte says what the peer may do */
    int peer_server;  /* the peer may act as a server (Raft, server RPC) */
    uint8_t buf[MUX_RAFT_FIXED + MUX_MAX_ADDRESS];
    size_t have;
    size_t want;
    int linked;
    struct incoming *prev, *next;
};

/* A Raft dial: connect, write the preamble, hand the stream to libraft. */
struct outgoing {
    struct mux* mux;
    struct raft_uv_connect* req;
    uv_stream_t* tcp; /* a uv_tcp_t, or with the key a uv_pipe_t opened once the link is up */
    struct muster_link_dial* dial; /* the TLS dial in progress */
    uv_connect_t connect;
    uv_write_t write;
    uint8_t preamble[MUX_RAFT_FIXED + MUX_MAX_ADDRESS];
    size_t len;
    int done; /* req->cb has run (or never will: the caller got an error) */
    int linked;
    struct outgoing *prev, *next;
};

struct mux {
    struct raft_uv_transport* t; /* NULL once abandoned */
    uv_loop_t* loop;
    raft_id id;
    char address[MUX_MAX_ADDRESS + 1];
    char bind[MUX_MAX_ADDRESS + 1];
    uv_tcp_t listener;
    uv_timer_t sweep;
    raft_uv_accept_cb accept_cb; /* NULL until libraft calls listen() */
    muster_rpc_accept_cb rpc_accept;
    void* rpc_data;
    const struct muster_link_policy* policy;
    struct incoming* incoming;
    unsigned n_incoming;
    struct outgoing* outgoing;
    unsigned handles; /* open handles: listener, sweep timer, incoming and outgoing streams */
    int closing;
    int abandoned; /* free the mux itself once every handle is closed */
    raft_uv_transport_close_cb close_cb;
    unsigned long rejected;
    unsigned long raft_refused;
};

int muster_mux_parse_address(const char* address, void* out) {
    char host[64];
    const char* colon = strrchr(address, ':');
    if (colon == NULL || colon == address || (size_t)(colon - address) >= sizeof host)
        return UV_EINVAL;
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    char* end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
        return UV_EINVAL;
    return uv_ip4_addr(host, (int)port, (struct sockaddr_in*)out);
}

void* muster_mux_alloc_stream(void) {
    return raft_malloc(sizeof(uv_tcp_t) > sizeof(uv_pipe_t) ? sizeof(uv_tcp_t) : sizeof(uv_pipe_t));
}

void muster_mux_free_stream(uv_handle_t* handle) {
    raft_free(handle);
}

/* ---- closing */

static void maybe_closed(struct mux* m) {
    if (!m->closing || m->handles != 0)
        return;
    if (m->abandoned) {
        free(m);
        return;
    }
    if (m->close_cb != NULL) {
        raft_uv_transport_close_cb cb = m->close_cb;
        m->close_cb = NULL;
        cb(m->t);
    }
}

static void own_handle_closed(uv_handle_t* handle) {
    struct mux* m = handle->data;
    m->handles--;
    maybe_closed(m);
}

static void incoming_unlink(struct incoming* in) {
    struct mux* m = in->mux;
    if (!in->linked)
        return;
    in->linked = 0;
    if (in->prev != NULL)
        in->prev->next = in->next;
    else
        m->incoming = in->next;
    if (in->next != NULL)
        in->next->prev = in->prev;
    in->prev = in->next = NULL;
    m->n_incoming--;
}

static void incoming_closed(uv_handle_t* handle) {
    struct incoming* in = handle->data;
    struct mux* m = in->mux;
    raft_free(in->tcp);
    free(in);
    m->handles--;
    maybe_closed(m);
}

static void incoming_drop(struct incoming* in) {
    incoming_unlink(in);
    if (!uv_is_closing((uv_handle_t*)in->tcp))
        uv_close((uv_handle_t*)in->tcp, incoming_closed);
}

static void outgoing_unlink(struct outgoing* out) {
    struct mux* m = out->mux;
    if (!out->linked)
        return;
    out->linked = 0;
    if (out->prev != NULL)
        out->prev->next = out->next;
    else
        m->outgoing = out->next;
    if (out->next != NULL)
        out->next->prev = out->prev;
    out->prev = out->next = NULL;
}

static void outgoing_closed(uv_handle_t* handle) {
    struct outgoing* out = handle->data;
    struct mux* m = out->mux;
    if (!out->done) {
        out->done = 1;
        out->req->cb(out->req, NULL, RAFT_CANCELED);
    }
    raft_free(out->tcp);
    free(out);
    m->handles--;
    maybe_closed(m);
}

static void outgoing_fail(struct outgoing* out, int status) {
    outgoing_unlink(out);
    if (out->dial != NULL) {
        muster_link_dial_cancel(out->dial);
        out->dial = NULL;
    }
    if (!out->done) {
        out->done = 1;
        out->req->cb(out->req, NULL, status);
    }
    if (!uv_is_closing((uv_handle_t*)out->tcp))
        uv_close((uv_handle_t*)out->tcp, outgoing_closed);
}

/* Stops accepting and closes every connection still in the preamble. */
static void close_own_handles(struct mux* m) {
    m->closing = 1;
    if (!uv_is_closing((uv_handle_t*)&m->listener))
        uv_close((uv_handle_t*)&m->listener, own_handle_closed);
    if (!uv_is_closing((uv_handle_t*)&m->sweep))
        uv_close((uv_handle_t*)&m->sweep, own_handle_closed);
    while (m->incoming != NULL)
        incoming_drop(m->incoming);
}

/* ---- accepting */

static void incoming_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
    (void)suggested;
    struct incoming* in = handle->data;
    /* exactly what is still missing: nothing after the preamble is read here */
    buf->base = (char*)in->buf + in->have;
    buf->len = in->want - in->have;
}

static void incoming_reject(struct incoming* in, const char* why) {
    in->mux->rejected++;
    muster_link_refused(in->mux->policy, in->peer, why);
    incoming_drop(in);
}

/* Hands the stream over: from here it is the callee's, not the mux's. */
static uv_stream_t* incoming_release(struct incoming* in) {
    struct mux* m = in->mux;
    uv_stream_t* stream = (uv_stream_t*)in->tcp;
    uv_read_stop(stream);
    incoming_unlink(in);
    stream->data = NULL;
    m->handles--;
    free(in);
    return stream;
}

/* The 5 bytes are in: an RPC stream goes to the C++ side, a Raft one reads its identity. */
static void incoming_head(struct incoming* in) {
    struct mux* m = in->mux;
    if (memcmp(in->buf, MUSTER_MUX_MAGIC, 4) != 0) {
        incoming_reject(in, "not a muster server-port connection");
        return;
    }
    if (in->buf[4] == MUSTER_MUX_KIND_RPC && m->rpc_accept != NULL) {
        muster_rpc_accept_cb cb = m->rpc_accept;
        void* data = m->rpc_data;
        char peer[sizeof in->peer];
        memcpy(peer, in->peer, sizeof peer);
        int server = in->peer_server;
        cb(data, incoming_release(in), peer, server);
        return;
    }
    if (in->buf[4] != MUSTER_MUX_KIND_RAFT) {
        incoming_reject(in, "unknown connection kind");
        return;
    }
    if (!in->peer_server) {
        incoming_reject(in,
                        "Raft from a certificate that does not name this datacenter's "
                        "servers (verify_server_hostname)");
        return;
    }
    if (m->accept_cb == NULL) {
        /* libraft has not started: the dialler retries later */
        m->raft_refused++;
        incoming_drop(in);
        return;
    }
    in->want = MUX_RAFT_FIXED;
}

static void incoming_identity(struct incoming* in) {
    struct mux* m = in->mux;
    uint64_t id = 0;
    char address[MUX_MAX_ADDRESS + 1];
    size_t len = in->have - MUX_RAFT_FIXED;
    for (int i = 7; i >= 0; --i)
        id = (id << 8) | in->buf[MUX_HEAD + i];
    memcpy(address, in->buf + MUX_RAFT_FIXED, len);
    address[len] = '\0';
    if (id == 0 || memchr(address, '\0', len) != NULL) {
        incoming_reject(in, "bad Raft identity");
        return;
    }
    if (m->accept_cb == NULL || m->closing) {
        m->raft_refused++;
        incoming_drop(in);
        return;
    }
    raft_uv_accept_cb cb = m->accept_cb;
    struct raft_uv_transport* t = m->t;
    cb(t, id, address, incoming_release(in)); /* libraft owns the stream now */
}

static void incoming_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

/* The first byte of a connection when this server has the cluster key: a TLS ClientHello goes
 * through a relay (the preamble is then read from its plaintext end), plaintext only while
 * encrypt_verify_incoming is off. */
static void incoming_sniff(struct incoming* in) {
    struct mux* m = in->mux;
    in->sniffing = 0;
    if (in->buf[0] != MUX_TLS_HANDSHAKE) {
        if (!muster_link_accept_plain(m->policy)) {
            incoming_reject(in,
                            "plaintext connection, but this server requires the cluster key "
                            "(encrypt_verify_incoming)");
            return;
        }
        in->want = MUX_HEAD; /* the byte read is the preamble's first */
        return;
    }
    uv_stream_t* pipe = muster_mux_alloc_stream();
    if (pipe == NULL) {
        incoming_drop(in);
        return;
    }
    uv_read_stop(in->tcp);
    in->tcp->data = NULL;
    /* the relay takes the TCP handle over (and closes it on failure) */
    int fd = muster_link_accept(m->policy, (uv_tcp_t*)in->tcp, in->buf, in->have, in->peer);
    uv_pipe_init(m->loop, (uv_pipe_t*)pipe, 0);
    pipe->data = in;
    in->tcp = pipe;
    in->have = 0;
    in->want = 1; /* the relay's role byte, then the preamble */
    in->role_pending = 1;
    if (fd < 0) {
        incoming_drop(in);
        return;
    }
    if (uv_pipe_open((uv_pipe_t*)pipe, fd) != 0) {
        close(fd);
        incoming_drop(in);
        return;
    }
    if (uv_read_start(pipe, incoming_alloc, incoming_read) != 0)
        incoming_drop(in);
}

static void incoming_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    (void)buf;
    struct incoming* in = stream->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        incoming_drop(in);
        return;
    }
    in->have += (size_t)nread;
    if (in->have < in->want)
        return;
    if (in->sniffing) {
        incoming_sniff(in);
        return;
    }
    if (in->role_pending) {
        in->role_pending = 0;
        in->peer_server = in->buf[0] == MUSTER_LINK_PEER_SERVER;
        in->have = 0;
        in->want = MUX_HEAD;
        return;
    }
    if (in->have == MUX_HEAD) {
        incoming_head(in);
        return;
    }
    if (in->have == MUX_RAFT_FIXED) {
        size_t len = (size_t)in->buf[13] | ((size_t)in->buf[14] << 8);
        if (len == 0 || len > MUX_MAX_ADDRESS) {
            incoming_reject(in, "bad Raft identity");
            return;
        }
        in->want = MUX_RAFT_FIXED + len;
        return;
    }
    incoming_identity(in);
}

static void on_connection(uv_stream_t* server, int status) {
    struct mux* m = server->data;
    if (status < 0 || m->closing)
        return;
    struct incoming* in = calloc(1, sizeof *in);
    uv_tcp_t* tcp = raft_malloc(sizeof *tcp);
    if (in == NULL || tcp == NULL || uv_tcp_init(m->loop, tcp) != 0) {
        free(in);
        raft_free(tcp);
        return;
    }
    in->mux = m;
    in->tcp = (uv_stream_t*)tcp;
    in->sniffing = muster_link_accept_secure(m->policy);
    in->peer_server = 1; /* plaintext: nothing to tell peers apart */
    in->want = in->sniffing ? 1 : MUX_HEAD;
    in->accepted_at = uv_now(m->loop);
    tcp->data = in;
    m->handles++;
    in->linked = 1;
    in->next = m->incoming;
    if (m->incoming != NULL)
        m->incoming->prev = in;
    m->incoming = in;
    m->n_incoming++;
    if (uv_accept(server, (uv_stream_t*)tcp) != 0) {
        incoming_drop(in);
        return;
    }
    struct sockaddr_storage sa;
    int sa_len = sizeof sa;
    snprintf(in->peer, sizeof in->peer, "?");
    if (uv_tcp_getpeername(tcp, (struct sockaddr*)&sa, &sa_len) == 0 && sa.ss_family == AF_INET) {
        char ip[INET_ADDRSTRLEN] = {0};
        const struct sockaddr_in* sin = (const struct sockaddr_in*)&sa;
        uv_ip4_name(sin, ip, sizeof ip);
        snprintf(in->peer, sizeof in->peer, "%s:%u", ip, (unsigned)ntohs(sin->sin_port));
    }
    if (m->n_incoming > MUX_MAX_INCOMING) {
        incoming_reject(in, "too many connections opening at once");
        return;
    }
    if (uv_read_start((uv_stream_t*)tcp, incoming_alloc, incoming_read) != 0)
        incoming_drop(in);
}

/* Connections that hold a slot without finishing their preamble are closed. */
static void on_sweep(uv_timer_t* timer) {
    struct mux* m = timer->data;
    uint64_t now = uv_now(m->loop);
    struct incoming* in = m->incoming;
    while (in != NULL) {
        struct incoming* next = in->next;
        if (now - in->accepted_at >= MUX_PREAMBLE_TIMEOUT_MS)
            incoming_reject(in, "no preamble within 5s");
        in = next;
    }
}

/* ---- the raft_uv_transport methods */

static int mux_init(struct raft_uv_transport* t, raft_id id, const char* address) {
    struct mux* m = t->impl;
    if (strlen(address) > MUX_MAX_ADDRESS) {
        snprintf(t->errmsg, sizeof t->errmsg, "address too long");
        return RAFT_INVALID;
    }
    m->id = id;
    snprintf(m->address, sizeof m->address, "%s", address);
    return 0;
}

/* The listener runs since init; from now on Raft connections go to libraft. */
static int mux_listen(struct raft_uv_transport* t, raft_uv_accept_cb cb) {
    struct mux* m = t->impl;
    m->accept_cb = cb;
    return 0;
}

static void outgoing_written(uv_write_t* write, int status) {
    struct outgoing* out = write->data;
    if (out->done)
        return; /* canceled: the close callback frees it */
    if (status != 0 || out->mux->closing) {
        outgoing_fail(
            out, status == UV_ECANCELED || out->mux->closing ? RAFT_CANCELED : RAFT_NOCONNECTION);
        return;
    }
    struct mux* m = out->mux;
    outgoing_unlink(out);
    uv_stream_t* tcp = out->tcp;
    struct raft_uv_connect* req = out->req;
    tcp->data = NULL;
    m->handles--; /* libraft owns it now */
    free(out);
    req->cb(req, (uv_stream_t*)tcp, 0);
}

static void outgoing_connected(uv_connect_t* connect, int status) {
    struct outgoing* out = connect->data;
    if (out->done)
        return;
    if (status != 0 || out->mux->closing) {
        outgoing_fail(
            out, status == UV_ECANCELED || out->mux->closing ? RAFT_CANCELED : RAFT_NOCONNECTION);
        return;
    }
    uv_buf_t buf = uv_buf_init((char*)out->preamble, (unsigned)out->len);
    out->write.data = out;
    if (uv_write(&out->write, (uv_stream_t*)out->tcp, &buf, 1, outgoing_written) != 0)
        outgoing_fail(out, RAFT_NOCONNECTION);
}

/* The TLS link is up (secure_link.h): its plaintext end carries the preamble and then Raft. */
static void outgoing_link_ready(void* data, int fd, int status, const char* why) {
    (void)status;
    (void)why; /* libraft retries; the acceptor logs what it refused */
    struct outgoing* out = data;
    out->dial = NULL;
    if (fd < 0 || out->mux->closing) {
        if (fd >= 0)
            close(fd);
        outgoing_fail(out, out->mux->closing ? RAFT_CANCELED : RAFT_NOCONNECTION);
        return;
    }
    if (uv_pipe_open((uv_pipe_t*)out->tcp, fd) != 0) {
        close(fd);
        outgoing_fail(out, RAFT_NOCONNECTION);
        return;
    }
    outgoing_connected(&out->connect, 0);
}

static void outgoing_preamble(struct outgoing* out) {
    struct mux* m = out->mux;
    size_t len = strlen(m->address);
    memcpy(out->preamble, MUSTER_MUX_MAGIC, 4);
    out->preamble[4] = MUSTER_MUX_KIND_RAFT;
    for (int i = 0; i < 8; ++i)
        out->preamble[MUX_HEAD + i] = (uint8_t)(m->id >> (8 * i));
    out->preamble[13] = (uint8_t)(len & 0xff);
    out->preamble[14] = (uint8_t)(len >> 8);
    memcpy(out->preamble + MUX_RAFT_FIXED, m->address, len);
    out->len = MUX_RAFT_FIXED + len;
}

static int mux_connect(struct raft_uv_transport* t, struct raft_uv_connect* req, raft_id id,
                       const char* address, raft_uv_connect_cb cb) {
    (void)id;
    struct mux* m = t->impl;
    struct sockaddr_in addr;
    if (m->closing)
        return RAFT_CANCELED;
    if (muster_mux_parse_address(address, &addr) != 0)
        return RAFT_NOCONNECTION;
    struct outgoing* out = calloc(1, sizeof *out);
    uv_stream_t* tcp = muster_mux_alloc_stream();
    if (out == NULL || tcp == NULL) {
        free(out);
        raft_free(tcp);
        return RAFT_NOMEM;
    }
    req->cb = cb;
    out->mux = m;
    out->req = req;
    out->tcp = tcp;
    outgoing_preamble(out);
    const int secure = muster_link_dial_secure(m->policy);
    if ((secure ? uv_pipe_init(m->loop, (uv_pipe_t*)tcp, 0)
                : uv_tcp_init(m->loop, (uv_tcp_t*)tcp)) != 0) {
        free(out);
        raft_free(tcp);
        return RAFT_NOCONNECTION;
    }
    tcp->data = out;
    m->handles++;
    out->linked = 1;
    out->next = m->outgoing;
    if (m->outgoing != NULL)
        m->outgoing->prev = out;
    m->outgoing = out;
    out->connect.data = out;
    if (secure) {
        out->dial =
            muster_link_dial_start(m->policy, m->loop, &addr, address, outgoing_link_ready, out);
        return 0;
    }
    int rv = uv_tcp_connect(&out->connect, (uv_tcp_t*)tcp, (const struct sockaddr*)&addr,
                            outgoing_connected);
    if (rv != 0) {
        outgoing_unlink(out);
        out->done = 1; /* the caller hears the error from the return value, not cb */
        uv_close((uv_handle_t*)tcp, outgoing_closed);
        return RAFT_NOCONNECTION;
    }
    return 0;
}

static void mux_close(struct raft_uv_transport* t, raft_uv_transport_close_cb cb) {
    struct mux* m = t->impl;
    m->close_cb = cb;
    close_own_handles(m);
    while (m->outgoing != NULL) {
        struct outgoing* out = m->outgoing;
        outgoing_unlink(out);
        if (out->dial != NULL) {
            muster_link_dial_cancel(out->dial);
            out->dial = NULL;
        }
        if (!uv_is_closing((uv_handle_t*)out->tcp))
            uv_close((uv_handle_t*)out->tcp, outgoing_closed); /* callbacks: RAFT_CANCELED */
    }
    maybe_closed(m);
}

static int mux_start_listening(struct mux* m, struct raft_uv_transport* t) {
    struct sockaddr_in addr;
    int rv = muster_mux_parse_address(m->bind, &addr);
    if (rv != 0) {
        snprintf(t->errmsg, sizeof t->errmsg, "bad address %.64s", m->bind);
        return RAFT_INVALID;
    }
    rv = uv_tcp_init(m->loop, &m->listener);
    if (rv != 0) {
        snprintf(t->errmsg, sizeof t->errmsg, "listen on %.64s: %.64s", m->bind, uv_strerror(rv));
        return RAFT_IOERR;
    }
    m->listener.data = m;
    m->handles++;
    uv_timer_init(m->loop, &m->sweep);
    m->sweep.data = m;
    m->handles++;
    rv = uv_tcp_bind(&m->listener, (const struct sockaddr*)&addr, 0);
    if (rv == 0)
        rv = uv_listen((uv_stream_t*)&m->listener, 128, on_connection);
    if (rv != 0) {
        snprintf(t->errmsg, sizeof t->errmsg, "listen on %.64s: %.64s", m->bind, uv_strerror(rv));
        return RAFT_IOERR;
    }
    uv_timer_start(&m->sweep, on_sweep, MUX_SWEEP_MS, MUX_SWEEP_MS);
    return 0;
}

int muster_mux_transport_init(struct raft_uv_transport* t, struct uv_loop_s* loop,
                              const char* bind_address, muster_rpc_accept_cb rpc_accept,
                              void* rpc_data, const struct muster_link_policy* policy) {
    if (bind_address == NULL || strlen(bind_address) > MUX_MAX_ADDRESS) {
        snprintf(t->errmsg, sizeof t->errmsg, "no listen address");
        return RAFT_INVALID;
    }
    struct mux* m = calloc(1, sizeof *m);
    if (m == NULL) {
        snprintf(t->errmsg, sizeof t->errmsg, "out of memory");
        return RAFT_NOMEM;
    }
    m->t = t;
    m->loop = loop;
    m->rpc_accept = rpc_accept;
    m->rpc_data = rpc_data;
    m->policy = policy;
    snprintf(m->bind, sizeof m->bind, "%s", bind_address);
    int rv = mux_start_listening(m, t);
    if (rv != 0) {
        if (m->handles == 0) {
            free(m);
        } else {
            /* the handles close on the loop; the mux frees itself after them */
            m->abandoned = 1;
            m->t = NULL;
            close_own_handles(m);
        }
        return rv;
    }
    t->version = 1;
    t->impl = m;
    t->init = mux_init;
    t->listen = mux_listen;
    t->connect = mux_connect;
    t->close = mux_close;
    return 0;
}

void muster_mux_transport_abandon(struct raft_uv_transport* t) {
    struct mux* m = t->impl;
    if (m == NULL)
        return;
    t->impl = NULL;
    m->t = NULL;
    m->abandoned = 1;
    m->close_cb = NULL;
    close_own_handles(m);
    while (m->outgoing != NULL) {
        struct outgoing* out = m->outgoing;
        outgoing_unlink(out);
        out->done = 1; /* nobody to tell */
        if (out->dial != NULL) {
            muster_link_dial_cancel(out->dial);
            out->dial = NULL;
        }
        if (!uv_is_closing((uv_handle_t*)out->tcp))
            uv_close((uv_handle_t*)out->tcp, outgoing_closed);
    }
    maybe_closed(m);
}

void muster_mux_transport_close(struct raft_uv_transport* t) {
    struct mux* m = t->impl;
    if (m == NULL)
        return;
    if (!m->closing || m->handles != 0) {
        /* libraft did not close it (or not yet): close what is open, free it afterwards */
        muster_mux_transport_abandon(t);
        return;
    }
    free(m);
    t->impl = NULL;
}

unsigned long muster_mux_rejected(const struct raft_uv_transport* t) {
    const struct mux* m = t->impl;
    return m != NULL ? m->rejected : 0;
}

unsigned long muster_mux_raft_refused(const struct raft_uv_transport* t) {
    const struct mux* m = t->impl;
    return m != NULL ? m->raft_refused : 0;
}
