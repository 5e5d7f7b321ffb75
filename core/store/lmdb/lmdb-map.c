/* lmdb-map.c — the map rule (stated at LmdbBackend.lock in lmdb-private.h) and map growth: every
 * LMDB transaction of the backend begins and ends here, the environment is read outside a
 * transaction only here, and the open map is resized only here, once no thread of this process
 * uses it. */
#include "lmdb-private.h"

#define GROW_TIMEOUT_S 30

static void
map_enter (LmdbBackend *self)
{
  g_mutex_lock (&self->lock);
  while (self->growing)
    g_cond_wait (&self->cond, &self->lock);
  self->map_users++;
  g_mutex_unlock (&self->lock);
}

static void
map_leave (LmdbBackend *self)
{
  sluice_lmdb_trim_map (self);
  g_mutex_lock (&self->lock);
  if (--self->map_users == 0)
    g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

uint64_t
sluice_lmdb_current_map_size (LmdbBackend *self)
{
  uint64_t size;

  g_mutex_lock (&self->lock);
  size = self->map_size;
  g_mutex_unlock (&self->lock);
  return size;
}

/* The bytes of the map that hold data, and the size of the map. */
void
sluice_lmdb_map_usage (LmdbBackend *self, uint64_t *ret_used, uint64_t *ret_size)
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

int
sluice_lmdb_env_sync (LmdbBackend *self)
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
gboolean
sluice_lmdb_resize_map (LmdbBackend *self, uint64_t seen_size, uint64_t new_size, gboolean wait,
                        GError **error)
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
    return sluice_lmdb_set_rc_error (
               self, error, rc, "resizing the map to %" G_GUINT64_FORMAT " MiB", new_size >> 20),
           FALSE;
  if (new_size != 0)
    g_debug ("%s: map grown to %" G_GUINT64_FORMAT " MiB", self->description, new_size >> 20);
  return TRUE;
}

/* Doubles the map (up to the maximum); SLUICE_STORE_ERROR_SIZE_LIMIT when it is at the maximum
 * already. */
gboolean
sluice_lmdb_grow_map (LmdbBackend *self, const char *what, GError **error)
{
  uint64_t size = sluice_lmdb_current_map_size (self);

  if (size >= self->max_map_size)
    return sluice_lmdb_set_rc_error (self, error, MDB_MAP_FULL, "%s", what), FALSE;
  return sluice_lmdb_resize_map (self, size, MIN (size * 2, self->max_map_size), TRUE, error);
}

/* Every transaction starts here, and holds the map until sluice_lmdb_commit_txn () or
 * sluice_lmdb_abort_txn (). */
MDB_txn *
sluice_lmdb_begin_txn (LmdbBackend *self, unsigned int flags, GError **error)
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
          if (!sluice_lmdb_resize_map (self, 0, 0, TRUE, error))
            return NULL;
          continue;
        }
      sluice_lmdb_set_rc_error (self, error, rc, "starting a transaction");
      return NULL;
    }
}

/* Commits *@txn and lets go of the map; *@txn is NULL afterwards.  Returns LMDB's result. */
int
sluice_lmdb_commit_txn (LmdbBackend *self, MDB_txn **txn)
{
  int rc = mdb_txn_commit (*txn);

  *txn = NULL;
  map_leave (self);
  return rc;
}

/* Aborts *@txn (nothing when NULL) and lets go of the map; *@txn is NULL afterwards. */
void
sluice_lmdb_abort_txn (LmdbBackend *self, MDB_txn **txn)
{
  if (*txn != NULL)
    {
      mdb_txn_abort (*txn);
      *txn = NULL;
      map_leave (self);
    }
}
