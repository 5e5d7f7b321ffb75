/* lmdb-private.h — what the files of the LMDB backend share: the backend and transaction types,
 * the record layout, the map rule, and the functions one file of the backend calls in another.
 *
 * The backend is split by concern (docs/store.md, "The LMDB backend, file by file"):
 *
 *   sluice-store-lmdb.c   opening and closing the environment, and the vtable
 *   lmdb-format.c         keys and values: the log, the id index, the dataset and breaker records,
 *                         pipe state
 *   lmdb-error.c          LMDB's return codes to SLUICE_STORE_ERROR, and telling a full disk
 *   lmdb-map.c            the map rule, map growth, and where every LMDB transaction begins and
 * ends lmdb-trim.c           dropping the resident pages of the map (docs/decisions/0008)
 *   lmdb-write.c          the operations of a write transaction: create, delete, append, flags,
 *                         pipe state
 *   lmdb-txn.c            write transactions: the journal of operations and its replay after a
 *                         full map, commit and abort
 *   lmdb-breaker.c        circuit breakers: the committed view, holds, commit and rollback
 *   lmdb-read.c           single reads: dataset info and listing, a version by id or offset, the
 *                         live ids, pipe state and breakers
 *   lmdb-cursor.c         the streaming reader, a chunk of versions per read transaction
 *   lmdb-maintenance.c    purging deleted datasets and compaction
 *
 * Every function here that returns an int returns 0, an LMDB code, or RC_ERROR (a GError was set).
 * Write operations return MDB_MAP_FULL without setting an error, so that the transaction can grow
 * the map and replay its journal (lmdb-txn.c).
 */
#pragma once

#include <lmdb.h>
#include <string.h>
#include <sys/types.h>

#include "sluice-store-lmdb.h"

G_BEGIN_DECLS

#define FORMAT_VERSION 1
#define ID_KEY_RAW_MAX 400
#define ID_KEY_HASHED_LEN (ID_KEY_RAW_MAX + 32)
#define READ_CHUNK 4096 /* versions a streaming reader visits per read transaction */

/* Not an LMDB code: an error was set in the GError. */
#define RC_ERROR (-1)

typedef struct
{
  uint32_t format;
  uint32_t next_dataset;
} StoreHeader;

#define META_POPULATED (1u << 0)

typedef struct
{
  uint32_t format;
  uint32_t flags;
  char generation[36];
  int64_t created;
  int64_t next_offset;
  uint64_t entity_count;
  uint64_t id_count;
  uint64_t version_count;
} Meta;

#define REC_DELETED (1u << 0)

/* The fixed part of a log value; the id and the body follow it. */
#define LOG_HEADER_SIZE (8 + 8 + 1 + SLUICE_STORE_HASH_SIZE + 4)
#define ID_ENTRY_SIZE (8 + SLUICE_STORE_HASH_SIZE + 1)

typedef struct
{
  SluiceStoreBackend parent;
  char *dir;
  char *description;
  MDB_env *env;
  gboolean env_open; /* mdb_env_open succeeded */
  MDB_dbi db_datasets, db_meta, db_log, db_ids, db_pipes;
  uint64_t max_map_size;
  int64_t sync_interval_us;
  gint64 last_sync;      /* read and written with __atomic builtins */
  gint64 last_trim;      /* likewise: the last look at the resident size */
  uint64_t shared_floor; /* resident shared bytes just after the last trim (libraries and all) */
  /* Where LMDB mapped the file (LMDB does not tell), found for the map size @map_found_size. */
  GMutex trim_lock;
  void *map_addr;
  uint64_t map_found_size;
  dev_t file_dev;
  ino_t file_ino;

  /* The map rule.  mdb_env_set_mapsize unmaps data.mdb and maps it again, maybe elsewhere, so it
   * may run only while no thread of this process uses the map: an open transaction (read or
   * write) uses it, and so do mdb_env_info, mdb_env_stat and mdb_env_sync, which read the meta
   * pages through it.  Every such use is bracketed by map_enter () and map_leave (), which count
   * it in @map_users: transactions start only in sluice_lmdb_begin_txn () and end only in
   * sluice_lmdb_commit_txn () or sluice_lmdb_abort_txn (); outside a transaction the environment
   * is read only in sluice_lmdb_map_usage () and sluice_lmdb_env_sync ().
   * sluice_lmdb_resize_map () is the one place that resizes the open map: it waits until
   * @map_users is 0, and while it holds @growing no new use begins (it reads the new size then,
   * alone with the map).  All of these are in lmdb-map.c, and no other file calls mdb_txn_begin,
   * mdb_txn_commit, mdb_txn_abort, mdb_env_info, mdb_env_stat, mdb_env_sync or
   * mdb_env_set_mapsize on an open environment (lmdb-trim.c reads the environment only from a
   * thread inside map_enter () … map_leave ()). */
  GMutex lock;
  GCond cond;
  guint map_users;
  gboolean growing;
  uint64_t map_size; /* under @lock: the size the map has now */
} LmdbBackend;

