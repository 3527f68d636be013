/* summary_columns.h: the summary's measures by name: every column of the run_summary view
 * after (run_id, model), with the label people read and its unit. The scenario's expect:
 * keys, the text summary, the HTML report and the comparison tools all take their list
 * from here; reports/measures.sql defines what each one counts. */
#ifndef WORLD_SUMMARY_COLUMNS_H
#define WORLD_SUMMARY_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum summary_unit {
    SUMMARY_COUNT,    /* a number of things */
    SUMMARY_DURATION, /* nanoseconds of simulated time */
};

struct summary_column {
    const char *name;    /* the run_summary column and the expect: key */
    const char *label;   /* for people, in summaries and the report */
    enum summary_unit unit;
    int indent;          /* 1: a part of the column above it (lost_in_transit of lost) */
    const char *meaning; /* one line for a reader who has not read docs/database.md */
    bool bad_if_any;     /* a count that should be zero: reports flag it when it is not */
};

#define SUMMARY_COLUMNS_COUNT 22

/* In the column order of the run_summary view. */
extern const struct summary_column summary_columns[SUMMARY_COLUMNS_COUNT];
extern const size_t summary_columns_count;

/* The index of the column of that name, or -1. */
int summary_column_index(const char *name);

/* The column of that name, or NULL. */
const struct summary_column *summary_column_find(const char *name);

/* A measure's value as tables print it: "-" when absent, a duration in its short form
 * (units_format_duration_short), else the count. */
void summary_format_value(int64_t v, bool present, enum summary_unit unit, char *buf,
                          size_t len);

/* The coordination recipes' measures: the columns of the recipe_summary view, one row per
 * recipe (docs/recipes.md). An expect: key too, summed over the model's recipes
 * (failover_ns: the longest). */
#define RECIPE_COLUMNS_COUNT 7
extern const struct summary_column recipe_columns[RECIPE_COLUMNS_COUNT];
extern const size_t recipe_columns_count;
const struct summary_column *recipe_column_find(const char *name);

#endif
