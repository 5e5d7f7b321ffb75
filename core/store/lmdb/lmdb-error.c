/* lmdb-error.c — LMDB's return codes as SLUICE_STORE_ERROR errors that name the store and what it
 * was doing, and telling a full disk from other write errors. */
#include "lmdb-private.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

gboolean
sluice_lmdb_is_space_error (int rc)
{
  return rc == ENOSPC || rc == EDQUOT || rc == EFBIG;
}

int
sluice_lmdb_set_rc_error (LmdbBackend *self, GError **error, int rc, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list ap;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);

  if (sluice_lmdb_is_space_error (rc))
    g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL,
                 "%s: disk full while %s; nothing of the transaction was stored", self->description,
                 what);
  else if (rc == MDB_MAP_FULL)
    g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_SIZE_LIMIT,
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
gboolean
sluice_lmdb_looks_like_disk_full (LmdbBackend *self)
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

int
sluice_lmdb_not_found (LmdbBackend *self, const char *dataset, GError **error)
{
  g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND, "%s: no dataset '%s'",
               self->description, dataset);
  return RC_ERROR;
}
