/* test_ps_subject.c: NATS subject rules (docs/pubsub-model.md, "Subjects"): validation, pattern
 * matching, and the sublist trie that the broker matches with, checked against the pattern matcher.
 */
#include "protocol/pubsub/ps_sublist.h"
#include "protocol/pubsub/pubsub.h"
#include "tests/harness.h"

#include <string.h>

struct validity_case {
    const char *subject;
    bool as_subscription; /* valid with wildcards allowed */
    bool as_publish;      /* valid as a literal publish subject */
};

static const struct validity_case validity_table[] = {
    { "foo", true, true },
    { "foo.bar.baz", true, true },
    { "users.signup", true, true },
    { "$SYS.ACCOUNT", true, true },          /* reserved by convention only */
    { "_INBOX.abc", true, true },
    { "a-b_c.D9", true, true },
    { "foo*", true, true },                  /* '*' inside a token is a literal */
    { "a.b>", true, true },                  /* so is '>' */
    { "*.>", true, false },
    { "*", true, false },
    { ">", true, false },
    { "foo.*", true, false },
    { "foo.>", true, false },
    { "*.*.east.>", true, false },
    { "foo.*.bar", true, false },
    { "", false, false },                    /* empty subject */
    { ".", false, false },
    { ".foo", false, false },                /* leading dot: empty first token */
    { "foo.", false, false },                /* trailing dot */
    { "foo..bar", false, false },            /* empty token in the middle */
    { "foo bar", false, false },             /* whitespace */
    { "foo.\tbar", false, false },
    { "foo\r", false, false },
    { "foo\n.bar", false, false },
    { "foo\f", false, false },
    { ">.foo", false, false },               /* '>' must be last */
    { "foo.>.bar", false, false },
    { "foo.>.>", false, false },
};

static void test_ps_subject_validity_table(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(validity_table); i++) {
        const struct validity_case *c = &validity_table[i];
        if (ps_subject_valid(c->subject, true) != c->as_subscription ||
            ps_subject_valid(c->subject, false) != c->as_publish)
            fprintf(stderr, "validity mismatch for \"%s\"\n", c->subject);
        CU_ASSERT_EQUAL(ps_subject_valid(c->subject, true), c->as_subscription);
        CU_ASSERT_EQUAL(ps_subject_valid(c->subject, false), c->as_publish);
    }
    CU_ASSERT_FALSE(ps_subject_valid(NULL, true));
}

struct match_case {
    const char *pattern;
    const char *literal;
    bool match;
};

static const struct match_case match_table[] = {
    { "foo", "foo", true },
    { "foo", "bar", false },
    { "foo", "foo.bar", false },
    { "foo.bar", "foo", false },
    { "Foo", "foo", false },                  /* case-sensitive */
    { "foo.*", "foo.bar", true },
    { "foo.*", "foo", false },                /* '*' is exactly one token */
    { "foo.*", "foo.bar.baz", false },
    { "*", "foo", true },
    { "*", "foo.bar", false },
    { "*.bar", "foo.bar", true },
    { "*.bar", "foo.baz", false },
    { "foo.>", "foo.bar", true },
    { "foo.>", "foo.bar.baz", true },
    { "foo.>", "foo", false },                /* '>' needs at least one more token */
    { ">", "foo", true },
    { ">", "foo.bar.baz", true },
    { "*.*.east.>", "time.us.east.atlanta", true },
    { "*.*.east.>", "time.us.east", false },
    { "*.*.east.>", "time.us.west.atlanta", false },
    { "*.>", "a", false },
    { "*.>", "a.b", true },
    { "foo*", "foo*", true },                 /* literal token, matched literally */
    { "foo*", "foobar", false },
    { "a.b>", "a.b>", true },
    { "a.b>", "a.bc", false },
    { "users.*", "users.signup", true },
};

static void test_ps_subject_match_table(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(match_table); i++) {
        const struct match_case *c = &match_table[i];
        if (ps_subject_matches(c->pattern, c->literal) != c->match)
            fprintf(stderr, "match mismatch for \"%s\" ~ \"%s\"\n", c->pattern, c->literal);
        CU_ASSERT_EQUAL(ps_subject_matches(c->pattern, c->literal), c->match);
    }
}

/* Every pattern of the match table in one sublist: a literal's match result must be
 * exactly the patterns ps_subject_matches accepts, each once. */
