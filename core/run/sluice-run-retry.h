/* sluice-run-retry.h — what a run does when its source or sink fails (digest §15.1, §3.3;
 * docs/retries.md): read retries, batch retries, the fallback to single entities, write-error
 * entries retried by later runs, and dead letters.  Private to the run (sluice-run.c), on its
 * worker thread.
 *
 * Which failures are retried follows the flow contract (plugin-sdk/sluice-flow.h):
 * SLUICE_FLOW_RETRY is a failure the host may retry; SLUICE_FLOW_ERROR is permanent and fails the
 * run at once, from the source as from the sink, and so does a circuit-breaker trip
 * (SLUICE_ERROR_CIRCUIT_BREAKER_TRIP), whatever the flow.
 */
#pragma once

#include "sluice-run-plan.h"

G_BEGIN_DECLS

typedef struct _SluiceRunRetry SluiceRunRetry;

/* @plan, @stats and @cancellable (nullable) are borrowed for the life of the run. */
SluiceRunRetry *sluice_run_retry_new (const SluiceRunPlan *plan, SluiceRunStats *stats,
                                      GCancellable *cancellable);
void sluice_run_retry_free (SluiceRunRetry *retry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceRunRetry, sluice_run_retry_free)

/* source.read with `max_read_retries` retries `read_retry_delay` seconds apart (the wait ends
 * early when the run is stopped); every failed call writes a `read-error` entity.  On a failure
 * @batch is cleared and the error says which batch and how many attempts. */
SluiceFlow sluice_run_retry_read (SluiceRunRetry *retry, SluiceBatch *batch, guint64 batch_number,
                                  GError **error);

/* Before the source is read: with max_write_errors_in_retry_dataset > 0, writes every retryable
 * write-error entity of the log again, one at a time, each in a transaction of its own.  Those
 * that fail again count one attempt and may die. */
gboolean sluice_run_retry_write_pending (SluiceRunRetry *retry, GError **error);

/* sink.write of one batch, inside the batch the caller began on the host.  On TRUE every entity
 * was written or recorded for a retry, and the host's batch is open with what the caller commits
 * with the offset; *@ret_n_written receives how many entities the sink accepted.  On FALSE the
 * caller aborts the host's batch: the offset must not move. */
gboolean sluice_run_retry_write (SluiceRunRetry *retry, SluiceBatch *batch, guint64 batch_number,
                                 guint64 *ret_n_written, GError **error);

/* At the end of the run: the counters that remain (stats->retries_pending). */
void sluice_run_retry_finish (SluiceRunRetry *retry);

G_END_DECLS
