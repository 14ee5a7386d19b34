/* fixture_shim: libraft's deterministic in-memory cluster (raft/fixture.h, C only) for the C++
 * tests, with our own fsms (internal/raft_shim.h) on every server. */
#ifndef MUSTER_TESTS_CLUSTER_FIXTURE_SHIM_H
#define MUSTER_TESTS_CLUSTER_FIXTURE_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct raft;
struct muster_fsm;
struct mf_cluster;

/* n servers (IDs 1..n, all voters, pre-vote on), bound to fsms[i], bootstrapped and started. */
struct mf_cluster* mf_cluster_new(unsigned n, struct muster_fsm* const* fsms);
/* Closes every raft (their pending requests fail) and frees the fixture. */
void mf_cluster_free(struct mf_cluster* c);

struct raft* mf_cluster_raft(struct mf_cluster* c, unsigned i);
/* The stable leader's index, or n when there is none. */
unsigned mf_cluster_leader(struct mf_cluster* c);
bool mf_cluster_step_until_has_leader(struct mf_cluster* c, unsigned max_ms);
/* Until some server other than `i` leads, in a later term than i's. */
bool mf_cluster_step_until_leader_is_not(struct mf_cluster* c, unsigned i, unsigned max_ms);
/* A server other than `i` in the leader state, or n. */
unsigned mf_cluster_leader_other_than(struct mf_cluster* c, unsigned i);
/* i == n: all servers. */
bool mf_cluster_step_until_applied(struct mf_cluster* c, unsigned i, uint64_t index,
                                   unsigned max_ms);
bool mf_cluster_step_until_follower(struct mf_cluster* c, unsigned i, unsigned max_ms);
void mf_cluster_step_until_elapsed(struct mf_cluster* c, unsigned ms);

void mf_cluster_kill(struct mf_cluster* c, unsigned i);
void mf_cluster_revive(struct mf_cluster* c, unsigned i);
/* Both directions. */
void mf_cluster_disconnect(struct mf_cluster* c, unsigned i, unsigned j);
void mf_cluster_reconnect(struct mf_cluster* c, unsigned i, unsigned j);
void mf_cluster_set_snapshot(struct mf_cluster* c, unsigned threshold, unsigned trailing);

uint64_t mf_cluster_last_applied(struct mf_cluster* c, unsigned i);
uint64_t mf_cluster_commit_index(struct mf_cluster* c, unsigned i);
bool mf_cluster_is_leader(struct mf_cluster* c, unsigned i);

#ifdef __cplusplus
}
#endif

#endif /* MUSTER_TESTS_CLUSTER_FIXTURE_SHIM_H */
