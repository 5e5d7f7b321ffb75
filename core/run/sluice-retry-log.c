/* sluice-retry-log.c — read-error and write-error entries of the execution log, the retry state
 * and the dead-letter dataset.  See sluice-retry-log.h. */
#include <string.h>

#include "sluice-execution-log.h"
#include "sluice-retry-log.h"
#include "sluice-store.h"

G_DEFINE_QUARK (sluice-retry-log-error-quark, sluice_retry_log_error)

#define WRITE_ERROR_PREFIX "write-error:"
#define RETRY_STATE_ID "retry-state"

/* The policy. */

static guint
get_count (JsonObject *pump, const char *key, guint fallback)
{
  JsonNode *node = pump != NULL ? json_object_get_member (pump, key) : NULL;
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  value = json_node_get_int (node);
  return value < 0 ? fallback : (guint)MIN (value, G_MAXUINT);
}

static double
get_seconds (JsonObject *pump, const char *key)
{
  JsonNode *node = pump != NULL ? json_object_get_member (pump, key) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_INT64
          && json_node_get_value_type (node) != G_TYPE_DOUBLE))
    return 0;
  return MAX (json_node_get_double (node), 0);
}

void
sluice_retry_policy_init (SluiceRetryPolicy *policy, const char *pipe_id, JsonObject *pump)
{
  const char *dead_letter = NULL;

  policy->max_read_retries = get_count (pump, "max_read_retries", 0);
  policy->read_retry_delay = get_seconds (pump, "read_retry_delay");
  policy->write_retry_delay = get_seconds (pump, "write_retry_delay");
  policy->max_consecutive_write_errors
      = MAX (get_count (pump, "max_consecutive_write_errors", 1), 1);
  policy->max_retries_per_entity = get_count (pump, "max_retries_per_entity", 5);
  policy->max_write_errors_in_retry_dataset
      = get_count (pump, "max_write_errors_in_retry_dataset", 0);
  policy->batch_retries = get_count (pump, "batch_retries", 3);
  policy->fallback_to_single_entities
      = pump == NULL
        || json_object_get_boolean_member_with_default (
            pump, "fallback_to_single_entities_on_batch_fail", TRUE);
  if (pump != NULL)
    dead_letter = json_object_get_string_member_with_default (pump, "dead_letter_dataset", NULL);
  /* The deprecated use_dead_letter_dataset names the default, which is used anyway. */
  policy->dead_letter_dataset = dead_letter != NULL
                                    ? g_strdup (dead_letter)
                                    : g_strconcat ("system:dead-letter:", pipe_id, NULL);
}

void
sluice_retry_policy_clear (SluiceRetryPolicy *policy)
{
  g_clear_pointer (&policy->dead_letter_dataset, g_free);
}

int
sluice_retry_error_code (const GError *error)
{
  if (error == NULL)
    return 1;
  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR)
    return 0;
  if (error->domain == SLUICE_ERROR
      && (error->code == SLUICE_ERROR_IO || error->code == SLUICE_ERROR_TIMEOUT))
    return 0;
  return 1;
}

static const char *
message_of (const GError *error)
{
  return error != NULL ? error->message : "failed without saying why";
}

gboolean
sluice_retry_log_write_read_error (SluiceStoreBackend *store, const char *pipe, const char *run_id,
                                   const GError *cause, guint attempt, gboolean will_retry,
                                   GError **error)
{
  SluiceDictBuilder *event = sluice_execution_log_new_event ("read-error", pipe);

  sluice_dict_builder_take (event, "run_id", sluice_value_new_string (run_id, -1));
  sluice_dict_builder_take (event, "error_code",
                            sluice_value_new_integer (sluice_retry_error_code (cause)));
  sluice_dict_builder_take (event, "error_message",
                            sluice_value_new_string (message_of (cause), -1));
  sluice_dict_builder_take (event, "attempt", sluice_value_new_integer (attempt));
  sluice_dict_builder_take (event, "will_retry", sluice_value_new_boolean (will_retry));
  return sluice_execution_log_append (store, pipe, event, error);
}

/* The log. */

struct _SluiceRetryLog
{
  SluiceStoreBackend *store;
  const SluiceRetryPolicy *policy;
  char *pipe;
  char *dataset;        /* system:pump_execution:<pipe> */
  GPtrArray *entries;   /* SluiceRetryEntry *, owned, oldest first */
  GHashTable *by_id;    /* entity id → entry in @entries */
  GHashTable *resolved; /* entity id → retry_attempts of the entries resolved by this log */
  int64_t scan_from;    /* where this load began to read */
  int64_t scan_start;   /* the log's next offset at load time */
};

