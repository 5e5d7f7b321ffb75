/* test-retry-log.c — the retry bookkeeping of the execution log (core/run/sluice-retry-log.c): the
 * pump keys and their defaults, error codes, write-error entries across loads, the cap, dead
 * letters, discard-retries, and the retry state that spares a load reading the whole log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "sluice-execution-log.h"
#include "sluice-retry-log.h"
#include "sluice-store.h"
#include "sluice-store-lmdb.h"

typedef struct
{
  char *dir;
  SluiceStoreBackend *store;
  SluiceRetryPolicy policy;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = g_dir_make_tmp ("sluice-retry-log-XXXXXX", NULL);
  f->store = sluice_store_lmdb_open (f->dir, NULL, NULL);
  assert_non_null (f->store);
  sluice_retry_policy_init (&f->policy, "p", NULL);
  f->policy.max_write_errors_in_retry_dataset = 2;
  f->policy.max_retries_per_entity = 2;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  sluice_retry_policy_clear (&f->policy);
  sluice_store_backend_free (f->store);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static SluiceEntity *
make_entity (const char *id, const char *value)
{
  g_autofree char *json = g_strdup_printf ("{\"_id\": \"%s\", \"value\": \"%s\"}", id, value);
  g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, NULL);

  return sluice_entity_new (body, NULL);
}

static SluiceRetryLog *
load (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  SluiceRetryLog *log = sluice_retry_log_load (f->store, "p", &f->policy, &error);

  assert_null (error);
  assert_non_null (log);
  return log;
}

static void
record (SluiceRetryLog *log, const char *id, const char *value, gboolean is_retry,
        gboolean expect_dead)
{
  g_autoptr (SluiceEntity) entity = make_entity (id, value);
  g_autoptr (GError) cause = g_error_new (SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA, "refused");
  g_autoptr (GError) error = NULL;
  gboolean dead = !expect_dead;

  assert_true (sluice_retry_log_record_failure (log, entity, cause, is_retry, &dead, &error));
  assert_int_equal (dead, expect_dead);
}

/* "e1:0,e2:1": the pending entries with their attempts. */
static char *
pending (SluiceRetryLog *log)
{
  g_autoptr (GPtrArray) list = sluice_retry_log_list_pending (log);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    {
      SluiceRetryEntry *entry = g_ptr_array_index (list, i);

      g_string_append_printf (out, "%s%s:%u", i > 0 ? "," : "", entry->entity_id,
                              entry->retry_attempts);
    }
  return g_string_free (out, FALSE);
}

static char *
log_field (Fixture *f, const char *id, const char *key)
{
  g_autoptr (SluiceEntity) entity
      = sluice_store_dup_entity (f->store, "system:pump_execution:p", id, NULL, NULL);
  SluiceValue *value;

  assert_non_null (entity);
  value = sluice_value_dict_lookup (sluice_entity_get_body (entity), key);
  return value != NULL ? sluice_value_to_json (value) : g_strdup ("absent");
}

static void
assert_log_field (Fixture *f, const char *id, const char *key, const char *expected)
{
  g_autofree char *actual = log_field (f, id, key);

  assert_string_equal (actual, expected);
}

static void
test_policy (void **state)
{
  SluiceRetryPolicy policy = { 0 };
  g_autoptr (JsonNode) node = json_from_string (
      "{\"max_read_retries\": 3, \"read_retry_delay\": 1.5, \"write_retry_delay\": 2,"
      " \"max_consecutive_write_errors\": 0, \"max_retries_per_entity\": 7,"
      " \"max_write_errors_in_retry_dataset\": 100, \"batch_retries\": -1,"
      " \"fallback_to_single_entities_on_batch_fail\": false, \"dead_letter_dataset\": \"dl\"}",
      NULL);

  sluice_retry_policy_init (&policy, "people", NULL);
  assert_int_equal (policy.max_read_retries, 0);
  assert_true (policy.read_retry_delay == 0);
  assert_true (policy.write_retry_delay == 0);
  assert_int_equal (policy.max_consecutive_write_errors, 1);
  assert_int_equal (policy.max_retries_per_entity, 5);
  assert_int_equal (policy.max_write_errors_in_retry_dataset, 0);
  assert_int_equal (policy.batch_retries, 3);
  assert_true (policy.fallback_to_single_entities);
  assert_string_equal (policy.dead_letter_dataset, "system:dead-letter:people");
  sluice_retry_policy_clear (&policy);

  sluice_retry_policy_init (&policy, "people", json_node_get_object (node));
  assert_int_equal (policy.max_read_retries, 3);
  assert_true (policy.read_retry_delay == 1.5);
  assert_true (policy.write_retry_delay == 2);
  assert_int_equal (policy.max_consecutive_write_errors, 1);
  assert_int_equal (policy.max_retries_per_entity, 7);
  assert_int_equal (policy.max_write_errors_in_retry_dataset, 100);
  assert_int_equal (policy.batch_retries, 3);
  assert_false (policy.fallback_to_single_entities);
  assert_string_equal (policy.dead_letter_dataset, "dl");
  sluice_retry_policy_clear (&policy);
}

