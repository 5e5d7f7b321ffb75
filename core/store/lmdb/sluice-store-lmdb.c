/* sluice-store-lmdb.c — the LMDB implementation of the store backend interface.
 *
 * Five named databases hold every dataset, so the number of datasets is not bounded by maxdbs:
 *
 *   datasets  name                          -> dataset number (u32, big-endian; never reused)
 *   meta      dataset number                -> Meta (generation, counts, next offset, populated)
 *             0x00000000                    -> StoreHeader (format version, next dataset number)
 *             0x00000000 'D' number         -> ""  (a deleted dataset whose records await purging)
 *             number 'B'                    -> the dataset's circuit breaker (held or tripped), with
 *                                              the metadata as it was at the watermark
 *   log       number + offset (u64 BE)      -> LogHeader + id + body
 *   ids       number + id key               -> IdEntry (latest offset, its hash, its deleted flag)
 *   pipes     pipe id                       -> encoded SluicePipeState
 *
 * Big-endian numbers make LMDB's byte order the numeric order, so a cursor walks one dataset's log
 * in offset order.  An id key is the raw id up to 400 bytes, else its first 400 bytes plus its
 * SHA-256 (LMDB keys are at most 511 bytes); the two forms differ in length, so they never collide.
 *
 * Every write goes through a transaction that journals its operations: when LMDB reports a full
 * map, the transaction is aborted, the map grows (which LMDB allows only while no thread of this
 * process uses the map: the map rule at LmdbBackend.lock), and the journal is replayed.
 */
#define _GNU_SOURCE /* fallocate */
#include "sluice-store-lmdb.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FORMAT_VERSION 1
#define ID_KEY_RAW_MAX 400
#define ID_KEY_HASHED_LEN (ID_KEY_RAW_MAX + 32)
#define DEFAULT_INITIAL_MAP ((uint64_t)256 << 20)
#define DEFAULT_MAX_MAP ((uint64_t)1 << 40)
#define READ_CHUNK 4096    /* versions a streaming reader visits per read transaction */
#define COMPACT_CHUNK 2000 /* ids compaction handles per write transaction */
#define PURGE_CHUNK 20000  /* records of a deleted dataset removed per write transaction */
#define GROW_TIMEOUT_S 30
#define TRIM_CHECK_US (5 * 1000)         /* how often the resident size is looked at */
#define TRIM_BUDGET ((uint64_t)16 << 20) /* resident map pages allowed before a trim */
#define MAX_GROW_ATTEMPTS 24
#define MAX_READERS 512
/* The size LMDB gives its lock file: a 192-byte header that holds the first reader slot, and a
 * 64-byte slot for every further reader (liblmdb 0.9). */
#define LOCK_FILE_SIZE (192 + (MAX_READERS - 1) * 64)

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
  gint64 last_sync; /* read and written with __atomic builtins */
  gint64 last_trim; /* likewise: the last look at the resident size */
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
   * it in @map_users: transactions start only in begin_txn () and end only in commit_txn () or
   * abort_txn (); outside a transaction the environment is read only in map_usage () and
   * env_sync ().  resize_map () is the one place that resizes the open map: it waits until
   * @map_users is 0, and while it holds @growing no new use begins (it reads the new size
   * then, alone with the map). */
  GMutex lock;
  GCond cond;
  guint map_users;
  gboolean growing;
  uint64_t map_size; /* under @lock: the size the map has now */
} LmdbBackend;

typedef enum
{
  OP_CREATE,
  OP_DELETE,
  OP_APPEND,
  OP_POPULATED,
  OP_PIPE_STATE,
  OP_DELETE_PIPE,
  OP_SET_BREAKER,
  OP_RELEASE_BREAKER,
  OP_ROLL_BACK_PART,
} OpKind;

typedef struct
{
  OpKind kind;
  char *name;
  uint32_t flags;
  gboolean flag;
  size_t n_records;
  GBytes *data; /* the records of an append, or an encoded pipe state */
} Op;

typedef struct
{
  SluiceStoreTxn parent;
  LmdbBackend *self;
  MDB_txn *txn;
  GArray *journal; /* of Op */
  char *last_dataset;
  gboolean dropped; /* a dataset was deleted: purge its records after commit */
  gboolean poisoned;
  gboolean rolled_back; /* the last OP_ROLL_BACK_PART reached the watermark */
  GByteArray *scratch;
} LmdbTxn;

typedef struct
{
  SluiceStoreCursor parent;
  LmdbBackend *self;
  char *dataset;
  uint32_t dsid;
  int64_t next;
  uint64_t remaining;
  gboolean history, deleted, done;
  gboolean all_latest; /* in this chunk's transaction, no id has more than one version */
  gboolean uncommitted;
  char *holder;
  int64_t end; /* versions at or after it are uncommitted in this reader's view */
  MDB_txn *txn;
  MDB_cursor *cur;
  guint in_chunk;
  SluiceStoreVersion version;
  GByteArray *scratch;
} LmdbCursor;

static const SluiceStoreBackendVTable lmdb_vtable;

/* Encoding. */

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

static void
log_key (uint8_t key[12], uint32_t dsid, int64_t offset)
{
  put_be32 (key, dsid);
  put_be64 (key + 4, (uint64_t)offset);
}

/* Fills @buf with the ids key of @id; returns the key length. */
static size_t
id_key (GByteArray *buf, uint32_t dsid, const char *id, size_t id_len)
{
  size_t part = id_len <= ID_KEY_RAW_MAX ? id_len : ID_KEY_HASHED_LEN;

  g_byte_array_set_size (buf, 4 + part);
  put_be32 (buf->data, dsid);
  if (id_len <= ID_KEY_RAW_MAX)
    {
      memcpy (buf->data + 4, id, id_len);
    }
  else
    {
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      gsize digest_len = 32;

      memcpy (buf->data + 4, id, ID_KEY_RAW_MAX);
      g_checksum_update (sum, (const guchar *)id, id_len);
      g_checksum_get_digest (sum, buf->data + 4 + ID_KEY_RAW_MAX, &digest_len);
    }
  return 4 + part;
}

static gboolean
decode_version (LmdbBackend *self, const char *dataset, const MDB_val *key, const MDB_val *val,
                SluiceStoreVersion *ret, GError **error)
{
  const uint8_t *p = val->mv_data;
  uint32_t id_len;

  if (key->mv_size != 12 || val->mv_size < LOG_HEADER_SIZE)
    goto corrupt;
  memcpy (&id_len, p + 8 + 8 + 1 + SLUICE_STORE_HASH_SIZE, 4);
  if (id_len > val->mv_size - LOG_HEADER_SIZE)
    goto corrupt;
  ret->offset = (int64_t)get_be64 ((const uint8_t *)key->mv_data + 4);
  ret->ts = get_i64 (p);
  ret->previous = get_i64 (p + 8);
  ret->record.deleted = (p[16] & REC_DELETED) != 0;
  memcpy (ret->record.hash, p + 17, SLUICE_STORE_HASH_SIZE);
  ret->record.id = (const char *)p + LOG_HEADER_SIZE;
  ret->record.id_len = id_len;
  ret->record.body = p + LOG_HEADER_SIZE + id_len;
  ret->record.body_len = val->mv_size - LOG_HEADER_SIZE - id_len;
  return TRUE;

corrupt:
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
               "%s: dataset '%s': the log record at offset %" G_GUINT64_FORMAT
               " is malformed (%zu bytes)",
               self->description, dataset,
               key->mv_size == 12 ? get_be64 ((const uint8_t *)key->mv_data + 4) : 0, val->mv_size);
  return FALSE;
}

/* A pipe state record: [1][has since][u32 since length][since][u32 n][n u64 counters], then,
 * appended, [has sink position][u32 length][sink position].  A reader ignores what follows the
 * parts it knows, and reads missing parts as absent, so records of older and newer builds mix. */
static void
append_text (GByteArray *buf, const char *text)
{
  uint8_t present = text != NULL;
  uint32_t len = text != NULL ? strlen (text) : 0;

  g_byte_array_append (buf, &present, 1);
  g_byte_array_append (buf, (const guint8 *)&len, 4);
  if (len > 0)
    g_byte_array_append (buf, (const guint8 *)text, len);
}

static GBytes *
encode_pipe_state (const SluicePipeState *state)
{
  GByteArray *buf = g_byte_array_new ();
  uint8_t version = 1;
  uint32_t n = 7;
  uint64_t counters[7] = { state->runs,
                           state->entities_read,
                           state->entities_written,
                           state->entities_deleted,
                           (uint64_t)state->last_run_started,
                           (uint64_t)state->last_run_finished,
                           (uint64_t)state->full_run_started };

  g_byte_array_append (buf, &version, 1);
  append_text (buf, state->since);
  g_byte_array_append (buf, (const guint8 *)&n, 4);
  g_byte_array_append (buf, (const guint8 *)counters, sizeof (counters));
  append_text (buf, state->sink_position);
  return g_byte_array_free_to_bytes (buf);
}

/* Reads one part written by append_text at *@p; FALSE when it does not fit before @end. */
static gboolean
read_text (const uint8_t **p, const uint8_t *end, char **ret_text)
{
  uint32_t len;

  if (end - *p < 5)
    return FALSE;
  memcpy (&len, *p + 1, 4);
  if (len > (size_t)(end - *p - 5))
    return FALSE;
  *ret_text = (*p)[0] ? g_strndup ((const char *)*p + 5, len) : NULL;
  *p += 5 + len;
  return TRUE;
}

static gboolean
decode_pipe_state (const uint8_t *data, size_t len, SluicePipeState *ret)
{
  const uint8_t *p = data + 1, *end = data + len;
  uint32_t n;
  uint64_t counters[7] = { 0 };

  memset (ret, 0, sizeof (*ret));
  if (len < 10 || data[0] != 1 || !read_text (&p, end, &ret->since) || end - p < 4)
    goto malformed;
  memcpy (&n, p, 4);
  p += 4;
  if (n > (size_t)(end - p) / 8)
    goto malformed;
  /* Counters this build does not know yet are ignored; missing ones read as 0. */
  memcpy (counters, p, MIN (n, G_N_ELEMENTS (counters)) * 8);
  p += (size_t)n * 8;
  ret->runs = counters[0];
  ret->entities_read = counters[1];
  ret->entities_written = counters[2];
  ret->entities_deleted = counters[3];
  ret->last_run_started = (int64_t)counters[4];
  ret->last_run_finished = (int64_t)counters[5];
  ret->full_run_started = (int64_t)counters[6];
  if (p < end && !read_text (&p, end, &ret->sink_position))
    goto malformed;
  return TRUE;

malformed:
  sluice_pipe_state_clear (ret);
  return FALSE;
}

/* Errors. */

static gboolean
is_space_error (int rc)
{
  return rc == ENOSPC || rc == EDQUOT || rc == EFBIG;
}

/* A full file system while the store sets up @path, a file of a new store (@creating) or of an
 * existing one. */
static void
set_no_space_error (LmdbBackend *self, GError **error, int rc, const char *path,
                    gboolean creating)
{
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL,
               "%s: cannot %s %s: the file system is full (%s)", self->description,
               creating ? "create" : "write", path, g_strerror (rc));
}

static int set_rc_error (LmdbBackend *self, GError **error, int rc, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

static int
set_rc_error (LmdbBackend *self, GError **error, int rc, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list ap;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);

  if (is_space_error (rc))
    g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL,
                 "%s: disk full while %s; nothing of the transaction was stored", self->description,
                 what);
  else if (rc == MDB_MAP_FULL)
    g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_MAP_FULL,
                 "%s: the store reached its maximum size of %" G_GUINT64_FORMAT
                 " MiB while %s; nothing of the transaction was stored",
                 self->description, self->max_map_size >> 20, what);
  else if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID
           || rc == MDB_VERSION_MISMATCH)
    g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT, "%s: %s: %s",
                 self->description, what, mdb_strerror (rc));
  else
    g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_IO, "%s: %s: %s", self->description,
                 what, mdb_strerror (rc));
  return RC_ERROR;
}

/* LMDB reports a short write (which is what a full file system or a file size limit causes) as
 * EIO, so a failed commit is checked against the free space and the limit. */
