/* sluice-store-lmdb.h — the embedded dataset store: one LMDB environment per data directory.
 *
 * See docs/store.md for the key layout, the transactions, the durability policy and how the map
 * grows.  Everything else goes through the backend interface in sluice-store-backend.h.
 */
#pragma once

#include "sluice-store-backend.h"

G_BEGIN_DECLS

typedef struct
{
  /* Bytes; 0: 256 MiB.  At open the map is this size doubled until the data file fills at most
   * half of it (and at most max_map_size, unless the file is larger still). */
  uint64_t initial_map_size;
  uint64_t max_map_size;     /* bytes; 0: 1 TiB.  The map doubles up to this size when full */
  uint32_t sync_interval_ms; /* flush committed data at most this long after a commit; 0: 1000 */
} SluiceStoreLmdbOptions;

/* Opens (creating when needed) the store in @dir.  @options may be NULL. */
SluiceStoreBackend *sluice_store_lmdb_open (const char *dir, const SluiceStoreLmdbOptions *options,
                                            GError **error);

/* The current size of the memory map in bytes (for tests and diagnostics). */
uint64_t sluice_store_lmdb_get_map_size (SluiceStoreBackend *backend);

G_END_DECLS
