/* test-store-entities.c — the entity level of the store (core/store/sluice-store.c): reserved fields
 * dropped on write, change tracking by the SDK content hash, version metadata on read, and the
 * Appendix B2 since example with real entities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <glib/gstdio.h>

#include "sluice-store.h"
#include "sluice-store-lmdb.h"

typedef struct
{
  char *dir;
  SluiceStoreBackend *store;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("sluice-store-XXXXXX", &error);
  assert_null (error);
  f->store = sluice_store_lmdb_open (f->dir, NULL, &error);
  assert_non_null (f->store);
  sluice_dataset_info_free (sluice_store_backend_create_dataset (f->store, "ds", FALSE, &error));
  assert_null (error);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  g_autofree char *data = g_build_filename (f->dir, "data.mdb", NULL);
  g_autofree char *lock = g_build_filename (f->dir, "lock.mdb", NULL);

  sluice_store_backend_free (f->store);
  g_unlink (data);
  g_unlink (lock);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static SluiceEntity *
entity (const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, &error);
  SluiceEntity *e;

  assert_non_null (body);
  e = sluice_entity_new (body, &error);
  assert_non_null (e);
  return e;
}

/* Writes the entities of a JSON array (one per element, given as separate strings). */
static size_t
write_batch (SluiceStoreBackend *store, const char *const *jsons)
{
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  g_autoptr (GError) error = NULL;
  SluiceStoreTxn *txn;
  size_t n = 0;

  for (; *jsons != NULL; jsons++)
    sluice_batch_take (batch, entity (*jsons));
  txn = sluice_store_backend_begin (store, &error);
  assert_true (sluice_store_txn_append_batch (txn, "ds", batch, 0, &n, &error));
  assert_null (error);
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  return n;
}

static char *
read_all (SluiceStoreBackend *store, int64_t since, uint64_t limit)
{
  SluiceStoreQuery q = { "ds", since, limit, TRUE, TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, &error);
  GString *out = g_string_new (NULL);
  SluiceEntity *e;

  while ((e = sluice_store_cursor_next_entity (cursor, "ds", &error)) != NULL)
    {
      g_string_append_printf (out, "%s%s", out->len ? " " : "", sluice_entity_get_id (e));
      sluice_entity_unref (e);
    }
  assert_null (error);
  return g_string_free (out, FALSE);
}

static void
test_reserved_fields_and_metadata (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  const char *first[] = { "{\"_id\": \"a\", \"name\": \"A\", \"_updated\": 99, \"_ts\": 5, "
                          "\"_hash\": \"x\", \"_previous\": 7, \"_custom\": 1, "
                          "\"nested\": {\"_keep\": true}}",
                          NULL };
  /* Only dropped fields differ: no new version. */
  const char *same[] = { "{\"_id\": \"a\", \"name\": \"A\", \"_updated\": 3, \"nested\": "
                         "{\"_keep\": true}}",
                         NULL };
  const char *changed[] = { "{\"_id\": \"a\", \"name\": \"A2\", \"nested\": {\"_keep\": true}}",
                            "{\"_id\": \"b\", \"_deleted\": true, \"name\": \"B\"}", NULL };
  g_autoptr (SluiceEntity) a = NULL, a0 = NULL, b = NULL;
  g_autofree char *json = NULL;
  SluiceValue *body;

  assert_int_equal (write_batch (f->store, first), 1);
  assert_int_equal (write_batch (f->store, same), 0);
  assert_int_equal (write_batch (f->store, changed), 2);

  a0 = sluice_store_dup_entity_at (f->store, "ds", 0, NULL, &error);
  assert_non_null (a0);
  body = sluice_entity_get_body (a0);
  assert_null (sluice_value_dict_lookup (body, "_updated"));
  assert_null (sluice_value_dict_lookup (body, "_custom"));
  assert_null (sluice_value_dict_lookup (body, "_ts"));
  assert_non_null (sluice_value_dict_lookup (sluice_value_dict_lookup (body, "nested"), "_keep"));
  assert_int_equal (sluice_entity_get_offset (a0), 0);
  assert_int_equal (sluice_entity_get_previous (a0), SLUICE_ENTITY_NO_OFFSET);

  a = sluice_store_dup_entity (f->store, "ds", "a", NULL, &error);
  assert_int_equal (sluice_entity_get_offset (a), 1);
  assert_int_equal (sluice_entity_get_previous (a), 0);
  assert_true (sluice_entity_get_timestamp (a) >= sluice_entity_get_timestamp (a0));
  assert_true (sluice_entity_get_timestamp (a0) > 1600000000000000);
  assert_string_equal (
      sluice_value_get_string (sluice_value_dict_lookup (sluice_entity_get_body (a), "name"), NULL),
      "A2");

  b = sluice_store_dup_entity (f->store, "ds", "b", NULL, &error);
  assert_true (sluice_entity_is_deleted (b));
  assert_int_equal (sluice_entity_get_offset (b), 2);
  json = sluice_entity_to_json (b);
  assert_non_null (strstr (json, "\"_updated\":2"));
  assert_non_null (strstr (json, "\"_deleted\":true"));

  assert_null (sluice_store_dup_entity (f->store, "ds", "nope", NULL, &error));
  assert_null (error);
}

/* Appendix B2 with entities written as a pipe would write them. */
static void
test_letters (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  g_autoptr (GError) error = NULL;
  SluiceStoreTxn *txn;

  for (char c = 'A'; c <= 'Z'; c++)
    {
      g_autofree char *json = g_strdup_printf ("{\"_id\": \"%c\", \"letter\": \"%c\"}", c, c);
      sluice_batch_take (batch, entity (json));
    }
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_append_batch (txn, "ds", batch, 0, NULL, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  {
    g_autofree char *s21 = read_all (f->store, 21, 0);
    g_autofree char *s20 = read_all (f->store, 20, 3);
    g_autofree char *s23 = read_all (f->store, 23, 3);
    assert_string_equal (s21, "W X Y Z");
    assert_string_equal (s20, "V W X");
    assert_string_equal (s23, "Y Z");
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_reserved_fields_and_metadata, setup, teardown),
    cmocka_unit_test_setup_teardown (test_letters, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
