/* lmdb-txn.c — write transactions of the LMDB backend.  Every operation is journalled once it has
 * run: when LMDB reports a full map, the transaction is aborted, the map grows (lmdb-map.c) and
 * the journal is replayed in a new LMDB transaction, so that a caller never sees MDB_MAP_FULL
 * before the map has reached its maximum.  Commit flushes when the commit is durable or the last
 * flush is older than the sync interval, and purges the records of datasets the transaction
 * deleted. */
#include "lmdb-private.h"

#define MAX_GROW_ATTEMPTS 24

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
        return sluice_lmdb_exec_create (t, op->name, op->flag, ret_info, error);
      case OP_DELETE:
        return sluice_lmdb_exec_delete (t, op->name, error);
      case OP_APPEND:
        {
          g_autofree SluiceStoreRecord *copy = NULL;

          if (records == NULL)
            records = copy = deserialize_records (op->data, op->n_records);
          return sluice_lmdb_exec_append (t, op->name, records, op->n_records, op->flags,
                                          ret_offsets, ret_n_appended, error);
        }
      case OP_POPULATED:
        return sluice_lmdb_exec_populated (t, op->name, op->flag, error);
      case OP_PIPE_STATE:
        return sluice_lmdb_exec_pipe_state (t, op->name, op->data, error);
      case OP_DELETE_PIPE:
        return sluice_lmdb_exec_pipe_state (t, op->name, NULL, error);
      case OP_SET_BREAKER:
        return sluice_lmdb_exec_set_breaker (t, op->name, op->data, error);
      case OP_RELEASE_BREAKER:
        return sluice_lmdb_release_breaker (t, op->name, op->flag, 0, NULL, error);
      case OP_ROLL_BACK_PART:
        return sluice_lmdb_release_breaker (t, op->name, TRUE, op->n_records, &t->rolled_back,
                                            error);
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

      sluice_lmdb_abort_txn (self, &t->txn);
      t->dropped = FALSE;
      if (!sluice_lmdb_grow_map (self, what, error))
        return FALSE;
      t->txn = sluice_lmdb_begin_txn (self, 0, error);
      if (t->txn == NULL)
        return FALSE;
      for (guint i = 0; i < t->journal->len && rc == 0; i++)
        rc = exec_op (t, &g_array_index (t->journal, Op, i), NULL, NULL, NULL, NULL, error);
      if (rc == 0)
        return TRUE;
      if (rc != MDB_MAP_FULL)
        return FALSE;
    }
  return sluice_lmdb_set_rc_error (self, error, MDB_MAP_FULL, "%s", what), FALSE;
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

SluiceStoreTxn *
sluice_lmdb_begin (SluiceStoreBackend *backend, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  uint64_t used, size;
  LmdbTxn *t;

  /* Grow ahead of need when no other thread uses the map, so that a full map in the middle of a
   * transaction (abort, grow, replay) stays rare. */
  sluice_lmdb_map_usage (self, &used, &size);
  if (used > size / 4 * 3 && size < self->max_map_size)
    sluice_lmdb_resize_map (self, size, MIN (size * 2, self->max_map_size), FALSE, NULL);

  t = g_new0 (LmdbTxn, 1);
  t->parent.backend = backend;
  t->self = self;
  t->txn = sluice_lmdb_begin_txn (self, 0, error);
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
  sluice_lmdb_abort_txn (t->self, &t->txn);
  g_array_unref (t->journal);
  g_byte_array_unref (t->scratch);
  g_free (t->last_dataset);
  g_free (t);
}

SluiceDatasetInfo *
sluice_lmdb_txn_create_dataset (SluiceStoreTxn *txn, const char *dataset, gboolean exist_ok,
                                GError **error)
{
  Op op = { OP_CREATE, g_strdup (dataset), 0, exist_ok, 0, NULL };
  SluiceDatasetInfo *info = NULL;

  if (!run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, &info, error))
    return NULL;
  return info;
}