static gboolean
looks_like_disk_full (LmdbBackend *self)
{
  const uint64_t margin = 16 << 20;
  g_autofree char *data = g_build_filename (self->dir, "data.mdb", NULL);
  struct statvfs vfs;
  struct rlimit limit;
  struct stat st;

  if (statvfs (self->dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < margin)
    return TRUE;
  if (getrlimit (RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
      && stat (data, &st) == 0 && (uint64_t)st.st_size + margin > limit.rlim_cur)
    return TRUE;
  return FALSE;
}

/* Transactions and growth, under the map rule (see LmdbBackend.lock). */

static void
map_enter (LmdbBackend *self)
{
  g_mutex_lock (&self->lock);
  while (self->growing)
    g_cond_wait (&self->cond, &self->lock);
  self->map_users++;
  g_mutex_unlock (&self->lock);
}

/* The address of LMDB's map of the data file, from /proc/self/maps: LMDB reports it only for a
 * fixed map.  NULL when it is not found. */
static void *
find_map (LmdbBackend *self)
{
  g_autofree char *maps = NULL;
  char *line, *next;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return NULL;
  for (line = maps; line != NULL && *line != '\0'; line = next)
    {
      unsigned long start, end, offset, ino;
      unsigned int dev_major, dev_minor;
      char perms[5];

      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      if (sscanf (line, "%lx-%lx %4s %lx %x:%x %lu", &start, &end, perms, &offset, &dev_major,
                  &dev_minor, &ino)
              == 7
          && ino == self->file_ino && offset == 0 && dev_major == major (self->file_dev)
          && dev_minor == minor (self->file_dev))
        return (void *)(uintptr_t)start;
    }
  return NULL;
}

/* Resident file-backed (shared) bytes of this process, from /proc/self/statm; 0 when unknown. */
static uint64_t
resident_shared (void)
{
  char buf[256];
  unsigned long size, resident, shared;
  ssize_t n;
  int fd = open ("/proc/self/statm", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  if (sscanf (buf, "%lu %lu %lu", &size, &resident, &shared) != 3)
    return 0;
  return (uint64_t)shared * (uint64_t)sysconf (_SC_PAGESIZE);
}

/* LMDB reads through a shared, read-only map of the file, and every page a transaction touched stays
 * mapped, so the resident size of the process grows with the data it has read although those pages
 * are page cache the kernel could drop (docs/decisions/0008).  Every TRIM_CHECK_US the resident
 * shared size is looked at, and when it grew by more than TRIM_BUDGET since the last trim, the
 * mapping of the used part of the file is dropped: the pages stay in the page cache, and the next
 * access to one is a minor fault, not a read.  Called by a thread that uses the map (between
 * map_enter and map_leave), so the map cannot move meanwhile. */
static void
trim_map (LmdbBackend *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 last = __atomic_load_n (&self->last_trim, __ATOMIC_RELAXED);
  MDB_envinfo info;
  MDB_stat stat;
  uint64_t shared;

  if (now - last < TRIM_CHECK_US
      || !__atomic_compare_exchange_n (&self->last_trim, &last, now, FALSE, __ATOMIC_RELAXED,
                                       __ATOMIC_RELAXED))
    return;
  if (!g_mutex_trylock (&self->trim_lock))
    return;
  shared = resident_shared ();
  if ((shared != 0 && shared < self->shared_floor + TRIM_BUDGET)
      || mdb_env_info (self->env, &info) != 0 || mdb_env_stat (self->env, &stat) != 0)
    {
      g_mutex_unlock (&self->trim_lock);
      return;
    }
  if (self->map_found_size != info.me_mapsize)
    {
      self->map_addr = find_map (self);
      self->map_found_size = info.me_mapsize;
    }
  if (self->map_addr != NULL)
    {
      madvise (self->map_addr,
               MIN ((info.me_last_pgno + 1) * (size_t)stat.ms_psize, info.me_mapsize),
               MADV_DONTNEED);
      /* What stays resident now (libraries, other files) is the floor of the next budget. */
      self->shared_floor = resident_shared ();
    }
  g_mutex_unlock (&self->trim_lock);
}

static void
map_leave (LmdbBackend *self)
{
  trim_map (self);
  g_mutex_lock (&self->lock);
  if (--self->map_users == 0)
    g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static uint64_t
current_map_size (LmdbBackend *self)
{
  uint64_t size;

  g_mutex_lock (&self->lock);
  size = self->map_size;
  g_mutex_unlock (&self->lock);
  return size;
}

/* The bytes of the map that hold data, and the size of the map. */
static void
map_usage (LmdbBackend *self, uint64_t *ret_used, uint64_t *ret_size)
{
  MDB_envinfo info;
  MDB_stat stat;

  map_enter (self);
  mdb_env_info (self->env, &info);
  mdb_env_stat (self->env, &stat);
  map_leave (self);
  *ret_used = ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
  *ret_size = info.me_mapsize;
}

static int
env_sync (LmdbBackend *self)
{
  int rc;

  map_enter (self);
  rc = mdb_env_sync (self->env, 1);
  map_leave (self);
  return rc;
}

/* Sets the map size to @new_size once no other thread of this process uses the map; with @wait
 * FALSE it gives up at once instead.  When another thread resized the map since this one saw it
 * at @seen_size, it leaves the map as it is.  @new_size 0 adopts the size another process set. */
static gboolean
resize_map (LmdbBackend *self, uint64_t seen_size, uint64_t new_size, gboolean wait, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + GROW_TIMEOUT_S * G_TIME_SPAN_SECOND;
  MDB_envinfo info;
  int rc;

  g_mutex_lock (&self->lock);
  while (self->growing)
    g_cond_wait (&self->cond, &self->lock);
  if (new_size != 0 && self->map_size != seen_size)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  if (self->map_users > 0 && !wait)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  self->growing = TRUE;
  while (self->map_users > 0)
    {
      if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
        {
          self->growing = FALSE;
          g_cond_broadcast (&self->cond);
          g_mutex_unlock (&self->lock);
          g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_BUSY,
                       "%s: the store is full and could not grow: other readers or writers kept "
                       "transactions open for %d s",
                       self->description, GROW_TIMEOUT_S);
          return FALSE;
        }
    }
  rc = mdb_env_set_mapsize (self->env, new_size);
  if (rc == 0 && mdb_env_info (self->env, &info) == 0)
    self->map_size = info.me_mapsize;
  self->growing = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (rc != 0)
    return set_rc_error (self, error, rc, "resizing the map to %" G_GUINT64_FORMAT " MiB",
                         new_size >> 20),
           FALSE;
  if (new_size != 0)
    g_debug ("%s: map grown to %" G_GUINT64_FORMAT " MiB", self->description, new_size >> 20);
  return TRUE;
}

/* Doubles the map (up to the maximum); MAP_FULL error when it is at the maximum already. */
static gboolean
grow_map (LmdbBackend *self, const char *what, GError **error)
{
  uint64_t size = current_map_size (self);

  if (size >= self->max_map_size)
    return set_rc_error (self, error, MDB_MAP_FULL, "%s", what), FALSE;
  return resize_map (self, size, MIN (size * 2, self->max_map_size), TRUE, error);
}

/* Every transaction starts here, and holds the map until commit_txn () or abort_txn (). */
static MDB_txn *
begin_txn (LmdbBackend *self, unsigned int flags, GError **error)
{
  for (int attempt = 0;; attempt++)
    {
      MDB_txn *txn = NULL;
      int rc;

      map_enter (self);
      rc = mdb_txn_begin (self->env, NULL, flags, &txn);
      if (rc == 0)
        return txn;
      map_leave (self);
      if (rc == MDB_MAP_RESIZED && attempt < 3)
        {
          if (!resize_map (self, 0, 0, TRUE, error))
            return NULL;
          continue;
        }
      set_rc_error (self, error, rc, "starting a transaction");
      return NULL;
    }
}

/* Commits *@txn and lets go of the map; *@txn is NULL afterwards.  Returns LMDB's result. */
static int
commit_txn (LmdbBackend *self, MDB_txn **txn)
{
  int rc = mdb_txn_commit (*txn);

  *txn = NULL;
  map_leave (self);
  return rc;
}

/* Aborts *@txn (nothing when NULL) and lets go of the map; *@txn is NULL afterwards. */
static void
abort_txn (LmdbBackend *self, MDB_txn **txn)
{
  if (*txn != NULL)
    {
      mdb_txn_abort (*txn);
      *txn = NULL;
      map_leave (self);
    }
}

/* Lookups shared by readers and writers. */

/* 0 and *ret_dsid set; MDB_NOTFOUND; or RC_ERROR with error set. */
static int
lookup_dataset (LmdbBackend *self, MDB_txn *txn, const char *dataset, uint32_t *ret_dsid,
                Meta *ret_meta, GError **error)
{
  MDB_val key = { strlen (dataset), (void *)dataset }, val;
  uint8_t dkey[4];
  int rc;

  rc = mdb_get (txn, self->db_datasets, &key, &val);
  if (rc == MDB_NOTFOUND)
    return rc;
  if (rc != 0)
    return set_rc_error (self, error, rc, "looking up dataset '%s'", dataset);
  if (val.mv_size != 4)
    goto corrupt;
  *ret_dsid = get_be32 (val.mv_data);
  if (ret_meta != NULL)
    {
      memcpy (dkey, val.mv_data, 4);
      key = (MDB_val){ 4, dkey };
      rc = mdb_get (txn, self->db_meta, &key, &val);
      if (rc == MDB_NOTFOUND || (rc == 0 && val.mv_size != sizeof (Meta)))
        goto corrupt;
      if (rc != 0)
        return set_rc_error (self, error, rc, "reading dataset '%s'", dataset);
      memcpy (ret_meta, val.mv_data, sizeof (Meta));
    }
  return 0;

corrupt:
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
               "%s: dataset '%s': its metadata record is missing or malformed", self->description,
               dataset);
  return RC_ERROR;
}

static int
not_found (LmdbBackend *self, const char *dataset, GError **error)
{
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND, "%s: no dataset '%s'",
               self->description, dataset);
  return RC_ERROR;
}

static SluiceDatasetInfo *
info_from_meta (const char *dataset, const Meta *meta)
{
  SluiceDatasetInfo *info = g_new0 (SluiceDatasetInfo, 1);

  info->name = g_strdup (dataset);
  info->generation = g_strndup (meta->generation, sizeof (meta->generation));
  info->created = meta->created;
  info->next_offset = meta->next_offset;
  info->entity_count = meta->entity_count;
  info->id_count = meta->id_count;
  info->version_count = meta->version_count;
  info->populated = (meta->flags & META_POPULATED) != 0;
  return info;
}

static int
put_meta (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const Meta *meta, const char *dataset,
          GError **error)
{
  uint8_t k[4];
  MDB_val key = { 4, k }, val = { sizeof (Meta), (void *)meta };
  int rc;

  put_be32 (k, dsid);
  rc = mdb_put (txn, self->db_meta, &key, &val, 0);
  if (rc == MDB_MAP_FULL)
    return rc;
  if (rc != 0)
    return set_rc_error (self, error, rc, "writing dataset '%s'", dataset);
  return 0;
}

/* Circuit breakers.  The record lives next to the metadata, under the dataset number plus 'B',
 * and holds the state plus the metadata as it was at the watermark: the committed view of the
 * dataset's info, and what a rollback restores. */

#define BREAKER_FORMAT 1
#define NO_STRING UINT32_MAX
/* The flags byte after the strings. */
#define BREAKER_PUSH 0x01
#define BREAKER_PUSH_CREATED 0x02

typedef struct
{
  SluiceBreakerState state;
  Meta committed;
} Breaker;

static void
breaker_clear (Breaker *b)
{
  sluice_breaker_state_clear (&b->state);
}

static void
breaker_key (uint8_t key[5], uint32_t dsid)
{
  put_be32 (key, dsid);
  key[4] = 'B';
}

static void
put_string (GByteArray *buf, const char *str)
{
  uint32_t len = str != NULL ? strlen (str) : NO_STRING;

  g_byte_array_append (buf, (const guint8 *)&len, 4);
  if (str != NULL)
    g_byte_array_append (buf, (const guint8 *)str, len);
}

static gboolean
get_string (const uint8_t **p, const uint8_t *end, char **ret)
{
  uint32_t len;

  if (end - *p < 4)
    return FALSE;
  memcpy (&len, *p, 4);
  *p += 4;
  if (len == NO_STRING)
    {
      *ret = NULL;
      return TRUE;
    }
  if ((size_t)(end - *p) < len)
    return FALSE;
  *ret = g_strndup ((const char *)*p, len);
  *p += len;
  return TRUE;
}

static GBytes *
encode_breaker (const SluiceBreakerState *state, const Meta *committed)
{
  GByteArray *buf = g_byte_array_new ();
  uint8_t head[2] = { BREAKER_FORMAT, state->tripped != FALSE };
  int64_t numbers[5] = { state->watermark, state->tripped_at, (int64_t)state->limit,
                         (int64_t)state->written, state->full_run_started_before };
  Meta zero = { 0 };
  uint8_t flags;

  g_byte_array_append (buf, head, 2);
  g_byte_array_append (buf, (const guint8 *)numbers, sizeof (numbers));
  g_byte_array_append (buf, (const guint8 *)(committed != NULL ? committed : &zero),
                       sizeof (Meta));
  put_string (buf, state->pipe);
  put_string (buf, state->run_id);
  put_string (buf, state->message);
  put_string (buf, state->since_before);
  /* Appended (push holds): older builds stop reading before it. */
  flags = (state->push ? BREAKER_PUSH : 0) | (state->push_created ? BREAKER_PUSH_CREATED : 0);
  g_byte_array_append (buf, &flags, 1);
  return g_byte_array_free_to_bytes (buf);
}

static gboolean
decode_breaker (const uint8_t *p, size_t len, Breaker *ret)
{
  const uint8_t *end = p + len;
  int64_t numbers[5];

  memset (ret, 0, sizeof (*ret));
  if (len < 2 + sizeof (numbers) + sizeof (Meta) || p[0] != BREAKER_FORMAT)
    return FALSE;
  ret->state.tripped = p[1] != 0;
  memcpy (numbers, p + 2, sizeof (numbers));
  ret->state.watermark = numbers[0];
  ret->state.tripped_at = numbers[1];
  ret->state.limit = (uint64_t)numbers[2];
  ret->state.written = (uint64_t)numbers[3];
  ret->state.full_run_started_before = numbers[4];
  memcpy (&ret->committed, p + 2 + sizeof (numbers), sizeof (Meta));
  p += 2 + sizeof (numbers) + sizeof (Meta);
  if (get_string (&p, end, &ret->state.pipe) && get_string (&p, end, &ret->state.run_id)
      && get_string (&p, end, &ret->state.message)
      && get_string (&p, end, &ret->state.since_before) && ret->state.pipe != NULL
      && ret->state.run_id != NULL)
    {
      /* Records written before push holds end here. */
      if (p < end)
        {
          ret->state.push = (*p & BREAKER_PUSH) != 0;
          ret->state.push_created = (*p & BREAKER_PUSH_CREATED) != 0;
        }
      return TRUE;
    }
  breaker_clear (ret);
  return FALSE;
}

/* 0 with *ret filled; MDB_NOTFOUND when the dataset has no breaker; RC_ERROR with error set. */
static int
load_breaker (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset, Breaker *ret,
              GError **error)
{
  uint8_t k[5];
  MDB_val key = { 5, k }, val;
  int rc;

  breaker_key (k, dsid);
  rc = mdb_get (txn, self->db_meta, &key, &val);
  if (rc == MDB_NOTFOUND)
    return rc;
  if (rc != 0)
    return set_rc_error (self, error, rc, "reading the circuit breaker of dataset '%s'", dataset);
  if (!decode_breaker (val.mv_data, val.mv_size, ret))
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
                   "%s: dataset '%s': its circuit breaker record is malformed (%zu bytes)",
                   self->description, dataset, val.mv_size);
      return RC_ERROR;
    }
  return 0;
}

