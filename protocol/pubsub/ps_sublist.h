/* ps_sublist.h: the broker's subscription trie ("sublist" in nats-server sublist.go).
 *
 * Each level of the trie holds literal children (hashed by token, looked up, never
 * iterated), one '*' child and one '>' child; each node keeps the plain subscriptions and
 * the queue groups whose pattern ends there, in insertion order. A literal subject walks
 * the trie once, branching into '*' at every level and collecting '>' while at least one
 * token remains, so a match costs O(tokens x wildcard branches), independent of how many
 * subscriptions there are. Results come in a fixed order (depth first: the literal branch,
 * then '*', then '>'; insertion order within a node), so fan-out and queue picks are
 * deterministic.
 *
 * The sublist stores borrowed pointers to subscriptions owned by the broker. It neither
 * validates subjects (the broker does) nor knows what a subscription's owner is. */
#ifndef PROTOCOL_PUBSUB_PS_SUBLIST_H
#define PROTOCOL_PUBSUB_PS_SUBLIST_H

#include "protocol/pubsub/pubsub.h"

/* A subscription or, for a route, one unit of remote interest. */
struct ps_sub {
    char *subject;     /* pattern, may hold wildcards */
    char *queue;       /* queue group, NULL for a plain subscription */
    uint32_t weight;   /* queue members this entry stands for: 1 locally, the remote
                          server's member count for a route (docs/pubsub-model.md, Publish path) */
    uint32_t sid;      /* the client's subscription id (local subscriptions) */
    int32_t route_host; /* -1: a local client's subscription; else the route's peer host */
    void *owner;       /* the broker's connection that holds it */
};

/* A new subscription with copies of subject and queue (NULL: plain). */
struct ps_sub *ps_sub_new(const char *subject, const char *queue, uint32_t weight, uint32_t sid,
                          int32_t route_host, void *owner);
void ps_sub_free(struct ps_sub *sub);

/* One queue group in a match: every member whose pattern matched, across trie nodes. */
struct ps_match_group {
    const char *name;
    GPtrArray *members; /* struct ps_sub * */
    uint32_t total_weight;
};

/* The result of ps_sublist_match; owned by the sublist, valid until the next match or
 * change of the sublist. */
struct ps_match {
    GPtrArray *plain;  /* struct ps_sub *, every matching plain subscription */
    GArray *groups;    /* struct ps_match_group, one per distinct queue name */
};

struct ps_sublist;

struct ps_sublist *ps_sublist_new(void);
/* Frees the trie, not the subscriptions. */
void ps_sublist_free(struct ps_sublist *sl);
/* Adds sub (borrowed until removed). */
void ps_sublist_insert(struct ps_sublist *sl, struct ps_sub *sub);
/* Removes sub if present (by pointer) and prunes nodes left empty. */
void ps_sublist_remove(struct ps_sublist *sl, struct ps_sub *sub);
/* Every subscription matching the literal subject, plain ones and grouped queue members. */
const struct ps_match *ps_sublist_match(struct ps_sublist *sl, const char *literal);
/* Number of subscriptions stored (for tests). */
uint32_t ps_sublist_count(const struct ps_sublist *sl);

#endif
