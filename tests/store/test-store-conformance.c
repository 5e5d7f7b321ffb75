/* test-store-conformance.c — the store's conformance suite (store-conformance.h) for the backends
 * of this tree:
 *
 *   lmdb           the LMDB backend (core/store/lmdb/), as sluiced opens it;
 *   lmdb-required  the same backend with the optional entries of its vtable taken out
 *                  (cursor_pause, txn_roll_back_breaker_part, compact, sync), so that the defaults
 *                  of their wrappers (core/store/sluice-store-backend.c) meet every case, as they
 *                  would for a backend that leaves them out.
 *
 *   test-store-conformance [BACKEND]   (every backend without an argument)
 *
 * A new backend adds its factory to `factories` and a line to meson.build. */
#include "store-conformance.h"

#include "sluice-store-lmdb.h"

static SluiceStoreBackend *
lmdb_open (const char *dir, GError **error)
{
  return sluice_store_lmdb_open (dir, NULL, error);
}

static char *
lmdb_describe (const char *dir)
{
  return g_strdup_printf ("store at %s", dir);
}

static const StoreBackendFactory lmdb_factory = {
  .name = "lmdb",
  .open = lmdb_open,
  .reopen = lmdb_open,
  .describe = lmdb_describe,
};

static SluiceStoreBackend *
lmdb_required_open (const char *dir, GError **error)
{
  static SluiceStoreBackendVTable required;
  static gsize made;
  SluiceStoreBackend *store = sluice_store_lmdb_open (dir, NULL, error);

  if (store == NULL)
    return NULL;
  if (g_once_init_enter (&made))
    {
      required = *store->vtable;
      required.name = "lmdb-required";
      required.cursor_pause = NULL;
      required.txn_roll_back_breaker_part = NULL;
      required.compact = NULL;
      required.sync = NULL;
      g_once_init_leave (&made, 1);
    }
  store->vtable = &required;
  return store;
}

static const StoreBackendFactory lmdb_required_factory = {
  .name = "lmdb-required",
  .open = lmdb_required_open,
  .reopen = lmdb_required_open,
  .describe = lmdb_describe,
};

static const StoreBackendFactory *const factories[] = {
  &lmdb_factory,
  &lmdb_required_factory,
};

int
main (int argc, char **argv)
{
  int failed = 0;
  gboolean found = FALSE;

  for (size_t i = 0; i < G_N_ELEMENTS (factories); i++)
    if (argc < 2 || g_strcmp0 (argv[1], factories[i]->name) == 0)
      {
        failed += store_conformance_run (factories[i]);
        found = TRUE;
      }
  if (!found)
    {
      g_printerr ("test-store-conformance: no backend '%s'\n", argv[1]);
      return 2;
    }
  return failed;
}
