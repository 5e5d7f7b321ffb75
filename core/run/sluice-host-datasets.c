/* sluice-host-datasets.c — SluiceHostServices on top of the store, with the lazily opened batch
 * transaction that lets a dataset sink commit its entities and the pipe offset together, and the
 * held batches of large pushes (committed in parts that readers see only at the end). */
#include "sluice-host-datasets.h"
#include "sluice-store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What a held batch knows of each dataset it holds. */
#define HOLD_COMMITTED (1u << 0) /* its hold record is in a committed part */
#define HOLD_CREATED (1u << 1)   /* the batch created the dataset */

/* A rollback removes at most this many versions per transaction, so that its LMDB transaction
 * (and the dirty pages LMDB keeps cached afterwards) stays bounded like the parts it undoes. */
#define ROLLBACK_PART_VERSIONS 10000

struct _SluiceHostDatasets
{
  SluiceStoreBackend *store; /* borrowed; NULL when elements are only built, not run */
  SluiceHostSystemLookup lookup;
  gpointer lookup_data;
  gboolean in_batch;
  SluiceStoreTxn *txn;  /* the batch transaction, once something was written */
  GHashTable *ensured;  /* datasets created (or found) in @txn */
  guint64 batch_changes;
  /* A held batch (sluice_host_datasets_hold_batch ()): NULL when the batch is not held. */
  char *holder;
  char *hold_id;
  GHashTable *held; /* dataset name → HOLD_* flags */
};

/* The hold ids of the held batches of this process that are not over, so that a recovery never
 * rolls back a batch that is still going on. */
static GMutex live_holds_lock;
static GHashTable *live_holds;

typedef struct
{
  char *dataset;
  SluiceStoreCursor *cursor; /* NULL: the dataset did not exist, so the read is empty */
} Reader;

SluiceHostDatasets *
sluice_host_datasets_new (SluiceStoreBackend *store, SluiceHostSystemLookup lookup,
                          gpointer lookup_data)
{
  SluiceHostDatasets *host = g_new0 (SluiceHostDatasets, 1);

  host->store = store;
  host->lookup = lookup;
  host->lookup_data = lookup_data;
  host->ensured = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  host->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return host;
}

void
sluice_host_datasets_free (SluiceHostDatasets *host)
{
  if (host == NULL)
    return;
  sluice_host_datasets_abort_batch (host);
  g_hash_table_destroy (host->ensured);
  g_hash_table_destroy (host->held);
  g_free (host);
}

/* Dataset calls need a store; an engine built only to check the configuration has none. */
static gboolean
have_store (SluiceHostDatasets *host, GError **error)
{
  if (host->store == NULL)
    g_set_error_literal (error, SLUICE_ERROR, SLUICE_ERROR_NOT_SUPPORTED,
                         "datasets cannot be read or written while the configuration is only "
                         "being checked");
  return host->store != NULL;
}

static SluiceStoreTxn *
ensure_txn (SluiceHostDatasets *host, GError **error)
{
  if (host->txn == NULL)
    {
      host->txn = sluice_store_backend_begin (host->store, error);
      g_hash_table_remove_all (host->ensured);
    }
  return host->txn;
}

/* Whether @dataset exists in what is committed.  Read outside the batch's transaction, which has
 * not touched the dataset yet when this is asked. */
static gboolean
dataset_exists (SluiceHostDatasets *host, const char *dataset, gboolean *ret_exists,
                GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluiceDatasetInfo) info
      = sluice_store_backend_dup_dataset_info (host->store, dataset, NULL, &local_error);

  if (info == NULL
      && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  *ret_exists = info != NULL;
  return TRUE;
}

/* A held batch holds each dataset from its first write on: the hold record goes into the
 * transaction before anything else of the batch does, so that its watermark is the dataset's
 * next offset before the batch.  A dataset that has a breaker already (a run's, held or tripped)
 * cannot be held by a push. */
