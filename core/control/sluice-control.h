/* sluice-control.h — the one internal control API of a running host (docs/control.md).
 *
 * A SluiceControl is what a running sluiced is: the engine built from the configuration, the
 * scheduler, one pump per pipe, the receivers, and the wiring between them (a run or a push that
 * changed a dataset signals the pipes that read it).  Every operation an operator, a script or a
 * client can ask for is a function here (pushes in sluice-control-push.h, discarding retries in
 * sluice-control-retries.h); the HTTP API (core/http-api/) and D-Bus (core/dbus/) only translate
 * requests into these calls and their results and errors into their own forms, so the two cannot
 * drift apart.  None of the internals is handed out: what the calls return are the control's own
 * snapshots and results, the run types, and SDK and GLib types.
 *
 * A control lives on the main context of the thread that created it: call every function there,
 * and every signal is emitted there.  The exceptions are the dataset streams and publications it
 * hands out, which are meant to be read on a worker thread (see each).
 *
 * Errors are SLUICE_CONTROL_ERROR.  Each code has one HTTP status and one D-Bus error name, noted
 * beside it below; the tables are the adapters' (sluice-http-status.h, sluice-dbus-errors.h).
 */
#pragma once

#include <gio/gio.h>
#include <sluice-plugin-sdk.h>

#include "sluice-run-types.h"

G_BEGIN_DECLS

/* What a control is built with; the adapters never look inside (their headers: sluice-registry.h,
 * sluice-store-backend.h, sluice-clock.h, sluice-config-diagnostics.h). */
typedef struct _SluiceRegistry SluiceRegistry;
typedef struct _SluiceStoreBackend SluiceStoreBackend;
typedef struct _SluiceClock SluiceClock;
typedef struct _SluiceConfigDiagnostics SluiceConfigDiagnostics;

#define SLUICE_CONTROL_ERROR (sluice_control_error_quark ())

typedef enum
{
  SLUICE_CONTROL_ERROR_FAILED,           /* anything else: a store error, … (500, Error.Failed) */
  SLUICE_CONTROL_ERROR_NOT_FOUND,        /* no such pipe, dataset or entity (404, NotFound) */
  SLUICE_CONTROL_ERROR_INVALID_ARGUMENT, /* a bad argument: an offset that is not JSON, n < 1
                                          * (400, InvalidArgument) */
  SLUICE_CONTROL_ERROR_BUSY,             /* the pipe runs, or the host is reloading (409, Busy) */
  SLUICE_CONTROL_ERROR_OFF,              /* pump mode "off": the pipe cannot be started (409, Off) */
  SLUICE_CONTROL_ERROR_NOT_SUPPORTED,    /* the pipe cannot do this: set-last-seen-to-end on a
                                          * source that does not know its end, preview through a
                                          * transform with side effects (409, NotSupported) */
  SLUICE_CONTROL_ERROR_REFUSED,          /* a guard said no: a durable pipe without force, a
                                          * tripped circuit breaker (409, Refused) */
  SLUICE_CONTROL_ERROR_INVALID_CONFIG,   /* reload: the configuration does not validate; the
                                          * message lists every problem (400, InvalidConfig) */
  SLUICE_CONTROL_ERROR_SHUTTING_DOWN,    /* the host is stopping (503, ShuttingDown) */
} SluiceControlError;

GQuark sluice_control_error_quark (void);

/* Where a control gets its configuration, and what it runs with.  Everything is borrowed for the
 * call of sluice_control_new () except @registry, @store and @clock, which must outlive the
 * control. */
typedef struct
{
  SluiceRegistry *registry;
  const char *const *config_paths; /* files or directories; reload reads them again */
  const char *secrets_file;        /* nullable */
  SluiceStoreBackend *store;
  SluiceClock *clock;
  guint max_concurrent; /* 0: SLUICE_SCHEDULER_DEFAULT_MAX_CONCURRENT */
} SluiceControlSettings;

#define SLUICE_TYPE_CONTROL (sluice_control_get_type ())
G_DECLARE_FINAL_TYPE (SluiceControl, sluice_control, SLUICE, CONTROL, GObject)

/* Loads the configuration and builds the engine and the pumps; nothing runs until
 * sluice_control_activate ().  On a configuration that does not validate, every problem goes to
 * @diagnostics (nullable) and the call fails with SLUICE_CONTROL_ERROR_INVALID_CONFIG. */
SluiceControl *sluice_control_new (const SluiceControlSettings *settings,
                                   SluiceConfigDiagnostics *diagnostics, GError **error);

/* Starts scheduling: the pumps' startup runs and timers. */
void sluice_control_activate (SluiceControl *control);
/* Stops for good: no run starts any more, running runs are cancelled (they stop between batches).
 * "stopped" is emitted when the last one has reported (from the main loop, also when none runs). */
