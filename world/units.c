/* units.c: parsing and formatting of the scenario value syntax declared in units.h.
 *
 * Numbers are read digit by digit into integers rather than through strtod, so "0.1s" is
 * exactly 100000000ns on every machine and no locale can move the decimal point. Only rates,
 * which are doubles anyway, go through g_ascii_strtod (locale-independent, correctly
 * rounded). This file knows nothing about YAML or scenario keys; scenario.c adds those. */
#include "world/units.h"

#include <math.h>

#include <stdio.h>
#include <string.h>

struct unit {
    const char *name;
    uint64_t scale; /* nanoseconds or bytes per unit */
};

static const struct unit duration_units[] = {
    { "ns", 1 },
    { "us", 1000 },
    { "ms", 1000000 },
    { "s", 1000000000 },
    { "m", UINT64_C(60000000000) },
};

static const struct unit size_units[] = {
    { "B", 1 },
    { "KiB", UINT64_C(1) << 10 },
    { "MiB", UINT64_C(1) << 20 },
    { "GiB", UINT64_C(1) << 30 },
};

/* What a scaled quantity is called in messages, and its units. */
struct quantity {
    const struct unit *units;
    size_t n_units;
    uint64_t max;
    const char *unit_list;  /* "ns, us, ms, s or m" */
    const char *example;    /* "2s or 0.5ms" */
    const char *base;       /* "nanoseconds" */
    const char *too_large;  /* explanation of max */
};

static const struct quantity duration_quantity = {
    duration_units, G_N_ELEMENTS(duration_units), INT64_MAX, "ns, us, ms, s or m",
    "2s or 0.5ms", "nanoseconds", "durations go up to about 292 years",
};

static const struct quantity size_quantity = {
    size_units, G_N_ELEMENTS(size_units), UINT64_MAX, "B, KiB, MiB or GiB",
    "64B or 8MiB", "bytes", "sizes go up to 16 EiB",
};

/* Significant fraction digits accepted: "0.000000001s" needs 9; 18 keeps the digits of any
 * accepted fraction within a uint64_t. */
#define MAX_FRACTION_DIGITS 18
/* Longest piece of the input quoted back in a message. */
#define MAX_QUOTED 16

/* A number as written, split into its parts but not yet converted. */
struct decimal {
    const char *digits;   /* integer part */
    size_t n_digits;
    const char *fraction; /* fraction part, trailing zeros removed */
    size_t n_fraction;
    const char *end;      /* first character after the number */
};

enum number_status {
    NUMBER_OK,
    NUMBER_NOT_WHOLE, /* a fraction of a nanosecond or byte */
    NUMBER_PRECISION, /* more than MAX_FRACTION_DIGITS significant fraction digits */
    NUMBER_OVERFLOW,
};

