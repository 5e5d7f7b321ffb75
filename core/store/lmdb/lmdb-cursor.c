/* lmdb-cursor.c — the streaming reader of the LMDB backend: versions after an offset, in offset
 * order, at most READ_CHUNK of them per read transaction, so that a reader never holds a
 * transaction for long (writers and growth wait for none), and memory does not grow with the
 * dataset.  A dataset deleted between two chunks fails the read. */
#include "lmdb-private.h"

typedef struct
{
  SluiceStoreCursor parent;
  LmdbBackend *self;
  char *dataset;
  uint32_t dsid;
  int64_t next;
  uint64_t remaining;
  gboolean history, deleted, done;
  gboolean all_latest;  /* in this chunk's transaction, no id has more than one version */
  gboolean uncommitted; /* the query's view, kept for the chunks to come */
  char *holder;
  int64_t end; /* versions at or after it are uncommitted in this reader's view */
  MDB_txn *txn;
  MDB_cursor *cur;
  guint in_chunk;
  SluiceStoreVersion version;
  GByteArray *scratch;
} LmdbCursor;

SluiceStoreCursor *
sluice_lmdb_read (SluiceStoreBackend *backend, const SluiceStoreQuery *query, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  MDB_txn *txn = sluice_lmdb_begin_txn (self, MDB_RDONLY, error);
  LmdbCursor *c;
  uint32_t dsid;
  int rc;

  if (txn == NULL)
    return NULL;
  rc = sluice_lmdb_lookup_dataset (self, txn, query->dataset, &dsid, NULL, error);
  sluice_lmdb_abort_txn (self, &txn);
  if (rc == MDB_NOTFOUND)
    sluice_lmdb_not_found (self, query->dataset, error);
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
  if (query->view != NULL)
    {
      c->uncommitted = query->view->uncommitted;
      c->holder = g_strdup (query->view->holder);
    }
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
  sluice_lmdb_abort_txn (c->self, &c->txn);
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

  c->txn = sluice_lmdb_begin_txn (self, MDB_RDONLY, error);
  if (c->txn == NULL)
    return RC_ERROR;
  /* Another process or thread may have deleted (and maybe recreated) the dataset between two
   * chunks: the offsets of a new generation mean nothing to this reader. */
  rc = sluice_lmdb_lookup_dataset (self, c->txn, c->dataset, &dsid, &meta, error);
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
  rc = sluice_lmdb_resolve_view (self, c->txn, c->dsid, c->dataset, c->uncommitted, c->holder,
                                 &c->end, NULL, error);
  if (rc != 0)
    return rc;
  rc = mdb_cursor_open (c->txn, self->db_log, &c->cur);
  if (rc != 0)
    return sluice_lmdb_set_rc_error (self, error, rc, "reading dataset '%s'", c->dataset);
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

  key.mv_size = sluice_lmdb_id_key (c->scratch, c->dsid, v->record.id, v->record.id_len);
  key.mv_data = c->scratch->data;
  rc = mdb_get (c->txn, c->self->db_ids, &key, &val);
  if (rc != 0 || val.mv_size != ID_ENTRY_SIZE)
    return sluice_lmdb_set_rc_error (c->self, error, rc != 0 ? rc : MDB_CORRUPTED,
                                     "dataset '%s': looking up the id of offset %" G_GINT64_FORMAT,
                                     c->dataset, v->offset);
  if (sluice_lmdb_latest_before (c->self, c->txn, c->dsid, c->dataset, get_i64 (val.mv_data),
                                 c->end, &latest, error)
      != 0)
    return RC_ERROR;
  *ret = latest == v->offset;
  return 0;
}

const SluiceStoreVersion *
sluice_lmdb_cursor_next (SluiceStoreCursor *cursor, GError **error)
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
      if (!sluice_lmdb_decode_version (c->self, c->dataset, &key, &val, &c->version, error))
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
    sluice_lmdb_set_rc_error (c->self, error, rc, "reading dataset '%s'", c->dataset);
  c->done = TRUE;
  cursor_release (c);
  return NULL;

end:
  c->done = TRUE;
  cursor_release (c);
  return NULL;
}

/* The next sluice_lmdb_cursor_next () reacquires a transaction at c->next, just after the last
 * version returned, as it does between chunks. */
void
sluice_lmdb_cursor_pause (SluiceStoreCursor *cursor)
{
  cursor_release ((LmdbCursor *)cursor);
}

void
sluice_lmdb_cursor_free (SluiceStoreCursor *cursor)
{
  LmdbCursor *c = (LmdbCursor *)cursor;

  cursor_release (c);
  g_byte_array_unref (c->scratch);
  g_free (c->dataset);
  g_free (c->holder);
  g_free (c);
}
