/* ps_sublist.c: the subscription trie; see ps_sublist.h. */
#include "protocol/pubsub/ps_sublist.h"

#include "protocol/pubsub/ps_subject.h"

#include <string.h>

struct node_group {
    char *name;
    GPtrArray *members; /* struct ps_sub *, insertion order */
};

struct trie_node {
    GHashTable *literal; /* token (owned) -> struct trie_node * (owned); NULL until needed */
    struct trie_node *star;
    struct trie_node *gt;
    GPtrArray *plain;    /* struct ps_sub *; NULL until needed */
    GArray *groups;      /* struct node_group; NULL until needed */
};

struct ps_sublist {
    struct trie_node root;
    uint32_t count;
    struct ps_match match;
    GPtrArray *spare_members; /* emptied member arrays of earlier matches, for reuse */
};

static void node_free(gpointer p);

static void node_clear(struct trie_node *n)
{
    if (n->literal)
        g_hash_table_destroy(n->literal);
    node_free(n->star);
    node_free(n->gt);
    if (n->plain)
        g_ptr_array_free(n->plain, TRUE);
    for (guint i = 0; n->groups && i < n->groups->len; i++) {
        struct node_group *g = &g_array_index(n->groups, struct node_group, i);
        g_free(g->name);
        g_ptr_array_free(g->members, TRUE);
    }
    if (n->groups)
        g_array_free(n->groups, TRUE);
}

static void node_free(gpointer p)
{
    if (!p)
        return;
    node_clear(p);
    g_free(p);
}

static bool node_empty(const struct trie_node *n)
{
    return (!n->literal || g_hash_table_size(n->literal) == 0) && !n->star && !n->gt &&
           (!n->plain || n->plain->len == 0) && (!n->groups || n->groups->len == 0);
}

static struct trie_node *child_get(struct trie_node *n, const char *tok, bool create)
{
    struct trie_node **slot = ps_token_is_star(tok) ? &n->star
                              : ps_token_is_gt(tok) ? &n->gt
                                                    : NULL;
    if (slot) {
        if (!*slot && create)
            *slot = g_new0(struct trie_node, 1);
        return *slot;
    }
    struct trie_node *child = n->literal ? g_hash_table_lookup(n->literal, tok) : NULL;
    if (!child && create) {
        if (!n->literal)
            n->literal = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, node_free);
        child = g_new0(struct trie_node, 1);
        g_hash_table_insert(n->literal, g_strdup(tok), child);
    }
    return child;
}

static void child_unlink(struct trie_node *n, const char *tok)
{
    if (ps_token_is_star(tok)) {
        node_free(n->star);
        n->star = NULL;
    } else if (ps_token_is_gt(tok)) {
        node_free(n->gt);
        n->gt = NULL;
    } else {
        g_hash_table_remove(n->literal, tok); /* frees the child */
    }
}

static struct node_group *group_find(struct trie_node *n, const char *name, guint *index)
{
    for (guint i = 0; n->groups && i < n->groups->len; i++) {
        struct node_group *g = &g_array_index(n->groups, struct node_group, i);
        if (strcmp(g->name, name) == 0) {
            if (index)
                *index = i;
            return g;
        }
    }
    return NULL;
}

struct ps_sub *ps_sub_new(const char *subject, const char *queue, uint32_t weight, uint32_t sid,
                          int32_t route_host, void *owner)
{
    struct ps_sub *sub = g_new(struct ps_sub, 1);
    *sub = (struct ps_sub){ .subject = g_strdup(subject), .queue = g_strdup(queue),
                            .weight = weight, .sid = sid, .route_host = route_host,
                            .owner = owner };
    return sub;
}

void ps_sub_free(struct ps_sub *sub)
{
    if (!sub)
        return;
    g_free(sub->subject);
    g_free(sub->queue);
    g_free(sub);
}

struct ps_sublist *ps_sublist_new(void)
{
    struct ps_sublist *sl = g_new0(struct ps_sublist, 1);
    sl->match.plain = g_ptr_array_new();
    sl->match.groups = g_array_new(FALSE, FALSE, sizeof(struct ps_match_group));
    sl->spare_members = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    return sl;
}

void ps_sublist_free(struct ps_sublist *sl)
{
    if (!sl)
        return;
    node_clear(&sl->root);
    for (guint i = 0; i < sl->match.groups->len; i++)
        g_ptr_array_unref(g_array_index(sl->match.groups, struct ps_match_group, i).members);
    g_array_free(sl->match.groups, TRUE);
    g_ptr_array_free(sl->match.plain, TRUE);
    g_ptr_array_free(sl->spare_members, TRUE);
    g_free(sl);
}

