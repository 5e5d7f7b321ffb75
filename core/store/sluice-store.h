/* sluice-store.h — the entity-level face of the dataset store, as the engine and the dataset
 * plugins use it.
 *
 * The backend (store/sluice-store-backend.h) stores records: an id, a content hash, a deleted flag
 * and an opaque body.  This layer turns SluiceEntity values into records and back: the hash is the
 * SDK's content hash, the body is the SDK's binary form of the entity with every root-level `_`
 * field dropped except `_id` and `_deleted` (digest §1.2), and entities read back carry the
 * `_updated`, `_previous` and `_ts` the dataset assigned.  Transactions, pipe state, listing and
 * compaction are used directly through the backend.
 */
#pragma once

#include <sluice-entity.h>
#include "sluice-store-backend.h"

G_BEGIN_DECLS

/* Appends @batch to @dataset inside @txn with change tracking (see sluice_store_txn_append).
 * @ret_n_appended (nullable) receives the number of new versions. */
gboolean sluice_store_txn_append_batch (SluiceStoreTxn *txn, const char *dataset,
                                        const SluiceBatch *batch, uint32_t flags,
                                        size_t *ret_n_appended, GError **error);
/* The same, and @ret_offsets (nullable, one entry per entity) receives what
 * sluice_store_txn_append () reports for each. */
gboolean sluice_store_txn_append_batch_offsets (SluiceStoreTxn *txn, const char *dataset,
                                                const SluiceBatch *batch, uint32_t flags,
                                                int64_t *ret_offsets, size_t *ret_n_appended,
                                                GError **error);

/* (transfer full) The entity a stored version holds, with its version metadata. */
SluiceEntity *sluice_store_entity_from_version (const SluiceStoreVersion *version,
                                                const char *dataset, GError **error);

/* (transfer full) The latest version of @id that @view (nullable: the committed view, which does
 * not see the versions a circuit breaker holds back) sees, deleted or not; NULL without an error
 * when the dataset has no such id. */
SluiceEntity *sluice_store_dup_entity (SluiceStoreBackend *backend, const char *dataset,
                                       const char *id, const SluiceStoreView *view, GError **error);
/* (transfer full) The version at @offset in @view (nullable: committed); NULL without an error
 * when there is none. */
SluiceEntity *sluice_store_dup_entity_at (SluiceStoreBackend *backend, const char *dataset,
                                          int64_t offset, const SluiceStoreView *view,
                                          GError **error);
/* (transfer full) The next entity of a streaming read; NULL at the end (no error) or on failure. */
SluiceEntity *sluice_store_cursor_next_entity (SluiceStoreCursor *cursor, const char *dataset,
                                               GError **error);

G_END_DECLS
