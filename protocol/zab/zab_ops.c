/* zab_ops.c: the run's pool of data-model operations (zab.h). */
#include "protocol/zab/zab.h"

#include <glib.h>

struct zab_op_pool {
    GArray *ops; /* struct zab_op, id - 1 */
};

struct zab_op_pool *zab_op_pool_new(void)
{
    struct zab_op_pool *pool = g_new0(struct zab_op_pool, 1);
    pool->ops = g_array_new(FALSE, FALSE, sizeof(struct zab_op));
    return pool;
}

void zab_op_pool_free(struct zab_op_pool *pool)
{
    if (!pool)
        return;
    g_array_free(pool->ops, TRUE);
    g_free(pool);
}

uint32_t zab_op_pool_add(struct zab_op_pool *pool, const struct zab_op *op)
{
    ZS_ASSERT(pool->ops->len < UINT32_MAX);
    g_array_append_val(pool->ops, *op);
    return pool->ops->len;
}

const struct zab_op *zab_op_pool_get(const struct zab_op_pool *pool, uint32_t id)
{
    ZS_ASSERT(id >= 1 && id <= pool->ops->len);
    return &g_array_index(pool->ops, struct zab_op, id - 1);
}
