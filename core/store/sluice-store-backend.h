/* sluice-store-backend.h — the internal interface every dataset store backend implements.
 *
 * The store keeps datasets (append-only, versioned, change-tracked logs of entity versions, digest
 * §1.7 and §2) and pipe state (the since offset and run counters, §3.6).  This interface works at
 * the *record* level: a record is an id, a 128-bit content hash, a deleted flag and an opaque body
 * blob.  What the body holds (the SDK's binary entity encoding) is the business of the layer above
 * (core/store/sluice-store.h); a backend only stores it.
 *
 * The LMDB backend (sluice-store-lmdb.h) is the embedded one.  A PostgreSQL backend can implement
 * the same vtable later, so nothing here assumes that one process owns the data: every count and
 * offset is read inside the transaction that uses it, dataset numbers are never reused, and a
 * reader that streams a dataset holds no transaction between chunks.  What a backend must do is
 * the conformance suite's (tests/store/), which every backend runs.
 *
 * Threading: a backend may be used from several threads.  A transaction or a cursor belongs to the
 * thread that created it.
 */
#pragma once

#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

#define SLUICE_STORE_ERROR (sluice_store_error_quark ())

typedef enum
{
  SLUICE_STORE_ERROR_FAILED,    /* anything not covered below */
  SLUICE_STORE_ERROR_NOT_FOUND, /* no such dataset */
  SLUICE_STORE_ERROR_EXISTS,    /* the dataset exists already */
  SLUICE_STORE_ERROR_INVALID,   /* a bad argument: dataset name, compaction options, … */
  SLUICE_STORE_ERROR_DISK_FULL, /* the file system is full; nothing of the transaction is stored */
  /* The store reached the largest size it is configured for (LMDB: max_map_size); nothing of the
   * transaction is stored. */
  SLUICE_STORE_ERROR_SIZE_LIMIT,
  SLUICE_STORE_ERROR_CORRUPT, /* a stored record could not be decoded */
  SLUICE_STORE_ERROR_IO,      /* any other failure of the underlying storage */
  /* Other transactions kept the store busy for longer than the backend waits (LMDB: a full map
   * could not grow while they held it); nothing of the transaction is stored. */
  SLUICE_STORE_ERROR_BUSY,
  SLUICE_STORE_ERROR_TRIPPED, /* the dataset's circuit breaker is tripped: no writes until it is
                               * committed or rolled back */
} SluiceStoreError;

GQuark sluice_store_error_quark (void);

#define SLUICE_STORE_HASH_SIZE 16
#define SLUICE_STORE_NO_OFFSET (-1)
/* The largest _id the store accepts (bytes). */
#define SLUICE_STORE_MAX_ID_SIZE (1u << 20)

/* A record to append.  Everything is borrowed for the call. */
typedef struct
{
  const char *id; /* UTF-8, not necessarily NUL-terminated */
  size_t id_len;
  uint8_t hash[SLUICE_STORE_HASH_SIZE];
  gboolean deleted;
  const void *body; /* opaque; may be NULL when body_len is 0 */
  size_t body_len;
} SluiceStoreRecord;

/* A stored version: the record plus what the dataset assigned when it was appended. */
typedef struct
{
  SluiceStoreRecord record;
  int64_t offset;   /* `_updated`: dense from 0 within one generation of a dataset */
  int64_t previous; /* `_previous`, or SLUICE_STORE_NO_OFFSET */
  int64_t ts;       /* `_ts`: µs since the Unix epoch */
} SluiceStoreVersion;

/* A version that owns its id and body (one allocation); free with g_free. */
typedef SluiceStoreVersion SluiceStoreOwnedVersion;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceStoreOwnedVersion, g_free)

typedef struct
{
  char *name;
  char *generation;       /* UUID assigned at creation; a recreated dataset gets a new one */
  int64_t created;        /* µs since the Unix epoch */
  int64_t next_offset;    /* the offset the next appended version gets */
  uint64_t entity_count;  /* ids whose latest version is not deleted */
  uint64_t id_count;      /* ids, deleted ones included */
  uint64_t version_count; /* stored versions (compaction lowers it) */
  gboolean populated;
} SluiceDatasetInfo;

void sluice_dataset_info_free (SluiceDatasetInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceDatasetInfo, sluice_dataset_info_free)

/* Pipe state: the since offset as the pipe's source formats it (opaque here), and run counters.
 * New counters are only ever appended; a backend stores and returns all of them. */
