/* conformance-compaction.c — compaction in the store's conformance suite (store-conformance.h):
 * what stays of each id, the time threshold, the options refused, chunk boundaries.  A backend
 * without compaction (an optional entry) skips them. */
#include "store-conformance.h"
#include "store-records.h"

/* TRUE when the backend compacts.  A backend without the optional entry refuses compaction with
 * the default of its wrapper, which is checked here instead. */
static gboolean
has_compaction (StoreFixture *f)
{
  SluiceCompactOptions keep1 = { 1, -1 };
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;

  if (f->store->vtable->compact != NULL)
    return TRUE;
  create (f->store, "c");
  assert_false (sluice_store_backend_compact (f->store, "c", &keep1, NULL, &error));
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_FAILED));
  expected = g_strdup_printf ("%s: the %s backend does not support compaction", f->where,
                              f->store->vtable->name);
  assert_string_equal (error->message, expected);
  return FALSE;
}

static void
test_compaction (void **state)
{
  StoreFixture *f = *state;
  SluiceCompactOptions keep2 = { 2, -1 }, keep1 = { 1, -1 }, zero = { 0, -1 }, young = { 0, 1 };
  SluiceCompactStats stats = { 0 };
  g_autoptr (GError) error = NULL;

  if (!has_compaction (f))
    return;

  create (f->store, "c");
  append1 (f->store, "c", "x", "1", FALSE); /* 0 */
  append1 (f->store, "c", "y", "1", FALSE); /* 1 */
  append1 (f->store, "c", "x", "2", FALSE); /* 2 */
  append1 (f->store, "c", "x", "2", TRUE);  /* 3: a deleted version counts as a version */
  append1 (f->store, "c", "x", "4", FALSE); /* 4 */
  append1 (f->store, "c", "z", "1", FALSE); /* 5 */
  append1 (f->store, "c", "z", "1", TRUE);  /* 6 */

  assert_false (sluice_store_backend_compact (f->store, "c", &zero, &stats, &error));
  assert_string_equal (error->message,
                       "dataset 'c': compaction.keep_versions is 0 without "
                       "compaction.time_threshold_hours: expected keep_versions ≥ 1 or a time "
                       "threshold");
  g_clear_error (&error);

  /* A one-hour threshold protects everything just written. */
  assert_true (sluice_store_backend_compact (f->store, "c", &young, &stats, &error));
  assert_int_equal (stats.versions_removed, 0);
  assert_int_equal (stats.ids_visited, 3);

  assert_true (sluice_store_backend_compact (f->store, "c", &keep2, &stats, &error));
  assert_null (error);
  assert_int_equal (stats.versions_removed, 2);
  {
    g_autofree char *s = query_str (f->store, "c", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE);
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "c");
    g_autoptr (SluiceStoreOwnedVersion) gone
        = sluice_store_backend_dup_version (f->store, "c", 2, NULL, &error);
    /* _previous of offset 3 still says 2, which compaction removed. */
    assert_string_equal (s, "y 1 -1\nx 3 2 deleted\nx 4 3\nz 5 -1\nz 6 5 deleted\n");
    assert_int_equal (i->version_count, 5);
    assert_int_equal (i->next_offset, 7);
    assert_int_equal (i->entity_count, 2);
    assert_null (gone);
    assert_null (error);
  }

  /* Compacting again changes nothing; keep 1 keeps the latest, deleted or not. */
  assert_true (sluice_store_backend_compact (f->store, "c", &keep2, &stats, &error));
  assert_int_equal (stats.versions_removed, 0);
  assert_true (sluice_store_backend_compact (f->store, "c", &keep1, &stats, &error));
  assert_int_equal (stats.versions_removed, 2);
  {
    g_autofree char *s = query_str (f->store, "c", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE);
    assert_string_equal (s, "y 1 -1\nx 4 3\nz 6 5 deleted\n");
  }
  /* Appending after compaction continues the chain and the offsets. */
  append1 (f->store, "c", "x", "5", FALSE);
  {
    g_autofree char *s = query_str (f->store, "c", 4, 0, TRUE, TRUE);
    assert_string_equal (s, "z 6 5 deleted\nx 7 4\n");
  }
  {
    SluiceCompactOptions bad = { -1, -1 };
    assert_false (sluice_store_backend_compact (f->store, "c", &bad, &stats, &error));
    assert_string_equal (error->message,
                         "dataset 'c': compaction.keep_versions is -1: expected a number ≥ 0");
  }
}

/* Compaction across chunk boundaries, with time threshold 0 and keep_versions 0. */
static void
test_compaction_many (void **state)
{
  StoreFixture *f = *state;
  const int n = 5000;
  SluiceCompactOptions opts = { 0, 0 };
  SluiceCompactStats stats = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree SluiceStoreRecord *records = g_new (SluiceStoreRecord, n);

  if (!has_compaction (f))
    return;

  create (f->store, "m");
  for (int i = 0; i < n; i++)
    g_ptr_array_add (ids, g_strdup_printf ("%d", i));
  for (int round = 0; round < 3; round++)
    {
      g_autofree char *content = g_strdup_printf ("v%d", round);

      for (int i = 0; i < n; i++)
        records[i] = rec (g_ptr_array_index (ids, i), content, FALSE);
      append (f->store, "m", records, n, NULL);
    }
  assert_true (sluice_store_backend_compact (f->store, "m", &opts, &stats, &error));
  assert_null (error);
  assert_int_equal (stats.ids_visited, n);
  assert_int_equal (stats.versions_removed, 2 * n);
  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "m");
    g_autofree char *first = query_str (f->store, "m", SLUICE_STORE_NO_OFFSET, 1, TRUE, TRUE);
    g_autofree char *expected = g_strdup_printf ("0 %d %d\n", 2 * n, n);
    assert_int_equal (i->version_count, n);
    assert_int_equal (i->entity_count, n);
    assert_string_equal (first, expected);
  }
}

const StoreCase store_conformance_compaction_cases[] = {
  { "compaction", test_compaction },
  { "compaction_many", test_compaction_many },
  { NULL },
};