static void
test_error_code (void **state)
{
  g_autoptr (GError) io = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "refused");
  g_autoptr (GError) resolver = g_error_new (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "x");
  g_autoptr (GError) sdk_io = g_error_new (SLUICE_ERROR, SLUICE_ERROR_IO, "x");
  g_autoptr (GError) timeout = g_error_new (SLUICE_ERROR, SLUICE_ERROR_TIMEOUT, "x");
  g_autoptr (GError) data = g_error_new (SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA, "x");

  assert_int_equal (sluice_retry_error_code (io), 0);
  assert_int_equal (sluice_retry_error_code (resolver), 0);
  assert_int_equal (sluice_retry_error_code (sdk_io), 0);
  assert_int_equal (sluice_retry_error_code (timeout), 0);
  assert_int_equal (sluice_retry_error_code (data), 1);
  assert_int_equal (sluice_retry_error_code (NULL), 1);
}

/* Entries survive a reload; the cap refuses a new id but not a known one; resolving one makes
 * room. */
static void
test_record_resolve_and_cap (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRetryLog) first = load (f);
  g_autoptr (SluiceRetryLog) second = NULL;
  g_autoptr (SluiceEntity) third = make_entity ("e3", "v");
  g_autoptr (SluiceEntity) newer = make_entity ("e1", "v2");
  g_autoptr (GError) error = NULL;
  g_autofree char *listed = NULL;

  assert_int_equal (sluice_retry_log_get_n_pending (first), 0);
  record (first, "e1", "v", FALSE, FALSE);
  record (first, "e2", "v", FALSE, FALSE);
  assert_false (sluice_retry_log_record_failure (first, third, NULL, FALSE, NULL, &error));
  assert_true (g_error_matches (error, SLUICE_RETRY_LOG_ERROR, SLUICE_RETRY_LOG_ERROR_FULL));
  assert_string_equal (error->message, "2 entities wait for a retry already, and "
                                       "max_write_errors_in_retry_dataset is 2");
  g_clear_error (&error);
  /* A waiting id is no new entry. */
  record (first, "e2", "v2", FALSE, FALSE);

  second = load (f);
  listed = pending (second);
  assert_string_equal (listed, "e1:0,e2:0");
  assert_log_field (f, "write-error:e2", "entity", "{\"_id\":\"e2\",\"value\":\"v2\"}");
  assert_log_field (f, "write-error:e2", "error_message", "\"refused\"");
  assert_log_field (f, "write-error:e2", "error_code", "1");

  assert_true (sluice_retry_log_resolve (second, newer, &error));
  assert_null (error);
  assert_log_field (f, "write-error:e1", "retryable", "false");
  assert_log_field (f, "write-error:e1", "resolved", "true");
  assert_log_field (f, "write-error:e1", "resolved_entity", "{\"_id\":\"e1\",\"value\":\"v2\"}");
  assert_true (sluice_retry_log_record_failure (second, third, NULL, FALSE, NULL, &error));
  g_free (listed);
  listed = pending (second);
  assert_string_equal (listed, "e2:0,e3:0");
}

/* Failed retries count; at max_retries_per_entity the entry dies and the entity goes to the
 * dead-letter dataset, which is populated. */
