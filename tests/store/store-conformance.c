/* store-conformance.c — runs the cases of the store's conformance suite against one backend, each
 * with a fresh store in a directory of its own (see store-conformance.h). */
#include "store-conformance.h"

#include "test-tree.h"

static int
setup (void **state)
{
  const StoreBackendFactory *factory = *state;
  StoreFixture *f = g_new0 (StoreFixture, 1);
  g_autoptr (GError) error = NULL;

  f->factory = factory;
  f->dir = g_dir_make_tmp ("sluice-store-XXXXXX", &error);
  assert_null (error);
  f->where = factory->describe (f->dir);
  f->store = factory->open (f->dir, &error);
  assert_null (error);
  assert_non_null (f->store);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  StoreFixture *f = *state;

  sluice_store_backend_free (f->store);
  if (f->factory->remove != NULL)
    f->factory->remove (f->dir);
  sluice_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->where);
  g_free (f);
  return 0;
}

void
store_fixture_reopen (StoreFixture *f)
{
  g_autoptr (GError) error = NULL;

  sluice_store_backend_free (f->store);
  f->store = f->factory->reopen (f->dir, &error);
  assert_null (error);
  assert_non_null (f->store);
}

int
store_conformance_run (const StoreBackendFactory *factory)
{
  const StoreCase *const lists[] = {
    store_conformance_dataset_cases,
    store_conformance_compaction_cases,
    store_conformance_breaker_cases,
    store_conformance_entity_cases,
  };
  g_autoptr (GArray) tests = g_array_new (FALSE, TRUE, sizeof (struct CMUnitTest));

  for (size_t i = 0; i < G_N_ELEMENTS (lists); i++)
    for (const StoreCase *c = lists[i]; c->name != NULL; c++)
      {
        struct CMUnitTest test = {
          .name = c->name,
          .test_func = c->func,
          .setup_func = setup,
          .teardown_func = teardown,
          /* Each case's setup gets the factory as its state, and replaces it with the fixture. */
          .initial_state = (void *)factory,
        };

        g_array_append_val (tests, test);
      }
  return _cmocka_run_group_tests (factory->name, (const struct CMUnitTest *)tests->data, tests->len,
                                  NULL, NULL);
}