/* Where a reader's view of the dataset ends (exclusive): the watermark, unless the view includes
 * the uncommitted versions. */
static int64_t
view_end (const Breaker *b, gboolean has_breaker, gboolean uncommitted, const char *holder)
{
  if (!has_breaker || uncommitted
      || (holder != NULL && g_strcmp0 (holder, b->state.pipe) == 0))
    return G_MAXINT64;
  return b->state.watermark;
}

/* Looks up the breaker of @dsid and returns the end of the view through @ret_end and, when it
 * limits the view, the committed metadata through @ret_committed (nullable).  0 or RC_ERROR. */
static int
resolve_view (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset,
              gboolean uncommitted, const char *holder, int64_t *ret_end, Meta *ret_committed,
              GError **error)
{
  Breaker b;
  int rc = load_breaker (self, txn, dsid, dataset, &b, error);

  if (rc != 0 && rc != MDB_NOTFOUND)
    return rc;
  *ret_end = view_end (&b, rc == 0, uncommitted, holder);
  if (ret_committed != NULL && *ret_end != G_MAXINT64)
    *ret_committed = b.committed;
  if (rc == 0)
    breaker_clear (&b);
  return 0;
}

/* The newest version of an id below @end, walking `_previous` back from @offset (the id's latest).
 * SLUICE_STORE_NO_OFFSET when the id has none (it is new after the watermark). */
static int
latest_before (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset,
               int64_t offset, int64_t end, int64_t *ret_offset, GError **error)
{
  while (offset != SLUICE_STORE_NO_OFFSET && offset >= end)
    {
      uint8_t lk[12];
      MDB_val key = { 12, lk }, val;
      int64_t previous;
      int rc;

      log_key (lk, dsid, offset);
      rc = mdb_get (txn, self->db_log, &key, &val);
      if (rc != 0 || val.mv_size < LOG_HEADER_SIZE)
        return set_rc_error (self, error, rc != 0 ? rc : MDB_CORRUPTED,
                             "dataset '%s': following _previous from offset %" G_GINT64_FORMAT,
                             dataset, offset);
      previous = get_i64 ((const uint8_t *)val.mv_data + 8);
      if (previous >= offset)
        return set_rc_error (self, error, MDB_CORRUPTED,
                             "dataset '%s': following _previous from offset %" G_GINT64_FORMAT,
                             dataset, offset);
      offset = previous;
    }
  *ret_offset = offset;
  return 0;
}

/* Operations of a write transaction.  Each returns 0, MDB_MAP_FULL (grow and replay) or RC_ERROR.
 * An error before anything was written leaves the transaction usable. */

static int
exec_create (LmdbTxn *t, const char *dataset, gboolean exist_ok, SluiceDatasetInfo **ret_info,
             GError **error)
{
  LmdbBackend *self = t->self;
  uint8_t hk[4] = { 0 }, dk[4];
  MDB_val key, val;
  StoreHeader header;
  Meta meta = { 0 };
  uint32_t dsid;
  g_autofree char *uuid = NULL;
  int rc;

  rc = lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == 0)
    {
      if (!exist_ok)
        {
          g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_EXISTS,
                       "%s: dataset '%s' exists already", self->description, dataset);
          return RC_ERROR;
        }
      if (ret_info != NULL)
        *ret_info = info_from_meta (dataset, &meta);
      return 0;
    }
  if (rc != MDB_NOTFOUND)
    return rc;

  key = (MDB_val){ 4, hk };
  rc = mdb_get (t->txn, self->db_meta, &key, &val);
  if (rc != 0 || val.mv_size != sizeof (header))
    return set_rc_error (self, error, rc != 0 ? rc : MDB_CORRUPTED, "reading the store header");
  memcpy (&header, val.mv_data, sizeof (header));
  dsid = header.next_dataset++;
  val = (MDB_val){ sizeof (header), &header };
  if ((rc = mdb_put (t->txn, self->db_meta, &key, &val, 0)) != 0)
    goto fail;

  put_be32 (dk, dsid);
  key = (MDB_val){ strlen (dataset), (void *)dataset };
  val = (MDB_val){ 4, dk };
  if ((rc = mdb_put (t->txn, self->db_datasets, &key, &val, 0)) != 0)
    goto fail;

  meta.format = FORMAT_VERSION;
  uuid = g_uuid_string_random ();
  memcpy (meta.generation, uuid, sizeof (meta.generation));
  meta.created = g_get_real_time ();
  if ((rc = put_meta (self, t->txn, dsid, &meta, dataset, error)) != 0)
    return rc;
  if (ret_info != NULL)
    *ret_info = info_from_meta (dataset, &meta);
  return 0;

fail:
  if (rc == MDB_MAP_FULL)
    return rc;
  t->poisoned = TRUE;
  return set_rc_error (self, error, rc, "creating dataset '%s'", dataset);
}

static int
exec_delete (LmdbTxn *t, const char *dataset, GError **error)
{
  LmdbBackend *self = t->self;
  uint8_t mk[4], dropped[9] = { 0, 0, 0, 0, 'D' };
  MDB_val key, val = { 0, NULL };
  uint32_t dsid;
  int rc;

  rc = lookup_dataset (self, t->txn, dataset, &dsid, NULL, error);
  if (rc == MDB_NOTFOUND)
    return not_found (self, dataset, error);
  if (rc != 0)
    return rc;

  /* The name and metadata go now; the records go in chunks after commit (see purge_dropped), so
   * deleting a huge dataset never needs one huge transaction. */
  key = (MDB_val){ strlen (dataset), (void *)dataset };
  if ((rc = mdb_del (t->txn, self->db_datasets, &key, NULL)) != 0)
    goto fail;
  put_be32 (mk, dsid);
  key = (MDB_val){ 4, mk };
  if ((rc = mdb_del (t->txn, self->db_meta, &key, NULL)) != 0)
    goto fail;
  put_be32 (dropped + 5, dsid);
  key = (MDB_val){ 9, dropped };
  if ((rc = mdb_put (t->txn, self->db_meta, &key, &val, 0)) != 0)
    goto fail;
  {
    uint8_t bk[5];

    breaker_key (bk, dsid);
    key = (MDB_val){ 5, bk };
    rc = mdb_del (t->txn, self->db_meta, &key, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND)
      goto fail;
  }
  t->dropped = TRUE;
  return 0;

fail:
  if (rc == MDB_MAP_FULL)
    return rc;
  t->poisoned = TRUE;
  return set_rc_error (self, error, rc, "deleting dataset '%s'", dataset);
}

static int
exec_append (LmdbTxn *t, const char *dataset, const SluiceStoreRecord *records, size_t n_records,
             uint32_t flags, int64_t *ret_offsets, size_t *ret_n_appended, GError **error)
{
  LmdbBackend *self = t->self;
  Meta meta;
  uint32_t dsid;
  size_t n_appended = 0;
  int64_t now = g_get_real_time ();
  MDB_cursor *icur = NULL, *lcur = NULL;
  gboolean log_append = TRUE;
  int rc;

  rc = lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND)
    return not_found (self, dataset, error);
  if (rc != 0)
    return rc;
  {
    Breaker b;

    rc = load_breaker (self, t->txn, dsid, dataset, &b, error);
    if (rc == RC_ERROR)
      return rc;
    if (rc == 0 && b.state.tripped)
      {
        g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_TRIPPED,
                     "%s: dataset '%s': its circuit breaker is tripped (run %s of pipe '%s'): "
                     "nothing can be written to it until the breaker is committed or rolled back",
                     self->description, dataset, b.state.run_id, b.state.pipe);
        breaker_clear (&b);
        return RC_ERROR;
      }
    if (rc == 0)
      breaker_clear (&b);
  }

  /* A cursor per table: an unchanged or updated id is found and rewritten in one descent, and the
   * log, whose keys only grow, is appended at its end without a search while this dataset's
   * offsets are the largest keys of the table (MDB_APPEND refuses the key otherwise). */
  if ((rc = mdb_cursor_open (t->txn, self->db_ids, &icur)) != 0
      || (rc = mdb_cursor_open (t->txn, self->db_log, &lcur)) != 0)
    goto fail;
  for (size_t i = 0; i < n_records; i++)
    {
      const SluiceStoreRecord *r = &records[i];
      MDB_val ikey, ival, lkey, lval;
      uint8_t lk[12], entry[ID_ENTRY_SIZE];
      gboolean found, old_deleted = FALSE;
      int64_t previous = SLUICE_STORE_NO_OFFSET, offset;
      uint8_t rflags = r->deleted ? REC_DELETED : 0;
      uint32_t id_len = r->id_len;
      uint8_t *p;

      ikey.mv_size = id_key (t->scratch, dsid, r->id, r->id_len);
      ikey.mv_data = t->scratch->data;
      rc = mdb_cursor_get (icur, &ikey, &ival, MDB_SET_KEY);
      if (rc != 0 && rc != MDB_NOTFOUND)
        goto fail;
      found = rc == 0;
      if (found)
        {
          if (ival.mv_size != ID_ENTRY_SIZE)
            {
              rc = MDB_CORRUPTED;
              goto fail;
            }
          p = ival.mv_data;
          previous = get_i64 (p);
          old_deleted = (p[8 + SLUICE_STORE_HASH_SIZE] & REC_DELETED) != 0;
          if (!(flags & SLUICE_STORE_APPEND_FORCE) && old_deleted == (r->deleted != FALSE)
              && memcmp (p + 8, r->hash, SLUICE_STORE_HASH_SIZE) == 0)
            {
              if (ret_offsets != NULL)
                ret_offsets[i]
                  = (flags & SLUICE_STORE_APPEND_REPORT_KEPT) ? previous : SLUICE_STORE_UNCHANGED;
              continue;
            }
        }

      offset = meta.next_offset++;
      log_key (lk, dsid, offset);
      lkey = (MDB_val){ 12, lk };
      lval.mv_size = LOG_HEADER_SIZE + r->id_len + r->body_len;
      rc = mdb_cursor_put (lcur, &lkey, &lval, MDB_RESERVE | (log_append ? MDB_APPEND : 0));
      if (rc == MDB_KEYEXIST && log_append)
        {
          log_append = FALSE;
          rc = mdb_cursor_put (lcur, &lkey, &lval, MDB_RESERVE);
        }
      if (rc != 0)
        goto fail;
      p = lval.mv_data;
      memcpy (p, &now, 8);
      memcpy (p + 8, &previous, 8);
      p[16] = rflags;
      memcpy (p + 17, r->hash, SLUICE_STORE_HASH_SIZE);
      memcpy (p + 17 + SLUICE_STORE_HASH_SIZE, &id_len, 4);
      memcpy (p + LOG_HEADER_SIZE, r->id, r->id_len);
      if (r->body_len > 0)
        memcpy (p + LOG_HEADER_SIZE + r->id_len, r->body, r->body_len);

      memcpy (entry, &offset, 8);
      memcpy (entry + 8, r->hash, SLUICE_STORE_HASH_SIZE);
      entry[8 + SLUICE_STORE_HASH_SIZE] = rflags;
      ival = (MDB_val){ ID_ENTRY_SIZE, entry };
      /* Found: the cursor still sits on the id (the log is another table), so the entry is
       * overwritten in place. */
      rc = mdb_cursor_put (icur, &ikey, &ival, found ? MDB_CURRENT : 0);
      if (rc != 0)
        goto fail;

      if (!found)
        {
          meta.id_count++;
          if (!r->deleted)
            meta.entity_count++;
        }
      else if (old_deleted && !r->deleted)
        meta.entity_count++;
      else if (!old_deleted && r->deleted)
        meta.entity_count--;
      meta.version_count++;
      n_appended++;
      if (ret_offsets != NULL)
        ret_offsets[i] = offset;
    }

  mdb_cursor_close (icur);
  mdb_cursor_close (lcur);
  icur = lcur = NULL;
  if (n_appended > 0 && (rc = put_meta (self, t->txn, dsid, &meta, dataset, error)) != 0)
    {
      if (rc != MDB_MAP_FULL)
        t->poisoned = TRUE;
      return rc;
    }
  if (ret_n_appended != NULL)
    *ret_n_appended = n_appended;
  return 0;

