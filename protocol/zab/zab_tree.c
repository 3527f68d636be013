/* zab_tree.c: ZooKeeper's data tree (zab_tree.h), a pure value every server applies committed
 * transactions to and the leader prepares requests against.
 *
 * Nodes live in a hash table keyed by path, for lookups only; what is ever listed (a node's
 * children, a session's ephemerals, the watchers of a path) is kept sorted as it changes,
 * and the session table is sorted when read, so hash order never reaches a caller. Watches
 * are indexed both ways (path -> watchers, watcher -> paths) so that firing one path and
 * forgetting one watcher each cost what they touch, not every watch in the tree. */
#include "protocol/zab/zab_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sequential suffix: "%010d" of a non-negative cversion. */
#define SEQ_DIGITS 10

enum { W_DATA, W_CHILD, W_KINDS };

struct znode {
    int64_t czxid, mzxid, pzxid;
    int32_t version, cversion;
    int64_t owner; /* ephemeral owner, 0 for a persistent node */
    int64_t data;
    GPtrArray *children; /* names (owned), sorted by strcmp; NULL until the first child */
};

struct zsession {
    int64_t id; /* the sessions table's key points here */
    int64_t timeout_ns;
    GPtrArray *ephemerals; /* full paths (owned), sorted; NULL when it owns none */
};

/* The reverse watch index: which paths one watcher watches, per kind. */
struct zwatcher {
    uint64_t id; /* the watchers table's key points here */
    GHashTable *paths[W_KINDS]; /* set of owned path strings */
};

struct zab_tree {
    GHashTable *nodes;            /* path (owned) -> struct znode */
    GHashTable *sessions;         /* &zsession.id -> struct zsession */
    GHashTable *watches[W_KINDS]; /* path (owned) -> GArray of uint64_t, sorted, distinct */
    GHashTable *watchers;         /* &zwatcher.id -> struct zwatcher */
};

/* ---- sorted arrays ---- */

/* Where s is in the sorted string array a, or where it would go. */
static guint strs_find(const GPtrArray *a, const char *s, bool *found)
{
    guint lo = 0, hi = a ? a->len : 0;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        int c = strcmp(g_ptr_array_index(a, mid), s);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void strs_insert(GPtrArray **a, const char *s)
{
    bool found;
    if (!*a)
        *a = g_ptr_array_new_with_free_func(g_free);
    guint i = strs_find(*a, s, &found);
    if (!found)
        g_ptr_array_insert(*a, (gint)i, g_strdup(s));
}

static void strs_remove(GPtrArray *a, const char *s)
{
    bool found;
    guint i = strs_find(a, s, &found);
    if (found)
        g_ptr_array_remove_index(a, i); /* keeps the order; frees the string */
}

static GPtrArray *strs_copy(const GPtrArray *a)
{
    if (!a)
        return NULL;
    GPtrArray *c = g_ptr_array_new_full(a->len, g_free);
    for (guint i = 0; i < a->len; i++)
        g_ptr_array_add(c, g_strdup(g_ptr_array_index(a, i)));
    return c;
}

/* Where v is in the sorted id array a, or where it would go. */
static guint ids_find(const GArray *a, uint64_t v, bool *found)
{
    guint lo = 0, hi = a->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        uint64_t m = g_array_index(a, uint64_t, mid);
        if (m == v) {
            *found = true;
            return mid;
        }
        if (m < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* ---- paths ---- */

/* The path rules of zab_tree.h, for p of len characters (len < ZAB_PATH_MAX). */
static bool path_valid(const char *p, size_t len)
{
    if (len == 0 || p[0] != '/')
        return false;
    if (len == 1)
        return true;
    if (p[len - 1] == '/')
        return false;
    size_t start = 1; /* first character of the current name */
    for (size_t i = 1; i <= len; i++) {
        if (i < len && p[i] != '/') {
            unsigned char c = (unsigned char)p[i];
            if (c < 0x20 || c == 0x7f)
                return false;
            continue;
        }
        size_t n = i - start;
        if (n == 0 || (n == 1 && p[start] == '.') ||
            (n == 2 && p[start] == '.' && p[start + 1] == '.'))
            return false;
        start = i + 1;
    }
    return true;
}

/* Copies path's parent ("/" for a top-level name, and for "/" itself) into parent and
 * returns the child's name; NULL when path has no slash. */
static const char *split_path(const char *path, char parent[ZAB_PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    memcpy(parent, path, n);
    parent[n] = '\0';
    return slash + 1;
}

/* ---- nodes and sessions ---- */

static void znode_free(gpointer p)
{
    struct znode *n = p;
    if (n->children)
        g_ptr_array_free(n->children, TRUE);
    g_free(n);
}

static void zsession_free(gpointer p)
{
    struct zsession *s = p;
    if (s->ephemerals)
        g_ptr_array_free(s->ephemerals, TRUE);
    g_free(s);
}

static void zwatcher_free(gpointer p)
{
    struct zwatcher *w = p;
    for (int k = 0; k < W_KINDS; k++)
        g_hash_table_destroy(w->paths[k]);
    g_free(w);
}

static void ids_free(gpointer p)
{
    g_array_free(p, TRUE);
}

static struct znode *node_get(const struct zab_tree *t, const char *path)
{
    return g_hash_table_lookup(t->nodes, path);
}

static struct zsession *session_get(const struct zab_tree *t, int64_t id)
{
    return g_hash_table_lookup(t->sessions, &id);
}

/* A tree without any node (not even "/"): zab_tree_new and zab_tree_copy fill it. */
static struct zab_tree *tree_alloc(void)
{
    struct zab_tree *t = g_new0(struct zab_tree, 1);
    t->nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, znode_free);
    t->sessions = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, zsession_free);
    for (int k = 0; k < W_KINDS; k++)
        t->watches[k] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ids_free);
    t->watchers = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, zwatcher_free);
    return t;
}

