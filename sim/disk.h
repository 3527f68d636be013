/* disk.h: one host's simulated storage: named files that are either append-only logs of
 * fixed-size records or small blobs replaced whole (temp file + rename).
 *
 * Every file has two images: what the process has written (the page cache) and what is durable
 * (fsynced). A process crash keeps the written image; a power-off reverts every file to its
 * durable image (docs/architecture.md, "The simulated world"). Truncating a log is made durable at
 * once: ZooKeeper truncates and then reloads from the file, and the model does not try to say what
 * a half-synced truncation would leave behind.
 *
 * The disk does not schedule anything: the simulator decides when an fsync completes and
 * then calls disk_sync_complete with the ticket from disk_sync_begin. */
#ifndef SIM_DISK_H
#define SIM_DISK_H

#include "sim/zs.h"

#define DISK_MAX_FILES 16

struct disk;

/* What an fsync covers, captured when it is issued. */
struct disk_sync_ticket {
    uint16_t file;
    uint64_t covered_records;  /* log: records written when the fsync was issued */
    uint64_t trunc_generation; /* log: truncations seen when issued */
    uint64_t power_generation; /* power losses seen when issued */
    GBytes *blob;              /* blob: content when issued (NULL for logs) */
};

struct disk *disk_new(void);
void disk_free(struct disk *d);

/* Writers (used by the simulator when it applies a node's effects). A file's kind is fixed
 * by its first write; mixing kinds on one file is a programming error. */
void disk_log_append(struct disk *d, uint16_t file, const void *record, size_t size);
void disk_log_truncate(struct disk *d, uint16_t file, uint64_t records);
void disk_blob_put(struct disk *d, uint16_t file, const void *data, size_t size);

struct disk_sync_ticket disk_sync_begin(struct disk *d, uint16_t file);
/* Makes what the ticket covers durable, unless power was lost since it was issued. Releases
 * the ticket's blob reference. */
void disk_sync_complete(struct disk *d, struct disk_sync_ticket *t);
/* Releases a ticket that will never complete. */
void disk_sync_ticket_clear(struct disk_sync_ticket *t);
/* Power loss: every file reverts to its durable image. */
void disk_power_loss(struct disk *d);

/* Readers (the view a restarting node recovers from). */
uint64_t disk_log_len(const struct disk *d, uint16_t file);
uint64_t disk_log_durable_len(const struct disk *d, uint16_t file);
/* Record i (< disk_log_len); the pointer stays valid until the next write to the file. */
const void *disk_log_record(const struct disk *d, uint16_t file, uint64_t i);
/* Blob content, or NULL when never written; *size gets its length. */
const void *disk_blob_get(const struct disk *d, uint16_t file, size_t *size);

#endif