fail:
  if (icur != NULL)
    mdb_cursor_close (icur);
  if (lcur != NULL)
    mdb_cursor_close (lcur);
  if (rc == MDB_MAP_FULL)
    return rc;
  t->poisoned = TRUE;
  return set_rc_error (self, error, rc, "appending to dataset '%s'", dataset);
}

static int
exec_populated (LmdbTxn *t, const char *dataset, gboolean populated, GError **error)
{
  LmdbBackend *self = t->self;
  Meta meta;
  uint32_t dsid;
  int rc;

  rc = lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND)
    return not_found (self, dataset, error);
  if (rc != 0)
    return rc;
  if (populated)
    meta.flags |= META_POPULATED;
  else
    meta.flags &= ~META_POPULATED;
  return put_meta (self, t->txn, dsid, &meta, dataset, error);
}

static int
exec_pipe_state (LmdbTxn *t, const char *pipe, GBytes *encoded, GError **error)
{
  LmdbBackend *self = t->self;
  MDB_val key = { strlen (pipe), (void *)pipe }, val;
  int rc;

  if (encoded != NULL)
    {
      val.mv_data = (void *)g_bytes_get_data (encoded, &val.mv_size);
      rc = mdb_put (t->txn, self->db_pipes, &key, &val, 0);
    }
  else
    {
      rc = mdb_del (t->txn, self->db_pipes, &key, NULL);
      if (rc == MDB_NOTFOUND)
        rc = 0;
    }
  if (rc == 0 || rc == MDB_MAP_FULL)
    return rc;
  return set_rc_error (self, error, rc, "writing the state of pipe '%s'", pipe);
}

static int
put_breaker (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const SluiceBreakerState *state,
             const Meta *committed)
{
  g_autoptr (GBytes) encoded = encode_breaker (state, committed);
  uint8_t k[5];
  MDB_val key = { 5, k }, val;

  breaker_key (k, dsid);
  val.mv_data = (void *)g_bytes_get_data (encoded, &val.mv_size);
  return mdb_put (txn, self->db_meta, &key, &val, 0);
}

/* @encoded holds the state as the caller gave it; the watermark and the committed metadata come
 * from the dataset when the breaker is new, and from the existing breaker otherwise. */
static int
exec_set_breaker (LmdbTxn *t, const char *dataset, GBytes *encoded, GError **error)
{
  LmdbBackend *self = t->self;
  Breaker given, existing;
  Meta meta;
  uint32_t dsid;
  gsize len;
  const uint8_t *data = g_bytes_get_data (encoded, &len);
  int rc;

  rc = lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND)
    return not_found (self, dataset, error);
  if (rc != 0)
    return rc;
  rc = load_breaker (self, t->txn, dsid, dataset, &existing, error);
  if (rc == RC_ERROR)
    return rc;
  if (!decode_breaker (data, len, &given))
    g_assert_not_reached ();
  if (rc == 0)
    {
      given.state.watermark = existing.state.watermark;
      rc = put_breaker (self, t->txn, dsid, &given.state, &existing.committed);
      breaker_clear (&existing);
    }
  else
    {
      given.state.watermark = meta.next_offset;
      rc = put_breaker (self, t->txn, dsid, &given.state, &meta);
    }
  breaker_clear (&given);
  if (rc == 0 || rc == MDB_MAP_FULL)
    return rc;
  t->poisoned = TRUE;
  return set_rc_error (self, error, rc, "writing the circuit breaker of dataset '%s'", dataset);
}

/* Rollback: from the newest version down to the watermark, each version's id goes back to the
 * version before it, and the version goes.  An id's oldest uncommitted version comes last and its
 * `_previous` is below the watermark (or none), so the id index ends as it was at the watermark;
 * compaction never runs while a breaker exists, so that version is still there. */
static int
rollback_versions (LmdbTxn *t, const char *dataset, uint32_t dsid, int64_t watermark,
                   int64_t next_offset, GError **error)
{
  LmdbBackend *self = t->self;
  g_autoptr (GByteArray) id = g_byte_array_new ();

  for (int64_t offset = next_offset - 1; offset >= watermark; offset--)
    {
      uint8_t lk[12], entry[ID_ENTRY_SIZE];
      MDB_val lkey = { 12, lk }, lval, ikey, ival;
      SluiceStoreVersion v;
      int64_t previous;
      int rc;

      log_key (lk, dsid, offset);
      rc = mdb_get (t->txn, self->db_log, &lkey, &lval);
      if (rc == MDB_NOTFOUND)
        continue;
      if (rc != 0)
        return rc;
      if (!decode_version (self, dataset, &lkey, &lval, &v, error))
        return RC_ERROR;
      previous = v.previous;
      /* The log value moves under writes: keep the id. */
      g_byte_array_set_size (id, 0);
      g_byte_array_append (id, (const guint8 *)v.record.id, v.record.id_len);
      ikey.mv_size = id_key (t->scratch, dsid, (const char *)id->data, id->len);
      ikey.mv_data = t->scratch->data;
      if (previous == SLUICE_STORE_NO_OFFSET)
        {
          rc = mdb_del (t->txn, self->db_ids, &ikey, NULL);
          if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
        }
      else if (previous < watermark)
        {
          uint8_t pk[12];
          MDB_val pkey = { 12, pk }, pval;
          const uint8_t *p;

          log_key (pk, dsid, previous);
          rc = mdb_get (t->txn, self->db_log, &pkey, &pval);
          if (rc != 0)
            return rc;
          if (pval.mv_size < LOG_HEADER_SIZE)
            return MDB_CORRUPTED;
          p = pval.mv_data;
          memcpy (entry, &previous, 8);
          memcpy (entry + 8, p + 17, SLUICE_STORE_HASH_SIZE);
          entry[8 + SLUICE_STORE_HASH_SIZE] = p[16] & REC_DELETED;
          ival = (MDB_val){ ID_ENTRY_SIZE, entry };
          if ((rc = mdb_put (t->txn, self->db_ids, &ikey, &ival, 0)) != 0)
            return rc;
        }
      if ((rc = mdb_del (t->txn, self->db_log, &lkey, NULL)) != 0)
        return rc;
    }
  return 0;
}

/* Releases the breaker of @dataset: commit, or roll back (at most @max_versions versions when
 * not 0; *@ret_done says whether that reached the watermark, and only then is the breaker
 * gone).  A partial rollback lowers the dataset's next offset to where it stopped, so that the
 * next part goes on from there; readers see the metadata kept at the watermark meanwhile. */
static int
release_breaker (LmdbTxn *t, const char *dataset, gboolean rollback, uint64_t max_versions,
                 gboolean *ret_done, GError **error)
{
  LmdbBackend *self = t->self;
  Breaker b;
  Meta meta;
  uint32_t dsid;
  uint8_t k[5];
  MDB_val key = { 5, k };
  gboolean done = TRUE;
  int rc;

  rc = lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND)
    return not_found (self, dataset, error);
  if (rc != 0)
    return rc;
  rc = load_breaker (self, t->txn, dsid, dataset, &b, error);
  if (rc == MDB_NOTFOUND)
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND,
                   "%s: dataset '%s' has no circuit breaker to %s", self->description, dataset,
                   rollback ? "roll back" : "commit");
      return RC_ERROR;
    }
  if (rc != 0)
    return rc;
  if (rollback)
    {
      int64_t low = b.state.watermark;

      if (max_versions > 0 && meta.next_offset - b.state.watermark > (int64_t)max_versions)
        {
          low = meta.next_offset - (int64_t)max_versions;
          done = FALSE;
        }
      rc = rollback_versions (t, dataset, dsid, low, meta.next_offset, error);
      if (rc == 0 && done)
        rc = put_meta (self, t->txn, dsid, &b.committed, dataset, error);
      else if (rc == 0)
        {
          meta.next_offset = low;
          rc = put_meta (self, t->txn, dsid, &meta, dataset, error);
        }
    }
  breaker_clear (&b);
  if (rc == 0 && done)
    {
      breaker_key (k, dsid);
      rc = mdb_del (t->txn, self->db_meta, &key, NULL);
    }
  if (ret_done != NULL)
    *ret_done = done;
  if (rc == 0 || rc == MDB_MAP_FULL)
    return rc;
  t->poisoned = TRUE;
  if (rc == RC_ERROR)
    return rc;
  return set_rc_error (self, error, rc, "%s the circuit breaker of dataset '%s'",
                       rollback ? "rolling back" : "committing", dataset);
}

static int
exec_release_breaker (LmdbTxn *t, const char *dataset, gboolean rollback, GError **error)
{
  return release_breaker (t, dataset, rollback, 0, NULL, error);
}

/* The journal. */

static void
op_clear (gpointer data)
{
  Op *op = data;

  g_free (op->name);
  g_clear_pointer (&op->data, g_bytes_unref);
}

static GBytes *
serialize_records (const SluiceStoreRecord *records, size_t n_records)
{
  size_t total = 0;
  uint8_t *buf, *p;

  for (size_t i = 0; i < n_records; i++)
    total += sizeof (SluiceStoreRecord) + records[i].id_len + records[i].body_len;
  buf = p = g_malloc (MAX (total, 1));
  for (size_t i = 0; i < n_records; i++)
    {
      memcpy (p, &records[i], sizeof (SluiceStoreRecord));
      p += sizeof (SluiceStoreRecord);
      memcpy (p, records[i].id, records[i].id_len);
      p += records[i].id_len;
      if (records[i].body_len > 0)
        memcpy (p, records[i].body, records[i].body_len);
      p += records[i].body_len;
    }
  return g_bytes_new_take (buf, total);
}

