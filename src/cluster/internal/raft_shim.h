/* raft_shim: the only code that includes libraft's headers (C only: their ABI static_asserts are
 * not valid C++). C++ talks to libraft through these opaque functions. */
#ifndef MUSTER_CLUSTER_RAFT_SHIM_H
#define MUSTER_CLUSTER_RAFT_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct raft; /* libraft's; only pointers cross the shim */
struct raft_fsm;
struct uv_loop_s;
struct uv_stream_s;

/* libraft's codes that callers act on (raft_shim.c checks them against raft.h). */
enum {
    MUSTER_RAFT_NOTLEADER = 7,
    MUSTER_RAFT_LEADERSHIPLOST = 8,
    MUSTER_RAFT_SHUTDOWN = 9,
    MUSTER_RAFT_CANTBOOTSTRAP = 10,
    MUSTER_RAFT_CANTCHANGE = 11,
    MUSTER_RAFT_CORRUPT = 12,
    MUSTER_RAFT_NOCONNECTION = 16
};
/* Roles in a configuration. */
enum { MUSTER_RAFT_STANDBY = 0, MUSTER_RAFT_VOTER = 1, MUSTER_RAFT_SPARE = 2 };
enum {
    MUSTER_RAFT_UNAVAILABLE = 0,
    MUSTER_RAFT_FOLLOWER = 1,
    MUSTER_RAFT_CANDIDATE = 2,
    MUSTER_RAFT_LEADER = 3
};

void* muster_raft_malloc(size_t size);
void muster_raft_free(void* ptr);
const char* muster_raft_strerror(int rv);

/* A snapshot as up to MUSTER_SNAPSHOT_MAX_PARTS byte ranges, valid until release(ctx, owner). */
#define MUSTER_SNAPSHOT_MAX_PARTS 4
struct muster_snapshot_parts {
    const void* base[MUSTER_SNAPSHOT_MAX_PARTS];
    size_t len[MUSTER_SNAPSHOT_MAX_PARTS];
    unsigned n; /* at least 1 */
    void* owner;
};

/* The state machine, as callbacks into C++. Each returns 0, or nonzero when the state is broken
 * (the shim then returns RAFT_CORRUPT to libraft, which stops applying entries). */
struct muster_fsm_ops {
    void* ctx;
    /* One committed RAFT_COMMAND entry at `index`; the data stays libraft's. */
    int (*apply)(void* ctx, uint64_t index, const void* data, size_t len);
    /* The whole state, in parts libraft writes without copying; on success they stay valid
     * until release(ctx, out->owner). */
    int (*snapshot)(void* ctx, struct muster_snapshot_parts* out);
    void (*release)(void* ctx, void* owner);
    /* Replace the state by a snapshot; the data stays the shim's. */
    int (*restore)(void* ctx, const void* data, size_t len);
};

struct muster_fsm;
struct muster_fsm* muster_fsm_new(const struct muster_fsm_ops* ops);
void muster_fsm_free(struct muster_fsm* fsm);
/* The raft_fsm to hand to raft_init (or raft_fixture_grow). */
struct raft_fsm* muster_fsm_raft(struct muster_fsm* fsm);
/* The raft that applies to this fsm: apply reads the entry index from it. */
void muster_fsm_bind(struct muster_fsm* fsm, struct raft* raft);

/* Client requests. `cb` runs on the raft loop with libraft's status (0: applied) and the `tag`
 * given here. */
typedef void (*muster_raft_done_cb)(void* arg, uint64_t tag, int status);
/* Appends one RAFT_COMMAND entry holding `buf` (from muster_raft_malloc), which the call always
 * takes. On 0, *index is the entry's index and `cb` will run. */
int muster_raft_apply(struct raft* raft, void* buf, size_t len, muster_raft_done_cb cb, void* arg,
                      uint64_t tag, uint64_t* index);
int muster_raft_barrier(struct raft* raft, muster_raft_done_cb cb, void* arg, uint64_t tag);

/* Configuration changes, on the leader, one at a time (libraft: RAFT_CANTCHANGE while another is
 * uncommitted). `cb` runs once the change is committed (0) or failed. add makes a spare;
 * assign_voter lets libraft catch the server up first (RAFT_NOCONNECTION if it cannot). */