typedef struct
{
  char *since; /* NULL: no offset yet (a full run is due) */
  uint64_t runs;
  uint64_t entities_read;
  uint64_t entities_written;
  uint64_t entities_deleted;
  int64_t last_run_started;  /* µs since the epoch, 0: never */
  int64_t last_run_finished; /* µs since the epoch, 0: never */
  /* Appended: when the full run that has not finished yet started (µs since the epoch), 0 when
   * none is pending.  A run that finds it set continues that full run (docs/engine.md). */
  int64_t full_run_started;
  /* Appended: where the sink's own output stood when @since was stored (JSON text the sink's
   * checkpoint callback produced; NULL: none).  It changes only together with @since. */
  char *sink_position;
} SluicePipeState;

void sluice_pipe_state_clear (SluicePipeState *state);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SluicePipeState, sluice_pipe_state_clear)

/* Whose view of a dataset a read takes.  While a dataset has a circuit breaker (below), the
 * versions at or after its watermark are seen only in the uncommitted view, or by the pipe named
 * @holder (nullable) while its run holds the dataset.  Every read takes a `const SluiceStoreView *`
 * that may be NULL: the committed view. */
typedef struct
{
  gboolean uncommitted;
  const char *holder;
} SluiceStoreView;

/* A streaming read of one dataset: versions with offset strictly after @since, in offset order. */
typedef struct
{
  const char *dataset;
  int64_t since;    /* SLUICE_STORE_NO_OFFSET: from the beginning */
  uint64_t limit;   /* 0: unlimited */
  gboolean history; /* TRUE: every version; FALSE: only versions that are still the latest */
  gboolean deleted; /* FALSE: skip deleted versions */
  const SluiceStoreView *view; /* nullable: the committed view */
} SluiceStoreQuery;

/* The circuit breaker of a dataset (digest §6, docs/decisions/0006).  While a dataset has one, the
 * versions at offsets ≥ @watermark are uncommitted: readers do not see them (nor count them, nor
 * the populated flag they brought), and the store keeps the dataset as it was at the watermark so
 * that a rollback restores it exactly.  A run whose breaker is armed *holds* the dataset for its
 * duration; a run that went over its limit (or called DTL `trip!`) leaves it *tripped*. */
typedef struct
{
  char *pipe;              /* the pipe whose run holds or tripped it */
  char *run_id;            /* that run */
  int64_t watermark;       /* the first uncommitted offset (set by the store when it is created) */
  gboolean tripped;
  char *message;           /* why it tripped; NULL while only held */
  int64_t tripped_at;      /* µs since the epoch; 0 while only held */
  uint64_t limit;          /* the run's limit of written versions; 0: none (`trip!` only) */
  uint64_t written;        /* what the run had written when it tripped */
  /* The writer's pipe state before the run, which a rollback restores. */
  char *since_before;      /* JSON text; NULL: none */
  int64_t full_run_started_before;
  /* Appended: held by a push to a receiver, not by a run (sluice-host-datasets.h, "held
   * batches"): only that push commits it, and what a push left held when its process died is
   * rolled back (sluice_host_datasets_recover_holds ()).  @pipe is the receiver, @run_id says
   * which process held it ("push <pid> <start time> <n>"). */
  gboolean push;
  gboolean push_created; /* the push created the dataset: rolling it back deletes the dataset */
} SluiceBreakerState;

void sluice_breaker_state_clear (SluiceBreakerState *state);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SluiceBreakerState, sluice_breaker_state_clear)

typedef struct
{
  int keep_versions;            /* ≥ 0; 0 only with a time threshold */
  int64_t time_threshold_hours; /* < 0: none; versions younger than this are never removed */
} SluiceCompactOptions;

typedef struct
{
  uint64_t ids_visited;
  uint64_t versions_removed;
} SluiceCompactStats;

/* Append flags. */
#define SLUICE_STORE_APPEND_FORCE (1u << 0) /* append even when nothing changed (`force=true`) */
/* @ret_offsets of a record change tracking dropped receives the offset of the stored version it
 * kept instead of SLUICE_STORE_UNCHANGED: the offset of the id's latest version, either way. */
#define SLUICE_STORE_APPEND_REPORT_KEPT (1u << 1)

/* Commit flags. */
#define SLUICE_STORE_COMMIT_DURABLE (1u << 0) /* flush to disk before returning */

/* Append result for one record. */
#define SLUICE_STORE_UNCHANGED (-1) /* change tracking dropped the record */

/* Called by sluice_store_backend_scan_live () for each live id: the id (not NUL-terminated) and
 * the offset of its latest version.  FALSE (with @error set) stops the scan. */
typedef gboolean (*SluiceStoreLiveFunc) (const char *id, size_t id_len, int64_t offset,
                                         gpointer user_data, GError **error);

