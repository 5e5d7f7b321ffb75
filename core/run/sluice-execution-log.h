/* sluice-execution-log.h — the execution log of a pipe: the dataset
 * `system:pump_execution:<pipe>` (digest §15.2).
 *
 * Each run writes a `pump-started` entity when it starts and a `pump-completed` or `pump-failed`
 * entity when it ends; setting or resetting the offset writes `pump-offset-set`.  Sesam keys these
 * entities by event type; sluice gives each run's entities their own `_id`s
 * (`pump-started:<run_id>`, …), so that the latest version of every entity is one event and the log
 * keeps every run even after compaction.  Each entity is written in a transaction of its own, apart
 * from the run's batches, so that a failed batch never takes its log entry with it.
 */
#pragma once

#include <sluice-plugin-sdk.h>

#include "sluice-run-types.h"
#include "sluice-store-backend.h"

G_BEGIN_DECLS

#define SLUICE_EXECUTION_LOG_PREFIX "system:pump_execution:"

/* (transfer full) "system:pump_execution:<pipe>". */
char *sluice_execution_log_dataset_name (const char *pipe);

/* `pump-started:<run_id>`: event_type, run_id, pipe, start_time, sync_type, pipe_offset. */
gboolean sluice_execution_log_write_started (SluiceStoreBackend *store, const char *pipe,
                                             const SluiceRunStats *stats, GError **error);
/* `pump-completed:<run_id>` or, when @stats has an error, `pump-failed:<run_id>`: the fields of
 * pump-started plus end_time, total_time (seconds), entities_succeeded, batches_committed,
 * pipe_offset (at the end), original_pipe_offset (at the start), entities_failed,
 * retry_entities_exist, metrics.entities {entities_last_run, changes_last_run,
 * read_errors_last_run, write_errors_last_run}, and for a failure reason_why_stopped ("failed" or
 * "stopped") and original_error_message. */
gboolean sluice_execution_log_write_finished (SluiceStoreBackend *store, const char *pipe,
                                              const SluiceRunStats *stats, GError **error);
/* `pump-offset-set:<uuid>`: pipe_offset, original_pipe_offset (JSON texts, nullable), is_reset,
 * event_time. */
gboolean sluice_execution_log_write_offset_set (SluiceStoreBackend *store, const char *pipe,
                                                const char *since, const char *original_since,
                                                GError **error);

/* `pump-enabled:<uuid>` or `pump-disabled:<uuid>`: comment (null when none), event_time. */
gboolean sluice_execution_log_write_pump_enabled (SluiceStoreBackend *store, const char *pipe,
                                                  gboolean enabled, const char *comment,
                                                  GError **error);

/* For other events: a builder holding `_id` "<event_type>:<uuid>", event_type, pipe and
 * event_time, to which the caller adds its fields and hands to sluice_execution_log_append ()
 * (which takes it, whether it succeeds or not). */
SluiceDictBuilder *sluice_execution_log_new_event (const char *event_type, const char *pipe);
gboolean sluice_execution_log_append (SluiceStoreBackend *store, const char *pipe,
                                      SluiceDictBuilder *event, GError **error);

G_END_DECLS