struct zab_tree *zab_tree_new(void)
{
    struct zab_tree *t = tree_alloc();
    g_hash_table_insert(t->nodes, g_strdup("/"), g_new0(struct znode, 1));
    return t;
}

void zab_tree_free(struct zab_tree *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->nodes);
    g_hash_table_destroy(t->sessions);
    for (int k = 0; k < W_KINDS; k++)
        g_hash_table_destroy(t->watches[k]);
    g_hash_table_destroy(t->watchers);
    g_free(t);
}

struct zab_tree *zab_tree_copy(const struct zab_tree *t)
{
    struct zab_tree *c = tree_alloc();
    GHashTableIter it;
    gpointer key, val;
    /* Insertion order into the copy is hash order, which is harmless: nothing is ever listed
     * from a hash table without sorting. */
    g_hash_table_iter_init(&it, t->nodes);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        const struct znode *n = val;
        struct znode *m = g_memdup2(n, sizeof *n);
        m->children = strs_copy(n->children);
        g_hash_table_insert(c->nodes, g_strdup(key), m);
    }
    g_hash_table_iter_init(&it, t->sessions);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        const struct zsession *s = val;
        struct zsession *m = g_memdup2(s, sizeof *s);
        m->ephemerals = strs_copy(s->ephemerals);
        g_hash_table_insert(c->sessions, &m->id, m);
    }
    return c;
}

/* ---- watches ---- */

static void watch_add(struct zab_tree *t, int kind, const char *path, uint64_t watcher)
{
    GArray *set = g_hash_table_lookup(t->watches[kind], path);
    if (!set) {
        set = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        g_hash_table_insert(t->watches[kind], g_strdup(path), set);
    }
    bool found;
    guint i = ids_find(set, watcher, &found);
    if (found)
        return; /* ZooKeeper keeps one watch per watcher, path and kind */
    g_array_insert_val(set, i, watcher);

    struct zwatcher *w = g_hash_table_lookup(t->watchers, &watcher);
    if (!w) {
        w = g_new0(struct zwatcher, 1);
        w->id = watcher;
        for (int k = 0; k < W_KINDS; k++)
            w->paths[k] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_insert(t->watchers, &w->id, w);
    }
    g_hash_table_add(w->paths[kind], g_strdup(path));
}