void sluice_control_shutdown (SluiceControl *control);
gboolean sluice_control_is_stopped (SluiceControl *control);

/* The runs in progress now. */
guint sluice_control_get_n_running (SluiceControl *control);
/* How many runs may be in progress at once (SluiceControlSettings.max_concurrent, resolved). */
guint sluice_control_get_max_concurrent (SluiceControl *control);

/* ---- Pipes ---------------------------------------------------------------------------------- */

/* (transfer container) The pipe ids in configuration order (element type: const char *, borrowed
 * from the engine: valid until the next reload). */
GPtrArray *sluice_control_list_pipes (SluiceControl *control);

/* A snapshot of one pipe, for status displays and metrics. */
typedef struct
{
  char *pipe_id;
  /* One word for humans and scripts, the first that applies: "running", "queued" (waits for a
   * slot or behind its own run), "tripped" (a circuit breaker on its sink dataset is tripped),
   * "off" (pump mode off), "disabled", "failed" (the last run failed), "idle". */
  const char *state;
  const char *mode;            /* pump.mode: "scheduled", "manual" or "off" */
  gboolean enabled;
  gboolean running;
  gboolean durable;            /* metadata.durable */
  gboolean public_read;        /* metadata.public_read: its data may be read without a token */
  gboolean breaker_tripped;    /* its sink dataset's circuit breaker is tripped */
  char *source_type;           /* "dataset", "json", … */
  char *sink_type;
  char **input_datasets;       /* NULL-terminated */
  char **output_datasets;      /* NULL-terminated */
  char *since;                 /* the stored offset as JSON text; NULL: none (next run is full) */
  gint64 next_start;           /* µs since the epoch; -1: none armed */
  /* While running: the current run's counters so far. */
  guint64 current_read;
  guint64 current_written;
  /* The last finished run in this process (NULL: none yet). */
  SluiceRunStats *last_run;
  /* Counters since the host started (Prometheus counters). */
  guint64 runs_started;
  guint64 runs_succeeded;
  guint64 runs_failed;
  guint64 entities_read;
  guint64 entities_written;
  guint64 changes;
  gint64 run_time_total;       /* µs spent in finished runs */
} SluicePipeSnapshot;

void sluice_pipe_snapshot_free (SluicePipeSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluicePipeSnapshot, sluice_pipe_snapshot_free)

/* (transfer full) NULL with NOT_FOUND for no such pipe; FAILED when the store cannot be read. */
SluicePipeSnapshot *sluice_control_get_pipe (SluiceControl *control, const char *pipe_id,
                                             GError **error);

/* The pump operations (digest §3.6).  Each fails with NOT_FOUND for no such pipe and
 * SHUTTING_DOWN when the host stops; those that write are recorded in the execution log. */

/* `start`: a run now or as soon as a slot is free, even when disabled.  OFF in mode "off", BUSY
 * when the pipe runs already, REFUSED while its circuit breaker is tripped. */
gboolean sluice_control_start (SluiceControl *control, const char *pipe_id, GError **error);
/* `start-rescan`: as start, a full run. */
gboolean sluice_control_start_rescan (SluiceControl *control, const char *pipe_id,
                                      GError **error);
/* `stop`: drops a waiting run and cancels the running one (it stops after its current batch).
 * Succeeds also when nothing runs. */
gboolean sluice_control_stop (SluiceControl *control, const char *pipe_id, GError **error);
/* `enable` / `disable`: scheduled and signalled runs.  @comment (nullable) goes to the
 * `pump-enabled` / `pump-disabled` execution-log entity. */
gboolean sluice_control_set_enabled (SluiceControl *control, const char *pipe_id,
                                     gboolean enabled, const char *comment, GError **error);
/* `update-last-seen`: @since is JSON text (an integer, a string, …); NULL or "" resets (the next
 * run is full).  INVALID_ARGUMENT when it is not JSON, BUSY while the pipe runs, REFUSED on a
 * durable pipe unless @force. */
gboolean sluice_control_set_since (SluiceControl *control, const char *pipe_id, const char *since,
                                   gboolean force, GError **error);
/* `set-last-seen-to-end`.  NOT_SUPPORTED when the source does not know its end; BUSY, REFUSED as
 * above. */
gboolean sluice_control_set_since_to_end (SluiceControl *control, const char *pipe_id,
                                          gboolean force, GError **error);

/* Preview (digest §3.7): the first @n entities of the source (from the beginning) as they leave the
 * transforms, nothing written.  NOT_SUPPORTED when a transform has side effects,
 * INVALID_ARGUMENT when @n is 0.  (transfer full; element type SluiceEntity *) */
GPtrArray *sluice_control_preview (SluiceControl *control, const char *pipe_id, guint n,
                                   GError **error);

