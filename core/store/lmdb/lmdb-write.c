/* lmdb-write.c — the operations of a write transaction on datasets and pipe state: create,
 * delete, append with change tracking, the populated flag, pipe state.  lmdb-txn.c journals them
 * and replays them after a full map; the breaker operations are in lmdb-breaker.c.
 *
 * Each returns 0, MDB_MAP_FULL (grow and replay) or RC_ERROR.  An error before anything was
 * written leaves the transaction usable.
 */
#include "lmdb-private.h"

int
sluice_lmdb_exec_create (LmdbTxn *t, const char *dataset, gboolean exist_ok,
                         SluiceDatasetInfo **ret_info, GError **error)
{
  LmdbBackend *self = t->self;
  uint8_t hk[4] = { 0 }, dk[4];
  MDB_val key, val;
  StoreHeader header;
  Meta meta = { 0 };
  uint32_t dsid;
  g_autofree char *uuid = NULL;
  int rc;

  rc = sluice_lmdb_lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == 0)
    {
      if (!exist_ok)
        {
          g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_EXISTS,
                       "%s: dataset '%s' exists already", self->description, dataset);
          return RC_ERROR;
        }
      if (ret_info != NULL)
        *ret_info = sluice_lmdb_info_from_meta (dataset, &meta);
      return 0;
    }
  if (rc != MDB_NOTFOUND)
    return rc;

  key = (MDB_val){ 4, hk };
  rc = mdb_get (t->txn, self->db_meta, &key, &val);
  if (rc != 0 || val.mv_size != sizeof (header))
    return sluice_lmdb_set_rc_error (self, error, rc != 0 ? rc : MDB_CORRUPTED,
                                     "reading the store header");
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
  if ((rc = sluice_lmdb_put_meta (self, t->txn, dsid, &meta, dataset, error)) != 0)
    return rc;
  if (ret_info != NULL)
    *ret_info = sluice_lmdb_info_from_meta (dataset, &meta);
  return 0;

fail:
  if (rc == MDB_MAP_FULL)
    return rc;
  t->poisoned = TRUE;
  return sluice_lmdb_set_rc_error (self, error, rc, "creating dataset '%s'", dataset);
}

int
sluice_lmdb_exec_delete (LmdbTxn *t, const char *dataset, GError **error)
{
  LmdbBackend *self = t->self;
  uint8_t mk[4], dropped[9] = { 0, 0, 0, 0, 'D' };
  MDB_val key, val = { 0, NULL };
  uint32_t dsid;
  int rc;

  rc = sluice_lmdb_lookup_dataset (self, t->txn, dataset, &dsid, NULL, error);
  if (rc == MDB_NOTFOUND)
    return sluice_lmdb_not_found (self, dataset, error);
  if (rc != 0)
    return rc;

  /* The name and metadata go now; the records go in chunks after commit (see
   * sluice_lmdb_purge_dropped), so deleting a huge dataset never needs one huge transaction. */
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
  return sluice_lmdb_set_rc_error (self, error, rc, "deleting dataset '%s'", dataset);
}

int
sluice_lmdb_exec_append (LmdbTxn *t, const char *dataset, const SluiceStoreRecord *records,
                         size_t n_records, uint32_t flags, int64_t *ret_offsets,
                         size_t *ret_n_appended, GError **error)
{
  LmdbBackend *self = t->self;
  Meta meta;
  uint32_t looked_up, dsid;
  size_t n_appended = 0;
  int64_t now = g_get_real_time ();
  MDB_cursor *icur = NULL, *lcur = NULL;
  gboolean log_append = TRUE;
  int rc;

  rc = sluice_lmdb_lookup_dataset (self, t->txn, dataset, &looked_up, &meta, error);
  if (rc == MDB_NOTFOUND)
    return sluice_lmdb_not_found (self, dataset, error);
  if (rc != 0)
    return rc;
  /* A copy whose address no function of another file sees, so that the loop below keeps it in a
   * register instead of reading it back after every call. */
  dsid = looked_up;
  {
    Breaker b;

    rc = sluice_lmdb_load_breaker (self, t->txn, dsid, dataset, &b, error);
    if (rc == RC_ERROR)
      return rc;
    if (rc == 0 && b.state.tripped)
      {
        g_set_error (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_TRIPPED,
                     "%s: dataset '%s': its circuit breaker is tripped (run %s of pipe '%s'): "
                     "nothing can be written to it until the breaker is committed or rolled back",
                     self->description, dataset, b.state.run_id, b.state.pipe);
        sluice_lmdb_breaker_clear (&b);
        return RC_ERROR;
      }
    if (rc == 0)
      sluice_lmdb_breaker_clear (&b);
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

      ikey.mv_size = sluice_lmdb_id_key (t->scratch, dsid, r->id, r->id_len);
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
  if (n_appended > 0
      && (rc = sluice_lmdb_put_meta (self, t->txn, dsid, &meta, dataset, error)) != 0)
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
  return sluice_lmdb_set_rc_error (self, error, rc, "appending to dataset '%s'", dataset);
}

int
sluice_lmdb_exec_populated (LmdbTxn *t, const char *dataset, gboolean populated, GError **error)
{
  LmdbBackend *self = t->self;
  Meta meta;
  uint32_t dsid;
  int rc;

  rc = sluice_lmdb_lookup_dataset (self, t->txn, dataset, &dsid, &meta, error);
  if (rc == MDB_NOTFOUND)
    return sluice_lmdb_not_found (self, dataset, error);
  if (rc != 0)
    return rc;
  if (populated)
    meta.flags |= META_POPULATED;
  else
    meta.flags &= ~META_POPULATED;
  return sluice_lmdb_put_meta (self, t->txn, dsid, &meta, dataset, error);
}

int
sluice_lmdb_exec_pipe_state (LmdbTxn *t, const char *pipe, GBytes *encoded, GError **error)
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
  return sluice_lmdb_set_rc_error (self, error, rc, "writing the state of pipe '%s'", pipe);
}
