/* test-entity.c — entities and batches (plugin-sdk/sluice-entity.c, sluice-batch.c): validation of
 * the body, deletion, the content hash, stored metadata in the JSON form, batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-error.h"
#include "sluice-json.h"

static SluiceEntity *
entity (const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, &error);
  SluiceEntity *e;

  assert_non_null (body);
  e = sluice_entity_new (body, &error);
  if (e == NULL)
    fail_msg ("%s: %s", json, error->message);
  return e;
}

static void
assert_invalid (const char *json, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, &error);
  g_autoptr (SluiceEntity) e = sluice_entity_new (body, &error);

  assert_null (e);
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA));
  assert_string_equal (error->message, message);
}

static void
test_body_must_have_string_id (void **state)
{
  assert_invalid ("[1]", "entity has type list, expected a dict with a string \"_id\"");
  assert_invalid ("{\"name\":\"x\"}", "entity has no \"_id\": expected a string \"_id\"");
  assert_invalid ("{\"_id\":1}", "entity \"_id\" has type integer, expected a string");
  assert_invalid ("{\"_id\":\"~:ns:1\"}", "entity \"_id\" has type ni, expected a string");
}

/* An _id becomes a key of the store: it is 1 byte to 1 MiB (SLUICE_ENTITY_MAX_ID_SIZE) of text
 * without U+0000, or ids that differ after a U+0000 would be one entity (issue 21, items 5, 12). */
static void
test_id_rules (void **state)
{
  g_autoptr (GString) longest = g_string_new ("{\"_id\":\"");
  g_autoptr (SluiceValue) body = NULL;
  g_autoptr (SluiceValue) too_long = NULL;
  g_autoptr (SluiceEntity) e = NULL;
  g_autoptr (SluiceEntity) stored = NULL;
  g_autoptr (GError) error = NULL;

  assert_invalid ("{\"_id\":\"a\\u0000b\"}",
                  "entity \"_id\" contains U+0000 at byte 1: expected an _id without U+0000");
  assert_invalid ("{\"_id\":\"\\u0000\"}",
                  "entity \"_id\" contains U+0000 at byte 0: expected an _id without U+0000");
  assert_invalid ("{\"_id\":\"\"}", "entity \"_id\" is empty: expected 1 to 1048576 bytes");
  for (size_t i = 0; i < SLUICE_ENTITY_MAX_ID_SIZE; i++)
    g_string_append_c (longest, (char) ('a' + i % 26));
  g_string_append (longest, "\"}");
  body = sluice_value_from_json (longest->str, -1, &error);
  assert_non_null (body);
  e = sluice_entity_new (body, &error);
  assert_non_null (e);
  assert_int_equal (strlen (sluice_entity_get_id (e)), SLUICE_ENTITY_MAX_ID_SIZE);
  g_string_insert_c (longest, 8, 'x');
  too_long = sluice_value_from_json (longest->str, -1, &error);
  assert_null (sluice_entity_new (too_long, &error));
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA));
  assert_string_equal (error->message,
                       "entity \"_id\" is 1048577 bytes long: expected 1 to 1048576 bytes");
  g_clear_error (&error);

  /* What a dataset holds is read back as it is. */
  {
    g_autoptr (SluiceValue) old = sluice_value_from_json ("{\"_id\":\"a\\u0000b\"}", -1, &error);

    stored = sluice_entity_new_stored (old, 0, SLUICE_ENTITY_NO_OFFSET, 1, NULL, &error);
    assert_non_null (stored);
  }
}

static void
test_accessors (void **state)
{
  g_autoptr (SluiceEntity) e = entity ("{\"_id\":\"person-1\",\"name\":\"Ola\"}");

  assert_string_equal (sluice_entity_get_id (e), "person-1");
  assert_false (sluice_entity_is_deleted (e));
  assert_int_equal (sluice_entity_get_offset (e), SLUICE_ENTITY_NO_OFFSET);
  assert_int_equal (sluice_value_dict_get_size (sluice_entity_get_body (e)), 2);
}

static void
test_deleted_only_when_true (void **state)
{
  static const char *const not_deleted[] = {
    "{\"_id\":\"a\",\"_deleted\":false}", "{\"_id\":\"a\",\"_deleted\":\"yes\"}",
    "{\"_id\":\"a\",\"_deleted\":1}", "{\"_id\":\"a\",\"_deleted\":null}",
  };
  g_autoptr (SluiceEntity) d = entity ("{\"_id\":\"a\",\"_deleted\":true}");

  assert_true (sluice_entity_is_deleted (d));
  for (size_t i = 0; i < G_N_ELEMENTS (not_deleted); i++)
    {
      g_autoptr (SluiceEntity) e = entity (not_deleted[i]);

      assert_false (sluice_entity_is_deleted (e));
    }
}