/* Emits "pipe-changed" for @pipe_id: for the control's own operation files
 * (sluice-control-*.c) after they changed a pipe's state. */
void sluice_control_notify_pipe_changed (SluiceControl *control, const char *pipe_id);

/* ---- Datasets ------------------------------------------------------------------------------- */

typedef struct
{
  char *dataset_id;
  char *generation;
  gint64 created;
  gint64 max_offset;           /* the highest committed `_updated`; -1 when empty */
  guint64 entity_count;        /* ids whose latest version is not deleted */
  guint64 id_count;
  guint64 version_count;
  gboolean populated;
  gboolean breaker_tripped;
  char *writer;                /* the pipe whose sink writes it; NULL when none */
} SluiceDatasetSnapshot;

void sluice_dataset_snapshot_free (SluiceDatasetSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceDatasetSnapshot, sluice_dataset_snapshot_free)

/* (transfer full; element type SluiceDatasetSnapshot *) Every dataset of the store, by name. */
GPtrArray *sluice_control_list_datasets (SluiceControl *control, GError **error);
/* The id of the pipe whose sink writes @dataset_id (borrowed until the next reload), or NULL. */
const char *sluice_control_lookup_writer (SluiceControl *control, const char *dataset_id);
/* The pipe through which @dataset_id is accessed, whether the dataset exists or not: its writer,
 * or the pipe of an execution log (`system:pump_execution:<pipe>`; then a pointer into
 * @dataset_id); NULL when none. */
const char *sluice_control_lookup_dataset_pipe (SluiceControl *control, const char *dataset_id);

/* (transfer full) NOT_FOUND for no such dataset. */
SluiceDatasetSnapshot *sluice_control_get_dataset (SluiceControl *control, const char *dataset_id,
                                                   GError **error);

/* Deletes a dataset and every version in it (`DELETE /api/datasets/{id}`).  The pipe that writes
 * it has its offset reset first, so that its next run fills it again from the start.  NOT_FOUND
 * for no such dataset, BUSY while its writer runs, REFUSED when its writer is durable and @force
 * is not set.  A dataset recreated later gets a new generation. */
gboolean sluice_control_delete_dataset (SluiceControl *control, const char *dataset_id,
                                        gboolean force, GError **error);

/* A streaming read of a dataset (digest §2.3): versions after @since, as entities.  The reader
 * holds no store transaction between calls and may be used on any one thread at a time, so an
 * HTTP response can stream a million entities from a worker thread. */
typedef struct
{
  gint64 since;        /* -1: from the beginning */
  guint64 limit;       /* 0: unlimited */
  gboolean history;    /* default TRUE: every version; FALSE: the latest version per id */
  gboolean deleted;    /* default TRUE: include deleted entities (always with history) */
  gboolean uncommitted; /* include what a tripped circuit breaker holds back (debugging) */
} SluiceDatasetQuery;

#define SLUICE_DATASET_QUERY_INIT { .since = -1, .limit = 0, .history = TRUE, .deleted = TRUE }

typedef struct _SluiceDatasetStream SluiceDatasetStream;

/* (transfer full) NOT_FOUND for no such dataset. */
SluiceDatasetStream *sluice_control_read_dataset (SluiceControl *control, const char *dataset_id,
                                                  const SluiceDatasetQuery *query,
                                                  GError **error);
/* (transfer full) The next entity, with `_updated`, `_previous`, `_ts`; NULL at the end (no error)
 * or on failure. */
SluiceEntity *sluice_dataset_stream_next (SluiceDatasetStream *reader, GError **error);
/* Lets go of the store between calls (the reader resumes after the last entity): call it before
 * waiting for a slow consumer.  Reading in chunks holds nothing for long anyway. */
void sluice_dataset_stream_pause (SluiceDatasetStream *reader);
void sluice_dataset_stream_free (SluiceDatasetStream *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceDatasetStream, sluice_dataset_stream_free)

/* (transfer full) The latest version of @entity_id (deleted or not), or the version at @offset
 * (≥ 0) when given.  NOT_FOUND for no such dataset, id or offset. */
SluiceEntity *sluice_control_get_entity (SluiceControl *control, const char *dataset_id,
                                         const char *entity_id, gint64 offset, GError **error);

/* Circuit breakers (digest §6): expose (commit) or remove (rollback) what the tripped run wrote,
 * and let the pipe run again.  NOT_FOUND for no such dataset, or when its breaker is not tripped;
 * recorded as `circuit-breaker-commit` / `circuit-breaker-rollback` in the writer's execution
 * log.  Implemented in sluice-control-breaker.c. */
gboolean sluice_control_breaker_commit (SluiceControl *control, const char *dataset_id,
                                        GError **error);
gboolean sluice_control_breaker_rollback (SluiceControl *control, const char *dataset_id,
                                          GError **error);