static void test_ps_sublist_agrees_with_matcher(void)
{
    struct ps_sublist *sl = ps_sublist_new();
    size_t n = G_N_ELEMENTS(match_table);
    struct ps_sub **subs = g_new(struct ps_sub *, n);
    for (size_t i = 0; i < n; i++) {
        subs[i] = ps_sub_new(match_table[i].pattern, NULL, 1, (uint32_t)i, -1, NULL);
        ps_sublist_insert(sl, subs[i]);
    }
    CU_ASSERT_EQUAL(ps_sublist_count(sl), n);
    for (size_t i = 0; i < n; i++) {
        const char *literal = match_table[i].literal;
        const struct ps_match *m = ps_sublist_match(sl, literal);
        guint expected = 0;
        for (size_t j = 0; j < n; j++)
            expected += ps_subject_matches(subs[j]->subject, literal);
        CU_ASSERT_EQUAL(m->plain->len, expected);
        for (guint k = 0; k < m->plain->len; k++) {
            const struct ps_sub *s = g_ptr_array_index(m->plain, k);
            CU_ASSERT_TRUE(ps_subject_matches(s->subject, literal));
        }
        CU_ASSERT_EQUAL(m->groups->len, 0);
    }
    for (size_t i = 0; i < n; i++) {
        ps_sublist_remove(sl, subs[i]);
        ps_sub_free(subs[i]);
    }
    CU_ASSERT_EQUAL(ps_sublist_count(sl), 0);
    CU_ASSERT_EQUAL(ps_sublist_match(sl, "foo.bar")->plain->len, 0);
    g_free(subs);
    ps_sublist_free(sl);
}

/* Overlapping plain subscriptions each match (two copies, docs/pubsub-model.md, "Publish
 * path"); queue members of one name merge across patterns into one group with summed weights. */
static void test_ps_sublist_groups_queue_members_by_name(void)
{
    struct ps_sublist *sl = ps_sublist_new();
    struct ps_sub *plain_star = ps_sub_new("a.*", NULL, 1, 1, -1, NULL);
    struct ps_sub *plain_gt = ps_sub_new("a.>", NULL, 1, 2, -1, NULL);
    struct ps_sub *q1 = ps_sub_new("a.*", "workers", 1, 3, -1, NULL);
    struct ps_sub *q2 = ps_sub_new("a.b", "workers", 3, 0, 2, NULL); /* route, weight 3 */
    struct ps_sub *q3 = ps_sub_new("a.>", "audit", 1, 4, -1, NULL);
    struct ps_sub *all[] = { plain_star, plain_gt, q1, q2, q3 };
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        ps_sublist_insert(sl, all[i]);
    const struct ps_match *m = ps_sublist_match(sl, "a.b");
    CU_ASSERT_EQUAL(m->plain->len, 2);
    CU_ASSERT_EQUAL(m->groups->len, 2);
    for (guint i = 0; i < m->groups->len; i++) {
        const struct ps_match_group *g = &g_array_index(m->groups, struct ps_match_group, i);
        if (strcmp(g->name, "workers") == 0) {
            CU_ASSERT_EQUAL(g->members->len, 2);
            CU_ASSERT_EQUAL(g->total_weight, 4);
        } else {
            CU_ASSERT_STRING_EQUAL(g->name, "audit");
            CU_ASSERT_EQUAL(g->members->len, 1);
        }
    }
    m = ps_sublist_match(sl, "a.c.d");
    CU_ASSERT_EQUAL(m->plain->len, 1); /* only a.> */
    CU_ASSERT_EQUAL(m->groups->len, 1);
    /* Removing one member keeps the other; removing a sub twice is harmless. */
    ps_sublist_remove(sl, q1);
    ps_sublist_remove(sl, q1);
    m = ps_sublist_match(sl, "a.b");
    CU_ASSERT_EQUAL(m->groups->len, 2);
    CU_ASSERT_EQUAL(ps_sublist_count(sl), 4);
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
        ps_sublist_remove(sl, all[i]);
        ps_sub_free(all[i]);
    }
    CU_ASSERT_EQUAL(ps_sublist_count(sl), 0);
    ps_sublist_free(sl);
}

void test_register(void)
{
    TEST_SUITE("ps_subject", TEST(test_ps_subject_validity_table),
               TEST(test_ps_subject_match_table), TEST(test_ps_sublist_agrees_with_matcher),
               TEST(test_ps_sublist_groups_queue_members_by_name));
}
