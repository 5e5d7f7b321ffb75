/* sluice-pipe.h — one pipe component made runnable: source, transform chain and sink instances,
 * the continuation strategy, and the run that moves entities between them (docs/engine.md).
 *
 * A SluicePipe lives on the main context of the thread that created it (the engine's).  A run
 * executes on a worker thread; the pipe emits its signals on the main context of the thread that
 * started the run (the thread-default context of sluice_pipe_run_async's caller), so signal handlers
 * never run concurrently with each other.  A pipe runs at most one run at a time: starting a second
 * one fails with SLUICE_PIPE_ERROR_BUSY.
 */
#pragma once

#include <gio/gio.h>

#include "sluice-run-types.h"

G_BEGIN_DECLS

typedef enum
{
  SLUICE_PIPE_STATUS_IDLE,    /* never ran in this process, or the last run succeeded */
  SLUICE_PIPE_STATUS_RUNNING, /* a run is in progress */
  SLUICE_PIPE_STATUS_FAILED,  /* the last run failed */
} SluicePipeStatus;

GType sluice_pipe_status_get_type (void);
#define SLUICE_TYPE_PIPE_STATUS (sluice_pipe_status_get_type ())

typedef struct _SluiceEngine SluiceEngine;

#define SLUICE_TYPE_PIPE (sluice_pipe_get_type ())
G_DECLARE_FINAL_TYPE (SluicePipe, sluice_pipe, SLUICE, PIPE, GObject)

/* Builds the pipe component @pipe_id of the engine's configuration: looks up its elements, fills
 * option defaults, and calls each element's create callback.  Errors are SLUICE_PIPE_ERROR_CONFIG
 * and their message starts with the JSON pointer of the element ("/transform/1: …").  The engine
 * must outlive the pipe.  Usually called by the engine; see sluice_engine_lookup_pipe (). */
SluicePipe *sluice_pipe_new (SluiceEngine *engine, const char *pipe_id, GError **error);

/* As sluice_pipe_new (), but the pointer of the element at fault goes to @ret_pointer (NULL when the
 * problem is the whole component) instead of the message.  For the engine's diagnostics. */
SluicePipe *sluice_pipe_new_located (SluiceEngine *engine, const char *pipe_id, char **ret_pointer,
                                     GError **error);

const char *sluice_pipe_get_id (SluicePipe *pipe);
SluicePipeStatus sluice_pipe_get_status (SluicePipe *pipe);
SluiceContinuation sluice_pipe_get_continuation (SluicePipe *pipe);
guint sluice_pipe_get_batch_size (SluicePipe *pipe);
/* The datasets the pipe reads (source and transforms) and writes (sink); NULL-terminated, sorted,
 * borrowed. */
const char *const *sluice_pipe_get_input_datasets (SluicePipe *pipe);
const char *const *sluice_pipe_get_output_datasets (SluicePipe *pipe);
/* metadata.durable: the data it writes cannot be read again from its source. */
gboolean sluice_pipe_get_durable (SluicePipe *pipe);
/* metadata.public_read: its publisher and the datasets it writes may be read without a token. */
gboolean sluice_pipe_get_public_read (SluicePipe *pipe);
/* The type names of its source and sink ("dataset", "json", …). */
const char *sluice_pipe_get_source_type (SluicePipe *pipe);
const char *sluice_pipe_get_sink_type (SluicePipe *pipe);
/* (transfer none) The engine the pipe belongs to. */
SluiceEngine *sluice_pipe_get_engine (SluicePipe *pipe);
/* FALSE when its source or sink is flagged SLUICE_ELEMENT_FLAG_NOT_PUMPED (a receiver, a
 * publisher): no run of it is ever scheduled, and sluice_pipe_run_async () fails with
 * SLUICE_PIPE_ERROR_NOT_SUPPORTED saying where its entities come from or go. */
gboolean sluice_pipe_is_pumped (SluicePipe *pipe);
/* (transfer full) Why the pipe is never pumped ("pipe 'p' is never run: its source (type
 * 'http_endpoint') receives …"), for sluice_pump_set_not_pumped (); NULL when it is pumped. */
char *sluice_pipe_dup_not_pumped_reason (SluicePipe *pipe);
/* (transfer none) The stats of the last finished run in this process, or NULL. */
const SluiceRunStats *sluice_pipe_get_last_stats (SluicePipe *pipe);

/* The stored offset as JSON text (NULL: none, the next run is full). */
gboolean sluice_pipe_dup_since (SluicePipe *pipe, char **ret_since, GError **error);
/* Sets (JSON text) or, with NULL, resets the stored offset, and writes a `pump-offset-set` entity
 * to the execution log.  Fails with SLUICE_PIPE_ERROR_BUSY while a run is in progress. */
gboolean sluice_pipe_set_since (SluicePipe *pipe, const char *since, GError **error);
/* The set-last-seen-to-end operation (digest §3.6): marks everything the source holds now as
 * seen, so that the next run reads only what comes after (entities not yet synced are skipped).
 * Only a "dataset" source knows its end: its since becomes the dataset's last offset (-1 for an
 * empty dataset).  Writes a `pump-offset-set` entity like sluice_pipe_set_since ().  Fails with
 * SLUICE_PIPE_ERROR_NOT_SUPPORTED for other sources, SLUICE_PIPE_ERROR_FAILED for a source
 * dataset that does not exist, and with
 * SLUICE_PIPE_ERROR_BUSY while a run is in progress. */
gboolean sluice_pipe_set_since_to_end (SluicePipe *pipe, GError **error);

/* Starts a run on a worker thread.  @callback runs on the thread-default main context of the
 * caller, after the "finished" or "failed" signal. */
void sluice_pipe_run_async (SluicePipe *pipe, SluiceRunType run_type, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
/* TRUE when the run succeeded.  @ret_stats (nullable) receives the run's stats whether it
 * succeeded or not (NULL when it could not start: BUSY). */
gboolean sluice_pipe_run_finish (SluicePipe *pipe, GAsyncResult *result, SluiceRunStats **ret_stats,
                                 GError **error);
/* Runs to completion, iterating a private main context on which the signals are emitted.  For
 * --once and tests. */
gboolean sluice_pipe_run_sync (SluicePipe *pipe, SluiceRunType run_type, GCancellable *cancellable,
                               SluiceRunStats **ret_stats, GError **error);

/* Signals (emitted on the run's main context):
 *   "run-started"     (SluiceRunType run_type: FULL or INCREMENTAL)
 *   "progress"        (guint64 entities_read, guint64 entities_written): after each batch
 *   "batch-committed" (guint64 batch_number from 1, const char *since: JSON text or NULL)
 *   "finished"        (const SluiceRunStats *stats)
 *   "failed"          (const SluiceRunStats *stats, const GError *error)
 * Property "status" (SluicePipeStatus, read-only, notified on change). */

G_END_DECLS