static SluiceStoreRecord *
deserialize_records (GBytes *data, size_t n_records)
{
  SluiceStoreRecord *records = g_new (SluiceStoreRecord, MAX (n_records, 1));
  const uint8_t *p = g_bytes_get_data (data, NULL);

  for (size_t i = 0; i < n_records; i++)
    {
      memcpy (&records[i], p, sizeof (SluiceStoreRecord));
      p += sizeof (SluiceStoreRecord);
      records[i].id = (const char *)p;
      p += records[i].id_len;
      records[i].body = p;
      p += records[i].body_len;
    }
  return records;
}

static int
exec_op (LmdbTxn *t, Op *op, const SluiceStoreRecord *records, int64_t *ret_offsets,
         size_t *ret_n_appended, SluiceDatasetInfo **ret_info, GError **error)
{
  switch (op->kind)
    {
      case OP_CREATE:
        return exec_create (t, op->name, op->flag, ret_info, error);
      case OP_DELETE:
        return exec_delete (t, op->name, error);
      case OP_APPEND:
        {
          g_autofree SluiceStoreRecord *copy = NULL;

          if (records == NULL)
            records = copy = deserialize_records (op->data, op->n_records);
          return exec_append (t, op->name, records, op->n_records, op->flags, ret_offsets,
                              ret_n_appended, error);
        }
      case OP_POPULATED:
        return exec_populated (t, op->name, op->flag, error);
      case OP_PIPE_STATE:
        return exec_pipe_state (t, op->name, op->data, error);
      case OP_DELETE_PIPE:
        return exec_pipe_state (t, op->name, NULL, error);
      case OP_SET_BREAKER:
        return exec_set_breaker (t, op->name, op->data, error);
      case OP_RELEASE_BREAKER:
        return exec_release_breaker (t, op->name, op->flag, error);
      case OP_ROLL_BACK_PART:
        return release_breaker (t, op->name, TRUE, op->n_records, &t->rolled_back, error);
    }
  g_assert_not_reached ();
}

/* After MDB_MAP_FULL: abort, grow the map, begin again and replay every journalled operation. */
static gboolean
restart (LmdbTxn *t, GError **error)
{
  LmdbBackend *self = t->self;
  g_autofree char *what = t->last_dataset != NULL
                              ? g_strdup_printf ("appending to dataset '%s'", t->last_dataset)
                              : g_strdup ("committing");

  for (int attempt = 0; attempt < MAX_GROW_ATTEMPTS; attempt++)
    {
      int rc = 0;

      abort_txn (self, &t->txn);
      t->dropped = FALSE;
      if (!grow_map (self, what, error))
        return FALSE;
      t->txn = begin_txn (self, 0, error);
      if (t->txn == NULL)
        return FALSE;
      for (guint i = 0; i < t->journal->len && rc == 0; i++)
        rc = exec_op (t, &g_array_index (t->journal, Op, i), NULL, NULL, NULL, NULL, error);
      if (rc == 0)
        return TRUE;
      if (rc != MDB_MAP_FULL)
        return FALSE;
    }
  return set_rc_error (self, error, MDB_MAP_FULL, "%s", what), FALSE;
}

static gboolean
check_usable (LmdbTxn *t, GError **error)
{
  if (t->txn != NULL && !t->poisoned)
    return TRUE;
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_FAILED,
               "%s: the transaction failed earlier and can only be aborted", t->self->description);
  return FALSE;
}

/* Runs @op (whose fields it takes over) and journals it when it succeeds. */
static gboolean
run_op (LmdbTxn *t, Op *op, const SluiceStoreRecord *records, int64_t *ret_offsets,
        size_t *ret_n_appended, SluiceDatasetInfo **ret_info, GError **error)
{
  int rc;

  if (!check_usable (t, error))
    {
      op_clear (op);
      return FALSE;
    }
  for (;;)
    {
      rc = exec_op (t, op, records, ret_offsets, ret_n_appended, ret_info, error);
      if (rc != MDB_MAP_FULL)
        break;
      if (!restart (t, error))
        {
          t->poisoned = TRUE;
          op_clear (op);
          return FALSE;
        }
    }
  if (rc != 0)
    {
      op_clear (op);
      return FALSE;
    }
  g_array_append_val (t->journal, *op);
  return TRUE;
}

static SluiceStoreTxn *
lmdb_begin (SluiceStoreBackend *backend, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  uint64_t used, size;
  LmdbTxn *t;

  /* Grow ahead of need when no other thread uses the map, so that a full map in the middle of a
   * transaction (abort, grow, replay) stays rare. */
  map_usage (self, &used, &size);
  if (used > size / 4 * 3 && size < self->max_map_size)
    resize_map (self, size, MIN (size * 2, self->max_map_size), FALSE, NULL);

  t = g_new0 (LmdbTxn, 1);
  t->parent.backend = backend;
  t->self = self;
  t->txn = begin_txn (self, 0, error);
  if (t->txn == NULL)
    {
      g_free (t);
      return NULL;
    }
  t->journal = g_array_new (FALSE, FALSE, sizeof (Op));
  g_array_set_clear_func (t->journal, op_clear);
  t->scratch = g_byte_array_new ();
  return &t->parent;
}

static void
txn_free (LmdbTxn *t)
{
  abort_txn (t->self, &t->txn);
  g_array_unref (t->journal);
  g_byte_array_unref (t->scratch);
  g_free (t->last_dataset);
  g_free (t);
}

static SluiceDatasetInfo *
lmdb_txn_create_dataset (SluiceStoreTxn *txn, const char *dataset, gboolean exist_ok,
                         GError **error)
{
  Op op = { OP_CREATE, g_strdup (dataset), 0, exist_ok, 0, NULL };
  SluiceDatasetInfo *info = NULL;

  if (!run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, &info, error))
    return NULL;
  return info;
}

