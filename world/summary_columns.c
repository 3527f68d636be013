/* summary_columns.c: the list in summary_columns.h. */
#include "world/summary_columns.h"

#include "world/units.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

void summary_format_value(int64_t v, bool present, enum summary_unit unit, char *buf,
                          size_t len)
{
    if (!present)
        g_strlcpy(buf, "-", len);
    else if (unit == SUMMARY_DURATION)
        units_format_duration_short(v, buf, len);
    else
        g_snprintf(buf, len, "%" PRId64, v);
}

const struct summary_column summary_columns[SUMMARY_COLUMNS_COUNT] = {
    { "submitted", "submitted (operations)", SUMMARY_COUNT, 0,
      "operations clients invoked: messages offered", false },
    { "acked", "acked (ok)", SUMMARY_COUNT, 0,
      "the client was told its message was taken (a write committed, a publish accepted)",
      false },
    { "failed", "failed (refused)", SUMMARY_COUNT, 0,
      "the client was told its message was refused: it did not take effect", false },
    { "unknown", "unknown (timed out or pending)", SUMMARY_COUNT, 0,
      "no answer in time, or none by the end: it may or may not have taken effect", false },
    { "delivered", "delivered (distinct messages)", SUMMARY_COUNT, 0,
      "distinct messages delivered at some host", false },
    { "lost", "lost (acked x host up at end, never delivered)", SUMMARY_COUNT, 0,
      "pairs (acked message, host up at the end) where the host never delivered it in any "
      "incarnation", true },
    { "lost_in_transit", "in transit (receiver was up)", SUMMARY_COUNT, 1,
      "of those: the host's receiver was up when the message was submitted", true },
    { "missed_while_down", "missed while receiver down", SUMMARY_COUNT, 1,
      "of those: the host's receiver was down when the message was submitted", true },
    { "duplicates", "duplicates", SUMMARY_COUNT, 0,
      "deliveries of a message a host incarnation already had", true },
    { "redeliveries", "redeliveries", SUMMARY_COUNT, 0,
      "deliveries of a message a host already had in any incarnation, replays not counted",
      false },
    { "order_disagreements", "order disagreements", SUMMARY_COUNT, 0,
      "pairs of messages two hosts delivered in opposite orders", true },
    { "ack_p50_ns", "ack latency p50", SUMMARY_DURATION, 0,
      "submission to the client's acknowledgement", false },
    { "ack_p99_ns", "ack latency p99", SUMMARY_DURATION, 0,
      "submission to the client's acknowledgement", false },
    { "ack_max_ns", "ack latency max", SUMMARY_DURATION, 0,
      "submission to the client's acknowledgement", false },
    { "delivery_p50_ns", "delivery latency p50 (hosts up)", SUMMARY_DURATION, 0,
      "submission to delivery, at hosts already up when it was submitted", false },
    { "delivery_p99_ns", "delivery latency p99 (hosts up)", SUMMARY_DURATION, 0,
      "submission to delivery, at hosts already up when it was submitted", false },
    { "delivery_max_ns", "delivery latency max (hosts up)", SUMMARY_DURATION, 0,
      "submission to delivery, at hosts already up when it was submitted", false },
    { "restarts", "restarts (catch-ups)", SUMMARY_COUNT, 0,
      "host restarts, in a model that replays its history to a restarted host ('-': one "
      "that has no history to catch up with)", false },
    { "catchup_max_ns", "catch-up max", SUMMARY_DURATION, 1,
      "longest time from a restart until the host had everything committed before it",
      false },
    { "never_caught_up", "never caught up", SUMMARY_COUNT, 1,
      "restarts after which the host never had everything committed before it", true },
    { "unavailable_ns", "unavailable (to clients)", SUMMARY_DURATION, 0,
      "time some client could not connect or had an operation failing or timing out, from "
      "the workload's start", false },
    { "leader_changes", "leader changes", SUMMARY_COUNT, 0,
      "new leaders after the first (models with a leader)", false },
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

int summary_column_index(const char *name)
{
    const struct summary_column *c = summary_column_find(name);
    return c ? (int)(c - summary_columns) : -1;
}

/* The columns of the recipe_summary view after (run_id, model, recipe, kind, fencing,
 * clients); reports/schema.sql defines each one. */
const struct summary_column recipe_columns[RECIPE_COLUMNS_COUNT] = {
    { "acquisitions", "acquisitions", SUMMARY_COUNT, 0,
      "times a client began to believe it held the lock (or led)", false },
    { "writes_accepted", "resource writes accepted", SUMMARY_COUNT, 0,
      "writes the protected resource took from holders", false },
    { "writes_refused", "refused (fenced out)", SUMMARY_COUNT, 1,
      "writes the resource refused: their fencing token was older than one it had taken",
      false },
    { "exclusion_violations", "exclusion violations", SUMMARY_COUNT, 0,
      "writes the resource took from a holder after taking one from a newer holder", true },
    { "overlap_ns", "overlap (2+ believed holders)", SUMMARY_DURATION, 0,
      "time during which two or more clients believed they held it", false },
    { "failover_ns", "failover (holder hit -> next write)", SUMMARY_DURATION, 0,
      "longest time from a fault on a holder's machine to another client's accepted write",
      false },
    { "stale_ns", "stale registry entries", SUMMARY_DURATION, 0,
      "registry entries pointing at a dead service, summed over time", false },
};

const size_t recipe_columns_count = sizeof recipe_columns / sizeof recipe_columns[0];

const struct summary_column *recipe_column_find(const char *name)
{
    for (size_t i = 0; i < recipe_columns_count; i++) {
        if (strcmp(recipe_columns[i].name, name) == 0)
            return &recipe_columns[i];
    }
    return NULL;
}