typedef struct
{
  SluiceStoreTxn parent;
  LmdbBackend *self;
  MDB_txn *txn;
  GArray *journal; /* of Op (lmdb-txn.c) */
  char *last_dataset;
  gboolean dropped; /* a dataset was deleted: purge its records after commit */
  gboolean poisoned;
  gboolean rolled_back; /* the last OP_ROLL_BACK_PART reached the watermark */
  GByteArray *scratch;
} LmdbTxn;

/* A circuit-breaker record: the state, and the dataset's metadata as it was at the watermark. */
typedef struct
{
  SluiceBreakerState state;
  Meta committed;
} Breaker;

/* Numbers in keys are big-endian, so that LMDB's byte order is the numeric order. */

static inline void
put_be32 (uint8_t *p, uint32_t v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static inline uint32_t
get_be32 (const uint8_t *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void
put_be64 (uint8_t *p, uint64_t v)
{
  put_be32 (p, v >> 32);
  put_be32 (p + 4, (uint32_t)v);
}

static inline uint64_t
get_be64 (const uint8_t *p)
{
  return ((uint64_t)get_be32 (p) << 32) | get_be32 (p + 4);
}

static inline int64_t
get_i64 (const uint8_t *p)
{
  int64_t v;
  memcpy (&v, p, 8);
  return v;
}

static inline void
log_key (uint8_t key[12], uint32_t dsid, int64_t offset)
{
  put_be32 (key, dsid);
  put_be64 (key + 4, (uint64_t)offset);
}

/* The key of a dataset's breaker record in the meta database. */
static inline void
breaker_key (uint8_t key[5], uint32_t dsid)
{
  put_be32 (key, dsid);
  key[4] = 'B';
}

/* lmdb-format.c */
size_t sluice_lmdb_id_key (GByteArray *buf, uint32_t dsid, const char *id, size_t id_len);
gboolean sluice_lmdb_decode_version (LmdbBackend *self, const char *dataset, const MDB_val *key,
                                     const MDB_val *val, SluiceStoreVersion *ret, GError **error);
GBytes *sluice_lmdb_encode_pipe_state (const SluicePipeState *state);
gboolean sluice_lmdb_decode_pipe_state (const uint8_t *data, size_t len, SluicePipeState *ret);
int sluice_lmdb_lookup_dataset (LmdbBackend *self, MDB_txn *txn, const char *dataset,
                                uint32_t *ret_dsid, Meta *ret_meta, GError **error);
SluiceDatasetInfo *sluice_lmdb_info_from_meta (const char *dataset, const Meta *meta);
int sluice_lmdb_put_meta (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const Meta *meta,
                          const char *dataset, GError **error);
void sluice_lmdb_breaker_clear (Breaker *b);
GBytes *sluice_lmdb_encode_breaker (const SluiceBreakerState *state, const Meta *committed);
gboolean sluice_lmdb_decode_breaker (const uint8_t *p, size_t len, Breaker *ret);

/* lmdb-error.c */
gboolean sluice_lmdb_is_space_error (int rc);
int sluice_lmdb_set_rc_error (LmdbBackend *self, GError **error, int rc, const char *format, ...)
    G_GNUC_PRINTF (4, 5);
gboolean sluice_lmdb_looks_like_disk_full (LmdbBackend *self);
int sluice_lmdb_not_found (LmdbBackend *self, const char *dataset, GError **error);

/* lmdb-map.c: the map rule (see LmdbBackend.lock). */
uint64_t sluice_lmdb_current_map_size (LmdbBackend *self);
void sluice_lmdb_map_usage (LmdbBackend *self, uint64_t *ret_used, uint64_t *ret_size);
int sluice_lmdb_env_sync (LmdbBackend *self);
gboolean sluice_lmdb_resize_map (LmdbBackend *self, uint64_t seen_size, uint64_t new_size,
                                 gboolean wait, GError **error);
gboolean sluice_lmdb_grow_map (LmdbBackend *self, const char *what, GError **error);
MDB_txn *sluice_lmdb_begin_txn (LmdbBackend *self, unsigned int flags, GError **error);
int sluice_lmdb_commit_txn (LmdbBackend *self, MDB_txn **txn);
void sluice_lmdb_abort_txn (LmdbBackend *self, MDB_txn **txn);

/* lmdb-trim.c */
void sluice_lmdb_trim_map (LmdbBackend *self);

/* lmdb-write.c */
int sluice_lmdb_exec_create (LmdbTxn *t, const char *dataset, gboolean exist_ok,
                             SluiceDatasetInfo **ret_info, GError **error);
int sluice_lmdb_exec_delete (LmdbTxn *t, const char *dataset, GError **error);
int sluice_lmdb_exec_append (LmdbTxn *t, const char *dataset, const SluiceStoreRecord *records,
                             size_t n_records, uint32_t flags, int64_t *ret_offsets,
                             size_t *ret_n_appended, GError **error);
int sluice_lmdb_exec_populated (LmdbTxn *t, const char *dataset, gboolean populated,
                                GError **error);
int sluice_lmdb_exec_pipe_state (LmdbTxn *t, const char *pipe, GBytes *encoded, GError **error);

/* lmdb-breaker.c */
int sluice_lmdb_load_breaker (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset,
                              Breaker *ret, GError **error);
int sluice_lmdb_resolve_view (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset,
                              gboolean uncommitted, const char *holder, int64_t *ret_end,
                              Meta *ret_committed, GError **error);
int sluice_lmdb_exec_set_breaker (LmdbTxn *t, const char *dataset, GBytes *encoded, GError **error);
int sluice_lmdb_release_breaker (LmdbTxn *t, const char *dataset, gboolean rollback,
                                 uint64_t max_versions, gboolean *ret_done, GError **error);

/* lmdb-maintenance.c */
void sluice_lmdb_purge_dropped (LmdbBackend *self);

/* The backend's vtable entries (sluice-store-lmdb.c collects them). */

/* lmdb-txn.c */
SluiceStoreTxn *sluice_lmdb_begin (SluiceStoreBackend *backend, GError **error);
SluiceDatasetInfo *sluice_lmdb_txn_create_dataset (SluiceStoreTxn *txn, const char *dataset,
                                                   gboolean exist_ok, GError **error);
gboolean sluice_lmdb_txn_delete_dataset (SluiceStoreTxn *txn, const char *dataset, GError **error);
gboolean sluice_lmdb_txn_append (SluiceStoreTxn *txn, const char *dataset,
                                 const SluiceStoreRecord *records, size_t n_records, uint32_t flags,
                                 int64_t *ret_offsets, size_t *ret_n_appended, GError **error);
gboolean sluice_lmdb_txn_set_populated (SluiceStoreTxn *txn, const char *dataset,
                                        gboolean populated, GError **error);
gboolean sluice_lmdb_txn_set_pipe_state (SluiceStoreTxn *txn, const char *pipe,
                                         const SluicePipeState *state, GError **error);
gboolean sluice_lmdb_txn_delete_pipe_state (SluiceStoreTxn *txn, const char *pipe, GError **error);
gboolean sluice_lmdb_txn_set_breaker (SluiceStoreTxn *txn, const char *dataset,
                                      const SluiceBreakerState *state, GError **error);
gboolean sluice_lmdb_txn_release_breaker (SluiceStoreTxn *txn, const char *dataset,
                                          gboolean rollback, GError **error);
gboolean sluice_lmdb_txn_roll_back_breaker_part (SluiceStoreTxn *txn, const char *dataset,
                                                 uint64_t max_versions, gboolean *ret_done,
                                                 GError **error);
gboolean sluice_lmdb_txn_commit (SluiceStoreTxn *txn, uint32_t flags, GError **error);
void sluice_lmdb_txn_abort (SluiceStoreTxn *txn);
gboolean sluice_lmdb_sync (SluiceStoreBackend *backend, GError **error);

/* lmdb-read.c */
int sluice_lmdb_latest_before (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset,
                               int64_t offset, int64_t end, int64_t *ret_offset, GError **error);
GPtrArray *sluice_lmdb_list_datasets (SluiceStoreBackend *backend, GError **error);
SluiceDatasetInfo *sluice_lmdb_dup_dataset_info (SluiceStoreBackend *backend, const char *dataset,
                                                 const SluiceStoreView *view, GError **error);
SluiceStoreOwnedVersion *sluice_lmdb_dup_latest (SluiceStoreBackend *backend, const char *dataset,
                                                 const char *id, size_t id_len,
                                                 const SluiceStoreView *view, GError **error);
SluiceStoreOwnedVersion *sluice_lmdb_dup_version (SluiceStoreBackend *backend, const char *dataset,
                                                  int64_t offset, const SluiceStoreView *view,
                                                  GError **error);
gboolean sluice_lmdb_scan_live (SluiceStoreBackend *backend, const char *dataset,
                                const SluiceStoreView *view, SluiceStoreLiveFunc func,
                                gpointer user_data, GError **error);
gboolean sluice_lmdb_get_pipe_state (SluiceStoreBackend *backend, const char *pipe,
                                     SluicePipeState *ret_state, GError **error);
gboolean sluice_lmdb_get_breaker (SluiceStoreBackend *backend, const char *dataset,
                                  SluiceBreakerState *ret_state, GError **error);

/* lmdb-cursor.c */
SluiceStoreCursor *sluice_lmdb_read (SluiceStoreBackend *backend, const SluiceStoreQuery *query,
                                     GError **error);
const SluiceStoreVersion *sluice_lmdb_cursor_next (SluiceStoreCursor *cursor, GError **error);
void sluice_lmdb_cursor_pause (SluiceStoreCursor *cursor);
void sluice_lmdb_cursor_free (SluiceStoreCursor *cursor);

/* lmdb-maintenance.c */
gboolean sluice_lmdb_compact (SluiceStoreBackend *backend, const char *dataset,
                              const SluiceCompactOptions *options, SluiceCompactStats *ret_stats,
                              GError **error);

G_END_DECLS