void ps_sublist_insert(struct ps_sublist *sl, struct ps_sub *sub)
{
    struct ps_tokens t;
    ps_tokens_split(&t, sub->subject);
    struct trie_node *n = &sl->root;
    for (uint32_t i = 0; i < t.count; i++)
        n = child_get(n, t.tok[i], true);
    ps_tokens_clear(&t);
    if (!sub->queue) {
        if (!n->plain)
            n->plain = g_ptr_array_new();
        g_ptr_array_add(n->plain, sub);
    } else {
        struct node_group *g = group_find(n, sub->queue, NULL);
        if (!g) {
            if (!n->groups)
                n->groups = g_array_new(FALSE, FALSE, sizeof(struct node_group));
            struct node_group fresh = { .name = g_strdup(sub->queue),
                                        .members = g_ptr_array_new() };
            g_array_append_val(n->groups, fresh);
            g = &g_array_index(n->groups, struct node_group, n->groups->len - 1);
        }
        g_ptr_array_add(g->members, sub);
    }
    sl->count++;
}

/* Takes sub out of the node it ends at; true if it was there. */
static bool node_take(struct trie_node *n, struct ps_sub *sub)
{
    if (!sub->queue)
        return n->plain && g_ptr_array_remove(n->plain, sub);
    guint index;
    struct node_group *g = group_find(n, sub->queue, &index);
    if (!g || !g_ptr_array_remove(g->members, sub))
        return false;
    if (g->members->len == 0) {
        g_free(g->name);
        g_ptr_array_free(g->members, TRUE);
        g_array_remove_index(n->groups, index);
    }
    return true;
}

void ps_sublist_remove(struct ps_sublist *sl, struct ps_sub *sub)
{
    struct ps_tokens t;
    ps_tokens_split(&t, sub->subject);
    /* path[i] is the node reached after i tokens. */
    struct trie_node **path = g_new(struct trie_node *, t.count + 1);
    path[0] = &sl->root;
    uint32_t depth = 0;
    while (depth < t.count && path[depth]) {
        path[depth + 1] = child_get(path[depth], t.tok[depth], false);
        depth++;
    }
    if (depth == t.count && path[depth] && node_take(path[depth], sub)) {
        sl->count--;
        for (uint32_t i = t.count; i > 0 && node_empty(path[i]); i--)
            child_unlink(path[i - 1], t.tok[i - 1]);
    }
    g_free(path);
    ps_tokens_clear(&t);
}

static void match_reset(struct ps_sublist *sl)
{
    struct ps_match *m = &sl->match;
    g_ptr_array_set_size(m->plain, 0);
    for (guint i = 0; i < m->groups->len; i++) {
        GPtrArray *members = g_array_index(m->groups, struct ps_match_group, i).members;
        g_ptr_array_set_size(members, 0);
        g_ptr_array_add(sl->spare_members, members);
    }
    g_array_set_size(m->groups, 0);
}

static struct ps_match_group *match_group(struct ps_sublist *sl, const char *name)
{
    GArray *groups = sl->match.groups;
    for (guint i = 0; i < groups->len; i++) {
        struct ps_match_group *g = &g_array_index(groups, struct ps_match_group, i);
        if (strcmp(g->name, name) == 0)
            return g;
    }
    struct ps_match_group fresh = { .name = name };
    fresh.members = sl->spare_members->len ? g_ptr_array_steal_index(sl->spare_members,
                                                                     sl->spare_members->len - 1)
                                           : g_ptr_array_new();
    g_array_append_val(groups, fresh);
    return &g_array_index(groups, struct ps_match_group, groups->len - 1);
}

static void collect(struct ps_sublist *sl, const struct trie_node *n)
{
    for (guint i = 0; n->plain && i < n->plain->len; i++)
        g_ptr_array_add(sl->match.plain, g_ptr_array_index(n->plain, i));
    for (guint i = 0; n->groups && i < n->groups->len; i++) {
        const struct node_group *ng = &g_array_index(n->groups, struct node_group, i);
        struct ps_match_group *g = match_group(sl, ng->name);
        for (guint j = 0; j < ng->members->len; j++) {
            struct ps_sub *sub = g_ptr_array_index(ng->members, j);
            g_ptr_array_add(g->members, sub);
            g->total_weight += sub->weight;
        }
    }
}

static void match_level(struct ps_sublist *sl, const struct trie_node *n,
                        const struct ps_tokens *t, uint32_t i)
{
    if (i == t->count) {
        collect(sl, n);
        return;
    }
    const struct trie_node *lit = n->literal ? g_hash_table_lookup(n->literal, t->tok[i]) : NULL;
    if (lit)
        match_level(sl, lit, t, i + 1);
    if (n->star)
        match_level(sl, n->star, t, i + 1);
    if (n->gt)
        collect(sl, n->gt); /* at least one token remains: '>' matches them all */
}

const struct ps_match *ps_sublist_match(struct ps_sublist *sl, const char *literal)
{
    match_reset(sl);
    struct ps_tokens t;
    ps_tokens_split(&t, literal);
    match_level(sl, &sl->root, &t, 0);
    ps_tokens_clear(&t);
    return &sl->match;
}

uint32_t ps_sublist_count(const struct ps_sublist *sl)
{
    return sl->count;
}