static gboolean
hold_dataset (SluiceHostDatasets *host, const char *dataset, GError **error)
{
  g_auto (SluiceBreakerState) existing = { 0 };
  g_autoptr (GError) local_error = NULL;
  gboolean existed = FALSE;
  SluiceBreakerState state = {
    .pipe = host->holder,
    .run_id = host->hold_id,
    .push = TRUE,
  };

  if (!dataset_exists (host, dataset, &existed, error))
    return FALSE;
  if (existed && sluice_store_backend_get_breaker (host->store, dataset, &existing, &local_error))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                   "dataset '%s' has a circuit breaker (%s by run %s of pipe '%s'): a push "
                   "cannot hold it",
                   dataset, existing.tripped ? "tripped" : "held", existing.run_id,
                   existing.pipe);
      return FALSE;
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  state.push_created = !existed;
  if (!sluice_store_txn_set_breaker (host->txn, dataset, &state, error))
    return FALSE;
  g_hash_table_insert (host->held, g_strdup (dataset),
                       GUINT_TO_POINTER (existed ? 0 : HOLD_CREATED));
  return TRUE;
}

/* The dataset is created on its first write, inside the transaction that writes it. */
static gboolean
ensure_dataset (SluiceHostDatasets *host, const char *dataset, GError **error)
{
  g_autoptr (SluiceDatasetInfo) info = NULL;

  if (g_hash_table_contains (host->ensured, dataset))
    return TRUE;
  info = sluice_store_txn_create_dataset (host->txn, dataset, TRUE, error);
  if (info == NULL)
    return FALSE;
  if (host->holder != NULL && !g_hash_table_contains (host->held, dataset)
      && !hold_dataset (host, dataset, error))
    return FALSE;
  g_hash_table_add (host->ensured, g_strdup (dataset));
  return TRUE;
}

/* Outside a batch, a write is a transaction of its own. */
static gboolean
finish_unbatched (SluiceHostDatasets *host, gboolean ok, GError **error)
{
  if (host->in_batch)
    return ok;
  if (!ok)
    {
      sluice_host_datasets_abort_batch (host);
      return FALSE;
    }
  return sluice_host_datasets_commit_batch (host, NULL, NULL, 0, error);
}

static void *
host_reader_new (void *host_data, SluiceElementContext *context, const char *dataset, int64_t since,
                 uint32_t flags, GError **error)
{
  SluiceHostDatasets *host = host_data;
  /* A pipe sees what its own run wrote into a dataset its circuit breaker holds. */
  SluiceStoreView view = {
    .holder = context != NULL ? sluice_element_context_get_component_id (context) : NULL,
  };
  SluiceStoreQuery query = {
    .dataset = dataset,
    .since = since < 0 ? SLUICE_STORE_NO_OFFSET : since,
    .history = (flags & SLUICE_DATASET_READ_HISTORY) != 0,
    .deleted = (flags & SLUICE_DATASET_READ_DELETED) != 0,
    .view = &view,
  };
  g_autoptr (GError) local_error = NULL;
  Reader *reader;
  SluiceStoreCursor *cursor;

  if (!have_store (host, error) || !sluice_store_check_dataset_name (dataset, error))
    return NULL;
  cursor = sluice_store_backend_read (host->store, &query, &local_error);
  if (cursor == NULL
      && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  reader = g_new0 (Reader, 1);
  reader->dataset = g_strdup (dataset);
  reader->cursor = cursor;
  return reader;
}

static SluiceFlow
host_reader_read (void *host_data, void *host_reader, SluiceBatch *batch, uint32_t max_entities,
                  GError **error)
{
  Reader *reader = host_reader;

  if (reader->cursor == NULL)
    return SLUICE_FLOW_EOS;
  for (uint32_t n = 0; n < max_entities; n++)
    {
      GError *local_error = NULL;
      SluiceEntity *entity
        = sluice_store_cursor_next_entity (reader->cursor, reader->dataset, &local_error);

      if (entity == NULL)
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return SLUICE_FLOW_ERROR;
            }
          return SLUICE_FLOW_EOS;
        }
      sluice_batch_take (batch, entity);
    }
  /* The run writes this batch before it reads the next: hold no read transaction meanwhile, or
   * the store could not grow under the writer. */
  sluice_store_cursor_pause (reader->cursor);
  return SLUICE_FLOW_OK;
}

static void
host_reader_free (void *host_data, void *host_reader)
{
  Reader *reader = host_reader;

  g_clear_pointer (&reader->cursor, sluice_store_cursor_free);
  g_free (reader->dataset);
  g_free (reader);
}

