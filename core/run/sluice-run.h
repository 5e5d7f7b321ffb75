/* sluice-run.h — the work of one pipe run, executed on a worker thread (private to SluicePipe).
 *
 * The pipe hands the run a plan (its element instances, batch settings and store) and an observer;
 * the run reads batches from the source, passes them through the transforms, writes them to the sink
 * and commits each batch together with the pipe state (docs/engine.md, "A run").  It never touches
 * the pipe's GObject state: the observer callbacks are called on the worker thread and the pipe
 * forwards them to its main context.
 */
#pragma once

#include "sluice-run-plan.h"

G_BEGIN_DECLS

typedef struct
{
  void (*started) (gpointer user_data, const SluiceRunStats *stats);
  /* After each committed batch; @stats holds the counters so far and since_after is the offset
   * committed with the batch. */
  void (*batch_committed) (gpointer user_data, const SluiceRunStats *stats);
} SluiceRunObserver;

/* (transfer full) The offset a source entity carries: its dataset offset (`_updated` of a stored
 * version), else the `_updated` of its body; NULL when it has none. */
SluiceValue *sluice_run_entity_since (SluiceEntity *entity);

/* Runs to the end.  Returns the stats (never NULL); stats->error is set when the run failed. */
SluiceRunStats *sluice_run_execute (const SluiceRunPlan *plan, SluiceRunType run_type,
                                    GCancellable *cancellable, const SluiceRunObserver *observer,
                                    gpointer user_data);

G_END_DECLS
