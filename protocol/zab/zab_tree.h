/* zab_tree.h: ZooKeeper's data tree as a pure value: znodes (persistent, ephemeral,
 * sequential), the committed session table, and one-shot watches.
 *
 * Three uses, after ZooKeeper 3.9 (DataTree, PrepRequestProcessor, WatchManager):
 *   - every server applies each committed transaction, in zxid order, to its own tree
 *     (zab_tree_apply); the watches that transaction fires come back in the order the
 *     server must send them;
 *   - the leader prepares each client request against a second tree that already holds
 *     every transaction it has proposed (ZooKeeper's outstandingChanges): zab_tree_prep
 *     turns a request into the transaction to propose (a sequential name resolved, a bad
 *     version or missing parent turned into an error transaction), and the leader applies
 *     that transaction to its prepared tree at once;
 *   - reads (zab_tree_stat, zab_tree_children) answer from the server's applied tree, and may
 *     leave a watch for the connection that asked.
 * Nothing here reads a clock or draws randomness; every list it returns is sorted, so a run
 * never depends on hash-table order. docs/zab-model.md, "Data model", says what is modelled.
 *
 * Paths are absolute: "/" or slash-separated names, none empty, "." or "..", without control
 * characters or a trailing slash, at most ZAB_PATH_MAX - 1 characters. ZooKeeper answers a
 * malformed path with BadArguments, which this subset lacks: here a malformed path is
 * ZAB_ERR_NONODE (no such node can exist), one too long (not terminated within
 * ZAB_PATH_MAX, or pushed past it by the sequential suffix) is ZAB_ERR_LIMIT, and deleting
 * "/" is ZAB_ERR_NONODE. A read of such a path answers NoNode and leaves no watch. Unlike
 * ZooKeeper, the tree has no "/zookeeper" node. Session ids are never 0 (0 is the owner of a
 * persistent node): a CREATE_SESSION of 0 is refused with ZAB_ERR_SESSIONEXPIRED. */
#ifndef PROTOCOL_ZAB_TREE_H
#define PROTOCOL_ZAB_TREE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Longest path, terminating NUL included ("/election/n-0000000001" is 23). */
#define ZAB_PATH_MAX 40
/* Znodes one tree holds. A create beyond it is refused with ZAB_ERR_LIMIT (a recipe run
 * makes a few per client and second; the bound catches a runaway, it is never reached). */
#define ZAB_TREE_MAX_NODES (1u << 20)
/* Open sessions one tree holds; a createSession beyond it is refused with ZAB_ERR_LIMIT. */
#define ZAB_TREE_MAX_SESSIONS (1u << 16)

/* What a transaction does. ZAB_OP_MESSAGE is the workload's write (a message id, nothing
 * in the tree): it keeps the tree untouched, so runs without recipes are what they were. */
enum zab_op_kind {
    ZAB_OP_MESSAGE = 0,
    ZAB_OP_CREATE_SESSION, /* session, timeout_ns */
    ZAB_OP_CLOSE_SESSION,  /* session: its ephemerals go with it */
    ZAB_OP_CREATE,         /* path (final name), flags, data, session (ephemeral owner) */
    ZAB_OP_DELETE,         /* path, version (-1: any) */
    ZAB_OP_SET_DATA,       /* path, data, version (-1: any) */
    ZAB_OP_ERROR,          /* err: a request the leader refused, answered in zxid order */
    ZAB_OP_KIND_COUNT
};

/* ZooKeeper's KeeperException codes (a subset). */
enum zab_err {
    ZAB_OK = 0,
    ZAB_ERR_NONODE = -101,
    ZAB_ERR_BADVERSION = -103,
    ZAB_ERR_NOCHILDRENFOREPHEMERALS = -108,
    ZAB_ERR_NODEEXISTS = -110,
    ZAB_ERR_NOTEMPTY = -111,
    ZAB_ERR_SESSIONEXPIRED = -112,
    ZAB_ERR_LIMIT = -200, /* zabsim's own: a bound above was reached */
};

/* create flags */
#define ZAB_CREATE_EPHEMERAL 1u
#define ZAB_CREATE_SEQUENTIAL 2u

/* A request (what the client asked) or a transaction (what the leader proposed). Plain
 * data: copied into the log and onto the wire; zero every byte before filling it. */
struct zab_op {
    uint8_t kind;        /* enum zab_op_kind */
    uint8_t flags;       /* ZAB_CREATE_* */
    int16_t err;         /* ZAB_OP_ERROR: enum zab_err */
    int32_t version;     /* DELETE, SET_DATA: expected data version, -1 for any */
    int32_t cxid;        /* the client's request number (TxnHeader.cxid); 0 for none */
    int32_t reserved;    /* zero */
    int64_t session;     /* CREATE (ephemeral owner, or the requester), *_SESSION */
    int64_t data;        /* CREATE, SET_DATA: the node's value; CREATE_SESSION: timeout_ns */
    char path[ZAB_PATH_MAX];
};

struct zab_stat {
    int64_t czxid, mzxid, pzxid;
    int32_t version, cversion;
    int64_t ephemeral_owner; /* 0: not ephemeral */
    int32_t num_children;
    int64_t data;
};