gboolean
sluice_lmdb_txn_delete_dataset (SluiceStoreTxn *txn, const char *dataset, GError **error)
{
  Op op = { OP_DELETE, g_strdup (dataset), 0, FALSE, 0, NULL };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

gboolean
sluice_lmdb_txn_append (SluiceStoreTxn *txn, const char *dataset, const SluiceStoreRecord *records,
                        size_t n_records, uint32_t flags, int64_t *ret_offsets,
                        size_t *ret_n_appended, GError **error)
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

gboolean
sluice_lmdb_txn_set_populated (SluiceStoreTxn *txn, const char *dataset, gboolean populated,
                               GError **error)
{
  Op op = { OP_POPULATED, g_strdup (dataset), 0, populated, 0, NULL };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

gboolean
sluice_lmdb_txn_set_pipe_state (SluiceStoreTxn *txn, const char *pipe, const SluicePipeState *state,
                                GError **error)
{
  Op op = { OP_PIPE_STATE, g_strdup (pipe), 0, FALSE, 0, sluice_lmdb_encode_pipe_state (state) };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

gboolean
sluice_lmdb_txn_delete_pipe_state (SluiceStoreTxn *txn, const char *pipe, GError **error)
{
  Op op = { OP_DELETE_PIPE, g_strdup (pipe), 0, FALSE, 0, NULL };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

gboolean
sluice_lmdb_txn_set_breaker (SluiceStoreTxn *txn, const char *dataset,
                             const SluiceBreakerState *state, GError **error)
{
  Op op = {
    OP_SET_BREAKER, g_strdup (dataset), 0, FALSE, 0, sluice_lmdb_encode_breaker (state, NULL)
  };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

gboolean
sluice_lmdb_txn_release_breaker (SluiceStoreTxn *txn, const char *dataset, gboolean rollback,
                                 GError **error)
{
  Op op = { OP_RELEASE_BREAKER, g_strdup (dataset), 0, rollback, 0, NULL };

  return run_op ((LmdbTxn *)txn, &op, NULL, NULL, NULL, NULL, error);
}

gboolean
sluice_lmdb_txn_roll_back_breaker_part (SluiceStoreTxn *txn, const char *dataset,
                                        uint64_t max_versions, gboolean *ret_done, GError **error)
{
  LmdbTxn *t = (LmdbTxn *)txn;
  Op op = { OP_ROLL_BACK_PART, g_strdup (dataset), 0, TRUE, max_versions, NULL };

  if (!run_op (t, &op, NULL, NULL, NULL, NULL, error))
    return FALSE;
  *ret_done = t->rolled_back;
  return TRUE;
}

gboolean
sluice_lmdb_sync (SluiceStoreBackend *backend, GError **error)
{
  LmdbBackend *self = (LmdbBackend *)backend;
  int rc = sluice_lmdb_env_sync (self);

  if (rc != 0)
    return sluice_lmdb_set_rc_error (self, error, rc, "flushing to disk"), FALSE;
  __atomic_store_n (&self->last_sync, g_get_monotonic_time (), __ATOMIC_RELAXED);
  return TRUE;
}

gboolean
sluice_lmdb_txn_commit (SluiceStoreTxn *txn, uint32_t flags, GError **error)
{
  LmdbTxn *t = (LmdbTxn *)txn;
  LmdbBackend *self = t->self;
  gboolean ok = FALSE, dropped;
  int rc;

  if (!check_usable (t, error))
    goto out;
  for (;;)
    {
      rc = sluice_lmdb_commit_txn (self, &t->txn);
      if (rc != MDB_MAP_FULL)
        break;
      if (!restart (t, error))
        goto out;
    }
  if (rc == EIO && sluice_lmdb_looks_like_disk_full (self))
    rc = ENOSPC;
  if (rc != 0)
    {
      if (t->last_dataset != NULL)
        sluice_lmdb_set_rc_error (self, error, rc, "appending to dataset '%s'", t->last_dataset);
      else
        sluice_lmdb_set_rc_error (self, error, rc, "committing");
      goto out;
    }
  ok = TRUE;
  if ((flags & SLUICE_STORE_COMMIT_DURABLE)
      || g_get_monotonic_time () - __atomic_load_n (&self->last_sync, __ATOMIC_RELAXED)
             >= self->sync_interval_us)
    ok = sluice_lmdb_sync (&self->parent, error);

out:
  dropped = ok && t->dropped;
  txn_free (t);
  if (dropped)
    sluice_lmdb_purge_dropped (self);
  return ok;
}

void
sluice_lmdb_txn_abort (SluiceStoreTxn *txn)
{
  txn_free ((LmdbTxn *)txn);
}
