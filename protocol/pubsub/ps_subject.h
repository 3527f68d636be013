/* ps_subject.h: splitting a subject into its tokens, shared by validation, matching and the
 * sublist (ps_sublist.c). Validation and matching themselves are public (pubsub.h).
 *
 * A split works on a private copy with the dots replaced by NULs, so each token is a C
 * string; short subjects (the common case) need no heap allocation. */
#ifndef PROTOCOL_PUBSUB_PS_SUBJECT_H
#define PROTOCOL_PUBSUB_PS_SUBJECT_H

#include "protocol/pubsub/pubsub.h"

#define PS_TOKENS_INLINE 16
#define PS_SUBJECT_INLINE 128

struct ps_tokens {
    uint32_t count;
    const char **tok; /* count tokens; an empty token is "" */
    const char *tok_inline[PS_TOKENS_INLINE];
    char *buf;
    char buf_inline[PS_SUBJECT_INLINE];
};

/* Splits subject on '.'; "" and "a..b" give empty tokens (the caller validates). */
void ps_tokens_split(struct ps_tokens *t, const char *subject);
void ps_tokens_clear(struct ps_tokens *t);

static inline bool ps_token_is_star(const char *tok)
{
    return tok[0] == '*' && tok[1] == '\0';
}

static inline bool ps_token_is_gt(const char *tok)
{
    return tok[0] == '>' && tok[1] == '\0';
}

#endif
