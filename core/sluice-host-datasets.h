/* sluice-host-datasets.h — the dataset services the engine lends to the element instances of one
 * pipe (plugin-sdk/sluice-datasets.h), on top of the store.
 *
 * Appends go into the transaction of the batch being processed: the run opens a batch with
 * sluice_host_datasets_begin_batch (), the store transaction itself is opened lazily by the first
 * append (a batch whose sink writes no dataset costs no write transaction), and the run ends the
 * batch with sluice_host_datasets_commit_batch (), which writes the pipe state into the same
 * transaction, or with sluice_host_datasets_abort_batch ().  Outside a batch each append commits at
 * once.  Readers hold no transaction between calls, and a dataset that does not exist reads as
 * empty.  Entities appended in an open batch are not visible to readers before the commit (as in
 * Sesam, where the unflushed batch is not visible to hops).
 *
 * One instance serves one pipe, whose runs never overlap, so it takes no locks: every call comes
 * from the thread running the pipe's current run.
 */
#pragma once

#include <sluice-plugin-sdk.h>

#include "store/sluice-store-backend.h"

G_BEGIN_DECLS

typedef struct _SluiceHostDatasets SluiceHostDatasets;

/* Finds the configuration of the system component @system_id (borrowed), or NULL. */
typedef SluiceValue *(*SluiceHostSystemLookup) (const char *system_id, gpointer user_data);

/* @store is borrowed and must outlive the services; it may be NULL when elements are only built
 * (--check-config): dataset calls then fail with SLUICE_ERROR_NOT_SUPPORTED.  @lookup (nullable)
 * answers sluice_element_context_get_system (). */
SluiceHostDatasets *sluice_host_datasets_new (SluiceStoreBackend *store,
                                              SluiceHostSystemLookup lookup, gpointer lookup_data);
void sluice_host_datasets_free (SluiceHostDatasets *host);

/* Makes sluice_dataset_* calls made with @context use these services. */
void sluice_host_datasets_attach (SluiceHostDatasets *host, SluiceElementContext *context);

void sluice_host_datasets_begin_batch (SluiceHostDatasets *host);
/* Versions appended since the batch began (change tracking counted). */
guint64 sluice_host_datasets_get_batch_changes (SluiceHostDatasets *host);
/* Writes @state (nullable) for @pipe and commits everything the batch appended, in one
 * transaction; no transaction is opened when there is nothing to write.  Whatever happens, the
 * batch is over afterwards. */
gboolean sluice_host_datasets_commit_batch (SluiceHostDatasets *host, const char *pipe,
                                            const SluicePipeState *state, uint32_t commit_flags,
                                            GError **error);
/* Discards everything the batch appended. */
void sluice_host_datasets_abort_batch (SluiceHostDatasets *host);
/* (transfer none) The batch's store transaction, opened now if nothing opened it yet, so that the
 * run can add to what the batch commits (a circuit breaker's state). */
SluiceStoreTxn *sluice_host_datasets_get_txn (SluiceHostDatasets *host, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceHostDatasets, sluice_host_datasets_free)

G_END_DECLS