/* Drops path from watcher's reverse index, and the watcher once it watches nothing. */
static void watcher_unindex(struct zab_tree *t, uint64_t watcher, int kind, const char *path)
{
    struct zwatcher *w = g_hash_table_lookup(t->watchers, &watcher);
    if (!w)
        return;
    g_hash_table_remove(w->paths[kind], path);
    for (int k = 0; k < W_KINDS; k++)
        if (g_hash_table_size(w->paths[k]) > 0)
            return;
    g_hash_table_remove(t->watchers, &watcher);
}

/* Removes and returns the watchers of path for kind (the caller frees the array); NULL
 * when there are none. A watch is one-shot: taking it is firing it. */
static GArray *watch_take(struct zab_tree *t, int kind, const char *path)
{
    gpointer key, val;
    if (g_hash_table_size(t->watches[kind]) == 0 ||
        !g_hash_table_steal_extended(t->watches[kind], path, &key, &val))
        return NULL;
    g_free(key);
    GArray *set = val;
    for (guint i = 0; i < set->len; i++)
        watcher_unindex(t, g_array_index(set, uint64_t, i), kind, path);
    return set;
}

static void emit(GArray *fired, const GArray *set, enum zab_watch_event ev, const char *path)
{
    if (!fired || !set)
        return;
    for (guint i = 0; i < set->len; i++) {
        struct zab_fired f;
        memset(&f, 0, sizeof f); /* padding too: records are compared and copied whole */
        f.watcher = g_array_index(set, uint64_t, i);
        f.event = ev;
        g_strlcpy(f.path, path, sizeof f.path);
        g_array_append_val(fired, f);
    }
}

/* Fires the watches of path that a change of kind ev triggers, in increasing watcher id. */
static void fire(struct zab_tree *t, int kind, const char *path, enum zab_watch_event ev,
                 GArray *fired)
{
    GArray *set = watch_take(t, kind, path);
    if (!set)
        return;
    emit(fired, set, ev, path);
    g_array_free(set, TRUE);
}

/* A deleted node's data and child watchers hear NODE_DELETED once each: ZooKeeper's
 * WatchManager suppresses, for the child watches, the watchers the data watches reached. */
static void fire_deleted(struct zab_tree *t, const char *path, GArray *fired)
{
    GArray *data = watch_take(t, W_DATA, path);
    GArray *child = watch_take(t, W_CHILD, path);
    if (data && child) {
        for (guint i = 0; i < child->len; i++) {
            uint64_t w = g_array_index(child, uint64_t, i);
            bool found;
            guint at = ids_find(data, w, &found);
            if (!found)
                g_array_insert_val(data, at, w);
        }
    }
    emit(fired, data ? data : child, ZAB_EVENT_NODE_DELETED, path);
    if (data)
        g_array_free(data, TRUE);
    if (child)
        g_array_free(child, TRUE);
}

void zab_tree_forget_watcher(struct zab_tree *t, uint64_t watcher)
{
    struct zwatcher *w = g_hash_table_lookup(t->watchers, &watcher);
    if (!w)
        return;
    for (int k = 0; k < W_KINDS; k++) {
        GHashTableIter it;
        gpointer path;
        /* Order does not matter here: each step only removes. */
        g_hash_table_iter_init(&it, w->paths[k]);
        while (g_hash_table_iter_next(&it, &path, NULL)) {
            GArray *set = g_hash_table_lookup(t->watches[k], path);
            if (!set)
                continue;
            bool found;
            guint i = ids_find(set, watcher, &found);
            if (found)
                g_array_remove_index(set, i);
            if (set->len == 0)
                g_hash_table_remove(t->watches[k], path);
        }
    }
    g_hash_table_remove(t->watchers, &watcher);
}

/* ---- checks, shared by prep and apply ---- */