static gboolean
host_append_offsets (void *host_data, SluiceElementContext *context, const char *dataset,
                     const SluiceBatch *batch, uint32_t flags, int64_t *ret_offsets,
                     size_t *ret_n_appended, GError **error)
{
  SluiceHostDatasets *host = host_data;
  uint32_t store_flags = (flags & SLUICE_DATASET_APPEND_FORCE) ? SLUICE_STORE_APPEND_FORCE : 0;
  size_t n_appended = 0;
  gboolean ok;

  if (!have_store (host, error) || !sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  if (ret_offsets != NULL)
    store_flags |= SLUICE_STORE_APPEND_REPORT_KEPT;
  ok = ensure_txn (host, error) != NULL && ensure_dataset (host, dataset, error)
       && sluice_store_txn_append_batch_offsets (host->txn, dataset, batch, store_flags,
                                                 ret_offsets, &n_appended, error);
  if (ok)
    host->batch_changes += n_appended;
  if (!finish_unbatched (host, ok, error))
    return FALSE;
  if (ret_n_appended != NULL)
    *ret_n_appended = n_appended;
  return TRUE;
}

static gboolean
host_append (void *host_data, SluiceElementContext *context, const char *dataset,
             const SluiceBatch *batch, uint32_t flags, size_t *ret_n_appended, GError **error)
{
  return host_append_offsets (host_data, context, dataset, batch, flags, NULL, ret_n_appended,
                              error);
}

/* The same view as host_reader_new (): a pipe sees what its own run holds. */
static gboolean
host_scan_live (void *host_data, SluiceElementContext *context, const char *dataset,
                SluiceDatasetLiveFunc func, void *user_data, GError **error)
{
  SluiceHostDatasets *host = host_data;
  SluiceStoreView view = {
    .holder = context != NULL ? sluice_element_context_get_component_id (context) : NULL,
  };

  if (!have_store (host, error) || !sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  return sluice_store_backend_scan_live (host->store, dataset, &view, func, user_data, error);
}

static SluiceEntity *
host_get_entity (void *host_data, SluiceElementContext *context, const char *dataset,
                 const char *id, GError **error)
{
  SluiceHostDatasets *host = host_data;
  g_autoptr (GError) local_error = NULL;
  SluiceStoreView view = { 0 };
  SluiceEntity *entity;

  if (!have_store (host, error))
    return NULL;
  view.holder = context != NULL ? sluice_element_context_get_component_id (context) : NULL;
  entity = sluice_store_dup_entity (host->store, dataset, id, &view, &local_error);
  if (entity == NULL && local_error != NULL
      && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&local_error));
  return entity;
}

static gboolean
host_get_state (void *host_data, SluiceElementContext *context, const char *dataset,
                gboolean *ret_exists, gboolean *ret_populated, GError **error)
{
  SluiceHostDatasets *host = host_data;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;

  if (!have_store (host, error))
    return FALSE;
  info = sluice_store_backend_dup_dataset_info (host->store, dataset, NULL, &local_error);
  if (info == NULL && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (ret_exists != NULL)
    *ret_exists = info != NULL;
  if (ret_populated != NULL)
    *ret_populated = info != NULL && info->populated;
  return TRUE;
}

static gboolean
host_set_populated (void *host_data, SluiceElementContext *context, const char *dataset,
                    GError **error)
{
  SluiceHostDatasets *host = host_data;
  gboolean ok;

  if (!have_store (host, error) || !sluice_store_check_dataset_name (dataset, error))
    return FALSE;
  ok = ensure_txn (host, error) != NULL && ensure_dataset (host, dataset, error)
       && sluice_store_txn_set_populated (host->txn, dataset, TRUE, error);
  return finish_unbatched (host, ok, error);
}

static SluiceValue *
host_get_system (void *host_data, const SluiceElementContext *context, const char *system_id)
{
  SluiceHostDatasets *host = host_data;

  return host->lookup != NULL ? host->lookup (system_id, host->lookup_data) : NULL;
}

static const SluiceHostServices host_services = {
  SLUICE_HOST_SERVICES_INIT,
  .reader_new = host_reader_new,
  .reader_read = host_reader_read,
  .reader_free = host_reader_free,
  .append = host_append,
  .get_entity = host_get_entity,
  .get_state = host_get_state,
  .set_populated = host_set_populated,
  .get_system = host_get_system,
  .append_offsets = host_append_offsets,
  .scan_live = host_scan_live,
};

void
sluice_host_datasets_attach (SluiceHostDatasets *host, SluiceElementContext *context)
{
  sluice_element_context_set_host (context, &host_services, host);
}

void
sluice_host_datasets_begin_batch (SluiceHostDatasets *host)
{
  sluice_host_datasets_abort_batch (host);
  host->in_batch = TRUE;
}

/* ---- held batches ---------------------------------------------------------------------------- */

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot; 0 when there
 * is no such process.  With the pid it names a process across pid reuse. */
static guint64
process_start_time (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  const char *p;
  guint64 start = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return 0;
  /* After the command's ")": the state is field 3, the start time field 22. */
  p++;
  for (int field = 3; field <= 22 && p != NULL; field++)
    {
      while (*p == ' ')
        p++;
      if (field == 22)
        start = g_ascii_strtoull (p, NULL, 10);
      p = strchr (p, ' ');
    }
  return start;
}

void
sluice_host_datasets_hold_batch (SluiceHostDatasets *host, const char *holder)
{
  static gint counter;

  g_return_if_fail (host->in_batch && host->holder == NULL && host->txn == NULL);
  host->holder = g_strdup (holder);
  host->hold_id = g_strdup_printf ("push %d %" G_GUINT64_FORMAT " %d", (int) getpid (),
                                   process_start_time (getpid ()),
                                   g_atomic_int_add (&counter, 1) + 1);
  g_mutex_lock (&live_holds_lock);
  if (live_holds == NULL)
    live_holds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (live_holds, g_strdup (host->hold_id));
  g_mutex_unlock (&live_holds_lock);
}

gboolean
sluice_host_datasets_commit_part (SluiceHostDatasets *host, GError **error)
{
  GHashTableIter iter;
  gpointer key, flags;

  g_return_val_if_fail (host->in_batch && host->holder != NULL, FALSE);
  g_hash_table_remove_all (host->ensured);
  if (host->txn == NULL)
    return TRUE;
  if (!sluice_store_txn_commit (g_steal_pointer (&host->txn), 0, error))
    return FALSE;
  g_hash_table_iter_init (&iter, host->held);
  while (g_hash_table_iter_next (&iter, &key, &flags))
    g_hash_table_iter_replace (&iter, GUINT_TO_POINTER (GPOINTER_TO_UINT (flags)
                                                        | HOLD_COMMITTED));
  return TRUE;
}

/* Rolls back what a push holds in @dataset, in transactions of at most ROLLBACK_PART_VERSIONS
 * versions; a dataset the push created is deleted instead. */
static gboolean
roll_back_hold (SluiceStoreBackend *store, const char *dataset, gboolean created, GError **error)
{
  gboolean done = FALSE;

  while (!done)
    {
      SluiceStoreTxn *txn = sluice_store_backend_begin (store, error);
      gboolean ok;

      if (txn == NULL)
        return FALSE;
      if (created)
        ok = done = sluice_store_txn_delete_dataset (txn, dataset, error);
      else
        ok = sluice_store_txn_roll_back_breaker_part (txn, dataset, ROLLBACK_PART_VERSIONS, &done,
                                                      error);
      if (!ok)
        {
          sluice_store_txn_abort (txn);
          return FALSE;
        }
      if (!sluice_store_txn_commit (txn, done ? SLUICE_STORE_COMMIT_DURABLE : 0, error))
        return FALSE;
    }
  return TRUE;
}

/* Ends the hold: rolls back what committed parts left held (@roll_back), and forgets it. */
static void
end_hold (SluiceHostDatasets *host, gboolean roll_back)
{
  GHashTableIter iter;
  gpointer key, flags;

  if (host->holder == NULL)
    return;
  g_hash_table_iter_init (&iter, host->held);
  while (roll_back && g_hash_table_iter_next (&iter, &key, &flags))
    {
      g_autoptr (GError) error = NULL;

      if (!(GPOINTER_TO_UINT (flags) & HOLD_COMMITTED))
        continue;
      if (!roll_back_hold (host->store, key, (GPOINTER_TO_UINT (flags) & HOLD_CREATED) != 0,
                           &error))
        g_warning ("pipe '%s': rolling back what %s wrote into dataset '%s' failed: %s; it "
                   "stays invisible, and is rolled back when sluiced starts again or at the "
                   "pipe's next large push",
                   host->holder, host->hold_id, (const char *) key, error->message);
    }
  g_hash_table_remove_all (host->held);
  g_mutex_lock (&live_holds_lock);
  g_hash_table_remove (live_holds, host->hold_id);
  g_mutex_unlock (&live_holds_lock);
  g_clear_pointer (&host->holder, g_free);
  g_clear_pointer (&host->hold_id, g_free);
}

/* Whether the push that holds with @hold_id ("push PID START N") is over: its process is gone,
 * or it is this process and the push is not going on. */
static gboolean
hold_is_over (const char *hold_id)
{
  int pid = 0;
  guint64 start = 0;
  gboolean live;

  if (sscanf (hold_id, "push %d %" G_GUINT64_FORMAT, &pid, &start) != 2 || pid <= 0)
    return TRUE;
  if (pid != (int) getpid ())
    return start == 0 || process_start_time (pid) != start;
  g_mutex_lock (&live_holds_lock);
  live = live_holds != NULL && g_hash_table_contains (live_holds, hold_id);
  g_mutex_unlock (&live_holds_lock);
  return !live;
}

gboolean
sluice_host_datasets_recover_holds (SluiceStoreBackend *store, const char *const *datasets,
                                    guint *ret_n_recovered, GError **error)
{
  g_autoptr (GPtrArray) all = NULL;
  guint n_recovered = 0;

  if (datasets == NULL)
    {
      all = sluice_store_backend_list_datasets (store, error);
      if (all == NULL)
        return FALSE;
    }
  for (guint i = 0; all != NULL ? i < all->len : datasets[i] != NULL; i++)
    {
      const char *dataset = all != NULL
                              ? ((SluiceDatasetInfo *) g_ptr_array_index (all, i))->name
                              : datasets[i];
      g_auto (SluiceBreakerState) state = { 0 };
      g_autoptr (GError) local_error = NULL;

      if (!sluice_store_backend_get_breaker (store, dataset, &state, &local_error))
        {
          if (local_error != NULL
              && !g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          continue;
        }
      if (!state.push || !hold_is_over (state.run_id))
        continue;
      if (!roll_back_hold (store, dataset, state.push_created, &local_error))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "rolling back what %s of receiver '%s' left in dataset "
                                      "'%s': ",
                                      state.run_id, state.pipe, dataset);
          return FALSE;
        }
      g_message ("pipe '%s': rolled back what %s held in dataset '%s' (the push did not "
                 "finish)%s",
                 state.pipe, state.run_id, dataset,
                 state.push_created ? "; the push had created the dataset, which is gone again"
                                    : "");
      n_recovered++;
    }
  if (ret_n_recovered != NULL)
    *ret_n_recovered = n_recovered;
  return TRUE;
}

guint64
sluice_host_datasets_get_batch_changes (SluiceHostDatasets *host)
{
  return host->batch_changes;
}

gboolean
sluice_host_datasets_commit_batch (SluiceHostDatasets *host, const char *pipe,
                                   const SluicePipeState *state, uint32_t commit_flags,
                                   GError **error)
{
  gboolean ok = TRUE;
  GHashTableIter iter;
  gpointer key;

  /* A held batch becomes visible with its last part: each hold is released in it. */
  if (host->holder != NULL && g_hash_table_size (host->held) > 0
      && ensure_txn (host, error) == NULL)
    ok = FALSE;
  g_hash_table_iter_init (&iter, host->held);
  while (ok && host->holder != NULL && g_hash_table_iter_next (&iter, &key, NULL))
    ok = sluice_store_txn_release_breaker (host->txn, key, FALSE, error);
  if (ok && state != NULL && ensure_txn (host, error) == NULL)
    ok = FALSE;
  else if (ok && state != NULL)
    ok = sluice_store_txn_set_pipe_state (host->txn, pipe, state, error);
  if (ok && host->txn != NULL)
    ok = sluice_store_txn_commit (g_steal_pointer (&host->txn), commit_flags, error);
  g_clear_pointer (&host->txn, sluice_store_txn_abort);
  end_hold (host, !ok);
  g_hash_table_remove_all (host->ensured);
  host->in_batch = FALSE;
  host->batch_changes = 0;
  return ok;
}

SluiceStoreTxn *
sluice_host_datasets_get_txn (SluiceHostDatasets *host, GError **error)
{
  return ensure_txn (host, error);
}

void
sluice_host_datasets_abort_batch (SluiceHostDatasets *host)
{
  g_clear_pointer (&host->txn, sluice_store_txn_abort);
  end_hold (host, TRUE);
  g_hash_table_remove_all (host->ensured);
  host->in_batch = FALSE;
  host->batch_changes = 0;
}
