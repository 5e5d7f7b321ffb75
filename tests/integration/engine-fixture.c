/* engine-fixture.c — the in-process engine the integration tests drive: a temporary data
 * directory with an LMDB store, a registry holding the built plugins (basic, dataset, dtl) and the
 * engine test plugin, and helpers to build an engine from configuration text, run pipes and read
 * datasets back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "engine-fixture.h"
#include "sluice-config-loader.h"
#include "sluice-store.h"
#include "sluice-store-lmdb.h"
#include "test-tree.h"

void
engine_fixture_load_plugin (SluiceRegistry *registry, const char *relative)
{
  g_autofree char *path = g_build_filename (g_getenv ("SLUICE_TEST_BUILDDIR"), relative, NULL);
  g_autoptr (GError) error = NULL;

  if (!sluice_registry_load_file (registry, path, &error))
    fail_msg ("%s", error->message);
}

int
engine_fixture_setup (void **state)
{
  EngineFixture *f = g_new0 (EngineFixture, 1);
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("sluice-engine-XXXXXX", &error);
  assert_non_null (f->dir);
  f->registry = sluice_registry_new ();
  engine_fixture_load_plugin (f->registry, "plugins/sluice-basic.so");
  engine_fixture_load_plugin (f->registry, "plugins/sluice-dataset.so");
  engine_fixture_load_plugin (f->registry, "plugins/sluice-dtl.so");
  engine_fixture_load_plugin (f->registry, "tests/plugins/engine/sluice-engine-test.so");
  data = g_build_filename (f->dir, "data", NULL);
  f->store = sluice_store_lmdb_open (data, NULL, &error);
  assert_non_null (f->store);
  *state = f;
  return 0;
}

int
engine_fixture_teardown (void **state)
{
  EngineFixture *f = *state;

  g_clear_object (&f->engine);
  sluice_store_backend_free (f->store);
  g_object_unref (f->registry);
  sluice_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

/* Builds the engine from @json (a configuration file's text); FALSE with @error on problems,
 * which are also formatted into @ret_problems when given. */
gboolean
engine_fixture_try_build (EngineFixture *f, const char *json, char **ret_problems, GError **error)
{
  g_autofree char *path = g_build_filename (f->dir, "config.json", NULL);
  const char *paths[] = { path, NULL };
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (SluiceConfig) config = NULL;

  g_clear_object (&f->engine);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  config = sluice_config_load (f->registry, paths, NULL, NULL, diagnostics, error);
  if (config != NULL)
    f->engine = sluice_engine_new (f->registry, config, f->store, diagnostics, error);
  if (ret_problems != NULL)
    *ret_problems = sluice_config_diagnostics_format (diagnostics);
  return f->engine != NULL;
}

void
engine_fixture_build (EngineFixture *f, const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *problems = NULL;

  if (!engine_fixture_try_build (f, json, &problems, &error))
    fail_msg ("%s%s", problems, error->message);
}

SluiceRunStats *
engine_fixture_run (EngineFixture *f, const char *pipe_id, SluiceRunType run_type, gboolean expect_success)
{
  SluicePipe *pipe = sluice_engine_lookup_pipe (f->engine, pipe_id);
  g_autoptr (GError) error = NULL;
  SluiceRunStats *stats = NULL;
  gboolean ok;

  assert_non_null (pipe);
  ok = sluice_pipe_run_sync (pipe, run_type, NULL, &stats, &error);
  if (expect_success && !ok)
    fail_msg ("pipe '%s' failed: %s", pipe_id, error->message);
  assert_int_equal (ok, expect_success);
  assert_non_null (stats);
  return stats;
}

SluiceDatasetInfo *
engine_fixture_dataset_info (EngineFixture *f, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  SluiceDatasetInfo *info = sluice_store_backend_dup_dataset_info (f->store, dataset, NULL, &error);

  if (info == NULL)
    fail_msg ("%s", error->message);
  return info;
}

/* Every version of @dataset (or only the latest ones) as JSON lines without `_ts`. */
char *
engine_fixture_dump (EngineFixture *f, const char *dataset, gboolean history)
{
  SluiceStoreQuery query = { .dataset = dataset, .since = -1, .history = history, .deleted = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (f->store, &query, &error);
  GString *out = g_string_new (NULL);
  SluiceEntity *entity;

  assert_non_null (cursor);
  while ((entity = sluice_store_cursor_next_entity (cursor, dataset, &error)) != NULL)
    {
      g_autofree char *body = sluice_value_to_json (sluice_entity_get_body (entity));

      g_string_append_printf (out, "%" G_GINT64_FORMAT " %s\n", sluice_entity_get_offset (entity),
                              body);
      sluice_entity_unref (entity);
    }
  assert_null (error);
  return g_string_free (out, FALSE);
}

/* Appends entities {_id, n, value} to @dataset directly, as another pipe would. */
void
engine_fixture_append (EngineFixture *f, const char *dataset, int from, int to, const char *value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  SluiceStoreTxn *txn = sluice_store_backend_begin (f->store, &error);
  g_autoptr (SluiceDatasetInfo) info = NULL;

  for (int i = from; i < to; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"_id\": \"e%d\", \"n\": %d, \"value\": \"%s\"}",
                                               i, i, value);
      g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, NULL);

      sluice_batch_take (batch, sluice_entity_new (body, NULL));
    }
  assert_non_null (txn);
  info = sluice_store_txn_create_dataset (txn, dataset, TRUE, &error);
  assert_non_null (info);
  assert_true (sluice_store_txn_append_batch (txn, dataset, batch, 0, NULL, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
}