static void
test_dead_letter (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRetryLog) log = load (f);
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (SluiceEntity) dead = NULL;
  g_autofree char *listed = NULL;

  record (log, "e1", "v", FALSE, FALSE);
  record (log, "e1", "v", TRUE, FALSE);
  listed = pending (log);
  assert_string_equal (listed, "e1:1");
  record (log, "e1", "v", TRUE, TRUE);
  assert_int_equal (sluice_retry_log_get_n_pending (log), 0);
  assert_log_field (f, "write-error:e1", "dead", "true");
  assert_log_field (f, "write-error:e1", "retryable", "false");
  assert_log_field (f, "write-error:e1", "retry_attempts", "2");

  info = sluice_store_backend_dup_dataset_info (f->store, "system:dead-letter:p", NULL, NULL);
  assert_non_null (info);
  assert_true (info->populated);
  dead = sluice_store_dup_entity (f->store, "system:dead-letter:p", "e1", NULL, NULL);
  assert_non_null (dead);
}

/* After every waiting entry was retried, a load reads the log only from where the retries
 * began: an entity written before that is not read any more. */
static void
test_scan_start (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRetryLog) first = load (f);
  g_autoptr (SluiceRetryLog) second = NULL;
  g_autoptr (SluiceRetryLog) third = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *listed = NULL;

  record (first, "stale", "v", FALSE, FALSE);
  record (first, "e1", "v", FALSE, FALSE);

  /* A retry phase that retries e1 only: "stale" stays behind the new start. */
  second = load (f);
  record (second, "e1", "v", TRUE, FALSE);
  assert_true (sluice_retry_log_save_scan_start (second, &error));
  assert_log_field (f, "retry-state", "scan_from", "2");

  third = load (f);
  listed = pending (third);
  assert_string_equal (listed, "e1:1");
}

static void
test_discard (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRetryLog) first = load (f);
  g_autoptr (SluiceRetryLog) second = NULL;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  record (first, "e1", "v", FALSE, FALSE);
  record (first, "e2", "v", FALSE, FALSE);
  assert_true (sluice_retry_log_discard (f->store, "p", &n, &error));
  assert_int_equal (n, 2);
  assert_log_field (f, "write-error:e1", "retryable", "false");
  assert_log_field (f, "write-error:e1", "discarded", "true");
  assert_log_field (f, "write-error:e1", "dead", "false");
  second = load (f);
  assert_int_equal (sluice_retry_log_get_n_pending (second), 0);
  assert_null (
      sluice_store_backend_dup_dataset_info (f->store, "system:dead-letter:p", NULL, NULL));

  /* Nothing to discard is no error. */
  assert_true (sluice_retry_log_discard (f->store, "other", &n, &error));
  assert_int_equal (n, 0);
}

/* read-error entities carry what an operator needs. */
static void
test_read_error (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) cause = g_error_new (SLUICE_ERROR, SLUICE_ERROR_IO, "unreachable");
  g_autoptr (GError) error = NULL;
  SluiceStoreQuery query = { .dataset = "system:pump_execution:p", .since = -1, .history = TRUE };
  g_autoptr (SluiceStoreCursor) cursor = NULL;
  g_autoptr (SluiceEntity) entity = NULL;
  g_autofree char *json = NULL;

  assert_true (sluice_retry_log_write_read_error (f->store, "p", "run-1", cause, 2, TRUE, &error));
  cursor = sluice_store_backend_read (f->store, &query, &error);
  entity = sluice_store_cursor_next_entity (cursor, query.dataset, &error);
  assert_non_null (entity);
  assert_true (g_str_has_prefix (sluice_entity_get_id (entity), "read-error:"));
  json = sluice_value_to_json (sluice_entity_get_body (entity));
  assert_non_null (strstr (json, "\"event_type\":\"read-error\",\"pipe\":\"p\""));
  assert_non_null (strstr (json, "\"run_id\":\"run-1\",\"error_code\":0,"
                                 "\"error_message\":\"unreachable\",\"attempt\":2,"
                                 "\"will_retry\":true"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_policy),
    cmocka_unit_test (test_error_code),
    cmocka_unit_test_setup_teardown (test_record_resolve_and_cap, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dead_letter, setup, teardown),
    cmocka_unit_test_setup_teardown (test_scan_start, setup, teardown),
    cmocka_unit_test_setup_teardown (test_discard, setup, teardown),
    cmocka_unit_test_setup_teardown (test_read_error, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