static gboolean
lmdb_txn_delete_dataset (SluiceStoreTxn *txn, const char *dataset, GError **error)
{
  Op op = { OP_DELETE, g_strdup (dataset), 0, FALSE, 0, NULL };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

static gboolean
lmdb_txn_append (SluiceStoreTxn *txn, const char *dataset, const SluiceStoreRecord *records,
                 size_t n_records, uint32_t flags, int64_t *ret_offsets, size_t *ret_n_appended,
                 GError **error)
{
  LmdbTxn *t = (LmdbTxn *)txn;
  Op op = { OP_APPEND, g_strdup (dataset), flags, FALSE, n_records, NULL };

  if (t->last_dataset == NULL || strcmp (t->last_dataset, dataset) != 0)
    {
      g_free (t->last_dataset);
      t->last_dataset = g_strdup (dataset);
    }
  op.data = serialize_records (records, n_records);
  return run_op (t, &op, records, ret_offsets, ret_n_appended, NULL, error);
}

static gboolean
lmdb_txn_set_populated (SluiceStoreTxn *txn, const char *dataset, gboolean populated,
                        GError **error)
{
  Op op = { OP_POPULATED, g_strdup (dataset), 0, populated, 0, NULL };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

static gboolean
lmdb_txn_set_pipe_state (SluiceStoreTxn *txn, const char *pipe, const SluicePipeState *state,
                         GError **error)
{
  Op op = { OP_PIPE_STATE, g_strdup (pipe), 0, FALSE, 0, encode_pipe_state (state) };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

static gboolean
lmdb_txn_delete_pipe_state (SluiceStoreTxn *txn, const char *pipe, GError **error)
{
  Op op = { OP_DELETE_PIPE, g_strdup (pipe), 0, FALSE, 0, NULL };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

static gboolean
lmdb_txn_set_breaker (SluiceStoreTxn *txn, const char *dataset, const SluiceBreakerState *state,
                      GError **error)
{
  Op op = { OP_SET_BREAKER, g_strdup (dataset), 0, FALSE, 0, encode_breaker (state, NULL) };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

static gboolean
lmdb_txn_release_breaker (SluiceStoreTxn *txn, const char *dataset, gboolean rollback,
                          GError **error)
{
  Op op = { OP_RELEASE_BREAKER, g_strdup (dataset), 0, rollback, 0, NULL };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

static gboolean
lmdb_txn_roll_back_breaker_part (SluiceStoreTxn *txn, const char *dataset, uint64_t max_versions,
                                 gboolean *ret_done, GError **error)
{
  LmdbTxn *t = (LmdbTxn *)txn;
  Op op = { OP_ROLL_BACK_PART, g_strdup (dataset), 0, TRUE, max_versions, NULL };

  if (!run_op (t, &op, NULL, NULL, NULL, NULL, error))
    return FALSE;
  *ret_done = t->rolled_back;
  return TRUE;
}

static void purge_dropped (LmdbBackend *self);

static gboolean
lmdb_sync (SluiceStoreBackend *backend, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  int rc = env_sync (self);

  if (rc != 0)
    return set_rc_error (self, error, rc, "flushing to disk"), FALSE;
  __atomic_store_n (&self->last_sync, g_get_monotonic_time (), __ATOMIC_RELAXED);
  return TRUE;
}

static gboolean
lmdb_txn_commit (SluiceStoreTxn *txn, uint32_t flags, GError **error)
{
  LmdbTxn *t = (LmdbTxn *)txn;
  LmdbBackend *self = t->self;
  gboolean ok = FALSE, dropped;
  int rc;

  if (!check_usable (t, error))
    goto out;
  for (;;)
    {
      rc = commit_txn (self, &t->txn);
      if (rc != MDB_MAP_FULL)
        break;
      if (!restart (t, error))
        goto out;
    }
  if (rc == EIO && looks_like_disk_full (self))
    rc = ENOSPC;
  if (rc != 0)
    {
      if (t->last_dataset != NULL)
        set_rc_error (self, error, rc, "appending to dataset '%s'", t->last_dataset);
      else
        set_rc_error (self, error, rc, "committing");
      goto out;
    }
  ok = TRUE;
  if ((flags & SLUICE_STORE_COMMIT_DURABLE)
      || g_get_monotonic_time () - __atomic_load_n (&self->last_sync, __ATOMIC_RELAXED)
             >= self->sync_interval_us)
    ok = lmdb_sync (&self->parent, error);

out:
  dropped = ok && t->dropped;
  txn_free (t);
  if (dropped)
    purge_dropped (self);
  return ok;
}

static void
lmdb_txn_abort (SluiceStoreTxn *txn)
{
  txn_free ((LmdbTxn *)txn);
}

/* Removes the records of deleted datasets, a chunk per transaction.  Interrupted purges resume at
 * the next open. */
static void
purge_db_prefix (LmdbBackend *self, MDB_dbi dbi, uint32_t dsid, gboolean *ret_done, GError **error)
{
  MDB_txn *txn = begin_txn (self, 0, error);
  MDB_cursor *cur = NULL;
  uint8_t prefix[4];
  MDB_val key = { 4, prefix }, val;
  int rc, n = 0;

  *ret_done = FALSE;
  if (txn == NULL)
    return;
  put_be32 (prefix, dsid);
  rc = mdb_cursor_open (txn, dbi, &cur);
  /* Deleting from the front: the first key at or after the prefix is always the next one. */
  while (rc == 0 && n < PURGE_CHUNK)
    {
      key = (MDB_val){ 4, prefix };
      rc = mdb_cursor_get (cur, &key, &val, MDB_SET_RANGE);
      if (rc != 0)
        break;
      if (key.mv_size < 4 || memcmp (key.mv_data, prefix, 4) != 0)
        {
          rc = MDB_NOTFOUND;
          break;
        }
      if ((rc = mdb_cursor_del (cur, 0)) != 0)
        break;
      n++;
    }
  if (cur != NULL)
    mdb_cursor_close (cur);
  if (rc == MDB_NOTFOUND)
    *ret_done = TRUE;
  else if (rc != 0)
    {
      abort_txn (self, &txn);
      set_rc_error (self, error, rc, "removing the records of a deleted dataset");
      return;
    }
  rc = commit_txn (self, &txn);
  if (rc != 0)
    {
      *ret_done = FALSE;
      set_rc_error (self, error, rc, "removing the records of a deleted dataset");
    }
}

static void
purge_dropped (LmdbBackend *self)
{
  g_autoptr (GError) error = NULL;

  for (;;)
    {
      uint8_t pk[5] = { 0, 0, 0, 0, 'D' };
      MDB_val key = { 5, pk }, val;
      MDB_txn *txn = begin_txn (self, MDB_RDONLY, &error);
      MDB_cursor *cur = NULL;
      uint32_t dsid = 0;
      gboolean found = FALSE, done;
      int rc;

      if (txn == NULL)
        break;
      rc = mdb_cursor_open (txn, self->db_meta, &cur);
      if (rc == 0)
        rc = mdb_cursor_get (cur, &key, &val, MDB_SET_RANGE);
      if (rc == 0 && key.mv_size == 9 && memcmp (key.mv_data, pk, 5) == 0)
        {
          found = TRUE;
          dsid = get_be32 ((const uint8_t *)key.mv_data + 5);
        }
      if (cur != NULL)
        mdb_cursor_close (cur);
      abort_txn (self, &txn);
      if (!found)
        return;

      do
        purge_db_prefix (self, self->db_log, dsid, &done, &error);
      while (!done && error == NULL);
      do
        purge_db_prefix (self, self->db_ids, dsid, &done, &error);
      while (!done && error == NULL);
      if (error != NULL)
        break;

      txn = begin_txn (self, 0, &error);
      if (txn == NULL)
        break;
      {
        uint8_t dk[9] = { 0, 0, 0, 0, 'D' };

        put_be32 (dk + 5, dsid);
        key = (MDB_val){ 9, dk };
        mdb_del (txn, self->db_meta, &key, NULL);
        rc = commit_txn (self, &txn);
      }
      if (rc != 0)
        {
          set_rc_error (self, &error, rc, "removing the records of a deleted dataset");
          break;
        }
    }
  g_warning ("%s", error->message);
}

/* Reading. */

/* Opens a read transaction on @dataset: 0 with *ret_txn open, or not (error set).  With @ret_end,
 * also where @view (nullable: committed) ends, and @ret_meta (nullable) is the metadata as that
 * view sees it. */
static int
open_view (LmdbBackend *self, const char *dataset, const SluiceStoreView *view, MDB_txn **ret_txn,
           uint32_t *ret_dsid, Meta *ret_meta, int64_t *ret_end, GError **error)
{
  int rc;

  *ret_txn = begin_txn (self, MDB_RDONLY, error);
  if (*ret_txn == NULL)
    return RC_ERROR;
  rc = lookup_dataset (self, *ret_txn, dataset, ret_dsid, ret_meta, error);
  if (rc == MDB_NOTFOUND)
    rc = not_found (self, dataset, error);
  if (rc == 0 && ret_end != NULL)
    rc = resolve_view (self, *ret_txn, *ret_dsid, dataset, view != NULL && view->uncommitted,
                       view != NULL ? view->holder : NULL, ret_end, ret_meta, error);
  if (rc != 0)
    abort_txn (self, ret_txn);
  return rc;
}

static SluiceDatasetInfo *
lmdb_get_dataset_info_in_view (SluiceStoreBackend *backend, const char *dataset,
                               const SluiceStoreView *view, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  SluiceDatasetInfo *info;
  MDB_txn *txn;
  uint32_t dsid;
  Meta meta;
  int64_t end;

  if (open_view (self, dataset, view, &txn, &dsid, &meta, &end, error) != 0)
    return NULL;
  info = info_from_meta (dataset, &meta);
  abort_txn (self, &txn);
  return info;
}

static SluiceDatasetInfo *
lmdb_get_dataset_info (SluiceStoreBackend *backend, const char *dataset, GError **error)
{
  return lmdb_get_dataset_info_in_view (backend, dataset, NULL, error);
}

static GPtrArray *
lmdb_list_datasets (SluiceStoreBackend *backend, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  g_autoptr (GPtrArray) list
      = g_ptr_array_new_with_free_func ((GDestroyNotify)sluice_dataset_info_free);
  MDB_txn *txn = begin_txn (self, MDB_RDONLY, error);
  MDB_cursor *cur = NULL;
  MDB_val key, val;
  int rc;

  if (txn == NULL)
    return NULL;
  rc = mdb_cursor_open (txn, self->db_datasets, &cur);
  if (rc == 0)
    rc = mdb_cursor_get (cur, &key, &val, MDB_FIRST);
  while (rc == 0)
    {
      g_autofree char *name = g_strndup (key.mv_data, key.mv_size);
      uint32_t dsid;
      Meta meta;

      int64_t end;

      rc = lookup_dataset (self, txn, name, &dsid, &meta, error);
      if (rc == 0)
        rc = resolve_view (self, txn, dsid, name, FALSE, NULL, &end, &meta, error);
      if (rc != 0)
        break;
      g_ptr_array_add (list, info_from_meta (name, &meta));
      rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT);
    }
  if (cur != NULL)
    mdb_cursor_close (cur);
  abort_txn (self, &txn);
  if (rc == RC_ERROR)
    return NULL;
  if (rc != MDB_NOTFOUND)
    return set_rc_error (self, error, rc, "listing datasets"), NULL;
  return g_steal_pointer (&list);
}

static SluiceStoreOwnedVersion *
copy_version (const SluiceStoreVersion *v)
{
  SluiceStoreOwnedVersion *copy
      = g_malloc (sizeof (*copy) + v->record.id_len + 1 + v->record.body_len);
  char *p = (char *)(copy + 1);

  *copy = *v;
  memcpy (p, v->record.id, v->record.id_len);
  p[v->record.id_len] = '\0';
  copy->record.id = p;
  p += v->record.id_len + 1;
  if (v->record.body_len > 0)
    memcpy (p, v->record.body, v->record.body_len);
  copy->record.body = p;
  return copy;
}

/* The version at @offset, borrowed from @txn: 0, MDB_NOTFOUND (no error set) or RC_ERROR. */
static int
get_version (LmdbBackend *self, MDB_txn *txn, const char *dataset, uint32_t dsid, int64_t offset,
             SluiceStoreVersion *ret, GError **error)
{
  uint8_t lk[12];
  MDB_val key = { 12, lk }, val;
  int rc;

  log_key (lk, dsid, offset);
  rc = mdb_get (txn, self->db_log, &key, &val);
  if (rc == MDB_NOTFOUND)
    return rc;
  if (rc != 0)
    return set_rc_error (self, error, rc, "reading dataset '%s'", dataset);
  return decode_version (self, dataset, &key, &val, ret, error) ? 0 : RC_ERROR;
}

static SluiceStoreOwnedVersion *
read_version (LmdbBackend *self, MDB_txn *txn, const char *dataset, uint32_t dsid, int64_t offset,
              GError **error)
{
  SluiceStoreVersion v;

  return get_version (self, txn, dataset, dsid, offset, &v, error) == 0 ? copy_version (&v) : NULL;
}

static SluiceStoreOwnedVersion *
lmdb_get_latest_in_view (SluiceStoreBackend *backend, const char *dataset, const char *id,
                         size_t id_len, const SluiceStoreView *view, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  SluiceStoreOwnedVersion *v = NULL;
  MDB_txn *txn;
  MDB_val key, val;
  uint32_t dsid;
  int64_t end, offset;
  int rc;

  if (open_view (self, dataset, view, &txn, &dsid, NULL, &end, error) != 0)
    return NULL;
  key.mv_size = id_key (buf, dsid, id, id_len);
  key.mv_data = buf->data;
  rc = mdb_get (txn, self->db_ids, &key, &val);
  if (rc == 0 && val.mv_size == ID_ENTRY_SIZE)
    {
      if (latest_before (self, txn, dsid, dataset, get_i64 (val.mv_data), end, &offset, error)
              == 0
          && offset != SLUICE_STORE_NO_OFFSET)
        v = read_version (self, txn, dataset, dsid, offset, error);
    }
  else if (rc != MDB_NOTFOUND)
    set_rc_error (self, error, rc != 0 ? rc : MDB_CORRUPTED, "reading dataset '%s'", dataset);
  abort_txn (self, &txn);
  return v;
}

/* The version of one ids entry that @end lets a view see: its offset (SLUICE_STORE_NO_OFFSET when
 * the id is new after the watermark), whether it is deleted and, for a hashed id key, the id as the
 * log record spells it. */
static int
live_entry (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset, const MDB_val *key,
            const MDB_val *val, int64_t end, int64_t *ret_offset, gboolean *ret_deleted,
            const char **ret_id, size_t *ret_id_len, GError **error)
{
  const uint8_t *entry = val->mv_data;
  gboolean hashed = key->mv_size == 4 + ID_KEY_HASHED_LEN;
  int64_t latest = get_i64 (entry);
  int rc;

  if (val->mv_size != ID_ENTRY_SIZE)
    return set_rc_error (self, error, MDB_CORRUPTED, "dataset '%s': reading the id index",
                         dataset);
  *ret_deleted = (entry[8 + SLUICE_STORE_HASH_SIZE] & REC_DELETED) != 0;
  *ret_id = (const char *)key->mv_data + 4;
  *ret_id_len = key->mv_size - 4;
  if ((rc = latest_before (self, txn, dsid, dataset, latest, end, ret_offset, error)) != 0)
    return rc;
  if (*ret_offset != SLUICE_STORE_NO_OFFSET && (*ret_offset != latest || hashed))
    {
      SluiceStoreVersion v;

      rc = get_version (self, txn, dataset, dsid, *ret_offset, &v, error);
      if (rc == MDB_NOTFOUND)
        return set_rc_error (self, error, MDB_CORRUPTED,
                             "dataset '%s': the id index names offset %" G_GINT64_FORMAT
                             ", which is not in the log", dataset, *ret_offset);
      if (rc != 0)
        return rc;
      *ret_deleted = v.record.deleted;
      *ret_id = v.record.id;
      *ret_id_len = v.record.id_len;
    }
  return 0;
}

static gboolean
lmdb_scan_live (SluiceStoreBackend *backend, const char *dataset, const SluiceStoreView *view,
                SluiceStoreLiveFunc func, gpointer user_data, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  g_autoptr (GError) local_error = NULL;
  MDB_txn *txn;
  MDB_cursor *cur = NULL;
  MDB_val key, val;
  uint8_t prefix[4];
  uint32_t dsid;
  int64_t end;
  guint64 visited = 0;
  gboolean ok = TRUE;
  int rc;

  rc = open_view (self, dataset, view, &txn, &dsid, NULL, &end, &local_error);
  if (rc != 0)
    {
      if (g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  put_be32 (prefix, dsid);
  key = (MDB_val){ 4, prefix };
  rc = mdb_cursor_open (txn, self->db_ids, &cur);
  if (rc == 0)
    rc = mdb_cursor_get (cur, &key, &val, MDB_SET_RANGE);
  for (; rc == 0 && ok; rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT))
    {
      const char *id = NULL;
      size_t id_len = 0;
      int64_t offset = SLUICE_STORE_NO_OFFSET;
      gboolean deleted = TRUE;

      if (key.mv_size < 4 || get_be32 (key.mv_data) != dsid)
        break;
      if (live_entry (self, txn, dsid, dataset, &key, &val, end, &offset, &deleted, &id, &id_len,
                      error)
          != 0)
        {
          ok = FALSE;
          rc = 0;
          break;
        }
      if (offset != SLUICE_STORE_NO_OFFSET && !deleted)
        ok = func (id, id_len, offset, user_data, error);
      /* A long scan holds its transaction throughout: trim the map along the way. */
      if (++visited % READ_CHUNK == 0)
        trim_map (self);
    }
  if (ok && rc != 0 && rc != MDB_NOTFOUND)
    ok = set_rc_error (self, error, rc, "scanning the ids of dataset '%s'", dataset) == 0;
  if (cur != NULL)
    mdb_cursor_close (cur);
  abort_txn (self, &txn);
  return ok;
}

static SluiceStoreOwnedVersion *
lmdb_get_latest (SluiceStoreBackend *backend, const char *dataset, const char *id, size_t id_len,
                 GError **error)
{
  return lmdb_get_latest_in_view (backend, dataset, id, id_len, NULL, error);
}

static SluiceStoreOwnedVersion *
lmdb_get_version_in_view (SluiceStoreBackend *backend, const char *dataset, int64_t offset,
                          const SluiceStoreView *view, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  SluiceStoreOwnedVersion *v = NULL;
  MDB_txn *txn;
  uint32_t dsid;
  int64_t end;

  if (open_view (self, dataset, view, &txn, &dsid, NULL, &end, error) != 0)
    return NULL;
  if (offset >= 0 && offset < end)
    v = read_version (self, txn, dataset, dsid, offset, error);
  abort_txn (self, &txn);
  return v;
}

static SluiceStoreOwnedVersion *
lmdb_get_version (SluiceStoreBackend *backend, const char *dataset, int64_t offset, GError **error)
{
  return lmdb_get_version_in_view (backend, dataset, offset, NULL, error);
}

static gboolean
lmdb_get_breaker (SluiceStoreBackend *backend, const char *dataset, SluiceBreakerState *ret_state,
                  GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  MDB_txn *txn;
  uint32_t dsid;
  Breaker b;
  int rc;

  if (open_view (self, dataset, NULL, &txn, &dsid, NULL, NULL, error) != 0)
    return FALSE;
  rc = load_breaker (self, txn, dsid, dataset, &b, error);
  abort_txn (self, &txn);
  if (rc != 0)
    return FALSE;
  *ret_state = b.state;
  return TRUE;
}

static SluiceStoreCursor *
lmdb_read (SluiceStoreBackend *backend, const SluiceStoreQuery *query, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  MDB_txn *txn = begin_txn (self, MDB_RDONLY, error);
  LmdbCursor *c;
  uint32_t dsid;
  int rc;

  if (txn == NULL)
    return NULL;
  rc = lookup_dataset (self, txn, query->dataset, &dsid, NULL, error);
  abort_txn (self, &txn);
  if (rc == MDB_NOTFOUND)
    not_found (self, query->dataset, error);
  if (rc != 0)
    return NULL;

  c = g_new0 (LmdbCursor, 1);
  c->parent.backend = backend;
  c->self = self;
  c->dataset = g_strdup (query->dataset);
  c->dsid = dsid;
  c->next = query->since + 1;
  c->remaining = query->limit > 0 ? query->limit : G_MAXUINT64;
  c->history = query->history;
  c->deleted = query->deleted;
  c->uncommitted = query->uncommitted;
  c->holder = g_strdup (query->holder);
  c->end = G_MAXINT64;
  c->scratch = g_byte_array_new ();
  return &c->parent;
}

static void
cursor_release (LmdbCursor *c)
{
  if (c->cur != NULL)
    {
      mdb_cursor_close (c->cur);
      c->cur = NULL;
    }
  abort_txn (c->self, &c->txn);
}

/* Opens a read transaction and positions the cursor at the first offset ≥ c->next. */
static int
cursor_acquire (LmdbCursor *c, MDB_val *key, MDB_val *val, GError **error)
{
  LmdbBackend *self = c->self;
  uint8_t lk[12];
  uint32_t dsid;
  Meta meta;
  int rc;

  c->txn = begin_txn (self, MDB_RDONLY, error);
  if (c->txn == NULL)
    return RC_ERROR;
  /* Another process or thread may have deleted (and maybe recreated) the dataset between two
   * chunks: the offsets of a new generation mean nothing to this reader. */
  rc = lookup_dataset (self, c->txn, c->dataset, &dsid, &meta, error);
  if (rc == 0 && dsid != c->dsid)
    rc = MDB_NOTFOUND;
  if (rc == MDB_NOTFOUND)
    {
      g_set_error (
          error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND,
          "%s: dataset '%s' was deleted while it was being read (at offset %" G_GINT64_FORMAT ")",
          self->description, c->dataset, c->next);
      return RC_ERROR;
    }
  if (rc != 0)
    return rc;
  /* While no id has a second version, every version is its id's latest: the chunk needs no
   * lookups in the id index (a dataset written once, the common case of a first load). */
  c->all_latest = meta.version_count <= meta.id_count;
  /* The watermark may move between chunks (a commit); read what is committed now. */
  rc = resolve_view (self, c->txn, c->dsid, c->dataset, c->uncommitted, c->holder, &c->end, NULL,
                     error);
  if (rc != 0)
    return rc;
  rc = mdb_cursor_open (c->txn, self->db_log, &c->cur);
  if (rc != 0)
    return set_rc_error (self, error, rc, "reading dataset '%s'", c->dataset);
  log_key (lk, c->dsid, c->next);
  *key = (MDB_val){ 12, lk };
  c->in_chunk = 0;
  return mdb_cursor_get (c->cur, key, val, MDB_SET_RANGE);
}

static int
is_latest (LmdbCursor *c, const SluiceStoreVersion *v, gboolean *ret, GError **error)
{
  MDB_val key, val;
  int64_t latest;
  int rc;

  key.mv_size = id_key (c->scratch, c->dsid, v->record.id, v->record.id_len);
  key.mv_data = c->scratch->data;
  rc = mdb_get (c->txn, c->self->db_ids, &key, &val);
  if (rc != 0 || val.mv_size != ID_ENTRY_SIZE)
    return set_rc_error (c->self, error, rc != 0 ? rc : MDB_CORRUPTED,
                         "dataset '%s': looking up the id of offset %" G_GINT64_FORMAT, c->dataset,
                         v->offset);
  if (latest_before (c->self, c->txn, c->dsid, c->dataset, get_i64 (val.mv_data), c->end, &latest,
                     error)
      != 0)
    return RC_ERROR;
  *ret = latest == v->offset;
  return 0;
}

static const SluiceStoreVersion *
lmdb_cursor_next (SluiceStoreCursor *cursor, GError **error)
{
  LmdbCursor *c = (LmdbCursor *)cursor;
  MDB_val key, val;
  int rc;

  if (c->done)
    return NULL;
  if (c->remaining == 0)
    goto end;
  if (c->txn != NULL && c->in_chunk >= READ_CHUNK)
    cursor_release (c);
  if (c->txn == NULL)
    rc = cursor_acquire (c, &key, &val, error);
  else
    rc = mdb_cursor_get (c->cur, &key, &val, MDB_NEXT);

  for (;;)
    {
      gboolean keep = TRUE;

      if (rc == MDB_NOTFOUND)
        goto end;
      if (rc != 0)
        goto fail;
      if (key.mv_size != 12 || get_be32 (key.mv_data) != c->dsid)
        goto end;
      if (!decode_version (c->self, c->dataset, &key, &val, &c->version, error))
        goto fail;
      if (c->version.offset >= c->end)
        goto end;
      c->next = c->version.offset + 1;
      c->in_chunk++;
      if (!c->deleted && c->version.record.deleted)
        keep = FALSE;
      else if (!c->history && !c->all_latest
               && (rc = is_latest (c, &c->version, &keep, error)) != 0)
        goto fail;
      if (keep)
        {
          c->remaining--;
          return &c->version;
        }
      /* A long run of filtered-out versions must not hold the transaction either. */
      if (c->in_chunk >= READ_CHUNK)
        {
          cursor_release (c);
          rc = cursor_acquire (c, &key, &val, error);
        }
      else
        rc = mdb_cursor_get (c->cur, &key, &val, MDB_NEXT);
    }

fail:
  if (rc != RC_ERROR)
    set_rc_error (c->self, error, rc, "reading dataset '%s'", c->dataset);
  c->done = TRUE;
  cursor_release (c);
  return NULL;

end:
  c->done = TRUE;
  cursor_release (c);
  return NULL;
}

/* The next lmdb_cursor_next () reacquires a transaction at c->next, just after the last version
 * returned, as it does between chunks. */
static void
lmdb_cursor_pause (SluiceStoreCursor *cursor)
{
  cursor_release ((LmdbCursor *)cursor);
}

static void
lmdb_cursor_free (SluiceStoreCursor *cursor)
{
  LmdbCursor *c = (LmdbCursor *)cursor;

  cursor_release (c);
  g_byte_array_unref (c->scratch);
  g_free (c->dataset);
  g_free (c->holder);
  g_free (c);
}

static gboolean
lmdb_get_pipe_state (SluiceStoreBackend *backend, const char *pipe, SluicePipeState *ret_state,
                     GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  MDB_txn *txn = begin_txn (self, MDB_RDONLY, error);
  MDB_val key = { strlen (pipe), (void *)pipe }, val;
  gboolean found = FALSE;
  int rc;

  memset (ret_state, 0, sizeof (*ret_state));
  if (txn == NULL)
    return FALSE;
  rc = mdb_get (txn, self->db_pipes, &key, &val);
  if (rc == 0)
    {
      found = decode_pipe_state (val.mv_data, val.mv_size, ret_state);
      if (!found)
        g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
                     "%s: the stored state of pipe '%s' is malformed (%zu bytes)",
                     self->description, pipe, val.mv_size);
    }
  else if (rc != MDB_NOTFOUND)
    set_rc_error (self, error, rc, "reading the state of pipe '%s'", pipe);
  abort_txn (self, &txn);
  return found;
}

/* Compaction: one chunk of ids per write transaction, resuming after the last id key. */
static int
compact_chunk (LmdbBackend *self, MDB_txn *txn, const char *dataset, const char *generation,
               const SluiceCompactOptions *options, int64_t cutoff, GByteArray *resume,
               gboolean *ret_done, SluiceCompactStats *stats, GError **error)
{
  MDB_cursor *cur = NULL;
  MDB_val key, val;
  uint32_t dsid;
  Meta meta;
  uint64_t removed = 0;
  int keep = MAX (options->keep_versions, 1);
  int rc, n = 0;

  rc = lookup_dataset (self, txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND || (rc == 0 && strncmp (meta.generation, generation, 36) != 0))
    {
      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND,
                   "%s: dataset '%s' was deleted while it was being compacted", self->description,
                   dataset);
      return RC_ERROR;
    }
  if (rc != 0)
    return rc;
  {
    Breaker b;

    /* A rollback needs every version the id index may go back to: no compaction while a
     * breaker holds or tripped the dataset (digest §6). */
    rc = load_breaker (self, txn, dsid, dataset, &b, error);
    if (rc == RC_ERROR)
      return rc;
    if (rc == 0)
      {
        breaker_clear (&b);
        *ret_done = TRUE;
        return 0;
      }
  }

  if (resume->len == 0)
    {
      g_byte_array_set_size (resume, 4);
      put_be32 (resume->data, dsid);
    }
  rc = mdb_cursor_open (txn, self->db_ids, &cur);
  if (rc != 0)
    goto out;
  key = (MDB_val){ resume->len, resume->data };
  rc = mdb_cursor_get (cur, &key, &val, MDB_SET_RANGE);
  if (rc == 0 && key.mv_size == resume->len && memcmp (key.mv_data, resume->data, resume->len) == 0
      && resume->len > 4)
    rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT);

  for (; rc == 0 && n < COMPACT_CHUNK; n++)
    {
      int64_t offset, latest;
      gboolean removing = FALSE;

      if (key.mv_size < 4 || get_be32 (key.mv_data) != dsid || val.mv_size != ID_ENTRY_SIZE)
        {
          rc = MDB_NOTFOUND;
          break;
        }
      g_byte_array_set_size (resume, key.mv_size);
      memcpy (resume->data, key.mv_data, key.mv_size);
      latest = offset = get_i64 (val.mv_data);
      stats->ids_visited++;

      /* Walk the _previous chain from the newest version.  Once one version goes, every older
       * one goes too, so the chain stays a prefix and later walks stop at the first gap. */
      for (int i = 0; offset != SLUICE_STORE_NO_OFFSET; i++)
        {
          uint8_t lk[12];
          MDB_val lkey = { 12, lk }, lval;
          int64_t ts, previous;

          log_key (lk, dsid, offset);
          rc = mdb_get (txn, self->db_log, &lkey, &lval);
          if (rc == MDB_NOTFOUND)
            {
              rc = 0;
              break;
            }
          if (rc != 0)
            goto out;
          if (lval.mv_size < LOG_HEADER_SIZE)
            {
              rc = MDB_CORRUPTED;
              goto out;
            }
          ts = get_i64 (lval.mv_data);
          previous = get_i64 ((const uint8_t *)lval.mv_data + 8);
          if (!removing && offset != latest && i >= keep && ts <= cutoff)
            removing = TRUE;
          if (removing)
            {
              if ((rc = mdb_del (txn, self->db_log, &lkey, NULL)) != 0)
                goto out;
              removed++;
            }
          if (previous >= offset)
            break; /* never loop on a damaged chain */
          offset = previous;
        }
      rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT);
    }

out:
  if (cur != NULL)
    mdb_cursor_close (cur);
  *ret_done = rc == MDB_NOTFOUND;
  if (rc == MDB_NOTFOUND)
    rc = 0;
  if (rc == 0 && removed > 0)
    {
      meta.version_count -= MIN (removed, meta.version_count);
      rc = put_meta (self, txn, dsid, &meta, dataset, error);
    }
  if (rc == 0)
    stats->versions_removed += removed;
  else if (rc != RC_ERROR && rc != MDB_MAP_FULL)
    rc = set_rc_error (self, error, rc, "compacting dataset '%s'", dataset);
  return rc;
}

static gboolean
lmdb_compact (SluiceStoreBackend *backend, const char *dataset, const SluiceCompactOptions *options,
              SluiceCompactStats *ret_stats, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (GByteArray) resume = g_byte_array_new ();
  g_autofree char *what = g_strdup_printf ("compacting dataset '%s'", dataset);
  SluiceCompactStats stats = { 0 };
  int64_t cutoff = G_MAXINT64;
  gboolean done = FALSE;

  if (options->time_threshold_hours >= 0)
    cutoff = g_get_real_time () - options->time_threshold_hours * 3600 * G_USEC_PER_SEC;
  info = lmdb_get_dataset_info (backend, dataset, error);
  if (info == NULL)
    return FALSE;

  while (!done)
    {
      g_autoptr (GByteArray) saved = g_byte_array_sized_new (resume->len);
      SluiceCompactStats chunk = stats;
      MDB_txn *txn;
      int rc;

      g_byte_array_append (saved, resume->data, resume->len);
      txn = begin_txn (self, 0, error);
      if (txn == NULL)
        return FALSE;
      rc = compact_chunk (self, txn, dataset, info->generation, options, cutoff, resume, &done,
                          &chunk, error);
      if (rc == 0)
        {
          rc = commit_txn (self, &txn);
          if (rc == 0)
            {
              stats = chunk;
              continue;
            }
        }
      else
        abort_txn (self, &txn);
      if (rc == RC_ERROR)
        return FALSE;
      if (rc != MDB_MAP_FULL)
        return set_rc_error (self, error, rc, "%s", what), FALSE;
      /* Redo the chunk in a bigger map. */
      if (!grow_map (self, what, error))
        return FALSE;
      g_byte_array_set_size (resume, 0);
      g_byte_array_append (resume, saved->data, saved->len);
      done = FALSE;
    }
  if (ret_stats != NULL)
    *ret_stats = stats;
  return TRUE;
}

/* Opening and closing. */

static void
lmdb_free (SluiceStoreBackend *backend)
{
  LmdbBackend *self = (LmdbBackend *)backend;

  if (self->env_open)
    env_sync (self);
  if (self->env != NULL)
    mdb_env_close (self->env);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->trim_lock);
  g_cond_clear (&self->cond);
  g_free (self->dir);
  g_free (self->description);
  g_free (self);
}

static const char *
lmdb_describe (SluiceStoreBackend *backend)
{
  return ((LmdbBackend *)backend)->description;
}

uint64_t
sluice_store_lmdb_get_map_size (SluiceStoreBackend *backend)
{
  g_return_val_if_fail (backend->vtable == &lmdb_vtable, 0);
  return current_map_size ((LmdbBackend *)backend);
}

static gboolean
open_databases (LmdbBackend *self, gboolean new_store, GError **error)
{
  MDB_txn *txn = begin_txn (self, 0, error);
  uint8_t hk[4] = { 0 };
  MDB_val key = { 4, hk }, val;
  StoreHeader header = { FORMAT_VERSION, 1 };
  int rc;

  if (txn == NULL)
    return FALSE;
  if ((rc = mdb_dbi_open (txn, "datasets", MDB_CREATE, &self->db_datasets)) != 0
      || (rc = mdb_dbi_open (txn, "meta", MDB_CREATE, &self->db_meta)) != 0
      || (rc = mdb_dbi_open (txn, "log", MDB_CREATE, &self->db_log)) != 0
      || (rc = mdb_dbi_open (txn, "ids", MDB_CREATE, &self->db_ids)) != 0
      || (rc = mdb_dbi_open (txn, "pipes", MDB_CREATE, &self->db_pipes)) != 0)
    goto fail;
  rc = mdb_get (txn, self->db_meta, &key, &val);
  if (rc == MDB_NOTFOUND)
    {
      val = (MDB_val){ sizeof (header), &header };
      rc = mdb_put (txn, self->db_meta, &key, &val, 0);
    }
  else if (rc == 0)
    {
      if (val.mv_size != sizeof (header))
        rc = MDB_CORRUPTED;
      else
        {
          memcpy (&header, val.mv_data, sizeof (header));
          if (header.format != FORMAT_VERSION)
            {
              abort_txn (self, &txn);
              g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
                           "%s: the store has format version %u: expected version %u",
                           self->description, header.format, FORMAT_VERSION);
              return FALSE;
            }
        }
    }
  if (rc != 0)
    goto fail;
  rc = commit_txn (self, &txn);
  if (rc == EIO && looks_like_disk_full (self))
    rc = ENOSPC;
  if (is_space_error (rc))
    {
      g_autofree char *path = g_build_filename (self->dir, "data.mdb", NULL);

      set_no_space_error (self, error, rc, path, new_store);
      return FALSE;
    }
  if (rc != 0)
    return set_rc_error (self, error, rc, "opening the databases"), FALSE;
  return TRUE;

fail:
  abort_txn (self, &txn);
  return set_rc_error (self, error, rc, "opening the databases"), FALSE;
}