typedef struct _SluiceStoreBackend SluiceStoreBackend;
typedef struct _SluiceStoreTxn SluiceStoreTxn;
typedef struct _SluiceStoreCursor SluiceStoreCursor;

/* What a backend implements: every entry, but for those marked optional, which may be NULL and
 * then have the default their wrapper below states (as SQLite's VFS methods do).  Only backends
 * in this tree implement it, so it changes with them: no size field, no appended entries.
 * Each entry is called by its wrapper below, after the checks every backend shares. */
typedef struct
{
  const char *name; /* "lmdb", "postgresql" */

  void (*free) (SluiceStoreBackend *backend);
  /* Optional.  Where the data is, for messages: "store at /var/lib/sluice". */
  const char *(*describe) (SluiceStoreBackend *backend);

  /* Reads, each in the view it is given (NULL: committed). */
  GPtrArray *(*list_datasets) (SluiceStoreBackend *backend, GError **error);
  SluiceDatasetInfo *(*dup_dataset_info) (SluiceStoreBackend *backend, const char *dataset,
                                          const SluiceStoreView *view, GError **error);
  SluiceStoreOwnedVersion *(*dup_latest) (SluiceStoreBackend *backend, const char *dataset,
                                          const char *id, size_t id_len,
                                          const SluiceStoreView *view, GError **error);
  SluiceStoreOwnedVersion *(*dup_version) (SluiceStoreBackend *backend, const char *dataset,
                                           int64_t offset, const SluiceStoreView *view,
                                           GError **error);
  gboolean (*scan_live) (SluiceStoreBackend *backend, const char *dataset,
                         const SluiceStoreView *view, SluiceStoreLiveFunc func, gpointer user_data,
                         GError **error);
  gboolean (*get_pipe_state) (SluiceStoreBackend *backend, const char *pipe,
                              SluicePipeState *ret_state, GError **error);
  gboolean (*get_breaker) (SluiceStoreBackend *backend, const char *dataset,
                           SluiceBreakerState *ret_state, GError **error);

  SluiceStoreCursor *(*read) (SluiceStoreBackend *backend, const SluiceStoreQuery *query,
                              GError **error);
  const SluiceStoreVersion *(*cursor_next) (SluiceStoreCursor *cursor, GError **error);
  void (*cursor_free) (SluiceStoreCursor *cursor);
  /* Optional: for a cursor that holds something between calls (LMDB: a read transaction). */
  void (*cursor_pause) (SluiceStoreCursor *cursor);

  SluiceStoreTxn *(*begin) (SluiceStoreBackend *backend, GError **error);
  SluiceDatasetInfo *(*txn_create_dataset) (SluiceStoreTxn *txn, const char *dataset,
                                            gboolean exist_ok, GError **error);
  gboolean (*txn_delete_dataset) (SluiceStoreTxn *txn, const char *dataset, GError **error);
  gboolean (*txn_append) (SluiceStoreTxn *txn, const char *dataset,
                          const SluiceStoreRecord *records, size_t n_records, uint32_t flags,
                          int64_t *ret_offsets, size_t *ret_n_appended, GError **error);
  gboolean (*txn_set_populated) (SluiceStoreTxn *txn, const char *dataset, gboolean populated,
                                 GError **error);
  gboolean (*txn_set_pipe_state) (SluiceStoreTxn *txn, const char *pipe,
                                  const SluicePipeState *state, GError **error);
  gboolean (*txn_delete_pipe_state) (SluiceStoreTxn *txn, const char *pipe, GError **error);
  gboolean (*txn_set_breaker) (SluiceStoreTxn *txn, const char *dataset,
                               const SluiceBreakerState *state, GError **error);
  gboolean (*txn_release_breaker) (SluiceStoreTxn *txn, const char *dataset, gboolean rollback,
                                   GError **error);
  /* Optional. */
  gboolean (*txn_roll_back_breaker_part) (SluiceStoreTxn *txn, const char *dataset,
                                          uint64_t max_versions, gboolean *ret_done,
                                          GError **error);
  gboolean (*txn_commit) (SluiceStoreTxn *txn, uint32_t flags, GError **error);
  void (*txn_abort) (SluiceStoreTxn *txn);

  /* Optional. */
  gboolean (*compact) (SluiceStoreBackend *backend, const char *dataset,
                       const SluiceCompactOptions *options, SluiceCompactStats *ret_stats,
                       GError **error);
  /* Optional. */
  gboolean (*sync) (SluiceStoreBackend *backend, GError **error);
} SluiceStoreBackendVTable;

/* The first member of every backend instance, transaction and cursor. */
struct _SluiceStoreBackend
{
  const SluiceStoreBackendVTable *vtable;
};