/* Whether @dataset_id's breaker is tripped; @ret_message (nullable) receives why (the message of
 * the run that tripped it). */
gboolean sluice_control_dataset_is_tripped (SluiceControl *control, const char *dataset_id,
                                            char **ret_message);

/* ---- Publishers ----------------------------------------------------------------------------- */

/* A read of a publisher pipe, one whose sink is a publisher such as `http_endpoint` (digest §9.6):
 * its source through its transforms, with element instances of its own, nothing written, the
 * entities the transforms filtered (`_filtered: true`) left out.  Opened and started on the main
 * context; once started, it may be read on any one thread at a time (an HTTP response streams it
 * from a worker thread).  Implemented in sluice-control-publications.c. */
typedef struct _SluicePublication SluicePublication;

/* (transfer full) The publication of @pipe_id, not started: what is known before anything is
 * read.  NOT_FOUND for no such pipe ("no pipe 'p'") and for a pipe whose sink is not a publisher
 * (the message says what its sink is). */
SluicePublication *sluice_control_open_publication (SluiceControl *control, const char *pipe_id,
                                                    GError **error);
/* The sink's `filename` option; NULL when it has none. */
const char *sluice_publication_get_filename (SluicePublication *publication);
/* The sink's `content_disposition` option: "attachment" (the default) or "inline". */
const char *sluice_publication_get_content_disposition (SluicePublication *publication);
/* Opens the source, on the main context and while the control lives, to read after @since (JSON
 * text of the source's offset; NULL: from the start), with @bound (nullable, a DICT, borrowed for
 * the call) bound to the DTL variable `_B`, and to serve at most @limit entities (0: all).
 * INVALID_ARGUMENT when the source refuses @since, FAILED when it cannot start otherwise; the
 * message names the element, as a run's would. */
gboolean sluice_publication_start (SluicePublication *publication, const char *since,
                                   const SluiceValue *bound, guint64 limit, GError **error);
/* Once started: whether the transforms dropped or filtered anything so far, or could
 * (`X-Dataset-Filtered`). */
gboolean sluice_publication_is_filtered (SluicePublication *publication);
/* (transfer full) The next entity as it leaves the transforms; NULL at the end (no error) or on
 * failure. */
SluiceEntity *sluice_publication_next (SluicePublication *publication, GError **error);
void sluice_publication_free (SluicePublication *publication);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluicePublication, sluice_publication_free)

/* ---- Configuration -------------------------------------------------------------------------- */

/* Reads the configuration files again and, when they validate and every pipe builds, replaces the
 * running configuration: scheduling stops, running runs are cancelled (between batches), and once
 * they have stopped the new engine and pumps take over and "reloaded" is emitted.  When the new
 * configuration is invalid, nothing changes and the call fails with INVALID_CONFIG, whose message
 * lists every problem (one per line).  BUSY while a reload is in progress. */
gboolean sluice_control_reload (SluiceControl *control, GError **error);
gboolean sluice_control_is_reloading (SluiceControl *control);

/* (transfer full) The running configuration after substitution and pattern expansion, as JSON text
 * (an array of components), secrets redacted. */
char *sluice_control_dup_expanded_config (SluiceControl *control);

/* One entry of `api_tokens` in a metadata component (docs/http-api.md, "Authentication"), as
 * configured: a member that is missing or not a string is NULL. */
typedef struct
{
  char *name;
  char *token;  /* the secret */
  char *access; /* "read", "write" or "admin" */
  char **pipes; /* NULL-terminated (its string elements); NULL without `pipes`: every pipe */
} SluiceApiToken;

/* Wipes the secret before it frees it. */
void sluice_api_token_free (SluiceApiToken *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceApiToken, sluice_api_token_free)

/* (transfer full; element type SluiceApiToken *) The `api_tokens` of the running configuration,
 * in configuration order; none when no metadata component has any.  They can only change with
 * the configuration: "reloaded" says when to ask again. */
GPtrArray *sluice_control_dup_api_tokens (SluiceControl *control);

/* Signals (main context):
 *   "pipe-run-started"  (const char *pipe_id, SluiceRunType run_type)
 *   "pipe-progress"     (const char *pipe_id, guint64 entities_read, guint64 entities_written):
 *                       after each batch
 *   "pipe-run-finished" (const char *pipe_id, const SluiceRunStats *stats)
 *   "pipe-run-failed"   (const char *pipe_id, const SluiceRunStats *stats, const GError *error)
 *   "pipe-changed"      (const char *pipe_id): something in its snapshot changed (state,
 *                       enabled, next start, last run, offset, breaker)
 *   "breaker-tripped"   (const char *pipe_id, const char *dataset_id, const char *message)
 *   "reloaded"          (): a new configuration runs; pipes may have come and gone
 *   "stopped"           (): after sluice_control_shutdown (), no run is in progress any more
 */

G_END_DECLS