int muster_raft_add(struct raft* raft, uint64_t id, const char* address, muster_raft_done_cb cb,
                    void* arg, uint64_t tag);
int muster_raft_assign_voter(struct raft* raft, uint64_t id, muster_raft_done_cb cb, void* arg,
                             uint64_t tag);
int muster_raft_remove(struct raft* raft, uint64_t id, muster_raft_done_cb cb, void* arg,
                       uint64_t tag);
/* Hands leadership to `id` (0: a voter libraft picks). `cb` runs (status 0) once a new leader is
 * known or the transfer timed out: the caller checks who leads then. */
int muster_raft_transfer(struct raft* raft, uint64_t id, muster_raft_done_cb cb, void* arg,
                         uint64_t tag);
/* libraft's text about the last error of this raft. */
const char* muster_raft_errmsg(struct raft* raft);

struct muster_raft_info {
    int state; /* MUSTER_RAFT_* state */
    uint64_t id;
    uint64_t leader_id;         /* 0: none known */
    const char* leader_address; /* NULL when none; valid until the next raft event */
    uint64_t term;
    uint64_t commit_index;
    uint64_t last_applied;
    uint64_t last_index;
    uint64_t election_timer_start; /* io time (ms); a follower resets it on leader contact */
    uint64_t configuration_committed_index;
    uint64_t configuration_uncommitted_index;
};
void muster_raft_get_info(struct raft* raft, struct muster_raft_info* info);
unsigned muster_raft_n_servers(struct raft* raft);
/* The i'th server of the current configuration; *role is a MUSTER_RAFT_ role. */
void muster_raft_server(struct raft* raft, unsigned i, uint64_t* id, const char** address,
                        int* role);

/* A raft server with the libuv I/O backend over internal/mux_transport: Raft and the cluster
 * RPC on one port, listening from init on (before raft_start). */
struct muster_raft_node_options {
    unsigned election_timeout_ms;
    unsigned heartbeat_timeout_ms;
    unsigned snapshot_threshold;
    unsigned snapshot_trailing;
    unsigned connect_retry_ms;
    /* Where the transport listens ("a.b.c.d:port", e.g. 0.0.0.0:8300); NULL: at `address`,
     * which is what the configuration and other servers see. */
    const char* bind_address;
};
struct muster_raft_node;
/* RPC streams accepted on the server port (see mux_transport.h): the callee owns `stream` and
 * closes it with muster_mux_free_stream. */
typedef void (*muster_raft_rpc_accept_cb)(void* data, struct uv_stream_s* stream, const char* peer,
                                          int peer_is_server);
struct muster_link_policy;
/* Sets up the transport (listening at once), the I/O and the raft (not started). On error
 * errmsg says what failed; what was opened closes itself on the loop (keep running it). */
int muster_raft_node_init(struct muster_raft_node** out, struct uv_loop_s* loop, const char* dir,
                          uint64_t id, const char* address, struct muster_fsm* fsm,
                          const struct muster_raft_node_options* options,
                          muster_raft_rpc_accept_cb rpc_accept, void* rpc_data,
                          const struct muster_link_policy* policy, char* errmsg, size_t errmsg_len);
struct raft* muster_raft_node_raft(struct muster_raft_node* node);
/* Bootstraps with these voters. MUSTER_RAFT_CANTBOOTSTRAP when the dir has state. */
int muster_raft_node_bootstrap(struct muster_raft_node* node, unsigned n, const uint64_t* ids,
                               const char* const* addresses, char* errmsg, size_t errmsg_len);
int muster_raft_node_start(struct muster_raft_node* node, char* errmsg, size_t errmsg_len);
/* Closes the raft (pending requests fail), the I/O and the transport, frees the node, then
 * calls cb on the loop. */
typedef void (*muster_raft_closed_cb)(void* arg);
void muster_raft_node_close(struct muster_raft_node* node, muster_raft_closed_cb cb, void* arg);

#ifdef __cplusplus
}
#endif

#endif /* MUSTER_CLUSTER_RAFT_SHIM_H */
