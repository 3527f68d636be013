/* ps_subject.c: subject syntax and wildcard matching (docs/pubsub-model.md, Subjects, after
 * nats-server sublist.go isValidSubject and matchLiteral).
 *
 * Not here: the subscription trie (ps_sublist.c), which uses the same tokens. */
#include "protocol/pubsub/ps_subject.h"

#include <string.h>

void ps_tokens_split(struct ps_tokens *t, const char *subject)
{
    size_t len = strlen(subject);
    t->buf = len < sizeof t->buf_inline ? t->buf_inline : g_malloc(len + 1);
    memcpy(t->buf, subject, len + 1);
    uint32_t count = 1;
    for (size_t i = 0; i < len; i++)
        count += subject[i] == '.';
    t->tok = count <= PS_TOKENS_INLINE ? t->tok_inline : g_new(const char *, count);
    t->count = count;
    uint32_t n = 0;
    t->tok[n++] = t->buf;
    for (size_t i = 0; i < len; i++) {
        if (t->buf[i] == '.') {
            t->buf[i] = '\0';
            t->tok[n++] = t->buf + i + 1;
        }
    }
}

void ps_tokens_clear(struct ps_tokens *t)
{
    if (t->buf != t->buf_inline)
        g_free(t->buf);
    if (t->tok != t->tok_inline)
        g_free(t->tok);
    t->buf = NULL;
    t->tok = NULL;
    t->count = 0;
}

/* NATS rejects space, tab, CR, LF and form feed inside a token (sublist.go). */
static bool token_has_whitespace(const char *tok)
{
    return strpbrk(tok, " \t\r\n\f") != NULL;
}

bool ps_subject_valid(const char *subject, bool allow_wildcards)
{
    if (!subject || !subject[0])
        return false;
    struct ps_tokens t;
    ps_tokens_split(&t, subject);
    bool valid = true;
    for (uint32_t i = 0; i < t.count && valid; i++) {
        const char *tok = t.tok[i];
        bool wildcard = ps_token_is_star(tok) || ps_token_is_gt(tok);
        if (!tok[0] || token_has_whitespace(tok))
            valid = false;
        else if (wildcard && !allow_wildcards)
            valid = false; /* publish subjects must be literal */
        else if (ps_token_is_gt(tok) && i + 1 != t.count)
            valid = false; /* '>' only as the last token */
    }
    ps_tokens_clear(&t);
    return valid;
}

bool ps_subject_matches(const char *pattern, const char *literal)
{
    struct ps_tokens p, l;
    ps_tokens_split(&p, pattern);
    ps_tokens_split(&l, literal);
    bool match = true;
    uint32_t i = 0;
    for (; i < p.count && match; i++) {
        if (ps_token_is_gt(p.tok[i])) {
            match = l.count > i; /* '>' needs at least one more token */
            i = l.count;
            break;
        }
        match = i < l.count && (ps_token_is_star(p.tok[i]) || strcmp(p.tok[i], l.tok[i]) == 0);
    }
    match = match && i == l.count;
    ps_tokens_clear(&p);
    ps_tokens_clear(&l);
    return match;
}
