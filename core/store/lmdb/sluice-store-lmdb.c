/* sluice-store-lmdb.c — the LMDB implementation of the store backend interface: opening and
 * closing the environment, and the vtable that collects the entries the other files of this folder
 * implement (lmdb-private.h lists them, one concern per file).
 *
 * Every write goes through a transaction that journals its operations: when LMDB reports a full
 * map, the transaction is aborted, the map grows (which LMDB allows only while no thread of this
 * process uses the map: the map rule at LmdbBackend.lock), and the journal is replayed.
 */
#define _GNU_SOURCE /* fallocate */
#include "lmdb-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define DEFAULT_INITIAL_MAP ((uint64_t)256 << 20)
#define DEFAULT_MAX_MAP ((uint64_t)1 << 40)
#define MAX_READERS 512
/* The size LMDB gives its lock file: a 192-byte header that holds the first reader slot, and a
 * 64-byte slot for every further reader (liblmdb 0.9). */
#define LOCK_FILE_SIZE (192 + (MAX_READERS - 1) * 64)

static const SluiceStoreBackendVTable lmdb_vtable;

/* A full file system while the store sets up @path, a file of a new store (@creating) or of an
 * existing one. */
static void
set_no_space_error (LmdbBackend *self, GError **error, int rc, const char *path, gboolean creating)
{
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL,
               "%s: cannot %s %s: the file system is full (%s)", self->description,
               creating ? "create" : "write", path, g_strerror (rc));
}

static void
lmdb_free (SluiceStoreBackend *backend)
{
  LmdbBackend *self = (LmdbBackend *)backend;

  if (self->env_open)
    sluice_lmdb_env_sync (self);
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
  return sluice_lmdb_current_map_size ((LmdbBackend *)backend);
}

static gboolean
open_databases (LmdbBackend *self, gboolean new_store, GError **error)
{
  MDB_txn *txn = sluice_lmdb_begin_txn (self, 0, error);
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
              sluice_lmdb_abort_txn (self, &txn);
              g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
                           "%s: the store has format version %u: expected version %u",
                           self->description, header.format, FORMAT_VERSION);
              return FALSE;
            }
        }
    }
  if (rc != 0)
    goto fail;
  rc = sluice_lmdb_commit_txn (self, &txn);
  if (rc == EIO && sluice_lmdb_looks_like_disk_full (self))
    rc = ENOSPC;
  if (sluice_lmdb_is_space_error (rc))
    {
      g_autofree char *path = g_build_filename (self->dir, "data.mdb", NULL);

      set_no_space_error (self, error, rc, path, new_store);
      return FALSE;
    }
  if (rc != 0)
    return sluice_lmdb_set_rc_error (self, error, rc, "opening the databases"), FALSE;
  return TRUE;

fail:
  sluice_lmdb_abort_txn (self, &txn);
  return sluice_lmdb_set_rc_error (self, error, rc, "opening the databases"), FALSE;
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
  if (!sluice_lmdb_is_space_error (rc))
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
      sluice_lmdb_set_rc_error (self, error, rc, "creating the environment");
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
      if (sluice_lmdb_is_space_error (rc))
        {
          set_no_space_error (self, error, rc, data_path, new_store);
          remove_files = new_store;
        }
      else
        sluice_lmdb_set_rc_error (self, error, rc, "opening");
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
  sluice_lmdb_map_usage (self, &used, &self->map_size);
  /* Reader slots of processes that died (crashed, killed) would pin old pages forever. */
  mdb_reader_check (self->env, &dead);
  if (dead > 0)
    g_debug ("%s: cleared %d stale reader slots", self->description, dead);
  {
    g_autoptr (GError) local_error = NULL;

    if (!open_databases (self, new_store, &local_error))
      {
        remove_files
            = new_store
              && g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL);
        g_propagate_error (error, g_steal_pointer (&local_error));
        goto fail;
      }
  }
  sluice_lmdb_purge_dropped (self);
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
  .name = "lmdb",
  .free = lmdb_free,
  .describe = lmdb_describe,
  .list_datasets = sluice_lmdb_list_datasets,
  .dup_dataset_info = sluice_lmdb_dup_dataset_info,
  .dup_latest = sluice_lmdb_dup_latest,
  .dup_version = sluice_lmdb_dup_version,
  .scan_live = sluice_lmdb_scan_live,
  .get_pipe_state = sluice_lmdb_get_pipe_state,
  .get_breaker = sluice_lmdb_get_breaker,
  .read = sluice_lmdb_read,
  .cursor_next = sluice_lmdb_cursor_next,
  .cursor_free = sluice_lmdb_cursor_free,
  .cursor_pause = sluice_lmdb_cursor_pause,
  .begin = sluice_lmdb_begin,
  .txn_create_dataset = sluice_lmdb_txn_create_dataset,
  .txn_delete_dataset = sluice_lmdb_txn_delete_dataset,
  .txn_append = sluice_lmdb_txn_append,
  .txn_set_populated = sluice_lmdb_txn_set_populated,
  .txn_set_pipe_state = sluice_lmdb_txn_set_pipe_state,
  .txn_delete_pipe_state = sluice_lmdb_txn_delete_pipe_state,
  .txn_set_breaker = sluice_lmdb_txn_set_breaker,
  .txn_release_breaker = sluice_lmdb_txn_release_breaker,
  .txn_roll_back_breaker_part = sluice_lmdb_txn_roll_back_breaker_part,
  .txn_commit = sluice_lmdb_txn_commit,
  .txn_abort = sluice_lmdb_txn_abort,
  .compact = sluice_lmdb_compact,
  .sync = sluice_lmdb_sync,
};