/* Whether a create of path (the final name) applies to t; *parent_out its parent. */
static enum zab_err check_create(const struct zab_tree *t, const char *path, unsigned flags,
                                 int64_t session, struct znode **parent_out)
{
    if ((flags & ZAB_CREATE_EPHEMERAL) && !zab_tree_session_open(t, session))
        return ZAB_ERR_SESSIONEXPIRED;
    size_t len = strnlen(path, ZAB_PATH_MAX);
    if (len == ZAB_PATH_MAX)
        return ZAB_ERR_LIMIT;
    if (!path_valid(path, len))
        return ZAB_ERR_NONODE;
    char parent_path[ZAB_PATH_MAX];
    split_path(path, parent_path);
    struct znode *parent = node_get(t, parent_path);
    if (!parent)
        return ZAB_ERR_NONODE;
    if (node_get(t, path)) /* "/" included: its parent is itself */
        return ZAB_ERR_NODEEXISTS;
    if (parent->owner != 0)
        return ZAB_ERR_NOCHILDRENFOREPHEMERALS;
    if (g_hash_table_size(t->nodes) >= ZAB_TREE_MAX_NODES)
        return ZAB_ERR_LIMIT;
    if (parent_out)
        *parent_out = parent;
    return ZAB_OK;
}

static enum zab_err check_version(const struct znode *n, int32_t version)
{
    return version == -1 || version == n->version ? ZAB_OK : ZAB_ERR_BADVERSION;
}

static enum zab_err check_delete(const struct zab_tree *t, const char *path, int32_t version)
{
    if (strnlen(path, ZAB_PATH_MAX) == ZAB_PATH_MAX)
        return ZAB_ERR_LIMIT;
    if (strcmp(path, "/") == 0)
        return ZAB_ERR_NONODE; /* ZooKeeper: BadArguments, which this subset lacks */
    const struct znode *n = node_get(t, path); /* a malformed path is never stored */
    if (!n)
        return ZAB_ERR_NONODE;
    enum zab_err err = check_version(n, version);
    if (err != ZAB_OK)
        return err;
    return n->children && n->children->len > 0 ? ZAB_ERR_NOTEMPTY : ZAB_OK;
}

static enum zab_err check_set_data(const struct zab_tree *t, const char *path, int32_t version)
{
    if (strnlen(path, ZAB_PATH_MAX) == ZAB_PATH_MAX)
        return ZAB_ERR_LIMIT;
    const struct znode *n = node_get(t, path);
    return n ? check_version(n, version) : ZAB_ERR_NONODE;
}

/* The final name of a create request: the sequential suffix is the parent's cversion in the
 * prepared tree, which already counts every create proposed before this one. */
static enum zab_err prep_create_name(const struct zab_tree *t, const struct zab_op *req,
                                     char out[ZAB_PATH_MAX])
{
    size_t len = strnlen(req->path, ZAB_PATH_MAX);
    if (len == ZAB_PATH_MAX)
        return ZAB_ERR_LIMIT;
    memcpy(out, req->path, len + 1);
    if (!(req->flags & ZAB_CREATE_SEQUENTIAL))
        return ZAB_OK;
    char parent_path[ZAB_PATH_MAX];
    if (!split_path(req->path, parent_path))
        return ZAB_ERR_NONODE;
    const struct znode *parent = node_get(t, parent_path);
    if (!parent)
        return ZAB_ERR_NONODE; /* before the length, as ZooKeeper looks the parent up first */
    int n = snprintf(out, ZAB_PATH_MAX, "%s%0*d", req->path, SEQ_DIGITS, parent->cversion);
    return n < 0 || n >= ZAB_PATH_MAX ? ZAB_ERR_LIMIT : ZAB_OK;
}

void zab_tree_prep(const struct zab_tree *t, const struct zab_op *req, struct zab_op *txn)
{
    struct zab_op out = *req; /* txn may be req */
    enum zab_err err = ZAB_OK;
    switch (req->kind) {
    case ZAB_OP_CREATE:
        /* ZooKeeper checks the session before it looks at the path. */
        if ((req->flags & ZAB_CREATE_EPHEMERAL) && !zab_tree_session_open(t, req->session))
            err = ZAB_ERR_SESSIONEXPIRED;
        if (err == ZAB_OK)
            err = prep_create_name(t, req, out.path);
        if (err == ZAB_OK)
            err = check_create(t, out.path, req->flags, req->session, NULL);
        break;
    case ZAB_OP_DELETE:
        err = check_delete(t, req->path, req->version);
        break;
    case ZAB_OP_SET_DATA:
        err = check_set_data(t, req->path, req->version);
        break;
    default:
        break;
    }
    if (err != ZAB_OK) {
        out = *req;
        out.kind = ZAB_OP_ERROR;
        out.err = (int16_t)err;
    }
    *txn = out;
}

