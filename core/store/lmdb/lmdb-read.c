/* lmdb-read.c — single reads of the LMDB backend, each in a read transaction of its own: dataset
 * info and the list of datasets, the latest version of an id, the version at an offset, the live
 * ids of a dataset (deletion tracking), pipe state and circuit breakers.  Each takes the view of a
 * reader (lmdb-breaker.c): committed, uncommitted, or the holder's.  The streaming reader is in
 * lmdb-cursor.c. */
#include "lmdb-private.h"

/* The newest version of an id below @end, walking `_previous` back from @offset (the id's latest).
 * SLUICE_STORE_NO_OFFSET when the id has none (it is new after the watermark). */
int
sluice_lmdb_latest_before (LmdbBackend *self, MDB_txn *txn, uint32_t dsid, const char *dataset,
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
        return sluice_lmdb_set_rc_error (
            self, error, rc != 0 ? rc : MDB_CORRUPTED,
            "dataset '%s': following _previous from offset %" G_GINT64_FORMAT, dataset, offset);
      previous = get_i64 ((const uint8_t *)val.mv_data + 8);
      if (previous >= offset)
        return sluice_lmdb_set_rc_error (
            self, error, MDB_CORRUPTED,
            "dataset '%s': following _previous from offset %" G_GINT64_FORMAT, dataset, offset);
      offset = previous;
    }
  *ret_offset = offset;
  return 0;
}

/* Opens a read transaction on @dataset: 0 with *ret_txn open, or not (error set).  With @ret_end,
 * also where @view (nullable: committed) ends, and @ret_meta (nullable) is the metadata as that
 * view sees it. */
static int
open_view (LmdbBackend *self, const char *dataset, const SluiceStoreView *view, MDB_txn **ret_txn,
           uint32_t *ret_dsid, Meta *ret_meta, int64_t *ret_end, GError **error)
{
  int rc;

  *ret_txn = sluice_lmdb_begin_txn (self, MDB_RDONLY, error);
  if (*ret_txn == NULL)
    return RC_ERROR;
  rc = sluice_lmdb_lookup_dataset (self, *ret_txn, dataset, ret_dsid, ret_meta, error);
  if (rc == MDB_NOTFOUND)
    rc = sluice_lmdb_not_found (self, dataset, error);
  if (rc == 0 && ret_end != NULL)
    rc = sluice_lmdb_resolve_view (self, *ret_txn, *ret_dsid, dataset,
                                   view != NULL && view->uncommitted,
                                   view != NULL ? view->holder : NULL, ret_end, ret_meta, error);
  if (rc != 0)
    sluice_lmdb_abort_txn (self, ret_txn);
  return rc;
}

SluiceDatasetInfo *
sluice_lmdb_dup_dataset_info (SluiceStoreBackend *backend, const char *dataset,
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
  info = sluice_lmdb_info_from_meta (dataset, &meta);
  sluice_lmdb_abort_txn (self, &txn);
  return info;
}

GPtrArray *
sluice_lmdb_list_datasets (SluiceStoreBackend *backend, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  g_autoptr (GPtrArray) list
      = g_ptr_array_new_with_free_func ((GDestroyNotify)sluice_dataset_info_free);
  MDB_txn *txn = sluice_lmdb_begin_txn (self, MDB_RDONLY, error);
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

      rc = sluice_lmdb_lookup_dataset (self, txn, name, &dsid, &meta, error);
      if (rc == 0)
        rc = sluice_lmdb_resolve_view (self, txn, dsid, name, FALSE, NULL, &end, &meta, error);
      if (rc != 0)
        break;
      g_ptr_array_add (list, sluice_lmdb_info_from_meta (name, &meta));
      rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT);
    }
  if (cur != NULL)
    mdb_cursor_close (cur);
  sluice_lmdb_abort_txn (self, &txn);
  if (rc == RC_ERROR)
    return NULL;
  if (rc != MDB_NOTFOUND)
    return sluice_lmdb_set_rc_error (self, error, rc, "listing datasets"), NULL;
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
    return sluice_lmdb_set_rc_error (self, error, rc, "reading dataset '%s'", dataset);
  return sluice_lmdb_decode_version (self, dataset, &key, &val, ret, error) ? 0 : RC_ERROR;
}

static SluiceStoreOwnedVersion *
read_version (LmdbBackend *self, MDB_txn *txn, const char *dataset, uint32_t dsid, int64_t offset,
              GError **error)
{
  SluiceStoreVersion v;

  return get_version (self, txn, dataset, dsid, offset, &v, error) == 0 ? copy_version (&v) : NULL;
}

