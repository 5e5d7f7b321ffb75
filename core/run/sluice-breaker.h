/* sluice-breaker.h — circuit breakers on dataset sinks (digest §6, docs/decisions/0006).
 *
 * The store keeps the breaker of a dataset (store/sluice-store-backend.h: a committed watermark,
 * held or tripped, and the state to roll back to).  This is the engine's side of it:
 *
 *  - a run (core/run/sluice-run.c) asks sluice_breaker_run_begin () before it writes anything: it
 *    refuses to start while a sink dataset's breaker is tripped, settles what a killed run of the
 *    same pipe left held, and arms the breaker when the sink has a limit and its dataset is
 *    populated — it then *holds* the dataset (its watermark stays where it is) for the run;
 *  - after each batch and after the sink's end callback the run hands its count of written
 *    versions to sluice_breaker_run_check (); a DTL `trip!` goes to
 *    sluice_breaker_run_request_trip ();
 *  - sluice_breaker_run_settle () records a trip (or, at the end of the run, releases the hold) in
 *    the transaction the run is about to commit, so that what the run wrote and the breaker's state
 *    are committed together;
 *  - an operator resolves a tripped breaker with sluice_breaker_resolve () (commit or rollback),
 *    which SluiceControl exposes.
 */
#pragma once

#include <sluice-plugin-sdk.h>

#include "sluice-host-datasets.h"
#include "sluice-store-backend.h"

G_BEGIN_DECLS

/* The limits a sink configures; a breaker is configured when either is set. */
typedef struct
{
  double factor; /* circuit_breaker_threshold_factor; ≤ 0: not set */
  guint64 count; /* circuit_breaker_threshold_count; 0: not set */
} SluiceBreakerLimits;

/* A number option's value as a double (integer, float or decimal); 0 for anything else. */
double sluice_breaker_number (SluiceValue *value);

/* Reads the limits from a sink's options (a DICT, nullable). */
void sluice_breaker_limits_from_options (SluiceValue *options, SluiceBreakerLimits *ret_limits);

/* The largest number of versions a run may write into a dataset that has @id_count ids (deleted
 * ones included): max (⌊factor × id_count⌋, count).  G_MAXUINT64 when no limit is set. */
guint64 sluice_breaker_limit (const SluiceBreakerLimits *limits, guint64 id_count);

typedef struct _SluiceBreakerRun SluiceBreakerRun;

/* Before a run of @pipe_id writes anything into @datasets (its sink's, NULL-terminated).
 * @since_before and @full_run_started_before are the pipe state as stored before the run; a
 * rollback restores them.  Fails with SLUICE_PIPE_ERROR_FAILED, naming the dataset and what
 * clears it, while a breaker is tripped; SLUICE_PIPE_ERROR_STORE when the store fails. */
SluiceBreakerRun *sluice_breaker_run_begin (SluiceStoreBackend *store, const char *pipe_id,
                                            const char *run_id, const char *const *datasets,
                                            const SluiceBreakerLimits *limits,
                                            const char *since_before,
                                            gint64 full_run_started_before, GError **error);
/* Whether the run holds at least one dataset (its breaker is armed). */
gboolean sluice_breaker_run_is_armed (SluiceBreakerRun *run);
/* @written: the versions the run has appended so far.  FALSE, with the run's error in @error
 * (SLUICE_ERROR_CIRCUIT_BREAKER_TRIP, as every error of a run that tripped its breaker), when
 * that is more than the limit: the breaker trips at the next settle. */
gboolean sluice_breaker_run_check (SluiceBreakerRun *run, guint64 written, GError **error);
/* A transform asked to trip the sink's breaker (DTL `trip!`, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP)
 * with @message; the breaker trips at the next settle, armed or not.  FALSE when the sink writes
 * no dataset: there is no breaker to trip, the run just fails. */
gboolean sluice_breaker_run_request_trip (SluiceBreakerRun *run, const char *message,
                                          guint64 written);
/* Whether a trip was asked for or the limit was passed. */
gboolean sluice_breaker_run_is_tripping (SluiceBreakerRun *run);
/* Before the run commits the batch of @host (whose transaction it opens when there is something
 * to write): records a pending trip, and with @final (the run's last transaction) also releases
 * the hold of a run that did not trip, so that its writes become visible with that commit. */
gboolean sluice_breaker_run_settle (SluiceBreakerRun *run, SluiceHostDatasets *host, gboolean final,
                                    GError **error);
void sluice_breaker_run_free (SluiceBreakerRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceBreakerRun, sluice_breaker_run_free)

/* Resolves the tripped breaker of @dataset: commit exposes what the tripped run wrote; rollback
 * removes it, restores the dataset exactly as it was before the run, and sets the writer pipe's
 * offset back to what it was before the run.  Both let the pipe run again, and write a
 * `circuit-breaker-commit` / `circuit-breaker-rollback` entity to the writer's execution log.
 * @ret_state (nullable) receives the breaker as it was.  Fails with SLUICE_STORE_ERROR_NOT_FOUND
 * when there is no such dataset or its breaker is not tripped. */
gboolean sluice_breaker_resolve (SluiceStoreBackend *store, const char *dataset, gboolean rollback,
                                 SluiceBreakerState *ret_state, GError **error);

G_END_DECLS