/* ---- apply ---- */

static void apply_create(struct zab_tree *t, int64_t zxid, const struct zab_op *txn,
                         struct znode *parent, GArray *fired)
{
    char parent_path[ZAB_PATH_MAX];
    const char *name = split_path(txn->path, parent_path);
    struct znode *n = g_new0(struct znode, 1);
    n->czxid = n->mzxid = n->pzxid = zxid;
    n->data = txn->data;
    if (txn->flags & ZAB_CREATE_EPHEMERAL) {
        n->owner = txn->session;
        strs_insert(&session_get(t, txn->session)->ephemerals, txn->path);
    }
    g_hash_table_insert(t->nodes, g_strdup(txn->path), n);
    strs_insert(&parent->children, name);
    parent->cversion++;
    parent->pzxid = zxid;
    fire(t, W_DATA, txn->path, ZAB_EVENT_NODE_CREATED, fired);
    fire(t, W_CHILD, parent_path, ZAB_EVENT_NODE_CHILDREN_CHANGED, fired);
}

/* Deletes path, which exists and has no children. */
static void delete_node(struct zab_tree *t, int64_t zxid, const char *path, GArray *fired)
{
    char parent_path[ZAB_PATH_MAX];
    const char *name = split_path(path, parent_path);
    struct znode *parent = node_get(t, parent_path);
    strs_remove(parent->children, name);
    parent->pzxid = zxid; /* cversion stays: see zab_tree.h */
    struct znode *n = node_get(t, path);
    if (n->owner != 0) {
        struct zsession *s = session_get(t, n->owner);
        if (s && s->ephemerals)
            strs_remove(s->ephemerals, path);
    }
    /* path may be a string the node or the session owns: fire from a copy. */
    char p[ZAB_PATH_MAX];
    g_strlcpy(p, path, sizeof p);
    g_hash_table_remove(t->nodes, p);
    fire_deleted(t, p, fired);
    fire(t, W_CHILD, parent_path, ZAB_EVENT_NODE_CHILDREN_CHANGED, fired);
}

static enum zab_err apply_create_session(struct zab_tree *t, const struct zab_op *txn)
{
    if (txn->session == 0)
        return ZAB_ERR_SESSIONEXPIRED;
    if (session_get(t, txn->session))
        return ZAB_OK;
    if (g_hash_table_size(t->sessions) >= ZAB_TREE_MAX_SESSIONS)
        return ZAB_ERR_LIMIT;
    struct zsession *s = g_new0(struct zsession, 1);
    s->id = txn->session;
    s->timeout_ns = txn->data;
    g_hash_table_insert(t->sessions, &s->id, s);
    return ZAB_OK;
}

static void apply_close_session(struct zab_tree *t, int64_t zxid, int64_t session,
                                GArray *fired)
{
    struct zsession *s = session_get(t, session);
    if (!s)
        return;
    /* Take the list first, so deleting each node does not edit what is being walked; it is
     * sorted, which is the path order the header promises. Ephemerals have no children, so
     * every delete applies. */
    GPtrArray *eph = s->ephemerals;
    s->ephemerals = NULL;
    for (guint i = 0; eph && i < eph->len; i++)
        delete_node(t, zxid, g_ptr_array_index(eph, i), fired);
    if (eph)
        g_ptr_array_free(eph, TRUE);
    g_hash_table_remove(t->sessions, &session);
}