static void set_error(char **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void set_error(char **error, const char *fmt, ...)
{
    if (!error)
        return;
    va_list ap;
    va_start(ap, fmt);
    *error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

/* Names the character at p for a message: "'x'", "space", "non-ASCII character". */
static const char *describe_char(const char *p, char *buf, size_t len)
{
    unsigned char c = (unsigned char)*p;
    if (c == ' ')
        return "space";
    if (c >= 0x80)
        return "non-ASCII character";
    if (c < 0x20 || c == 0x7f)
        snprintf(buf, len, "control character 0x%02X", c);
    else
        snprintf(buf, len, "'%c'", c);
    return buf;
}

/* Reads "123" or "12.50" at the start of text. Stops at the first character that cannot
 * continue the number; the caller decides what may follow. */
static bool read_decimal(const char *text, const char *example, struct decimal *d,
                         char **error)
{
    const char *p = text;
    if (*p == '\0') {
        set_error(error, "empty value (expected a number and a unit, such as %s)", example);
        return false;
    }
    if (*p == '-') {
        set_error(error, "must not be negative");
        return false;
    }
    if (!g_ascii_isdigit(*p)) {
        set_error(error, "expected a number and a unit, such as %s", example);
        return false;
    }
    d->digits = p;
    while (g_ascii_isdigit(*p))
        p++;
    d->n_digits = (size_t)(p - d->digits);
    d->fraction = NULL;
    d->n_fraction = 0;
    if (*p == '.') {
        p++;
        if (!g_ascii_isdigit(*p)) {
            set_error(error, "expected digits after the decimal point");
            return false;
        }
        d->fraction = p;
        while (g_ascii_isdigit(*p))
            p++;
        d->n_fraction = (size_t)(p - d->fraction);
        while (d->n_fraction > 0 && d->fraction[d->n_fraction - 1] == '0')
            d->n_fraction--;
    }
    d->end = p;
    return true;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* *out = d * scale, exactly, if that is a whole number no larger than max. */
static enum number_status scale_decimal(const struct decimal *d, uint64_t scale, uint64_t max,
                                        uint64_t *out)
{
    uint64_t whole = 0;
    for (size_t i = 0; i < d->n_digits; i++) {
        unsigned digit = (unsigned)(d->digits[i] - '0');
        if (whole > (max - digit) / 10)
            return NUMBER_OVERFLOW;
        whole = whole * 10 + digit;
    }
    if (whole > max / scale)
        return NUMBER_OVERFLOW;
    whole *= scale;

    uint64_t part = 0;
    if (d->n_fraction > 0) {
        if (d->n_fraction > MAX_FRACTION_DIGITS)
            return NUMBER_PRECISION;
        uint64_t f = 0, pow10 = 1;
        for (size_t i = 0; i < d->n_fraction; i++) {
            f = f * 10 + (uint64_t)(d->fraction[i] - '0');
            pow10 *= 10;
        }
        /* f / pow10 * scale is whole exactly when pow10 / gcd divides f. Dividing first
         * keeps every intermediate below scale, so nothing here can overflow. */
        uint64_t g = gcd_u64(pow10, scale);
        uint64_t step = pow10 / g;
        if (f % step != 0)
            return NUMBER_NOT_WHOLE;
        part = (f / step) * (scale / g);
    }
    if (part > max - whole)
        return NUMBER_OVERFLOW;
    *out = whole + part;
    return NUMBER_OK;
}

/* For sizes written the SI way ("8MB", "8m"), the binary unit that was probably meant. */
static const char *size_unit_hint(const char *unit, size_t len)
{
    if (len == 0 || len > 3)
        return NULL;
    switch (g_ascii_tolower(unit[0])) {
    case 'b':
        return len == 1 ? "B" : NULL;
    case 'k':
        return "KiB";
    case 'm':
        return "MiB";
    case 'g':
        return "GiB";
    default:
        return NULL;
    }
}

static void unknown_unit_error(const struct quantity *q, const char *unit, size_t len,
                               char **error)
{
    int shown = (int)MIN(len, MAX_QUOTED);
    const char *more = len > MAX_QUOTED ? "..." : "";
    const char *hint = q == &size_quantity ? size_unit_hint(unit, len) : NULL;
    if (hint)
        set_error(error, "unknown unit '%.*s%s' (use %s; sizes are binary: did you mean %s?)",
                  shown, unit, more, q->unit_list, hint);
    else
        set_error(error, "unknown unit '%.*s%s' (use %s)", shown, unit, more, q->unit_list);
}

static bool parse_scaled(const char *text, const struct quantity *q, uint64_t *out,
                         char **error)
{
    struct decimal d;
    char cbuf[32];
    if (!read_decimal(text, q->example, &d, error))
        return false;
    const char *unit = d.end;
    const char *p = unit;
    while (g_ascii_isalpha(*p))
        p++;
    size_t unit_len = (size_t)(p - unit);
    uint64_t scale = 0;
    if (unit_len == 0 && *p != '\0') {
        set_error(error, "unexpected %s after the number (the unit follows it directly, as in %s)",
                  describe_char(p, cbuf, sizeof cbuf), q->example);
        return false;
    }
    for (size_t i = 0; i < q->n_units && unit_len > 0; i++) {
        if (strlen(q->units[i].name) == unit_len && memcmp(q->units[i].name, unit, unit_len) == 0)
            scale = q->units[i].scale;
    }
    if (unit_len > 0 && scale == 0) {
        unknown_unit_error(q, unit, unit_len, error);
        return false;
    }
    if (*p != '\0') {
        set_error(error, "unexpected %s after the unit", describe_char(p, cbuf, sizeof cbuf));
        return false;
    }
    uint64_t value = 0;
    /* A bare number is only unambiguous when it is zero. */
    enum number_status st = scale_decimal(&d, unit_len ? scale : 1, q->max, &value);
    if (unit_len == 0 && (st != NUMBER_OK || value != 0)) {
        set_error(error, "missing unit (use %s, as in %s)", q->unit_list, q->example);
        return false;
    }
    switch (st) {
    case NUMBER_OK:
        *out = value;
        return true;
    case NUMBER_NOT_WHOLE:
        set_error(error, "not a whole number of %s", q->base);
        return false;
    case NUMBER_PRECISION:
        set_error(error, "too many decimal places (at most %d)", MAX_FRACTION_DIGITS);
        return false;
    case NUMBER_OVERFLOW:
        set_error(error, "too large (%s)", q->too_large);
        return false;
    }
    return false;
}

bool units_parse_duration(const char *text, sim_time *out, char **error)
{
    uint64_t ns;
    if (!parse_scaled(text, &duration_quantity, &ns, error))
        return false;
    *out = (sim_time)ns; /* duration_quantity.max is INT64_MAX */
    return true;
}

bool units_parse_size(const char *text, uint64_t *out, char **error)
{
    return parse_scaled(text, &size_quantity, out, error);
}

bool units_parse_rate(const char *text, double *out, char **error)
{
    if (strcmp(text, "unlimited") == 0) {
        *out = 0.0;
        return true;
    }
    struct decimal d;
    char cbuf[32];
    if (!read_decimal(text, "200/s", &d, error))
        return false;
    const char *p = d.end;
    if (*p == '\0') {
        set_error(error, "missing unit (write N/s, N/ms or unlimited, as in 200/s)");
        return false;
    }
    if (*p != '/') {
        set_error(error, "unexpected %s after the number (write N/s or N/ms, as in 200/s)",
                  describe_char(p, cbuf, sizeof cbuf));
        return false;
    }
    const char *unit = ++p;
    while (g_ascii_isalpha(*p))
        p++;
    size_t unit_len = (size_t)(p - unit);
    double per_unit;
    if (unit_len == 1 && unit[0] == 's') {
        per_unit = 1.0;
    } else if (unit_len == 2 && memcmp(unit, "ms", 2) == 0) {
        per_unit = 1000.0;
    } else if (unit_len == 0) {
        set_error(error, "missing unit after '/' (use /s or /ms)");
        return false;
    } else {
        set_error(error, "unknown unit '%.*s%s' (use /s or /ms)", (int)MIN(unit_len, MAX_QUOTED),
                  unit, unit_len > MAX_QUOTED ? "..." : "");
        return false;
    }
    if (*p != '\0') {
        set_error(error, "unexpected %s after the unit", describe_char(p, cbuf, sizeof cbuf));
        return false;
    }
    char *number = g_strndup(text, (size_t)(d.end - text));
    double value = g_ascii_strtod(number, NULL) * per_unit;
    g_free(number);
    if (!(value <= UNITS_RATE_MAX_PER_S)) {
        set_error(error, "too large (at most 1000000000/s: one message per nanosecond)");
        return false;
    }
    *out = value;
    return true;
}

void units_format_duration(sim_time ns, char *buf, size_t len)
{
    static const struct {
        const char *name;
        uint64_t scale;
        int decimals;
    } steps[] = {
        { "s", 1000000000, 9 },
        { "ms", 1000000, 6 },
        { "us", 1000, 3 },
        { "ns", 1, 0 },
    };
    if (ns == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    /* Magnitude without negating INT64_MIN. */
    uint64_t mag = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
    const char *sign = ns < 0 ? "-" : "";
    size_t i = 0;
    while (mag < steps[i].scale)
        i++;
    uint64_t whole = mag / steps[i].scale, frac = mag % steps[i].scale;
    if (frac == 0) {
        snprintf(buf, len, "%s%" G_GUINT64_FORMAT "%s", sign, whole, steps[i].name);
        return;
    }
    char digits[16];
    snprintf(digits, sizeof digits, "%0*" G_GUINT64_FORMAT, steps[i].decimals, frac);
    size_t n = strlen(digits);
    while (n > 0 && digits[n - 1] == '0')
        digits[--n] = '\0';
    snprintf(buf, len, "%s%" G_GUINT64_FORMAT ".%s%s", sign, whole, digits, steps[i].name);
}

void units_format_duration_short(sim_time ns, char *buf, size_t len)
{
    static const struct {
        sim_time scale;
        const char *unit;
    } units[] = { { SIM_S, "s" }, { SIM_MS, "ms" }, { SIM_US, "us" } };
    if (ns == 0) {
        g_strlcpy(buf, "0s", len);
        return;
    }
    double mag = fabs((double)ns);
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
        if (mag < (double)units[i].scale)
            continue;
        double v = (double)ns / (double)units[i].scale;
        double a = fabs(v);
        int decimals = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
        char num[32];
        g_snprintf(num, sizeof num, "%.*f", decimals, v);
        /* "3.000" reads better as "3", "204.60" as "204.6". */
        size_t n = strlen(num);
        if (strchr(num, '.')) {
            while (num[n - 1] == '0')
                num[--n] = '\0';
            if (num[n - 1] == '.')
                num[--n] = '\0';
        }
        g_snprintf(buf, len, "%s%s", num, units[i].unit);
        return;
    }
    g_snprintf(buf, len, "%" G_GINT64_FORMAT "ns", ns);
}