SluiceStoreOwnedVersion *
sluice_lmdb_dup_latest (SluiceStoreBackend *backend, const char *dataset, const char *id,
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
  key.mv_size = sluice_lmdb_id_key (buf, dsid, id, id_len);
  key.mv_data = buf->data;
  rc = mdb_get (txn, self->db_ids, &key, &val);
  if (rc == 0 && val.mv_size == ID_ENTRY_SIZE)
    {
      if (sluice_lmdb_latest_before (self, txn, dsid, dataset, get_i64 (val.mv_data), end, &offset,
                                     error)
              == 0
          && offset != SLUICE_STORE_NO_OFFSET)
        v = read_version (self, txn, dataset, dsid, offset, error);
    }
  else if (rc != MDB_NOTFOUND)
    sluice_lmdb_set_rc_error (self, error, rc != 0 ? rc : MDB_CORRUPTED, "reading dataset '%s'",
                              dataset);
  sluice_lmdb_abort_txn (self, &txn);
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
    return sluice_lmdb_set_rc_error (self, error, MDB_CORRUPTED,
                                     "dataset '%s': reading the id index", dataset);
  *ret_deleted = (entry[8 + SLUICE_STORE_HASH_SIZE] & REC_DELETED) != 0;
  *ret_id = (const char *)key->mv_data + 4;
  *ret_id_len = key->mv_size - 4;
  if ((rc = sluice_lmdb_latest_before (self, txn, dsid, dataset, latest, end, ret_offset, error))
      != 0)
    return rc;
  if (*ret_offset != SLUICE_STORE_NO_OFFSET && (*ret_offset != latest || hashed))
    {
      SluiceStoreVersion v;

      rc = get_version (self, txn, dataset, dsid, *ret_offset, &v, error);
      if (rc == MDB_NOTFOUND)
        return sluice_lmdb_set_rc_error (self, error, MDB_CORRUPTED,
                                         "dataset '%s': the id index names offset %" G_GINT64_FORMAT
                                         ", which is not in the log",
                                         dataset, *ret_offset);
      if (rc != 0)
        return rc;
      *ret_deleted = v.record.deleted;
      *ret_id = v.record.id;
      *ret_id_len = v.record.id_len;
    }
  return 0;
}

gboolean
sluice_lmdb_scan_live (SluiceStoreBackend *backend, const char *dataset,
                       const SluiceStoreView *view, SluiceStoreLiveFunc func, gpointer user_data,
                       GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  g_autoptr (GError) local_error = NULL;
  MDB_txn *opened, *txn;
  MDB_cursor *cur = NULL;
  MDB_val key, val;
  uint8_t prefix[4];
  uint32_t opened_dsid, dsid;
  int64_t opened_end, end;
  guint64 visited = 0;
  gboolean ok = TRUE;
  int rc;

  rc = open_view (self, dataset, view, &opened, &opened_dsid, NULL, &opened_end, &local_error);
  if (rc != 0)
    {
      if (g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* Copies whose addresses no function of another file sees, so that the loop below keeps them in
   * registers instead of reading them back after every call. */
  txn = opened;
  dsid = opened_dsid;
  end = opened_end;
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
        sluice_lmdb_trim_map (self);
    }
  if (ok && rc != 0 && rc != MDB_NOTFOUND)
    ok = sluice_lmdb_set_rc_error (self, error, rc, "scanning the ids of dataset '%s'", dataset)
         == 0;
  if (cur != NULL)
    mdb_cursor_close (cur);
  sluice_lmdb_abort_txn (self, &opened);
  return ok;
}

SluiceStoreOwnedVersion *
sluice_lmdb_dup_version (SluiceStoreBackend *backend, const char *dataset, int64_t offset,
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
  sluice_lmdb_abort_txn (self, &txn);
  return v;
}

gboolean
sluice_lmdb_get_breaker (SluiceStoreBackend *backend, const char *dataset,
                         SluiceBreakerState *ret_state, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  MDB_txn *txn;
  uint32_t dsid;
  Breaker b;
  int rc;

  if (open_view (self, dataset, NULL, &txn, &dsid, NULL, NULL, error) != 0)
    return FALSE;
  rc = sluice_lmdb_load_breaker (self, txn, dsid, dataset, &b, error);
  sluice_lmdb_abort_txn (self, &txn);
  if (rc != 0)
    return FALSE;
  *ret_state = b.state;
  return TRUE;
}

gboolean
sluice_lmdb_get_pipe_state (SluiceStoreBackend *backend, const char *pipe,
                            SluicePipeState *ret_state, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  MDB_txn *txn = sluice_lmdb_begin_txn (self, MDB_RDONLY, error);
  MDB_val key = { strlen (pipe), (void *)pipe }, val;
  gboolean found = FALSE;
  int rc;

  memset (ret_state, 0, sizeof (*ret_state));
  if (txn == NULL)
    return FALSE;
  rc = mdb_get (txn, self->db_pipes, &key, &val);
  if (rc == 0)
    {
      found = sluice_lmdb_decode_pipe_state (val.mv_data, val.mv_size, ret_state);
      if (!found)
        g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_CORRUPT,
                     "%s: the stored state of pipe '%s' is malformed (%zu bytes)",
                     self->description, pipe, val.mv_size);
    }
  else if (rc != MDB_NOTFOUND)
    sluice_lmdb_set_rc_error (self, error, rc, "reading the state of pipe '%s'", pipe);
  sluice_lmdb_abort_txn (self, &txn);
  return found;
}
