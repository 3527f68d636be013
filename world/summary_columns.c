/* summary_columns.c: the list in summary_columns.h. */
#include "world/summary_columns.h"

#include <string.h>

const struct summary_column summary_columns[] = {
    { "submitted", "submitted (operations)", SUMMARY_COUNT, 0 },
    { "acked", "acked (ok)", SUMMARY_COUNT, 0 },
    { "failed", "failed (refused)", SUMMARY_COUNT, 0 },
    { "unknown", "unknown (timed out or pending)", SUMMARY_COUNT, 0 },
    { "delivered", "delivered (distinct messages)", SUMMARY_COUNT, 0 },
    { "lost", "lost (acked x host up at end, never delivered)", SUMMARY_COUNT, 0 },
    { "lost_in_transit", "in transit (receiver was up)", SUMMARY_COUNT, 1 },
    { "missed_while_down", "missed while receiver down", SUMMARY_COUNT, 1 },
    { "duplicates", "duplicates", SUMMARY_COUNT, 0 },
    { "order_disagreements", "order disagreements", SUMMARY_COUNT, 0 },
    { "ack_p50_ns", "ack latency p50", SUMMARY_DURATION, 0 },
    { "ack_p99_ns", "ack latency p99", SUMMARY_DURATION, 0 },
    { "ack_max_ns", "ack latency max", SUMMARY_DURATION, 0 },
    { "delivery_p50_ns", "delivery latency p50 (hosts up)", SUMMARY_DURATION, 0 },
    { "delivery_p99_ns", "delivery latency p99 (hosts up)", SUMMARY_DURATION, 0 },
    { "delivery_max_ns", "delivery latency max (hosts up)", SUMMARY_DURATION, 0 },
    { "restarts", "restarts (catch-ups)", SUMMARY_COUNT, 0 },
    { "catchup_max_ns", "catch-up max", SUMMARY_DURATION, 1 },
    { "never_caught_up", "never caught up", SUMMARY_COUNT, 1 },
    { "unavailable_ns", "unavailable (to clients)", SUMMARY_DURATION, 0 },
    { "leader_changes", "leader changes", SUMMARY_COUNT, 0 },
};

const size_t summary_columns_count = sizeof summary_columns / sizeof summary_columns[0];

const struct summary_column *summary_column_find(const char *name)
{
    for (size_t i = 0; i < summary_columns_count; i++) {
        if (strcmp(summary_columns[i].name, name) == 0)
            return &summary_columns[i];
    }
    return NULL;
}