/* Watch event types (Watcher.Event.EventType). */
enum zab_watch_event {
    ZAB_EVENT_NODE_CREATED = 1,
    ZAB_EVENT_NODE_DELETED = 2,
    ZAB_EVENT_NODE_DATA_CHANGED = 3,
    ZAB_EVENT_NODE_CHILDREN_CHANGED = 4,
};

enum zab_watch_kind {
    ZAB_WATCH_DATA = 1,  /* getData, exists */
    ZAB_WATCH_CHILD = 2, /* getChildren */
};

/* A watch that fired: tell watcher (a connection id) that path saw event. */
struct zab_fired {
    uint64_t watcher;
    enum zab_watch_event event;
    char path[ZAB_PATH_MAX];
};

struct zab_tree;

/* An empty tree: "/" only, no sessions, no watches. */
struct zab_tree *zab_tree_new(void);
void zab_tree_free(struct zab_tree *t);
/* A copy of nodes and sessions, without watches (the leader's prepared tree). */
struct zab_tree *zab_tree_copy(const struct zab_tree *t);

/* The transaction that request `req` becomes at zxid, against t (which holds every
 * transaction proposed before it), into *txn: CREATE with the sequential suffix
 * ("%010d" of the parent's cversion) appended to the path, or ZAB_OP_ERROR with the code
 * ZooKeeper's PrepRequestProcessor gives (NoNode for a missing parent or node,
 * NodeExists, BadVersion, NotEmpty, NoChildrenForEphemerals; SessionExpired for an
 * ephemeral create whose session is not open in t, checked first as ZooKeeper does; the
 * path rules above). An ERROR transaction keeps the request's other fields. CREATE_SESSION,
 * CLOSE_SESSION, MESSAGE and ERROR pass through unchanged. Does not change t; txn may be
 * req. */
void zab_tree_prep(const struct zab_tree *t, const struct zab_op *req, struct zab_op *txn);

/* Applies committed transaction txn at zxid (DataTree.processTxn): CREATE adds the node
 * at txn->path as given (czxid = mzxid = pzxid = zxid; parent's cversion + 1, its pzxid =
 * zxid), DELETE removes it (parent's pzxid = zxid; its cversion stays, as in ZooKeeper
 * since ZOOKEEPER-1046, so cversion counts creates and a sequential number never repeats),
 * SET_DATA bumps version and sets mzxid, CREATE_SESSION opens the session (an open one
 * stays as it is, ZAB_OK; beyond ZAB_TREE_MAX_SESSIONS, ZAB_ERR_LIMIT), CLOSE_SESSION
 * deletes the session's ephemerals in path (strcmp) order, each as a DELETE, then forgets
 * the session (ZAB_OK even when it was not open). Returns ZAB_OK or the error the operation
 * met in this tree, having changed nothing (the same checks as zab_tree_prep, re-made at
 * apply as DataTree does); ERROR returns its err, MESSAGE ZAB_OK, and both change nothing.
 * The watches it fires are appended to fired (struct zab_fired; NULL: fired and dropped),
 * in ZooKeeper's order for each node touched: CREATE, the node's data watchers
 * (NODE_CREATED) then the parent's child watchers (NODE_CHILDREN_CHANGED); DELETE, the
 * node's data and child watchers together, one NODE_DELETED per watcher (WatchManager
 * suppresses the second), then the parent's child watchers; SET_DATA, the node's data
 * watchers. Watchers in increasing id within each group; each watch fires once and is
 * removed. */
enum zab_err zab_tree_apply(struct zab_tree *t, int64_t zxid, const struct zab_op *txn,
                            GArray *fired);

/* getData / exists: ZAB_OK and *stat, or ZAB_ERR_NONODE. With watch, leaves a data watch
 * for watcher on path; exists watches a missing node too (it fires NodeCreated), getData
 * does not (ZooKeeper: a getData of a missing node leaves no watch). */
enum zab_err zab_tree_stat(struct zab_tree *t, const char *path, bool exists_call,
                           uint64_t watcher, bool watch, struct zab_stat *stat);
/* getChildren: the children's names (not full paths), sorted, appended to names (GPtrArray
 * of g_strdup'ed strings, the caller frees them). NoNode for a missing path; with watch and
 * an existing node, a child watch for watcher. */
enum zab_err zab_tree_children(struct zab_tree *t, const char *path, uint64_t watcher,
                               bool watch, GPtrArray *names);
/* Drops every watch watcher left (its connection closed). */
void zab_tree_forget_watcher(struct zab_tree *t, uint64_t watcher);

/* The open sessions and their timeouts, in increasing id (the new leader's tracker). */
struct zab_session_entry {
    int64_t session;
    int64_t timeout_ns;
};
void zab_tree_sessions(const struct zab_tree *t, GArray *out);
bool zab_tree_session_open(const struct zab_tree *t, int64_t session);
/* Number of znodes, "/" included. */
uint32_t zab_tree_node_count(const struct zab_tree *t);

#endif