enum zab_err zab_tree_apply(struct zab_tree *t, int64_t zxid, const struct zab_op *txn,
                            GArray *fired)
{
    /* The workload's writes come through here on every server: nothing else to do. */
    if (txn->kind == ZAB_OP_MESSAGE)
        return ZAB_OK;
    enum zab_err err;
    struct znode *parent = NULL;
    switch (txn->kind) {
    case ZAB_OP_CREATE_SESSION:
        return apply_create_session(t, txn);
    case ZAB_OP_CLOSE_SESSION:
        apply_close_session(t, zxid, txn->session, fired);
        return ZAB_OK;
    case ZAB_OP_CREATE:
        err = check_create(t, txn->path, txn->flags, txn->session, &parent);
        if (err == ZAB_OK)
            apply_create(t, zxid, txn, parent, fired);
        return err;
    case ZAB_OP_DELETE:
        err = check_delete(t, txn->path, txn->version);
        if (err == ZAB_OK)
            delete_node(t, zxid, txn->path, fired);
        return err;
    case ZAB_OP_SET_DATA: {
        err = check_set_data(t, txn->path, txn->version);
        if (err != ZAB_OK)
            return err;
        struct znode *n = node_get(t, txn->path);
        n->version++;
        n->mzxid = zxid;
        n->data = txn->data;
        fire(t, W_DATA, txn->path, ZAB_EVENT_NODE_DATA_CHANGED, fired);
        return ZAB_OK;
    }
    case ZAB_OP_ERROR:
        return (enum zab_err)txn->err;
    default:
        return ZAB_OK; /* an unknown kind changes nothing, like a message */
    }
}

/* ---- reads ---- */

/* The node at path, or NULL; *valid tells whether path could name a node at all. */
static struct znode *read_lookup(const struct zab_tree *t, const char *path, bool *valid)
{
    size_t len = strnlen(path, ZAB_PATH_MAX);
    *valid = len < ZAB_PATH_MAX && path_valid(path, len);
    return *valid ? node_get(t, path) : NULL;
}

enum zab_err zab_tree_stat(struct zab_tree *t, const char *path, bool exists_call,
                           uint64_t watcher, bool watch, struct zab_stat *stat)
{
    bool valid;
    const struct znode *n = read_lookup(t, path, &valid);
    if (watch && valid && (n || exists_call))
        watch_add(t, W_DATA, path, watcher);
    if (!n)
        return ZAB_ERR_NONODE;
    if (stat) {
        memset(stat, 0, sizeof *stat);
        stat->czxid = n->czxid;
        stat->mzxid = n->mzxid;
        stat->pzxid = n->pzxid;
        stat->version = n->version;
        stat->cversion = n->cversion;
        stat->ephemeral_owner = n->owner;
        stat->num_children = n->children ? (int32_t)n->children->len : 0;
        stat->data = n->data;
    }
    return ZAB_OK;
}

enum zab_err zab_tree_children(struct zab_tree *t, const char *path, uint64_t watcher,
                               bool watch, GPtrArray *names)
{
    bool valid;
    const struct znode *n = read_lookup(t, path, &valid);
    if (!n)
        return ZAB_ERR_NONODE;
    if (watch)
        watch_add(t, W_CHILD, path, watcher);
    for (guint i = 0; names && n->children && i < n->children->len; i++)
        g_ptr_array_add(names, g_strdup(g_ptr_array_index(n->children, i)));
    return ZAB_OK;
}

/* ---- sessions ---- */

static gint session_cmp(gconstpointer a, gconstpointer b)
{
    const struct zab_session_entry *x = a, *y = b;
    return (x->session > y->session) - (x->session < y->session);
}

void zab_tree_sessions(const struct zab_tree *t, GArray *out)
{
    guint first = out->len;
    GHashTableIter it;
    gpointer val;
    g_hash_table_iter_init(&it, t->sessions);
    while (g_hash_table_iter_next(&it, NULL, &val)) {
        const struct zsession *s = val;
        struct zab_session_entry e = { .session = s->id, .timeout_ns = s->timeout_ns };
        g_array_append_val(out, e);
    }
    /* Hash order stops here: only what this call appended is sorted. */
    if (out->len > first)
        qsort(&g_array_index(out, struct zab_session_entry, first), out->len - first,
              sizeof(struct zab_session_entry), session_cmp);
}

bool zab_tree_session_open(const struct zab_tree *t, int64_t session)
{
    return session != 0 && session_get(t, session) != NULL;
}

uint32_t zab_tree_node_count(const struct zab_tree *t)
{
    return g_hash_table_size(t->nodes);
}