static void
entry_free (SluiceRetryEntry *entry)
{
  g_free (entry->entity_id);
  g_clear_pointer (&entry->entity, sluice_entity_unref);
  g_free (entry->error_message);
  g_free (entry);
}

void
sluice_retry_log_free (SluiceRetryLog *log)
{
  if (log == NULL)
    return;
  g_hash_table_unref (log->by_id);
  g_hash_table_unref (log->resolved);
  g_ptr_array_unref (log->entries);
  g_free (log->pipe);
  g_free (log->dataset);
  g_free (log);
}

static gboolean
get_bool (SluiceValue *body, const char *key)
{
  SluiceValue *value = sluice_value_dict_lookup (body, key);

  return value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_BOOLEAN
         && sluice_value_get_boolean (value);
}

static int64_t
get_int (SluiceValue *body, const char *key, int64_t fallback)
{
  SluiceValue *value = body != NULL ? sluice_value_dict_lookup (body, key) : NULL;

  return value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_INTEGER
             ? sluice_value_get_integer (value)
             : fallback;
}

static const char *
get_string (SluiceValue *body, const char *key)
{
  SluiceValue *value = sluice_value_dict_lookup (body, key);

  return value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_STRING
             ? sluice_value_get_string (value, NULL)
             : NULL;
}

static void
add_entry (SluiceRetryLog *log, SluiceRetryEntry *entry)
{
  g_ptr_array_add (log->entries, entry);
  g_hash_table_replace (log->by_id, entry->entity_id, entry);
}

static void
remove_entry (SluiceRetryLog *log, SluiceRetryEntry *entry)
{
  g_hash_table_remove (log->by_id, entry->entity_id);
  g_ptr_array_remove (log->entries, entry);
}

/* A write-error entity read from the log, when it is retryable. */
static void
load_entry (SluiceRetryLog *log, SluiceEntity *stored)
{
  SluiceValue *body = sluice_entity_get_body (stored);
  SluiceValue *entity_body = sluice_value_dict_lookup (body, "entity");
  g_autoptr (SluiceEntity) entity = NULL;
  SluiceRetryEntry *entry, *previous;

  if (!get_bool (body, "retryable") || entity_body == NULL)
    return;
  entity = sluice_entity_new (entity_body, NULL);
  if (entity == NULL)
    return;
  entry = g_new0 (SluiceRetryEntry, 1);
  entry->entity_id = g_strdup (sluice_entity_get_id (entity));
  entry->entity = g_steal_pointer (&entity);
  entry->retry_attempts = (guint)CLAMP (get_int (body, "retry_attempts", 0), 0, G_MAXUINT);
  entry->error_code = (int)get_int (body, "error_code", 1);
  entry->error_message = g_strdup (get_string (body, "error_message"));
  previous = g_hash_table_lookup (log->by_id, entry->entity_id);
  if (previous != NULL)
    remove_entry (log, previous);
  add_entry (log, entry);
}

