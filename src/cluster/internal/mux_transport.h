/* mux_transport: libraft's raft_uv_transport over TCP, sharing the server port with the cluster
 * RPC (as Consul multiplexes Raft and RPC on 8300). Every connection opens with a preamble:
 *   "MSTR" | kind (1 byte: 1 = Raft, 2 = RPC)
 * and a Raft connection goes on with the dialler's identity:
 *   server id (u64 little-endian) | address length (u16 little-endian) | address (no NUL)
 * after which the stream is libraft's. The preamble is read byte-exactly (the alloc callback
 * never asks for more than is still missing), so nothing of what follows is consumed.
 * An RPC stream is handed, right after its 5 bytes, to the C++ side (rpc_accept).
 *
 * The listener starts when the transport is made, before raft_start: a server forming a cluster
 * answers RPC while its raft is still pristine (raft_bootstrap needs that). Raft connections
 * that arrive before libraft called listen() are closed; their dialler retries.
 * A connection that has not sent its whole preamble within a few seconds is closed.
 * Plain C: it includes libraft's headers. */
#ifndef MUSTER_CLUSTER_MUX_TRANSPORT_H
#define MUSTER_CLUSTER_MUX_TRANSPORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct raft_uv_transport;
struct uv_loop_s;
struct uv_stream_s;
struct uv_handle_s;
struct muster_link_policy;

enum { MUSTER_MUX_KIND_RAFT = 1, MUSTER_MUX_KIND_RPC = 2 };
#define MUSTER_MUX_MAGIC "MSTR"
enum { MUSTER_MUX_PREAMBLE_BYTES = 5 }; /* magic + kind */

/* An accepted RPC stream (reading stopped; a uv_tcp_t, or a uv_pipe_t from a TLS relay), the
 * peer's "a.b.c.d:port", and whether it may act as a server (0: a client certificate under
 * verify_server_hostname): the callee owns the stream, and must uv_close it with
 * muster_mux_free_stream as the close callback. */
typedef void (*muster_rpc_accept_cb)(void* data, struct uv_stream_s* stream, const char* peer,
                                     int peer_is_server);

/* Fills `t` (zeroed by the caller) with the multiplexing transport and starts listening on
 * `bind_address` ("a.b.c.d:port"). `policy` (which must outlive the transport) holds the
 * cluster key: with one, a connection that opens with a TLS handshake runs through a relay
 * (secure_link.h) and its preamble is read inside; a plaintext one is refused unless
 * encrypt_verify_incoming is off; Raft dials use TLS when encrypt_verify_outgoing is on. Returns 0,
 * or a libraft error code with t->errmsg saying what failed (nothing is left open then). */
int muster_mux_transport_init(struct raft_uv_transport* t, struct uv_loop_s* loop,
                              const char* bind_address, muster_rpc_accept_cb rpc_accept,
                              void* rpc_data, const struct muster_link_policy* policy);

/* Frees the transport once libraft has closed it (after raft_close's callback). */
void muster_mux_transport_close(struct raft_uv_transport* t);

/* For a transport libraft never took (raft_init failed before or in the transport's init):
 * closes the listener and the connections on the loop and frees everything once they are
 * closed. `t` itself is not touched again and may be freed at once. */
void muster_mux_transport_abandon(struct raft_uv_transport* t);

/* The close callback for a stream handed over by rpc_accept, or dialled for RPC with a handle
 * from muster_mux_alloc_stream. */
void muster_mux_free_stream(struct uv_handle_s* handle);
/* Memory for a uv_tcp_t or uv_pipe_t that muster_mux_free_stream frees; NULL when out of
 * memory. */
void* muster_mux_alloc_stream(void);

/* Parses "a.b.c.d:port" into a sockaddr_in (as `out`, sizeof struct sockaddr_in bytes).
 * Returns 0 or a negative libuv error. */
int muster_mux_parse_address(const char* address, void* out);

/* Counters for tests: connections closed for a bad preamble, and Raft connections closed
 * because libraft was not listening yet. */
unsigned long muster_mux_rejected(const struct raft_uv_transport* t);
unsigned long muster_mux_raft_refused(const struct raft_uv_transport* t);

#ifdef __cplusplus
}
#endif

#endif
