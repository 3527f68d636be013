/* test_zab_tree.c: the ZooKeeper data tree (protocol/zab/zab_tree.h) on its own: znode stats,
 * sequential names against the prepared tree, the error codes of prep and apply, sessions and
 * their ephemerals, one-shot watches in ZooKeeper's order, and the bounds. */
#include "protocol/zab/zab_tree.h"
#include "tests/harness.h"

#include <stdio.h>
#include <string.h>

/* ---- requests ---- */

static struct zab_op op_create(const char *path, unsigned flags, int64_t session, int64_t data)
{
    struct zab_op op;
    memset(&op, 0, sizeof op);
    op.kind = ZAB_OP_CREATE;
    op.flags = (uint8_t)flags;
    op.session = session;
    op.data = data;
    g_strlcpy(op.path, path, sizeof op.path);
    return op;
}

static struct zab_op op_delete(const char *path, int32_t version)
{
    struct zab_op op;
    memset(&op, 0, sizeof op);
    op.kind = ZAB_OP_DELETE;
    op.version = version;
    g_strlcpy(op.path, path, sizeof op.path);
    return op;
}

static struct zab_op op_set(const char *path, int64_t data, int32_t version)
{
    struct zab_op op;
    memset(&op, 0, sizeof op);
    op.kind = ZAB_OP_SET_DATA;
    op.data = data;
    op.version = version;
    g_strlcpy(op.path, path, sizeof op.path);
    return op;
}

static struct zab_op op_session(enum zab_op_kind kind, int64_t session, int64_t timeout_ns)
{
    struct zab_op op;
    memset(&op, 0, sizeof op);
    op.kind = (uint8_t)kind;
    op.session = session;
    op.data = timeout_ns;
    return op;
}

/* What a single server does with a request: the leader prepares it against the same tree,
 * then the tree applies the transaction. The transaction goes to *txn when txn is given. */
static enum zab_err submit(struct zab_tree *t, int64_t zxid, struct zab_op req, GArray *fired,
                           struct zab_op *txn)
{
    struct zab_op tx;
    zab_tree_prep(t, &req, &tx);
    if (txn)
        *txn = tx;
    enum zab_err err = zab_tree_apply(t, zxid, &tx, fired);
    if (tx.kind == ZAB_OP_ERROR)
        CU_ASSERT_EQUAL(err, tx.err);
    return err;
}

/* Prep alone: the error code of the transaction, ZAB_OK when it is not an ERROR. */
static enum zab_err prep_err(const struct zab_tree *t, struct zab_op req)
{
    struct zab_op tx;
    zab_tree_prep(t, &req, &tx);
    return tx.kind == ZAB_OP_ERROR ? (enum zab_err)tx.err : ZAB_OK;
}

static struct zab_stat stat_of(struct zab_tree *t, const char *path)
{
    struct zab_stat st;
    memset(&st, 0xa5, sizeof st);
    CU_ASSERT_EQUAL(zab_tree_stat(t, path, false, 0, false, &st), ZAB_OK);
    return st;
}

static bool exists(struct zab_tree *t, const char *path)
{
    return zab_tree_stat(t, path, true, 0, false, NULL) == ZAB_OK;
}

/* The children of path joined by commas ("" when none, "NONODE" when missing). */
static char *children_of(struct zab_tree *t, const char *path)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    if (zab_tree_children(t, path, 0, false, names) != ZAB_OK) {
        g_ptr_array_free(names, TRUE);
        return g_strdup("NONODE");
    }
    g_ptr_array_add(names, NULL);
    char *s = g_strjoinv(",", (char **)names->pdata);
    g_ptr_array_free(names, TRUE);
    return s;
}

#define ASSERT_CHILDREN(t, path, want)                                                     \
    do {                                                                                   \
        char *got_ = children_of(t, path);                                                 \
        CU_ASSERT_STRING_EQUAL(got_, want);                                                \
        g_free(got_);                                                                      \
    } while (0)

/* ---- fired watches ---- */

struct ev {
    uint64_t watcher;
    enum zab_watch_event event;
    const char *path;
};

/* fired must hold exactly want, in order; empties fired for the next step. */
static void assert_fired(GArray *fired, const struct ev *want, size_t n)
{
    bool same = fired->len == n;
    for (size_t i = 0; same && i < n; i++) {
        const struct zab_fired *f = &g_array_index(fired, struct zab_fired, i);
        same = f->watcher == want[i].watcher && f->event == want[i].event &&
               strcmp(f->path, want[i].path) == 0;
    }
    if (!same) {
        fprintf(stderr, "\nfired:");
        for (guint i = 0; i < fired->len; i++) {
            const struct zab_fired *f = &g_array_index(fired, struct zab_fired, i);
            fprintf(stderr, " (%" G_GUINT64_FORMAT " %d %s)", f->watcher, f->event, f->path);
        }
        fprintf(stderr, "\nwanted:");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " (%" G_GUINT64_FORMAT " %d %s)", want[i].watcher, want[i].event,
                    want[i].path);
        fprintf(stderr, "\n");
    }
    CU_ASSERT_TRUE(same);
    g_array_set_size(fired, 0);
}

#define ASSERT_FIRED(fired, ...)                                                           \
    do {                                                                                   \
        static const struct ev want_[] = { __VA_ARGS__ };                                  \
        assert_fired(fired, want_, G_N_ELEMENTS(want_));                                   \
    } while (0)
#define ASSERT_NONE_FIRED(fired) assert_fired(fired, NULL, 0)

static GArray *fired_new(void)
{
    return g_array_new(FALSE, FALSE, sizeof(struct zab_fired));
}

/* ---- tests ---- */