struct _SluiceStoreTxn
{
  SluiceStoreBackend *backend;
};

struct _SluiceStoreCursor
{
  SluiceStoreBackend *backend;
};

/* Dataset ids: non-empty UTF-8 without '/', at most 255 bytes.  Used by every backend. */
gboolean sluice_store_check_dataset_name (const char *dataset, GError **error);

void sluice_store_backend_free (SluiceStoreBackend *backend);
/* Where the data is, for messages; without a describe entry, the backend's name. */
const char *sluice_store_backend_describe (SluiceStoreBackend *backend);

/* Reads.  Each takes a view (nullable: the committed view, which does not see what a circuit
 * breaker holds back; see SluiceStoreView). */

/* (element-type SluiceDatasetInfo) (transfer full): every dataset in the committed view, sorted by
 * name. */
GPtrArray *sluice_store_backend_list_datasets (SluiceStoreBackend *backend, GError **error);
/* (transfer full) NULL with SLUICE_STORE_ERROR_NOT_FOUND when there is no such dataset.  In the
 * committed view, a dataset with a breaker is as it was at the watermark: next offset, counts and
 * populated flag. */
SluiceDatasetInfo *sluice_store_backend_dup_dataset_info (SluiceStoreBackend *backend,
                                                          const char *dataset,
                                                          const SluiceStoreView *view,
                                                          GError **error);
/* (transfer full) The latest version of @id (deleted or not) that @view sees; NULL without an
 * error when the dataset has no such id. */
SluiceStoreOwnedVersion *sluice_store_backend_dup_latest (SluiceStoreBackend *backend,
                                                          const char *dataset, const char *id,
                                                          size_t id_len,
                                                          const SluiceStoreView *view,
                                                          GError **error);
/* (transfer full) The version at @offset; NULL without an error when there is none that @view
 * sees (never written, compacted away, or after the watermark). */
SluiceStoreOwnedVersion *sluice_store_backend_dup_version (SluiceStoreBackend *backend,
                                                           const char *dataset, int64_t offset,
                                                           const SluiceStoreView *view,
                                                           GError **error);
/* Calls @func for every id of @dataset whose latest version in @view is not deleted, in id-key
 * order, with that version's offset; no entity is decoded.  This is how a full run finds the ids
 * it did not write (deletion tracking).  The scan holds one read transaction: @func must not write
 * to the store.  A dataset that does not exist has no live ids. */
gboolean sluice_store_backend_scan_live (SluiceStoreBackend *backend, const char *dataset,
                                         const SluiceStoreView *view, SluiceStoreLiveFunc func,
                                         gpointer user_data, GError **error);
/* FALSE without an error when the pipe has no stored state (@ret_state is then zeroed). */
gboolean sluice_store_backend_get_pipe_state (SluiceStoreBackend *backend, const char *pipe,
                                              SluicePipeState *ret_state, GError **error);

/* A streaming reader, in @query's view.  Memory use does not depend on the size of the dataset,
 * and the reader holds no transaction for longer than one chunk, so it never blocks writers (or
 * the growth of the store) for long. */
SluiceStoreCursor *sluice_store_backend_read (SluiceStoreBackend *backend,
                                              const SluiceStoreQuery *query, GError **error);
/* The next version, borrowed until the next call or the cursor is freed; NULL at the end (no
 * error) or on failure (error set). */
const SluiceStoreVersion *sluice_store_cursor_next (SluiceStoreCursor *cursor, GError **error);
void sluice_store_cursor_free (SluiceStoreCursor *cursor);
/* Lets go of what the cursor holds until the next sluice_store_cursor_next (): call it before the
 * same thread writes, as a pipe does between reading a batch and writing it.  The version last
 * returned is invalid afterwards; the next call resumes after it.  Without a cursor_pause entry
 * the cursor holds nothing between calls, and this does nothing. */
void sluice_store_cursor_pause (SluiceStoreCursor *cursor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceStoreCursor, sluice_store_cursor_free)

/* Each in a transaction of its own. */
SluiceDatasetInfo *sluice_store_backend_create_dataset (SluiceStoreBackend *backend,
                                                        const char *dataset, gboolean exist_ok,
                                                        GError **error);
gboolean sluice_store_backend_delete_dataset (SluiceStoreBackend *backend, const char *dataset,
                                              GError **error);

/* A write transaction.  Everything done in it becomes visible at once on commit, or not at all.
 * Commit and abort free the transaction. */
SluiceStoreTxn *sluice_store_backend_begin (SluiceStoreBackend *backend, GError **error);
/* Creates @dataset with a new generation; with @exist_ok an existing one is returned instead of
 * failing with SLUICE_STORE_ERROR_EXISTS. */
