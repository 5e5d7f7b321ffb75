/* conformance-entities.c — the entity level of the store (core/store/sluice-store.c) over a
 * backend, in the store's conformance suite (store-conformance.h): reserved fields dropped on
 * write, change tracking by the SDK content hash, version metadata on read, the Appendix B2 since
 * example with real entities, and entities read in a view. */
#include "store-conformance.h"
#include "store-records.h"

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
  StoreFixture *f = *state;
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

  create (f->store, "ds");
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
  StoreFixture *f = *state;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  g_autoptr (GError) error = NULL;
  SluiceStoreTxn *txn;

  create (f->store, "ds");
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

/* The value of the "v" field of @id's latest version in @view; NULL when there is none. */
static char *
field_in_view (SluiceStoreBackend *store, const char *id, const SluiceStoreView *view)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceEntity) e = sluice_store_dup_entity (store, "ds", id, view, &error);

  assert_null (error);
  if (e == NULL)
    return NULL;
  return g_strdup (
      sluice_value_get_string (sluice_value_dict_lookup (sluice_entity_get_body (e), "v"), NULL));
}

/* Entities read by id and by offset take a view: what a held run wrote is seen in the uncommitted
 * view and by the holder only. */
static void
test_entities_in_views (void **state)
{
  StoreFixture *f = *state;
  const char *first[] = { "{\"_id\": \"a\", \"v\": \"1\"}", NULL };
  const char *held[] = { "{\"_id\": \"a\", \"v\": \"2\"}", "{\"_id\": \"b\", \"v\": \"1\"}", NULL };
  SluiceBreakerState state_p = { .pipe = (char *)"p", .run_id = (char *)"run-1" };
  SluiceStoreView uncommitted = { .uncommitted = TRUE };
  SluiceStoreView holder = { .holder = "p" };
  SluiceStoreView other = { .holder = "q" };
  g_autoptr (GError) error = NULL;
  SluiceStoreTxn *txn;

  create (f->store, "ds");
  assert_int_equal (write_batch (f->store, first), 1);
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_set_breaker (txn, "ds", &state_p, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_null (error);
  assert_int_equal (write_batch (f->store, held), 2);

  {
    g_autofree char *a_committed = field_in_view (f->store, "a", NULL);
    g_autofree char *a_other = field_in_view (f->store, "a", &other);
    g_autofree char *a_uncommitted = field_in_view (f->store, "a", &uncommitted);
    g_autofree char *a_holder = field_in_view (f->store, "a", &holder);
    g_autofree char *b_committed = field_in_view (f->store, "b", NULL);
    g_autofree char *b_holder = field_in_view (f->store, "b", &holder);

    assert_string_equal (a_committed, "1");
    assert_string_equal (a_other, "1");
    assert_string_equal (a_uncommitted, "2");
    assert_string_equal (a_holder, "2");
    assert_null (b_committed);
    assert_string_equal (b_holder, "1");
  }
  {
    g_autoptr (SluiceEntity) at1 = sluice_store_dup_entity_at (f->store, "ds", 1, NULL, &error);
    g_autoptr (SluiceEntity) at1_other
        = sluice_store_dup_entity_at (f->store, "ds", 1, &other, &error);
    g_autoptr (SluiceEntity) at1_holder
        = sluice_store_dup_entity_at (f->store, "ds", 1, &holder, &error);
    g_autoptr (SluiceEntity) at2
        = sluice_store_dup_entity_at (f->store, "ds", 2, &uncommitted, &error);

    assert_null (error);
    assert_null (at1);
    assert_null (at1_other);
    assert_non_null (at1_holder);
    assert_string_equal (sluice_entity_get_id (at1_holder), "a");
    assert_int_equal (sluice_entity_get_offset (at1_holder), 1);
    assert_int_equal (sluice_entity_get_previous (at1_holder), 0);
    assert_non_null (at2);
    assert_string_equal (sluice_entity_get_id (at2), "b");
  }
}

const StoreCase store_conformance_entity_cases[] = {
  { "reserved_fields_and_metadata", test_reserved_fields_and_metadata },
  { "letters", test_letters },
  { "entities_in_views", test_entities_in_views },
  { NULL },
};