static void test_zab_tree_root_always_exists(void)
{
    struct zab_tree *t = zab_tree_new();
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 1);
    struct zab_stat st = stat_of(t, "/");
    CU_ASSERT_EQUAL(st.czxid, 0);
    CU_ASSERT_EQUAL(st.cversion, 0);
    CU_ASSERT_EQUAL(st.num_children, 0);
    CU_ASSERT_EQUAL(st.ephemeral_owner, 0);
    ASSERT_CHILDREN(t, "/", "");
    CU_ASSERT_EQUAL(submit(t, 1, op_delete("/", -1), NULL, NULL), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/", 0, 0, 0), NULL, NULL), ZAB_ERR_NODEEXISTS);
    CU_ASSERT_TRUE(exists(t, "/"));
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 1);
    /* "/" takes data like any node. */
    CU_ASSERT_EQUAL(submit(t, 3, op_set("/", 9, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(stat_of(t, "/").data, 9);
    zab_tree_free(t);
}

static void test_zab_tree_create_sets_stat_and_parent(void)
{
    struct zab_tree *t = zab_tree_new();
    CU_ASSERT_EQUAL(submit(t, 5, op_create("/a", 0, 0, 42), NULL, NULL), ZAB_OK);
    struct zab_stat st = stat_of(t, "/a");
    CU_ASSERT_EQUAL(st.czxid, 5);
    CU_ASSERT_EQUAL(st.mzxid, 5);
    CU_ASSERT_EQUAL(st.pzxid, 5);
    CU_ASSERT_EQUAL(st.version, 0);
    CU_ASSERT_EQUAL(st.cversion, 0);
    CU_ASSERT_EQUAL(st.ephemeral_owner, 0);
    CU_ASSERT_EQUAL(st.num_children, 0);
    CU_ASSERT_EQUAL(st.data, 42);
    struct zab_stat root = stat_of(t, "/");
    CU_ASSERT_EQUAL(root.cversion, 1);
    CU_ASSERT_EQUAL(root.pzxid, 5);
    CU_ASSERT_EQUAL(root.num_children, 1);
    CU_ASSERT_EQUAL(root.mzxid, 0); /* a child is not a change of the parent's data */

    CU_ASSERT_EQUAL(submit(t, 6, op_create("/a/b", 0, 0, 1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(stat_of(t, "/a").pzxid, 6);
    CU_ASSERT_EQUAL(stat_of(t, "/a").cversion, 1);
    CU_ASSERT_EQUAL(stat_of(t, "/").pzxid, 5); /* only the direct parent */
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 3);
    zab_tree_free(t);
}

static void test_zab_tree_sequential_names_follow_cversion(void)
{
    struct zab_tree *t = zab_tree_new();
    struct zab_op tx;
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/q", 0, 0, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/q/n-", ZAB_CREATE_SEQUENTIAL, 0, 0), NULL, &tx),
                    ZAB_OK);
    CU_ASSERT_EQUAL(tx.kind, ZAB_OP_CREATE);
    CU_ASSERT_STRING_EQUAL(tx.path, "/q/n-0000000000");
    CU_ASSERT_EQUAL(submit(t, 3, op_create("/q/n-", ZAB_CREATE_SEQUENTIAL, 0, 0), NULL, &tx),
                    ZAB_OK);
    CU_ASSERT_STRING_EQUAL(tx.path, "/q/n-0000000001");
    CU_ASSERT_EQUAL(stat_of(t, "/q").cversion, 2);

    /* A delete moves pzxid but not cversion (ZooKeeper since ZOOKEEPER-1046): the next name
     * does not reuse the deleted one, and only creates advance the counter. */
    CU_ASSERT_EQUAL(submit(t, 4, op_delete("/q/n-0000000001", -1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(stat_of(t, "/q").cversion, 2);
    CU_ASSERT_EQUAL(stat_of(t, "/q").pzxid, 4);
    CU_ASSERT_EQUAL(submit(t, 5, op_create("/q/n-", ZAB_CREATE_SEQUENTIAL, 0, 0), NULL, &tx),
                    ZAB_OK);
    CU_ASSERT_STRING_EQUAL(tx.path, "/q/n-0000000002");
    CU_ASSERT_EQUAL(stat_of(t, "/q").pzxid, 5);

    /* A plain create counts too, and the suffix goes after any prefix, even none. */
    CU_ASSERT_EQUAL(submit(t, 6, op_create("/q/x", 0, 0, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 7, op_create("/q/", ZAB_CREATE_SEQUENTIAL, 0, 0), NULL, &tx),
                    ZAB_OK);
    CU_ASSERT_STRING_EQUAL(tx.path, "/q/0000000004");
    CU_ASSERT_EQUAL(submit(t, 8, op_create("/s-", ZAB_CREATE_SEQUENTIAL, 0, 0), NULL, &tx),
                    ZAB_OK);
    CU_ASSERT_STRING_EQUAL(tx.path, "/s-0000000001"); /* "/" has had one child: /q */
    ASSERT_CHILDREN(t, "/q", "0000000004,n-0000000000,n-0000000002,x");
    /* The transaction carries the final name; the flag does not add a second suffix. */
    CU_ASSERT_TRUE(tx.flags & ZAB_CREATE_SEQUENTIAL);
    CU_ASSERT_TRUE(exists(t, "/s-0000000001"));
    zab_tree_free(t);
}

static void test_zab_tree_prep_on_prepared_copy_numbers_consecutively(void)
{
    struct zab_tree *applied = zab_tree_new();
    CU_ASSERT_EQUAL(submit(applied, 1, op_create("/q", 0, 0, 0), NULL, NULL), ZAB_OK);
    struct zab_tree *prepared = zab_tree_copy(applied);
    struct zab_op req = op_create("/q/n-", ZAB_CREATE_SEQUENTIAL, 0, 0);
    struct zab_op t1, t2, stale;

    /* The leader proposes two creates before either commits. */
    zab_tree_prep(prepared, &req, &t1);
    CU_ASSERT_STRING_EQUAL(t1.path, "/q/n-0000000000");
    CU_ASSERT_EQUAL(zab_tree_node_count(prepared), 2); /* prep alone changes nothing */
    CU_ASSERT_EQUAL(stat_of(prepared, "/q").cversion, 0);
    CU_ASSERT_EQUAL(zab_tree_apply(prepared, 2, &t1, NULL), ZAB_OK);
    zab_tree_prep(prepared, &req, &t2);
    CU_ASSERT_STRING_EQUAL(t2.path, "/q/n-0000000001");
    CU_ASSERT_EQUAL(zab_tree_apply(prepared, 3, &t2, NULL), ZAB_OK);
    /* Prepared against the applied tree instead, the second would collide. */
    zab_tree_prep(applied, &req, &stale);
    CU_ASSERT_STRING_EQUAL(stale.path, "/q/n-0000000000");

    /* The servers apply the two commits in order and agree with the prepared tree. */
    CU_ASSERT_FALSE(exists(applied, "/q/n-0000000000"));
    CU_ASSERT_EQUAL(zab_tree_apply(applied, 2, &t1, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_apply(applied, 3, &t2, NULL), ZAB_OK);
    ASSERT_CHILDREN(applied, "/q", "n-0000000000,n-0000000001");
    CU_ASSERT_EQUAL(stat_of(applied, "/q").cversion, stat_of(prepared, "/q").cversion);
    /* The stale transaction no longer applies: NodeExists, nothing changed. */
    CU_ASSERT_EQUAL(zab_tree_apply(applied, 4, &stale, NULL), ZAB_ERR_NODEEXISTS);
    CU_ASSERT_EQUAL(stat_of(applied, "/q").cversion, 2);
    CU_ASSERT_EQUAL(stat_of(applied, "/q").pzxid, 3);

    /* prep may write over its request. */
    struct zab_op inplace = req;
    zab_tree_prep(prepared, &inplace, &inplace);
    CU_ASSERT_EQUAL(inplace.kind, ZAB_OP_CREATE);
    CU_ASSERT_STRING_EQUAL(inplace.path, "/q/n-0000000002");
    zab_tree_free(prepared);
    zab_tree_free(applied);
}

static void test_zab_tree_create_errors(void)
{
    struct zab_tree *t = zab_tree_new();
    struct zab_op tx;
    CU_ASSERT_EQUAL(submit(t, 1, op_session(ZAB_OP_CREATE_SESSION, 7, 1000), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/p", 0, 7, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 3, op_create("/e", ZAB_CREATE_EPHEMERAL, 7, 0), NULL, NULL),
                    ZAB_OK);

    CU_ASSERT_EQUAL(submit(t, 4, op_create("/missing/x", 0, 7, 0), NULL, &tx), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(tx.kind, ZAB_OP_ERROR);
    CU_ASSERT_EQUAL(tx.err, ZAB_ERR_NONODE);
    CU_ASSERT_STRING_EQUAL(tx.path, "/missing/x"); /* the request's fields stay */
    CU_ASSERT_EQUAL(submit(t, 5, op_create("/missing/x", ZAB_CREATE_SEQUENTIAL, 7, 0), NULL,
                           NULL),
                    ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(submit(t, 6, op_create("/p", 0, 7, 0), NULL, NULL), ZAB_ERR_NODEEXISTS);
    CU_ASSERT_EQUAL(submit(t, 7, op_create("/e/c", 0, 7, 0), NULL, NULL),
                    ZAB_ERR_NOCHILDRENFOREPHEMERALS);
    CU_ASSERT_EQUAL(submit(t, 8, op_create("/e/c", ZAB_CREATE_SEQUENTIAL, 7, 0), NULL, NULL),
                    ZAB_ERR_NOCHILDRENFOREPHEMERALS);
    /* ZooKeeper's order: an existing node is NodeExists even under an ephemeral parent... */
    CU_ASSERT_EQUAL(submit(t, 9, op_create("/e", 0, 7, 0), NULL, NULL), ZAB_ERR_NODEEXISTS);
    /* ...and a closed session is refused before the path is looked at. */
    CU_ASSERT_EQUAL(submit(t, 10, op_create("/missing/x", ZAB_CREATE_EPHEMERAL, 99, 0), NULL,
                           NULL),
                    ZAB_ERR_SESSIONEXPIRED);
    CU_ASSERT_EQUAL(submit(t, 11, op_create("/z", ZAB_CREATE_EPHEMERAL, 99, 0), NULL, NULL),
                    ZAB_ERR_SESSIONEXPIRED);
    CU_ASSERT_EQUAL(submit(t, 12, op_create("/z", ZAB_CREATE_EPHEMERAL, 0, 0), NULL, NULL),
                    ZAB_ERR_SESSIONEXPIRED);
    /* Nothing above changed the tree. */
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 3);
    CU_ASSERT_EQUAL(stat_of(t, "/").cversion, 2);
    CU_ASSERT_EQUAL(stat_of(t, "/").pzxid, 3);
    CU_ASSERT_EQUAL(stat_of(t, "/e").ephemeral_owner, 7);
    CU_ASSERT_EQUAL(stat_of(t, "/e").cversion, 0);
    zab_tree_free(t);
}

static void test_zab_tree_ephemeral_of_closed_session_expires(void)
{
    struct zab_tree *t = zab_tree_new();
    struct zab_op early;
    CU_ASSERT_EQUAL(submit(t, 1, op_session(ZAB_OP_CREATE_SESSION, 7, 1000), NULL, NULL),
                    ZAB_OK);
    /* Prepared while the session was open... */
    struct zab_op req = op_create("/lock", ZAB_CREATE_EPHEMERAL, 7, 0);
    zab_tree_prep(t, &req, &early);
    CU_ASSERT_EQUAL(early.kind, ZAB_OP_CREATE);
    CU_ASSERT_EQUAL(submit(t, 2, op_session(ZAB_OP_CLOSE_SESSION, 7, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_FALSE(zab_tree_session_open(t, 7));
    /* ...applied after the close: re-checked, refused, nothing created. */
    CU_ASSERT_EQUAL(zab_tree_apply(t, 3, &early, NULL), ZAB_ERR_SESSIONEXPIRED);
    CU_ASSERT_FALSE(exists(t, "/lock"));
    CU_ASSERT_EQUAL(prep_err(t, req), ZAB_ERR_SESSIONEXPIRED);
    /* A persistent create names its requester only; a closed one is no obstacle here. */
    CU_ASSERT_EQUAL(submit(t, 4, op_create("/lock", 0, 7, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 2);
    zab_tree_free(t);
}

static void test_zab_tree_versions_are_compare_and_set(void)
{
    struct zab_tree *t = zab_tree_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/a", 0, 0, 10), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_set("/a", 11, 0), NULL, NULL), ZAB_OK);
    struct zab_stat st = stat_of(t, "/a");
    CU_ASSERT_EQUAL(st.version, 1);
    CU_ASSERT_EQUAL(st.mzxid, 2);
    CU_ASSERT_EQUAL(st.czxid, 1);
    CU_ASSERT_EQUAL(st.data, 11);

    CU_ASSERT_EQUAL(submit(t, 3, op_set("/a", 12, 0), NULL, NULL), ZAB_ERR_BADVERSION);
    CU_ASSERT_EQUAL(submit(t, 4, op_set("/a", 12, 2), NULL, NULL), ZAB_ERR_BADVERSION);
    st = stat_of(t, "/a");
    CU_ASSERT_EQUAL(st.version, 1);
    CU_ASSERT_EQUAL(st.data, 11);
    CU_ASSERT_EQUAL(st.mzxid, 2);
    CU_ASSERT_EQUAL(submit(t, 5, op_set("/a", 13, -1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(stat_of(t, "/a").version, 2);
    CU_ASSERT_EQUAL(submit(t, 6, op_set("/nope", 1, -1), NULL, NULL), ZAB_ERR_NONODE);

    /* Two writers prepared against version 2: the second one fails when applied. */
    struct zab_op w1, w2;
    struct zab_op r1 = op_set("/a", 100, 2), r2 = op_set("/a", 200, 2);
    zab_tree_prep(t, &r1, &w1);
    zab_tree_prep(t, &r2, &w2);
    CU_ASSERT_EQUAL(w1.kind, ZAB_OP_SET_DATA);
    CU_ASSERT_EQUAL(w2.kind, ZAB_OP_SET_DATA);
    CU_ASSERT_EQUAL(zab_tree_apply(t, 7, &w1, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_apply(t, 8, &w2, NULL), ZAB_ERR_BADVERSION);
    CU_ASSERT_EQUAL(stat_of(t, "/a").data, 100);
    CU_ASSERT_EQUAL(stat_of(t, "/a").mzxid, 7);

    /* delete checks the version the same way. */
    CU_ASSERT_EQUAL(submit(t, 9, op_delete("/a", 2), NULL, NULL), ZAB_ERR_BADVERSION);
    CU_ASSERT_TRUE(exists(t, "/a"));
    CU_ASSERT_EQUAL(submit(t, 10, op_delete("/a", 3), NULL, NULL), ZAB_OK);
    CU_ASSERT_FALSE(exists(t, "/a"));
    CU_ASSERT_EQUAL(submit(t, 11, op_delete("/a", -1), NULL, NULL), ZAB_ERR_NONODE);
    zab_tree_free(t);
}

static void test_zab_tree_delete_needs_no_children(void)
{
    struct zab_tree *t = zab_tree_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/a", 0, 0, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/a/b", 0, 0, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 3, op_delete("/a", -1), NULL, NULL), ZAB_ERR_NOTEMPTY);
    /* A bad version is found before the children. */
    CU_ASSERT_EQUAL(submit(t, 4, op_delete("/a", 5), NULL, NULL), ZAB_ERR_BADVERSION);
    CU_ASSERT_EQUAL(stat_of(t, "/").pzxid, 1);
    /* A delete of /a prepared after one of /a/b is refused by a tree without the latter. */
    struct zab_tree *prepared = zab_tree_copy(t);
    CU_ASSERT_EQUAL(submit(prepared, 5, op_delete("/a/b", -1), NULL, NULL), ZAB_OK);
    struct zab_op del_a, req = op_delete("/a", -1);
    zab_tree_prep(prepared, &req, &del_a);
    CU_ASSERT_EQUAL(del_a.kind, ZAB_OP_DELETE);
    CU_ASSERT_EQUAL(zab_tree_apply(t, 6, &del_a, NULL), ZAB_ERR_NOTEMPTY);
    CU_ASSERT_TRUE(exists(t, "/a"));
    CU_ASSERT_EQUAL(submit(t, 7, op_delete("/a/b", -1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 8, op_delete("/a", -1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 1);
    CU_ASSERT_EQUAL(stat_of(t, "/").pzxid, 8);
    CU_ASSERT_EQUAL(stat_of(t, "/").cversion, 1);
    zab_tree_free(prepared);
    zab_tree_free(t);
}

static void test_zab_tree_close_session_deletes_ephemerals_in_path_order(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_session(ZAB_OP_CREATE_SESSION, 9, 1000), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_session(ZAB_OP_CREATE_SESSION, 10, 1000), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 3, op_create("/e", 0, 9, 0), NULL, NULL), ZAB_OK);
    /* Created out of path order, across two parents. */
    CU_ASSERT_EQUAL(submit(t, 4, op_create("/e/c", ZAB_CREATE_EPHEMERAL, 9, 0), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 5, op_create("/e/a", ZAB_CREATE_EPHEMERAL, 9, 0), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 6, op_create("/d", ZAB_CREATE_EPHEMERAL, 9, 0), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 7, op_create("/e/b", ZAB_CREATE_EPHEMERAL, 9, 0), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 8, op_create("/e/p", 0, 9, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 9, op_create("/e/z", ZAB_CREATE_EPHEMERAL, 10, 0), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(stat_of(t, "/e/a").ephemeral_owner, 9);
    ASSERT_NONE_FIRED(fired);

    /* Watches: 4 on /e's children, 1 on /e/a, 3 on /e/b, 5 on /e/c's data and children,
     * 2 on / and on /e/z (which stays). */
    CU_ASSERT_EQUAL(zab_tree_children(t, "/e", 4, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/e/a", true, 1, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/e/b", false, 3, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/e/c", false, 5, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/e/c", 5, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/", 2, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/e/z", true, 2, true, NULL), ZAB_OK);

    CU_ASSERT_EQUAL(submit(t, 10, op_session(ZAB_OP_CLOSE_SESSION, 9, 0), fired, NULL),
                    ZAB_OK);
    /* /d, /e/a, /e/b, /e/c in strcmp order; each as a delete; the parent's one-shot child
     * watches fire on the first deletion under it only. */
    ASSERT_FIRED(fired, { 2, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/" },
                 { 1, ZAB_EVENT_NODE_DELETED, "/e/a" },
                 { 4, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/e" },
                 { 3, ZAB_EVENT_NODE_DELETED, "/e/b" },
                 { 5, ZAB_EVENT_NODE_DELETED, "/e/c" });
    CU_ASSERT_FALSE(zab_tree_session_open(t, 9));
    CU_ASSERT_TRUE(zab_tree_session_open(t, 10));
    ASSERT_CHILDREN(t, "/e", "p,z");
    ASSERT_CHILDREN(t, "/", "e");
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 4);
    CU_ASSERT_EQUAL(stat_of(t, "/e").pzxid, 10);
    CU_ASSERT_EQUAL(stat_of(t, "/e").cversion, 5);

    /* Closing again, or a session never opened, is harmless. */
    CU_ASSERT_EQUAL(submit(t, 11, op_session(ZAB_OP_CLOSE_SESSION, 9, 0), fired, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 12, op_session(ZAB_OP_CLOSE_SESSION, 77, 0), fired, NULL),
                    ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    /* An ephemeral deleted by hand is not deleted again at close. */
    CU_ASSERT_EQUAL(submit(t, 13, op_delete("/e/z", -1), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 2, ZAB_EVENT_NODE_DELETED, "/e/z" });
    CU_ASSERT_EQUAL(submit(t, 14, op_session(ZAB_OP_CLOSE_SESSION, 10, 0), fired, NULL),
                    ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 3);
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_exists_watch_fires_on_create(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/x", true, 9, true, NULL), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/", 1, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/x", 0, 0, 0), fired, NULL), ZAB_OK);
    /* The node's data watchers first, then the parent's child watchers, whatever the ids. */
    ASSERT_FIRED(fired, { 9, ZAB_EVENT_NODE_CREATED, "/x" },
                 { 1, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/" });
    /* A sequential create fires the watch of its final name. */
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/x/n0000000000", true, 4, true, NULL), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/x/n", ZAB_CREATE_SEQUENTIAL, 0, 0), fired, NULL),
                    ZAB_OK);
    ASSERT_FIRED(fired, { 4, ZAB_EVENT_NODE_CREATED, "/x/n0000000000" });
    /* A failed create fires nothing and keeps the watch. */
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/y/z", true, 6, true, NULL), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(submit(t, 3, op_create("/y/z", 0, 0, 0), fired, NULL), ZAB_ERR_NONODE);
    ASSERT_NONE_FIRED(fired);
    CU_ASSERT_EQUAL(submit(t, 4, op_create("/y", 0, 0, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 5, op_create("/y/z", 0, 0, 0), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 6, ZAB_EVENT_NODE_CREATED, "/y/z" });
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_get_data_of_missing_node_leaves_no_watch(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    struct zab_stat st;
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/y", false, 3, true, &st), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/y", 3, true, NULL), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/y", 0, 0, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/y/c", 0, 0, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 3, op_set("/y", 1, -1), fired, NULL), ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    /* Malformed paths leave no watch either, and the reads say NoNode. */
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/y/", true, 3, true, NULL), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "y", true, 3, true, NULL), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/y/", 3, true, NULL), ZAB_ERR_NONODE);
    zab_tree_forget_watcher(t, 3); /* nothing to forget */
    CU_ASSERT_EQUAL(submit(t, 4, op_set("/y", 2, -1), fired, NULL), ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_watches_fire_once(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/a", 0, 0, 0), fired, NULL), ZAB_OK);
    /* Registered twice, still one watch. */
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, 4, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", true, 4, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_set("/a", 1, -1), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 4, ZAB_EVENT_NODE_DATA_CHANGED, "/a" });
    CU_ASSERT_EQUAL(submit(t, 3, op_set("/a", 2, -1), fired, NULL), ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    /* Child watches too. */
    CU_ASSERT_EQUAL(zab_tree_children(t, "/a", 4, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 4, op_create("/a/1", 0, 0, 0), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 4, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/a" });
    CU_ASSERT_EQUAL(submit(t, 5, op_create("/a/2", 0, 0, 0), fired, NULL), ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    /* A data change does not fire child watches, nor a child change data watches. */
    CU_ASSERT_EQUAL(zab_tree_children(t, "/a", 5, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, 6, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 6, op_set("/a", 3, -1), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 6, ZAB_EVENT_NODE_DATA_CHANGED, "/a" });
    CU_ASSERT_EQUAL(submit(t, 7, op_delete("/a/1", -1), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 5, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/a" });
    /* A NULL fired array still consumes the watch. */
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, 6, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 8, op_set("/a", 4, -1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 9, op_set("/a", 5, -1), fired, NULL), ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_watchers_fire_in_increasing_id(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/a", 0, 0, 0), fired, NULL), ZAB_OK);
    const uint64_t ids[] = { 30, 10, UINT64_MAX, 20, 0 };
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
        CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, ids[i], true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_set("/a", 1, -1), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 0, ZAB_EVENT_NODE_DATA_CHANGED, "/a" },
                 { 10, ZAB_EVENT_NODE_DATA_CHANGED, "/a" },
                 { 20, ZAB_EVENT_NODE_DATA_CHANGED, "/a" },
                 { 30, ZAB_EVENT_NODE_DATA_CHANGED, "/a" },
                 { UINT64_MAX, ZAB_EVENT_NODE_DATA_CHANGED, "/a" });
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_delete_tells_each_watcher_once(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/a", 0, 0, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, 1, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/a", 1, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/a", 2, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", true, 3, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/", 1, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/", 0, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_delete("/a", -1), fired, NULL), ZAB_OK);
    /* Watcher 1 watched /a twice and hears NodeDeleted once; /'s child watch is separate. */
    ASSERT_FIRED(fired, { 1, ZAB_EVENT_NODE_DELETED, "/a" },
                 { 2, ZAB_EVENT_NODE_DELETED, "/a" },
                 { 3, ZAB_EVENT_NODE_DELETED, "/a" },
                 { 0, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/" },
                 { 1, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/" });
    /* Every one of them was consumed, the suppressed child watch included. */
    CU_ASSERT_EQUAL(submit(t, 3, op_create("/a", 0, 0, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 4, op_create("/a/b", 0, 0, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 5, op_delete("/a/b", -1), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 6, op_delete("/a", -1), fired, NULL), ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_forget_watcher(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/a", 0, 0, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, 7, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/a", 7, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/b", true, 7, true, NULL), ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/", 7, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, 8, true, NULL), ZAB_OK);
    zab_tree_forget_watcher(t, 7);
    zab_tree_forget_watcher(t, 7);
    zab_tree_forget_watcher(t, 12345);
    CU_ASSERT_EQUAL(submit(t, 2, op_set("/a", 1, -1), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 3, op_create("/a/c", 0, 0, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 4, op_create("/b", 0, 0, 0), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 8, ZAB_EVENT_NODE_DATA_CHANGED, "/a" });
    /* The watcher may watch again afterwards. */
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/b", true, 7, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 5, op_set("/b", 1, -1), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 7, ZAB_EVENT_NODE_DATA_CHANGED, "/b" });
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

/* Every node's stat, the sessions and the node count, as one comparable string. */
static char *dump(struct zab_tree *t, const char *path, GString *out)
{
    bool top = out == NULL;
    if (top)
        out = g_string_new(NULL);
    struct zab_stat st = stat_of(t, path);
    g_string_append_printf(out, "%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                           " %d %d %" G_GINT64_FORMAT " %d %" G_GINT64_FORMAT "\n",
                           path, st.czxid, st.mzxid, st.pzxid, st.version, st.cversion,
                           st.ephemeral_owner, st.num_children, st.data);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    zab_tree_children(t, path, 0, false, names);
    for (guint i = 0; i < names->len; i++) {
        char *child = strcmp(path, "/") == 0
                          ? g_strconcat("/", g_ptr_array_index(names, i), NULL)
                          : g_strconcat(path, "/", g_ptr_array_index(names, i), NULL);
        dump(t, child, out);
        g_free(child);
    }
    g_ptr_array_free(names, TRUE);
    if (!top)
        return NULL;
    GArray *sessions = g_array_new(FALSE, FALSE, sizeof(struct zab_session_entry));
    zab_tree_sessions(t, sessions);
    for (guint i = 0; i < sessions->len; i++) {
        const struct zab_session_entry *e = &g_array_index(sessions, struct zab_session_entry, i);
        g_string_append_printf(out, "session %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
                               e->session, e->timeout_ns);
    }
    g_array_free(sessions, TRUE);
    g_string_append_printf(out, "nodes %u\n", zab_tree_node_count(t));
    return g_string_free(out, FALSE);
}

static void test_zab_tree_message_and_error_change_nothing(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_session(ZAB_OP_CREATE_SESSION, 3, 500), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/a", ZAB_CREATE_EPHEMERAL, 3, 5), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, 1, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/", 1, true, NULL), ZAB_OK);
    char *before = dump(t, "/", NULL);

    /* A message carrying a path and a session still touches nothing. */
    struct zab_op msg = op_create("/a", ZAB_CREATE_EPHEMERAL, 3, 6), tx;
    msg.kind = ZAB_OP_MESSAGE;
    zab_tree_prep(t, &msg, &tx);
    CU_ASSERT_EQUAL(memcmp(&msg, &tx, sizeof msg), 0);
    CU_ASSERT_EQUAL(zab_tree_apply(t, 3, &msg, fired), ZAB_OK);

    struct zab_op err = op_delete("/a", -1);
    err.kind = ZAB_OP_ERROR;
    err.err = ZAB_ERR_BADVERSION;
    zab_tree_prep(t, &err, &tx);
    CU_ASSERT_EQUAL(memcmp(&err, &tx, sizeof err), 0);
    CU_ASSERT_EQUAL(zab_tree_apply(t, 4, &err, fired), ZAB_ERR_BADVERSION);
    err = op_session(ZAB_OP_CLOSE_SESSION, 3, 0);
    err.kind = ZAB_OP_ERROR;
    err.err = ZAB_ERR_NONODE;
    CU_ASSERT_EQUAL(zab_tree_apply(t, 5, &err, fired), ZAB_ERR_NONODE);
    ASSERT_NONE_FIRED(fired);
    char *after = dump(t, "/", NULL);
    CU_ASSERT_STRING_EQUAL(before, after);

    /* Session ops pass prep unchanged; the watches left above are still armed. */
    struct zab_op close = op_session(ZAB_OP_CLOSE_SESSION, 3, 0);
    zab_tree_prep(t, &close, &tx);
    CU_ASSERT_EQUAL(memcmp(&close, &tx, sizeof close), 0);
    CU_ASSERT_EQUAL(zab_tree_apply(t, 6, &tx, fired), ZAB_OK);
    ASSERT_FIRED(fired, { 1, ZAB_EVENT_NODE_DELETED, "/a" },
                 { 1, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/" });
    g_free(before);
    g_free(after);
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_children_are_sorted(void)
{
    struct zab_tree *t = zab_tree_new();
    const char *paths[] = { "/d", "/d/b", "/d/a10", "/d/c", "/d/a2", "/d/B", "/d/a" };
    for (size_t i = 0; i < G_N_ELEMENTS(paths); i++)
        CU_ASSERT_EQUAL(submit(t, (int64_t)i + 1, op_create(paths[i], 0, 0, 0), NULL, NULL),
                        ZAB_OK);
    ASSERT_CHILDREN(t, "/d", "B,a,a10,a2,b,c");
    CU_ASSERT_EQUAL(stat_of(t, "/d").num_children, 6);
    CU_ASSERT_EQUAL(submit(t, 20, op_delete("/d/a2", -1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 21, op_delete("/d/B", -1), NULL, NULL), ZAB_OK);
    ASSERT_CHILDREN(t, "/d", "a,a10,b,c");
    ASSERT_CHILDREN(t, "/d/a", "");
    ASSERT_CHILDREN(t, "/nope", "NONODE");
    /* Names are appended after what the array held. */
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(names, g_strdup("keep"));
    CU_ASSERT_EQUAL(zab_tree_children(t, "/", 0, false, names), ZAB_OK);
    CU_ASSERT_EQUAL(names->len, 2);
    CU_ASSERT_STRING_EQUAL(g_ptr_array_index(names, 0), "keep");
    CU_ASSERT_STRING_EQUAL(g_ptr_array_index(names, 1), "d");
    g_ptr_array_free(names, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_sessions_are_sorted(void)
{
    struct zab_tree *t = zab_tree_new();
    const int64_t ids[] = { 50, -3, 7, INT64_C(1) << 40, INT64_MIN, INT64_MAX };
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
        CU_ASSERT_EQUAL(submit(t, (int64_t)i + 1,
                               op_session(ZAB_OP_CREATE_SESSION, ids[i], 1000 * (int64_t)i),
                               NULL, NULL),
                        ZAB_OK);
    /* Opening an open session changes nothing, its timeout included. */
    CU_ASSERT_EQUAL(submit(t, 10, op_session(ZAB_OP_CREATE_SESSION, 7, 999999), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 11, op_session(ZAB_OP_CREATE_SESSION, 0, 1), NULL, NULL),
                    ZAB_ERR_SESSIONEXPIRED);
    CU_ASSERT_FALSE(zab_tree_session_open(t, 0));
    GArray *s = g_array_new(FALSE, FALSE, sizeof(struct zab_session_entry));
    struct zab_session_entry kept = { 42, 42 };
    g_array_append_val(s, kept);
    zab_tree_sessions(t, s);
    const struct zab_session_entry want[] = {
        { 42, 42 }, /* already there, left in place */
        { INT64_MIN, 4000 }, { -3, 1000 }, { 7, 2000 }, { 50, 0 }, { INT64_C(1) << 40, 3000 },
        { INT64_MAX, 5000 },
    };
    CU_ASSERT_EQUAL_FATAL(s->len, G_N_ELEMENTS(want));
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        CU_ASSERT_EQUAL(g_array_index(s, struct zab_session_entry, i).session, want[i].session);
        CU_ASSERT_EQUAL(g_array_index(s, struct zab_session_entry, i).timeout_ns,
                        want[i].timeout_ns);
    }
    CU_ASSERT_TRUE(zab_tree_session_open(t, -3));
    CU_ASSERT_FALSE(zab_tree_session_open(t, 8));
    CU_ASSERT_EQUAL(submit(t, 12, op_session(ZAB_OP_CLOSE_SESSION, 7, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_FALSE(zab_tree_session_open(t, 7));
    g_array_set_size(s, 0);
    zab_tree_sessions(t, s);
    CU_ASSERT_EQUAL(s->len, 5);
    g_array_free(s, TRUE);
    zab_tree_free(t);
}

static void test_zab_tree_session_limit(void)
{
    struct zab_tree *t = zab_tree_new();
    enum zab_err last = ZAB_OK;
    for (int64_t id = 1; id <= (int64_t)ZAB_TREE_MAX_SESSIONS && last == ZAB_OK; id++) {
        struct zab_op op = op_session(ZAB_OP_CREATE_SESSION, id, 1);
        last = zab_tree_apply(t, id, &op, NULL);
    }
    CU_ASSERT_EQUAL(last, ZAB_OK);
    int64_t z = ZAB_TREE_MAX_SESSIONS + 1;
    CU_ASSERT_EQUAL(submit(t, z, op_session(ZAB_OP_CREATE_SESSION, z, 1), NULL, NULL),
                    ZAB_ERR_LIMIT);
    CU_ASSERT_FALSE(zab_tree_session_open(t, z));
    /* An open session is still "opened" again at the bound. */
    CU_ASSERT_EQUAL(submit(t, z + 1, op_session(ZAB_OP_CREATE_SESSION, 5, 1), NULL, NULL),
                    ZAB_OK);
    GArray *s = g_array_new(FALSE, FALSE, sizeof(struct zab_session_entry));
    zab_tree_sessions(t, s);
    CU_ASSERT_EQUAL(s->len, ZAB_TREE_MAX_SESSIONS);
    CU_ASSERT_EQUAL(g_array_index(s, struct zab_session_entry, 0).session, 1);
    CU_ASSERT_EQUAL(g_array_index(s, struct zab_session_entry, s->len - 1).session,
                    ZAB_TREE_MAX_SESSIONS);
    g_array_free(s, TRUE);
    /* Closing one makes room. */
    CU_ASSERT_EQUAL(submit(t, z + 2, op_session(ZAB_OP_CLOSE_SESSION, 1, 0), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, z + 3, op_session(ZAB_OP_CREATE_SESSION, z, 1), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_TRUE(zab_tree_session_open(t, z));
    zab_tree_free(t);
}

/* The node bound is 2^20: reached with names made of a counter under a few parents (each
 * parent short so the full path fits). */
static void test_zab_tree_node_limit(void)
{
    struct zab_tree *t = zab_tree_new();
    enum zab_err err = ZAB_OK;
    int64_t zxid = 0;
    char path[ZAB_PATH_MAX];
    for (int p = 0; p < 16 && err == ZAB_OK; p++) {
        g_snprintf(path, sizeof path, "/p%d", p);
        struct zab_op op = op_create(path, 0, 0, 0);
        err = zab_tree_apply(t, ++zxid, &op, NULL);
    }
    for (uint32_t i = 0; err == ZAB_OK; i++) {
        g_snprintf(path, sizeof path, "/p%u/%u", i % 16, i);
        struct zab_op op = op_create(path, 0, 0, 0);
        err = zab_tree_apply(t, ++zxid, &op, NULL);
    }
    CU_ASSERT_EQUAL(err, ZAB_ERR_LIMIT);
    CU_ASSERT_EQUAL(zab_tree_node_count(t), ZAB_TREE_MAX_NODES);
    CU_ASSERT_EQUAL(prep_err(t, op_create("/x", 0, 0, 0)), ZAB_ERR_LIMIT);
    CU_ASSERT_EQUAL(prep_err(t, op_create("/q-", ZAB_CREATE_SEQUENTIAL, 0, 0)), ZAB_ERR_LIMIT);
    /* Other errors still come first, and a delete makes room. */
    CU_ASSERT_EQUAL(prep_err(t, op_create("/p0", 0, 0, 0)), ZAB_ERR_NODEEXISTS);
    CU_ASSERT_EQUAL(submit(t, ++zxid, op_delete("/p0/0", -1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, ++zxid, op_create("/x", 0, 0, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_node_count(t), ZAB_TREE_MAX_NODES);
    zab_tree_free(t);
}

static void test_zab_tree_path_rules(void)
{
    struct zab_tree *t = zab_tree_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_create("/a", 0, 0, 0), NULL, NULL), ZAB_OK);
    const char *malformed[] = { "", "a", "a/b", "/a/", "//a", "/a//b", "/a/.", "/a/..",
                                "/.", "/a/b\x01", "/a\x7f" };
    for (size_t i = 0; i < G_N_ELEMENTS(malformed); i++) {
        if (prep_err(t, op_create(malformed[i], 0, 0, 0)) != ZAB_ERR_NONODE)
            fprintf(stderr, "\ncreate \"%s\" was not refused with NoNode\n", malformed[i]);
        CU_ASSERT_EQUAL(prep_err(t, op_create(malformed[i], 0, 0, 0)), ZAB_ERR_NONODE);
        CU_ASSERT_EQUAL(prep_err(t, op_delete(malformed[i], -1)), ZAB_ERR_NONODE);
        CU_ASSERT_EQUAL(prep_err(t, op_set(malformed[i], 0, -1)), ZAB_ERR_NONODE);
        CU_ASSERT_EQUAL(zab_tree_stat(t, malformed[i], true, 1, true, NULL), ZAB_ERR_NONODE);
    }
    /* Names that merely contain dots are fine. */
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/a/.x", 0, 0, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 3, op_create("/a/...", 0, 0, 0), NULL, NULL), ZAB_OK);

    /* The longest path fits (ZAB_PATH_MAX - 1 characters); one more is a limit. */
    char longest[ZAB_PATH_MAX];
    memset(longest, 'x', sizeof longest);
    longest[0] = '/';
    longest[ZAB_PATH_MAX - 1] = '\0';
    CU_ASSERT_EQUAL(submit(t, 4, op_create(longest, 0, 0, 0), NULL, NULL), ZAB_OK);
    CU_ASSERT_TRUE(exists(t, longest));
    struct zab_op unterminated = op_create("/", 0, 0, 0);
    memset(unterminated.path, 'y', sizeof unterminated.path);
    unterminated.path[0] = '/';
    CU_ASSERT_EQUAL(prep_err(t, unterminated), ZAB_ERR_LIMIT);
    CU_ASSERT_EQUAL(zab_tree_apply(t, 5, &unterminated, NULL), ZAB_ERR_LIMIT);
    unterminated.kind = ZAB_OP_DELETE;
    CU_ASSERT_EQUAL(prep_err(t, unterminated), ZAB_ERR_LIMIT);
    unterminated.kind = ZAB_OP_SET_DATA;
    CU_ASSERT_EQUAL(prep_err(t, unterminated), ZAB_ERR_LIMIT);

    /* The sequential suffix must fit too: 29 + 10 characters do, 30 + 10 do not. */
    char base[ZAB_PATH_MAX];
    memset(base, 'q', sizeof base);
    base[0] = '/';
    base[ZAB_PATH_MAX - 1 - 10] = '\0';
    struct zab_op tx;
    CU_ASSERT_EQUAL(submit(t, 6, op_create(base, ZAB_CREATE_SEQUENTIAL, 0, 0), NULL, &tx),
                    ZAB_OK);
    CU_ASSERT_EQUAL(strlen(tx.path), ZAB_PATH_MAX - 1);
    base[ZAB_PATH_MAX - 1 - 10] = 'q';
    base[ZAB_PATH_MAX - 10] = '\0';
    CU_ASSERT_EQUAL(submit(t, 7, op_create(base, ZAB_CREATE_SEQUENTIAL, 0, 0), NULL, &tx),
                    ZAB_ERR_LIMIT);
    CU_ASSERT_EQUAL(tx.kind, ZAB_OP_ERROR);
    /* A missing parent is reported before the length. */
    CU_ASSERT_EQUAL(prep_err(t, op_create("/nope/aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                          ZAB_CREATE_SEQUENTIAL, 0, 0)),
                    ZAB_ERR_NONODE);
    CU_ASSERT_EQUAL(zab_tree_node_count(t), 6);
    zab_tree_free(t);
}

static void test_zab_tree_copy_is_independent_and_unwatched(void)
{
    struct zab_tree *t = zab_tree_new();
    GArray *fired = fired_new();
    CU_ASSERT_EQUAL(submit(t, 1, op_session(ZAB_OP_CREATE_SESSION, 4, 100), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 2, op_create("/a", 0, 0, 1), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 3, op_create("/a/e", ZAB_CREATE_EPHEMERAL, 4, 2), NULL, NULL),
                    ZAB_OK);
    CU_ASSERT_EQUAL(submit(t, 4, op_create("/a/p", 0, 0, 3), NULL, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_stat(t, "/a", false, 1, true, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(zab_tree_children(t, "/a", 2, true, NULL), ZAB_OK);
    char *orig = dump(t, "/", NULL);

    struct zab_tree *c = zab_tree_copy(t);
    char *copied = dump(c, "/", NULL);
    CU_ASSERT_STRING_EQUAL(orig, copied);
    /* The copy's changes fire nothing (no watches) and stay in the copy. */
    CU_ASSERT_EQUAL(submit(c, 5, op_set("/a", 9, -1), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(c, 6, op_session(ZAB_OP_CLOSE_SESSION, 4, 0), fired, NULL), ZAB_OK);
    CU_ASSERT_EQUAL(submit(c, 7, op_create("/a/n", 0, 0, 0), fired, NULL), ZAB_OK);
    ASSERT_NONE_FIRED(fired);
    CU_ASSERT_FALSE(exists(c, "/a/e"));
    ASSERT_CHILDREN(c, "/a", "n,p");
    char *now = dump(t, "/", NULL);
    CU_ASSERT_STRING_EQUAL(orig, now);
    ASSERT_CHILDREN(t, "/a", "e,p");
    CU_ASSERT_TRUE(zab_tree_session_open(t, 4));
    /* And the original's watches are still there. */
    CU_ASSERT_EQUAL(submit(t, 5, op_session(ZAB_OP_CLOSE_SESSION, 4, 0), fired, NULL), ZAB_OK);
    ASSERT_FIRED(fired, { 2, ZAB_EVENT_NODE_CHILDREN_CHANGED, "/a" });
    zab_tree_free(c);
    g_free(orig);
    g_free(copied);
    g_free(now);
    g_array_free(fired, TRUE);
    zab_tree_free(t);
}

void test_register(void)
{
    TEST_SUITE("zab_tree", TEST(test_zab_tree_root_always_exists),
               TEST(test_zab_tree_create_sets_stat_and_parent),
               TEST(test_zab_tree_sequential_names_follow_cversion),
               TEST(test_zab_tree_prep_on_prepared_copy_numbers_consecutively),
               TEST(test_zab_tree_create_errors),
               TEST(test_zab_tree_ephemeral_of_closed_session_expires),
               TEST(test_zab_tree_versions_are_compare_and_set),
               TEST(test_zab_tree_delete_needs_no_children),
               TEST(test_zab_tree_close_session_deletes_ephemerals_in_path_order),
               TEST(test_zab_tree_exists_watch_fires_on_create),
               TEST(test_zab_tree_get_data_of_missing_node_leaves_no_watch),
               TEST(test_zab_tree_watches_fire_once),
               TEST(test_zab_tree_watchers_fire_in_increasing_id),
               TEST(test_zab_tree_delete_tells_each_watcher_once),
               TEST(test_zab_tree_forget_watcher),
               TEST(test_zab_tree_message_and_error_change_nothing),
               TEST(test_zab_tree_children_are_sorted),
               TEST(test_zab_tree_sessions_are_sorted),
               TEST(test_zab_tree_session_limit),
               TEST(test_zab_tree_node_limit),
               TEST(test_zab_tree_path_rules),
               TEST(test_zab_tree_copy_is_independent_and_unwatched));
}