SluiceRetryLog *
sluice_retry_log_load (SluiceStoreBackend *store, const char *pipe, const SluiceRetryPolicy *policy,
                       GError **error)
{
  g_autoptr (SluiceRetryLog) log = g_new0 (SluiceRetryLog, 1);
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (SluiceEntity) state = NULL;
  g_autoptr (SluiceStoreCursor) cursor = NULL;
  g_autoptr (GError) local_error = NULL;
  SluiceStoreQuery query = { .history = FALSE, .deleted = FALSE };
  const SluiceStoreVersion *version;
  size_t prefix_len = strlen (WRITE_ERROR_PREFIX);

  log->store = store;
  log->policy = policy;
  log->pipe = g_strdup (pipe);
  log->dataset = sluice_execution_log_dataset_name (pipe);
  log->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)entry_free);
  log->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  log->resolved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  info = sluice_store_backend_dup_dataset_info (store, log->dataset, NULL, &local_error);
  if (info == NULL)
    {
      if (!g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      return g_steal_pointer (&log);
    }
  log->scan_start = info->next_offset;
  state = sluice_store_dup_entity (store, log->dataset, RETRY_STATE_ID, NULL, &local_error);
  if (state == NULL && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  log->scan_from
      = MAX (get_int (state != NULL ? sluice_entity_get_body (state) : NULL, "scan_from", 0), 0);

  query.dataset = log->dataset;
  query.since = log->scan_from - 1;
  cursor = sluice_store_backend_read (store, &query, error);
  if (cursor == NULL)
    return NULL;
  while ((version = sluice_store_cursor_next (cursor, &local_error)) != NULL)
    {
      g_autoptr (SluiceEntity) stored = NULL;

      if (version->record.id_len <= prefix_len
          || memcmp (version->record.id, WRITE_ERROR_PREFIX, prefix_len) != 0)
        continue;
      stored = sluice_store_entity_from_version (version, log->dataset, error);
      if (stored == NULL)
        return NULL;
      load_entry (log, stored);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&log);
}

guint
sluice_retry_log_get_n_pending (SluiceRetryLog *log)
{
  return log->entries->len;
}

GPtrArray *
sluice_retry_log_list_pending (SluiceRetryLog *log)
{
  GPtrArray *list = g_ptr_array_sized_new (log->entries->len);

  for (guint i = 0; i < log->entries->len; i++)
    g_ptr_array_add (list, g_ptr_array_index (log->entries, i));
  return list;
}

typedef enum
{
  ENTRY_RETRYABLE,
  ENTRY_RESOLVED,
  ENTRY_DEAD,
  ENTRY_DISCARDED,
} EntryState;

static gboolean
write_entry (SluiceRetryLog *log, const SluiceRetryEntry *entry, EntryState state,
             SluiceEntity *resolved_entity, GError **error)
{
  SluiceDictBuilder *event = sluice_execution_log_new_event ("write-error", log->pipe);
  g_autofree char *id = g_strconcat (WRITE_ERROR_PREFIX, entry->entity_id, NULL);

  sluice_dict_builder_take (event, "_id", sluice_value_new_string (id, -1));
  sluice_dict_builder_take (event, "entity_id", sluice_value_new_string (entry->entity_id, -1));
  sluice_dict_builder_take (event, "error_code", sluice_value_new_integer (entry->error_code));
  sluice_dict_builder_take (
      event, "error_message",
      sluice_value_new_string (entry->error_message != NULL ? entry->error_message : "", -1));
  sluice_dict_builder_take (event, "retry_attempts",
                            sluice_value_new_integer (entry->retry_attempts));
  sluice_dict_builder_take (event, "retryable",
                            sluice_value_new_boolean (state == ENTRY_RETRYABLE));
  sluice_dict_builder_take (event, "resolved", sluice_value_new_boolean (state == ENTRY_RESOLVED));
  sluice_dict_builder_take (event, "dead", sluice_value_new_boolean (state == ENTRY_DEAD));
  sluice_dict_builder_take (event, "discarded",
                            sluice_value_new_boolean (state == ENTRY_DISCARDED));
  sluice_dict_builder_add (event, "entity", sluice_entity_get_body (entry->entity));
  if (resolved_entity != NULL)
    sluice_dict_builder_add (event, "resolved_entity", sluice_entity_get_body (resolved_entity));
  else
    sluice_dict_builder_take (event, "resolved_entity", sluice_value_new_null ());
  return sluice_execution_log_append (log->store, log->pipe, event, error);
}

/* The dead-letter dataset is always populated: a reader never waits for it to fill. */
static gboolean
append_dead_letter (SluiceRetryLog *log, SluiceEntity *entity, GError **error)
{
  const char *dataset = log->policy->dead_letter_dataset;
  g_autoptr (SluiceStoreTxn) txn = sluice_store_backend_begin (log->store, error);
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();

  if (txn == NULL)
    return FALSE;
  sluice_batch_add (batch, entity);
  info = sluice_store_txn_create_dataset (txn, dataset, TRUE, error);
  if (info == NULL || !sluice_store_txn_append_batch (txn, dataset, batch, 0, NULL, error)
      || !sluice_store_txn_set_populated (txn, dataset, TRUE, error))
    {
      g_prefix_error (error, "writing to the dead-letter dataset '%s': ", dataset);
      return FALSE;
    }
  return sluice_store_txn_commit (g_steal_pointer (&txn), 0, error);
}

gboolean
sluice_retry_log_record_failure (SluiceRetryLog *log, SluiceEntity *entity, const GError *cause,
                                 gboolean is_retry, gboolean *ret_dead, GError **error)
{
  const char *id = sluice_entity_get_id (entity);
  SluiceRetryEntry *entry = g_hash_table_lookup (log->by_id, id);
  SluiceRetryEntry update = { 0 };
  gboolean dead;

  if (entry == NULL && log->entries->len >= log->policy->max_write_errors_in_retry_dataset)
    {
      g_set_error (error, SLUICE_RETRY_LOG_ERROR, SLUICE_RETRY_LOG_ERROR_FULL,
                   "%u entities wait for a retry already, and max_write_errors_in_retry_dataset "
                   "is %u",
                   log->entries->len, log->policy->max_write_errors_in_retry_dataset);
      return FALSE;
    }
  update.entity_id = (char *)id;
  update.entity = entity;
  if (entry != NULL)
    update.retry_attempts = entry->retry_attempts;
  else
    update.retry_attempts = GPOINTER_TO_UINT (g_hash_table_lookup (log->resolved, id));
  if (is_retry)
    update.retry_attempts++;
  update.error_code = sluice_retry_error_code (cause);
  update.error_message = (char *)message_of (cause);
  dead = update.retry_attempts >= log->policy->max_retries_per_entity;

  /* Dead letter first: if the entry cannot be written after it, the entity is retried again and
   * dies again, and change tracking keeps the dead letter from doubling. */
  if (dead && !append_dead_letter (log, entity, error))
    return FALSE;
  if (!write_entry (log, &update, dead ? ENTRY_DEAD : ENTRY_RETRYABLE, NULL, error))
    return FALSE;

  /* @entity may be the old entry's: the new entry takes its reference before the old goes. */
  if (!dead)
    {
      SluiceRetryEntry *added = g_new0 (SluiceRetryEntry, 1);

      added->entity_id = g_strdup (id);
      added->entity = sluice_entity_ref (entity);
      added->retry_attempts = update.retry_attempts;
      added->error_code = update.error_code;
      added->error_message = g_strdup (update.error_message);
      if (entry != NULL)
        remove_entry (log, entry);
      add_entry (log, added);
    }
  else if (entry != NULL)
    remove_entry (log, entry);
  if (ret_dead != NULL)
    *ret_dead = dead;
  return TRUE;
}

gboolean
sluice_retry_log_resolve (SluiceRetryLog *log, SluiceEntity *entity, GError **error)
{
  SluiceRetryEntry *entry = g_hash_table_lookup (log->by_id, sluice_entity_get_id (entity));

  if (entry == NULL)
    return TRUE;
  if (!write_entry (log, entry, ENTRY_RESOLVED, entity, error))
    return FALSE;
  g_hash_table_replace (log->resolved, g_strdup (entry->entity_id),
                        GUINT_TO_POINTER (entry->retry_attempts));
  remove_entry (log, entry);
  return TRUE;
}

gboolean
sluice_retry_log_save_scan_start (SluiceRetryLog *log, GError **error)
{
  SluiceDictBuilder *event;

  if (log->scan_start <= log->scan_from)
    return TRUE;
  event = sluice_execution_log_new_event (RETRY_STATE_ID, log->pipe);
  sluice_dict_builder_take (event, "_id", sluice_value_new_string (RETRY_STATE_ID, -1));
  sluice_dict_builder_take (event, "scan_from", sluice_value_new_integer (log->scan_start));
  if (!sluice_execution_log_append (log->store, log->pipe, event, error))
    return FALSE;
  log->scan_from = log->scan_start;
  return TRUE;
}

gboolean
sluice_retry_log_discard (SluiceStoreBackend *store, const char *pipe, guint *ret_n_discarded,
                          GError **error)
{
  SluiceRetryPolicy policy = { 0 };
  g_autoptr (SluiceRetryLog) log = NULL;
  SluiceDictBuilder *event;
  guint n;
  gboolean ok = FALSE;

  sluice_retry_policy_init (&policy, pipe, NULL);
  log = sluice_retry_log_load (store, pipe, &policy, error);
  if (log == NULL)
    goto out;
  n = log->entries->len;
  while (log->entries->len > 0)
    {
      SluiceRetryEntry *entry = g_ptr_array_index (log->entries, 0);

      if (!write_entry (log, entry, ENTRY_DISCARDED, NULL, error))
        goto out;
      remove_entry (log, entry);
    }
  event = sluice_execution_log_new_event ("pump-discard-retries", pipe);
  sluice_dict_builder_take (event, "discarded", sluice_value_new_integer (n));
  if (!sluice_execution_log_append (store, pipe, event, error)
      || !sluice_retry_log_save_scan_start (log, error))
    goto out;
  if (ret_n_discarded != NULL)
    *ret_n_discarded = n;
  ok = TRUE;
out:
  g_clear_pointer (&log, sluice_retry_log_free);
  sluice_retry_policy_clear (&policy);
  return ok;
}