SluiceDatasetInfo *sluice_store_txn_create_dataset (SluiceStoreTxn *txn, const char *dataset,
                                                    gboolean exist_ok, GError **error);
gboolean sluice_store_txn_delete_dataset (SluiceStoreTxn *txn, const char *dataset, GError **error);
/* Appends with change tracking: a record becomes a new version only when its id is new to the
 * dataset, its hash differs from the latest version's, or its deleted flag differs (or with
 * SLUICE_STORE_APPEND_FORCE).  Records later in @records see the versions appended by earlier ones.
 * @ret_offsets (nullable, @n_records entries) receives each record's new offset or
 * SLUICE_STORE_UNCHANGED (with SLUICE_STORE_APPEND_REPORT_KEPT: the kept version's offset).
 * Change tracking compares with the latest stored version, committed or not. */
gboolean sluice_store_txn_append (SluiceStoreTxn *txn, const char *dataset,
                                  const SluiceStoreRecord *records, size_t n_records,
                                  uint32_t flags, int64_t *ret_offsets, size_t *ret_n_appended,
                                  GError **error);
gboolean sluice_store_txn_set_populated (SluiceStoreTxn *txn, const char *dataset,
                                         gboolean populated, GError **error);
gboolean sluice_store_txn_set_pipe_state (SluiceStoreTxn *txn, const char *pipe,
                                          const SluicePipeState *state, GError **error);
gboolean sluice_store_txn_delete_pipe_state (SluiceStoreTxn *txn, const char *pipe, GError **error);
gboolean sluice_store_txn_commit (SluiceStoreTxn *txn, uint32_t flags, GError **error);
void sluice_store_txn_abort (SluiceStoreTxn *txn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceStoreTxn, sluice_store_txn_abort)

/* Circuit breakers (digest §6). */

/* FALSE without an error when @dataset has no breaker (neither held nor tripped); NOT_FOUND when
 * there is no such dataset.  @ret_state is zeroed unless TRUE is returned. */
gboolean sluice_store_backend_get_breaker (SluiceStoreBackend *backend, const char *dataset,
                                           SluiceBreakerState *ret_state, GError **error);
/* Creates the breaker of @dataset (the watermark becomes its next offset, and the store keeps its
 * committed state), or, when it has one, replaces everything in it but the watermark.  A dataset
 * with a tripped breaker refuses appends with SLUICE_STORE_ERROR_TRIPPED. */
gboolean sluice_store_txn_set_breaker (SluiceStoreTxn *txn, const char *dataset,
                                       const SluiceBreakerState *state, GError **error);
/* Removes the breaker of @dataset.  Commit (@rollback FALSE) makes every version visible; rollback
 * removes every version after the watermark and restores the id index, counts, next offset and
 * populated flag to what they were at the watermark.  NOT_FOUND when there is no breaker. */
gboolean sluice_store_txn_release_breaker (SluiceStoreTxn *txn, const char *dataset,
                                           gboolean rollback, GError **error);
/* Part of a rollback: removes at most @max_versions of the newest versions after the watermark
 * (each id back on its version before), so that a rollback of many versions can be spread over
 * transactions of a bounded size.  *@ret_done is TRUE when that reached the watermark: the
 * breaker is then released as by sluice_store_txn_release_breaker (rollback).  Until then the
 * breaker stays, and readers see the dataset as it was at the watermark throughout.  Without a
 * txn_roll_back_breaker_part entry, the first part rolls back everything (*@ret_done TRUE). */
gboolean sluice_store_txn_roll_back_breaker_part (SluiceStoreTxn *txn, const char *dataset,
                                                  uint64_t max_versions, gboolean *ret_done,
                                                  GError **error);

/* Maintenance. */

/* Removes old versions: of each id the newest keep_versions versions stay (a deleted version counts
 * as one), versions younger than time_threshold_hours stay, and the latest version always stays.
 * A dataset with a breaker is left alone.  Without a compact entry: SLUICE_STORE_ERROR_FAILED
 * ("does not support compaction"). */
gboolean sluice_store_backend_compact (SluiceStoreBackend *backend, const char *dataset,
                                       const SluiceCompactOptions *options,
                                       SluiceCompactStats *ret_stats, GError **error);
/* Flushes everything committed so far to disk.  Without a sync entry there is nothing to flush:
 * the backend's commits are as durable as it makes them. */
gboolean sluice_store_backend_sync (SluiceStoreBackend *backend, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceStoreBackend, sluice_store_backend_free)

G_END_DECLS
