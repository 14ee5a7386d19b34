/* secure_link: the cluster key on the server port. A TLS relay on the Raft loop (libuv) between
 * a TCP connection and one end of a socketpair: the other end is the plaintext stream that the
 * mux, libraft and RpcConnection read and write as before. So one TLS layer sits under the
 * mux, and libraft's streams are encrypted without libraft knowing.
 *
 * The relay owns its TCP handle and its end of the pair, and frees itself once both are
 * closed. When either side ends (EOF, error, a failed handshake, a forged record), both close;
 * the plaintext side sees EOF. Nothing reaches the plaintext side before the handshake is done.
 * Plain C interface: mux_transport.c calls it. */
#ifndef MUSTER_CLUSTER_SECURE_LINK_H
#define MUSTER_CLUSTER_SECURE_LINK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uv_loop_s;
struct uv_tcp_s;
struct sockaddr_in;
struct muster_link_policy; /* the key and the verify flags (secure_link.hh) */
struct muster_link_dial;

/* 1 when this agent dials its peers with TLS (a key and encrypt_verify_outgoing). */
int muster_link_dial_secure(const struct muster_link_policy* policy);
/* 1 when a peer may connect in plaintext (no key, or encrypt_verify_incoming off). */
int muster_link_accept_plain(const struct muster_link_policy* policy);
/* 1 when a TLS connection can be accepted (a key is set). */
int muster_link_accept_secure(const struct muster_link_policy* policy);

/* Logs why a connection from `peer` was refused (rate-limited). */
void muster_link_refused(const struct muster_link_policy* policy, const char* peer,
                         const char* why);

/* Takes over `tcp` (accepted, raft_malloc'ed, reading stopped; freed with raft_free once
 * closed). `head` is what was already read from it (the start of the ClientHello). Returns the
 * plaintext end of a socketpair (a file descriptor the caller opens as a uv_pipe_t), or -1
 * (then `tcp` is closed already). Once the handshake is done, the plaintext end starts with
 * one byte, MUSTER_LINK_PEER_SERVER or MUSTER_LINK_PEER_CLIENT (with verify_server_hostname,
 * a peer whose certificate does not name server.<dc>.<domain>: it may not act as a server),
 * then carries what the peer sends. */
enum { MUSTER_LINK_PEER_SERVER = 'S', MUSTER_LINK_PEER_CLIENT = 'C' };
int muster_link_accept(const struct muster_link_policy* policy, struct uv_tcp_s* tcp,
                       const uint8_t* head, size_t head_len, const char* peer);

/* Dials `address` and runs the handshake. `cb` runs once on the loop: with the plaintext fd
 * (status 0) or with -1 and a negative libuv status and a reason. Not after
 * muster_link_dial_cancel. */
typedef void (*muster_link_dial_cb)(void* data, int fd, int status, const char* why);
struct muster_link_dial* muster_link_dial_start(const struct muster_link_policy* policy,
                                                struct uv_loop_s* loop,
                                                const struct sockaddr_in* address, const char* peer,
                                                muster_link_dial_cb cb, void* data);
/* The callback will not run; the dial is abandoned (its connection closes). */
void muster_link_dial_cancel(struct muster_link_dial* dial);

#ifdef __cplusplus
}
#endif

#endif