/* LMDB extends its lock file to LOCK_FILE_SIZE and writes it through a shared map.  The blocks of
 * a file extended that way are allocated only when a page of it is first written, and on a full
 * file system that write is a SIGBUS, not an error.  So the blocks are allocated here first, where
 * a full file system is an error; where the file system cannot allocate ahead, its free space is
 * checked instead.  *@ret_created says whether this call created the file. */
static gboolean
allocate_lock_file (LmdbBackend *self, const char *path, gboolean *ret_created, GError **error)
{
  off_t size = LOCK_FILE_SIZE;
  struct stat st = { 0 };
  int fd, rc;

  fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  *ret_created = fd >= 0;
  if (fd < 0 && errno == EEXIST)
    fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return TRUE; /* mdb_env_open says why it cannot open it */
  if (fstat (fd, &st) == 0 && st.st_size > size)
    size = st.st_size;
  do
    rc = fallocate (fd, 0, 0, size) == 0 ? 0 : errno;
  while (rc == EINTR);
  if (rc == EOPNOTSUPP)
    {
      uint64_t allocated = (uint64_t)st.st_blocks * 512;
      struct statvfs vfs;

      rc = 0;
      if (allocated < (uint64_t)size && fstatvfs (fd, &vfs) == 0
          && (uint64_t)vfs.f_bavail * vfs.f_frsize < (uint64_t)size - allocated)
        rc = ENOSPC;
    }
  close (fd);
  if (!is_space_error (rc))
    return TRUE; /* anything else is LMDB's to meet, as without this */
  if (*ret_created)
    unlink (path);
  set_no_space_error (self, error, rc, path, *ret_created);
  return FALSE;
}

