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
 * A *held* batch (sluice_host_datasets_hold_batch (), for large pushes: sluice-pipe-push.h) may be
 * committed in parts (sluice_host_datasets_commit_part ()) and still become visible at once:
 * before its first write into a dataset it holds the dataset with a store breaker record (a
 * SluiceBreakerState with .push set, docs/store.md), so readers see nothing after that watermark
 * but the holder pipe itself; sluice_host_datasets_commit_batch () releases the holds in the last
 * transaction, and sluice_host_datasets_abort_batch () (or a failed last commit) rolls back what
 * the committed parts wrote.  What a process that died left held is rolled back by
 * sluice_host_datasets_recover_holds ().
 *
 * One instance serves one pipe, whose runs never overlap, so it takes no locks: every call comes
 * from the thread running the pipe's current run.
 */
#pragma once

#include <sluice-plugin-sdk.h>

#include "sluice-store-backend.h"

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
/* Discards everything the batch appended; a held batch's committed parts are rolled back (a
 * failure to do so is logged, and the hold stays for sluice_host_datasets_recover_holds ()). */
void sluice_host_datasets_abort_batch (SluiceHostDatasets *host);

/* Holds the batch just begun (nothing written yet) for pipe @holder: every dataset it writes is
 * held from its first write on, and refused with SLUICE_ERROR_FAILED when it has a circuit
 * breaker already.  The hold id names this process ("push PID START N"). */
void sluice_host_datasets_hold_batch (SluiceHostDatasets *host, const char *holder);
/* Commits what a held batch wrote so far (not durably); the batch stays open and held.  On
 * failure the caller aborts the batch. */
gboolean sluice_host_datasets_commit_part (SluiceHostDatasets *host, GError **error);
/* Rolls back the holds of pushes that are over without having released them — their process
 * died, or (in this process) the push is not going on — in @datasets (NULL-terminated; NULL:
 * every dataset), logging each.  @ret_n_recovered (nullable) counts them.  FALSE on a store
 * error. */
gboolean sluice_host_datasets_recover_holds (SluiceStoreBackend *store,
                                             const char *const *datasets,
                                             guint *ret_n_recovered, GError **error);
/* (transfer none) The batch's store transaction, opened now if nothing opened it yet, so that the
 * run can add to what the batch commits (a circuit breaker's state). */
SluiceStoreTxn *sluice_host_datasets_get_txn (SluiceHostDatasets *host, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceHostDatasets, sluice_host_datasets_free)

G_END_DECLS
