/* disk.c: written and durable images of a host's files; see disk.h for the rules. */
#include "sim/disk.h"

#include <string.h>

enum file_kind { FILE_UNUSED, FILE_LOG, FILE_BLOB };

struct disk_file {
    enum file_kind kind;
    /* log */
    GByteArray *records;
    size_t record_size;
    uint64_t len, durable_len;
    uint64_t trunc_generation;
    /* blob */
    GBytes *current, *durable;
};

struct disk {
    struct disk_file files[DISK_MAX_FILES];
    uint64_t power_generation;
};

struct disk *disk_new(void)
{
    return g_new0(struct disk, 1);
}

void disk_free(struct disk *d)
{
    if (!d)
        return;
    for (int i = 0; i < DISK_MAX_FILES; i++) {
        struct disk_file *f = &d->files[i];
        if (f->records)
            g_byte_array_unref(f->records);
        if (f->current)
            g_bytes_unref(f->current);
        if (f->durable)
            g_bytes_unref(f->durable);
    }
    g_free(d);
}

static struct disk_file *file_of(struct disk *d, uint16_t file, enum file_kind kind)
{
    ZS_ASSERT(file < DISK_MAX_FILES);
    struct disk_file *f = &d->files[file];
    if (f->kind == FILE_UNUSED) {
        f->kind = kind;
        if (kind == FILE_LOG)
            f->records = g_byte_array_new();
    }
    ZS_ASSERT(f->kind == kind);
    return f;
}

static const struct disk_file *file_view(const struct disk *d, uint16_t file)
{
    ZS_ASSERT(file < DISK_MAX_FILES);
    return &d->files[file];
}

void disk_log_append(struct disk *d, uint16_t file, const void *record, size_t size)
{
    struct disk_file *f = file_of(d, file, FILE_LOG);
    if (f->record_size == 0)
        f->record_size = size;
    ZS_ASSERT(f->record_size == size);
    /* The byte array may hold records beyond len left by a truncation: overwrite them. */
    g_byte_array_set_size(f->records, (guint)(f->len * size));
    g_byte_array_append(f->records, record, (guint)size);
    f->len++;
}

void disk_log_truncate(struct disk *d, uint16_t file, uint64_t records)
{
    struct disk_file *f = file_of(d, file, FILE_LOG);
    if (records >= f->len)
        return;
    f->len = records;
    if (f->durable_len > records)
        f->durable_len = records;
    g_byte_array_set_size(f->records, (guint)(records * f->record_size));
    f->trunc_generation++;
}

void disk_blob_put(struct disk *d, uint16_t file, const void *data, size_t size)
{
    struct disk_file *f = file_of(d, file, FILE_BLOB);
    if (f->current)
        g_bytes_unref(f->current);
    f->current = g_bytes_new(data, size);
}

struct disk_sync_ticket disk_sync_begin(struct disk *d, uint16_t file)
{
    ZS_ASSERT(file < DISK_MAX_FILES);
    struct disk_file *f = &d->files[file];
    struct disk_sync_ticket t = { .file = file, .power_generation = d->power_generation };
    if (f->kind == FILE_LOG) {
        t.covered_records = f->len;
        t.trunc_generation = f->trunc_generation;
    } else if (f->kind == FILE_BLOB && f->current) {
        t.blob = g_bytes_ref(f->current);
    }
    return t;
}

void disk_sync_ticket_clear(struct disk_sync_ticket *t)
{
    if (t->blob)
        g_bytes_unref(t->blob);
    t->blob = NULL;
}

void disk_sync_complete(struct disk *d, struct disk_sync_ticket *t)
{
    struct disk_file *f = &d->files[t->file];
    if (t->power_generation == d->power_generation) {
        if (f->kind == FILE_LOG && t->trunc_generation == f->trunc_generation) {
            /* A truncation after the fsync was issued invalidates what it covered; the
             * writer issues another fsync after its post-truncation appends. */
            uint64_t covered = MIN(t->covered_records, f->len);
            if (covered > f->durable_len)
                f->durable_len = covered;
        } else if (f->kind == FILE_BLOB && t->blob) {
            if (f->durable)
                g_bytes_unref(f->durable);
            f->durable = g_bytes_ref(t->blob);
        }
    }
    disk_sync_ticket_clear(t);
}

void disk_power_loss(struct disk *d)
{
    d->power_generation++;
    for (int i = 0; i < DISK_MAX_FILES; i++) {
        struct disk_file *f = &d->files[i];
        if (f->kind == FILE_LOG) {
            f->len = f->durable_len;
            g_byte_array_set_size(f->records, (guint)(f->len * f->record_size));
        } else if (f->kind == FILE_BLOB) {
            if (f->current)
                g_bytes_unref(f->current);
            f->current = f->durable ? g_bytes_ref(f->durable) : NULL;
        }
    }
}

uint64_t disk_log_len(const struct disk *d, uint16_t file)
{
    const struct disk_file *f = file_view(d, file);
    return f->kind == FILE_LOG ? f->len : 0;
}

uint64_t disk_log_durable_len(const struct disk *d, uint16_t file)
{
    const struct disk_file *f = file_view(d, file);
    return f->kind == FILE_LOG ? f->durable_len : 0;
}

const void *disk_log_record(const struct disk *d, uint16_t file, uint64_t i)
{
    const struct disk_file *f = file_view(d, file);
    ZS_ASSERT(f->kind == FILE_LOG && i < f->len);
    return f->records->data + i * f->record_size;
}

const void *disk_blob_get(const struct disk *d, uint16_t file, size_t *size)
{
    const struct disk_file *f = file_view(d, file);
    if (f->kind != FILE_BLOB || !f->current) {
        *size = 0;
        return NULL;
    }
    gsize n;
    const void *p = g_bytes_get_data(f->current, &n);
    *size = n;
    return p;
}