/* The map size a store opens with: @initial doubled until the data file (@file_size bytes, 0 for
 * a new store) fills at most half of it, so that a start does not find the map at the growth
 * threshold (¾ used); at most @max, unless the file is larger still. */
static uint64_t
opening_map_size (uint64_t initial, uint64_t file_size, uint64_t max)
{
  uint64_t size = initial;

  while (size < max && size / 2 < file_size)
    size *= 2;
  return MAX (MIN (size, max), file_size);
}

SluiceStoreBackend *
sluice_store_lmdb_open (const char *dir, const SluiceStoreLmdbOptions *options, GError **error)
{
  LmdbBackend *self;
  uint64_t initial = DEFAULT_INITIAL_MAP;
  g_autofree char *data_path = g_build_filename (dir, "data.mdb", NULL);
  g_autofree char *lock_path = g_build_filename (dir, "lock.mdb", NULL);
  struct stat data_st;
  gboolean new_store, lock_created = FALSE, remove_files = FALSE;
  uint64_t used;
  int rc, dead = 0;

  g_return_val_if_fail (dir != NULL, NULL);

  self = g_new0 (LmdbBackend, 1);
  self->parent.vtable = &lmdb_vtable;
  self->dir = g_strdup (dir);
  self->description = g_strdup_printf ("store at %s", dir);
  self->max_map_size = DEFAULT_MAX_MAP;
  self->sync_interval_us = 1000 * 1000;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->trim_lock);
  g_cond_init (&self->cond);
  if (options != NULL)
    {
      if (options->initial_map_size > 0)
        initial = options->initial_map_size;
      if (options->max_map_size > 0)
        self->max_map_size = options->max_map_size;
      if (options->sync_interval_ms > 0)
        self->sync_interval_us = (int64_t)options->sync_interval_ms * 1000;
    }
  self->max_map_size = MAX (self->max_map_size, initial);
  self->last_sync = g_get_monotonic_time ();

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_IO,
                   "store at %s: cannot create the directory: %s", dir, g_strerror (saved));
      goto fail;
    }
  if ((rc = mdb_env_create (&self->env)) != 0)
    {
      set_rc_error (self, error, rc, "creating the environment");
      goto fail;
    }
  mdb_env_set_maxdbs (self->env, 8);
  mdb_env_set_maxreaders (self->env, MAX_READERS);
  if (stat (data_path, &data_st) != 0)
    data_st.st_size = 0;
  /* LMDB starts a store afresh when data.mdb is missing or empty. */
  new_store = data_st.st_size == 0;
  mdb_env_set_mapsize (self->env, opening_map_size (initial, data_st.st_size, self->max_map_size));
  if (!allocate_lock_file (self, lock_path, &lock_created, error))
    goto fail;
  /* MDB_NOMETASYNC keeps integrity across power loss but may lose the last commits: see the
   * durability policy in docs/store.md.  MDB_NOTLS lets one thread hold several readers. */
  rc = mdb_env_open (self->env, dir, MDB_NOTLS | MDB_NOMETASYNC, 0600);
  if (rc != 0)
    {
      if (is_space_error (rc))
        {
          set_no_space_error (self, error, rc, data_path, new_store);
          remove_files = new_store;
        }
      else
        set_rc_error (self, error, rc, "opening");
      goto fail;
    }
  self->env_open = TRUE;
  {
    int fd;
    struct stat st;

    if (mdb_env_get_fd (self->env, &fd) == 0 && fstat (fd, &st) == 0)
      {
        self->file_dev = st.st_dev;
        self->file_ino = st.st_ino;
      }
  }
  /* LMDB never makes the map smaller than the data. */
  map_usage (self, &used, &self->map_size);
  /* Reader slots of processes that died (crashed, killed) would pin old pages forever. */
  mdb_reader_check (self->env, &dead);
  if (dead > 0)
    g_debug ("%s: cleared %d stale reader slots", self->description, dead);
  {
    g_autoptr (GError) local_error = NULL;

    if (!open_databases (self, new_store, &local_error))
      {
        remove_files = new_store
                       && g_error_matches (local_error, SLUICE_STORE_ERROR,
                                           SLUICE_STORE_ERROR_DISK_FULL);
        g_propagate_error (error, g_steal_pointer (&local_error));
        goto fail;
      }
  }
  purge_dropped (self);
  return &self->parent;

fail:
  lmdb_free (&self->parent);
  /* A store that could not be created for want of space leaves nothing behind: a data.mdb cut
   * short would make every later open fail. */
  if (remove_files)
    {
      unlink (data_path);
      if (lock_created)
        unlink (lock_path);
    }
  return NULL;
}

static const SluiceStoreBackendVTable lmdb_vtable = {
  .struct_size = sizeof (SluiceStoreBackendVTable),
  .name = "lmdb",
  .free = lmdb_free,
  .describe = lmdb_describe,
  .list_datasets = lmdb_list_datasets,
  .get_dataset_info = lmdb_get_dataset_info,
  .begin = lmdb_begin,
  .txn_create_dataset = lmdb_txn_create_dataset,
  .txn_delete_dataset = lmdb_txn_delete_dataset,
  .txn_append = lmdb_txn_append,
  .txn_set_populated = lmdb_txn_set_populated,
  .txn_set_pipe_state = lmdb_txn_set_pipe_state,
  .txn_delete_pipe_state = lmdb_txn_delete_pipe_state,
  .txn_commit = lmdb_txn_commit,
  .txn_abort = lmdb_txn_abort,
  .get_latest = lmdb_get_latest,
  .get_version = lmdb_get_version,
  .read = lmdb_read,
  .cursor_next = lmdb_cursor_next,
  .cursor_free = lmdb_cursor_free,
  .get_pipe_state = lmdb_get_pipe_state,
  .compact = lmdb_compact,
  .sync = lmdb_sync,
  .cursor_pause = lmdb_cursor_pause,
  .get_dataset_info_in_view = lmdb_get_dataset_info_in_view,
  .get_latest_in_view = lmdb_get_latest_in_view,
  .get_version_in_view = lmdb_get_version_in_view,
  .get_breaker = lmdb_get_breaker,
  .txn_set_breaker = lmdb_txn_set_breaker,
  .txn_release_breaker = lmdb_txn_release_breaker,
  .scan_live = lmdb_scan_live,
  .txn_roll_back_breaker_part = lmdb_txn_roll_back_breaker_part,
};
