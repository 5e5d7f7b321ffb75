/* store-conformance.h — the store's conformance suite: every case drives a backend through the
 * backend interface only (core/store/sluice-store-backend.h, and the entity level of
 * sluice-store.h above it), so that each backend runs all of them.  A backend adds a
 * StoreBackendFactory and a main () that hands it to store_conformance_run ()
 * (test-store-conformance.c does that for LMDB); what only one backend has (LMDB's map, its
 * files) is tested beside that backend (tests/unit/test-store-lmdb.c).
 *
 * The cases are in the conformance-*.c files of this folder, each with its list of cases. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sluice-store.h"

G_BEGIN_DECLS

/* How the suite makes stores of one backend. */
typedef struct
{
  const char *name; /* the group of cases cmocka prints: "lmdb" */
  /* A new, empty store for one case.  @dir is an empty directory the suite made for the case; a
   * backend that keeps its data elsewhere names the store after it. */
  SluiceStoreBackend *(*open) (const char *dir, GError **error);
  /* The store open () made for @dir, opened again as a restarted process opens it: the suite has
   * freed the store before, and calls it in forked children too. */
  SluiceStoreBackend *(*reopen) (const char *dir, GError **error);
  /* (transfer full) How the backend's messages name the store made for @dir
   * (sluice_store_backend_describe ()): "store at DIR". */
  char *(*describe) (const char *dir);
  /* Nullable.  Removes what open () made for @dir outside it; the suite removes @dir itself. */
  void (*remove) (const char *dir);
} StoreBackendFactory;

/* What every case gets as its state. */
typedef struct
{
  const StoreBackendFactory *factory;
  char *dir;   /* the case's own directory */
  char *where; /* factory->describe (dir): how messages name the store */
  SluiceStoreBackend *store;
} StoreFixture;

/* Frees the store and opens it again with the factory's reopen (). */
void store_fixture_reopen (StoreFixture *f);

typedef struct
{
  const char *name;
  CMUnitTestFunction func;
} StoreCase;

/* The cases, each list ending with { NULL }. */
extern const StoreCase store_conformance_dataset_cases[];
extern const StoreCase store_conformance_compaction_cases[];
extern const StoreCase store_conformance_breaker_cases[];
extern const StoreCase store_conformance_entity_cases[];

/* Runs every case against @factory's backend; returns the number of failed cases. */
int store_conformance_run (const StoreBackendFactory *factory);

G_END_DECLS
