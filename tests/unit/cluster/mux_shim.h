/* mux_shim: internal/mux_transport driven the way libraft drives it (init, listen, connect,
 * close), for the C++ tests: libraft's headers are C only. */
#ifndef MUSTER_TESTS_CLUSTER_MUX_SHIM_H
#define MUSTER_TESTS_CLUSTER_MUX_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/internal/mux_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct uv_loop_s;
struct uv_stream_s;
struct mux_test;

typedef void (*mux_test_accept_cb)(void* data, uint64_t id, const char* address,
                                   struct uv_stream_s* stream);
typedef void (*mux_test_connect_cb)(void* data, struct uv_stream_s* stream, int status);
typedef void (*mux_test_closed_cb)(void* data);

/* muster_mux_transport_init, then the transport's init(id, address) as raft_init does. NULL
 * on error, with errmsg set. */
struct mux_test* mux_test_new(struct uv_loop_s* loop, const char* address, uint64_t id,
                              muster_rpc_accept_cb rpc_accept, void* rpc_data,
                              const struct muster_link_policy* policy, char* errmsg,
                              size_t errmsg_len);
/* What raft_start does: listen(); Raft connections go to `cb` from now on. */
int mux_test_listen(struct mux_test* m, mux_test_accept_cb cb, void* data);
/* A Raft dial; `cb` runs once (status 0: a stream with the preamble written). */
int mux_test_connect(struct mux_test* m, uint64_t id, const char* address, mux_test_connect_cb cb,
                     void* data);
/* What raft_close does: close(), then (in its callback) free; `cb` runs after. */
void mux_test_close(struct mux_test* m, mux_test_closed_cb cb, void* data);
/* For a transport libraft never took: abandon it. */
void mux_test_abandon(struct mux_test* m);
unsigned long mux_test_rejected(const struct mux_test* m);
unsigned long mux_test_raft_refused(const struct mux_test* m);
/* libraft's errno-style codes for the tests' messages. */
const char* mux_test_strerror(int rv);

#ifdef __cplusplus
}
#endif

#endif