static void
test_hash (void **state)
{
  g_autoptr (SluiceEntity) a = entity ("{\"_id\":\"a\",\"name\":\"A\"}");
  g_autoptr (SluiceEntity) b = entity ("{\"name\":\"A\",\"_id\":\"a\",\"_updated\":3,\"_deleted\":false}");
  g_autoptr (SluiceEntity) c = entity ("{\"_id\":\"a\",\"name\":\"A\",\"_deleted\":true}");
  g_autofree char *ha = sluice_entity_dup_hash_hex (a);
  g_autofree char *hb = sluice_entity_dup_hash_hex (b);
  g_autofree char *hc = sluice_entity_dup_hash_hex (c);
  uint8_t raw[SLUICE_ENTITY_HASH_SIZE];

  /* Pinned in tests/fixtures/hashes.jsonl too. */
  assert_string_equal (ha, "6b9e4a0f27350e81c6b6cdf627169ac4");
  assert_string_equal (ha, hb);
  assert_string_not_equal (ha, hc);
  sluice_entity_get_hash (a, raw);
  assert_int_equal (raw[0], 0x6b);
  assert_int_equal (raw[15], 0xc4);
}

static void
test_json_of_stored_entity (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) body = sluice_value_from_json (
    "{\"_id\":\"a\",\"name\":\"A\",\"_updated\":99,\"_hash\":\"stale\",\"_deleted\":false}", -1, &error);
  g_autoptr (SluiceEntity) fresh = sluice_entity_new (body, &error);
  g_autoptr (SluiceEntity) stored = sluice_entity_new_stored (body, 2, 0, 1700000000000000, NULL, &error);
  g_autoptr (SluiceEntity) first = sluice_entity_new_stored (body, 0, SLUICE_ENTITY_NO_OFFSET, 5, NULL,
                                                             &error);
  uint8_t given[SLUICE_ENTITY_HASH_SIZE] = { 0xab };
  g_autoptr (SluiceEntity) with_hash = sluice_entity_new_stored (body, 1, 0, 5, given, &error);
  g_autofree char *fresh_json = sluice_entity_to_json (fresh);
  g_autofree char *stored_json = sluice_entity_to_json (stored);
  g_autofree char *first_json = sluice_entity_to_json (first);
  g_autofree char *given_hex = sluice_entity_dup_hash_hex (with_hash);

  /* Not stored: the body as the producer wrote it. */
  assert_string_equal (fresh_json, "{\"_id\":\"a\",\"name\":\"A\",\"_updated\":99,\"_hash\":\"stale\","
                                   "\"_deleted\":false}");
  /* Stored: the dataset's metadata replaces the producer's. */
  assert_string_equal (stored_json, "{\"_id\":\"a\",\"name\":\"A\",\"_deleted\":false,\"_updated\":2,"
                                    "\"_previous\":0,\"_ts\":1700000000000000,"
                                    "\"_hash\":\"6b9e4a0f27350e81c6b6cdf627169ac4\"}");
  assert_string_equal (first_json, "{\"_id\":\"a\",\"name\":\"A\",\"_deleted\":false,\"_updated\":0,"
                                   "\"_previous\":null,\"_ts\":5,"
                                   "\"_hash\":\"6b9e4a0f27350e81c6b6cdf627169ac4\"}");
  assert_int_equal (sluice_entity_get_offset (stored), 2);
  assert_int_equal (sluice_entity_get_previous (stored), 0);
  assert_int_equal (sluice_entity_get_timestamp (stored), 1700000000000000);
  assert_string_equal (given_hex, "ab000000000000000000000000000000");
}

static void
test_batch (void **state)
{
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  g_autoptr (SluiceEntity) kept = entity ("{\"_id\":\"kept\"}");

  sluice_batch_take (batch, entity ("{\"_id\":\"one\"}"));
  sluice_batch_add (batch, kept);
  assert_int_equal (sluice_batch_get_length (batch), 2);
  assert_string_equal (sluice_entity_get_id (sluice_batch_get (batch, 0)), "one");
  assert_ptr_equal (sluice_batch_get (batch, 1), kept);
  sluice_batch_clear (batch);
  assert_int_equal (sluice_batch_get_length (batch), 0);
  /* The batch dropped its reference, ours is still good. */
  assert_string_equal (sluice_entity_get_id (kept), "kept");
}

static gpointer
hash_in_thread (gpointer data)
{
  return sluice_entity_dup_hash_hex (data);
}

static void
test_hash_from_several_threads (void **state)
{
  g_autoptr (SluiceEntity) e = entity ("{\"_id\":\"a\",\"name\":\"A\"}");
  GThread *threads[4];

  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new ("hash", hash_in_thread, e);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *hex = g_thread_join (threads[i]);

      assert_string_equal (hex, "6b9e4a0f27350e81c6b6cdf627169ac4");
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_body_must_have_string_id),
    cmocka_unit_test (test_id_rules),
    cmocka_unit_test (test_accessors),
    cmocka_unit_test (test_deleted_only_when_true),
    cmocka_unit_test (test_hash),
    cmocka_unit_test (test_json_of_stored_entity),
    cmocka_unit_test (test_batch),
    cmocka_unit_test (test_hash_from_several_threads),
  };

  return cmocka_run_group_tests_name ("entity", tests, NULL, NULL);
}
