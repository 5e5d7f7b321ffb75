/* sluice-retry-log.h — the failure entries of a pipe's execution log (digest §15.1–§15.3):
 * `read-error:<uuid>`, `write-error:<entity _id>`, `pump-discard-retries:<uuid>`, and the
 * dead-letter dataset.
 *
 * A `write-error:<entity _id>` entity records an entity the sink could not write: `entity` (as it
 * was handed to the sink), `retry_attempts`, `retryable`, `resolved`, `dead`, `error_code`,
 * `error_message`, `resolved_entity`.  Its latest version is its state.  A SluiceRetryLog holds the
 * entries that are still retryable (at most max_write_errors_in_retry_dataset of them, so memory is
 * bounded by configuration) and writes each change as a new version, in a transaction of its own.
 *
 * Finding the retryable entries does not read the whole log, which grows with every run: a run
 * that retried every pending entry rewrote each of them, so all retryable entries of the log are
 * at or after the offset the log had when that run's retry phase began.  That offset is kept in
 * the entity `retry-state` (`scan_from`), looked up by id; the next load reads the log only from
 * there.
 *
 * Every function is called from one thread at a time per pipe (the run's worker thread, or the
 * main thread while the pipe does not run).
 */
#pragma once

#include <json-glib/json-glib.h>
#include <sluice-plugin-sdk.h>

#include "sluice-store-backend.h"

G_BEGIN_DECLS

#define SLUICE_RETRY_LOG_ERROR (sluice_retry_log_error_quark ())

typedef enum
{
  SLUICE_RETRY_LOG_ERROR_FULL, /* max_write_errors_in_retry_dataset entries wait already */
} SluiceRetryLogError;

GQuark sluice_retry_log_error_quark (void);

/* The pump's retry keys (digest §15.1), with their defaults. */
typedef struct
{
  guint max_read_retries;                  /* 0 */
  double read_retry_delay;                 /* seconds; 0 */
  double write_retry_delay;                /* seconds; 0 */
  guint max_consecutive_write_errors;      /* attempts at one entity in a run; 1 (at least 1) */
  guint max_retries_per_entity;            /* retries in later runs before it is dead; 5 */
  guint max_write_errors_in_retry_dataset; /* 0: no write retries, no dead letters */
  guint batch_retries;                     /* 3 */
  gboolean fallback_to_single_entities;    /* fallback_to_single_entities_on_batch_fail; TRUE */
  char *dead_letter_dataset; /* dead_letter_dataset, else "system:dead-letter:<pipe>" */
} SluiceRetryPolicy;

/* Fills @policy from the pipe's `pump` object (nullable: every default).  Values were validated
 * with the configuration; unusable ones (negative counts) take their default. */
void sluice_retry_policy_init (SluiceRetryPolicy *policy, const char *pipe_id, JsonObject *pump);
void sluice_retry_policy_clear (SluiceRetryPolicy *policy);

/* 0 when @error says that the other side could not be reached (I/O, connection, resolver,
 * timeout), 1 otherwise (something about the data): the `error_code` of read-error and
 * write-error entities. */
int sluice_retry_error_code (const GError *error);

/* `read-error:<uuid>`: run_id, error_code, error_message, attempt (from 1), will_retry. */
gboolean sluice_retry_log_write_read_error (SluiceStoreBackend *store, const char *pipe,
                                            const char *run_id, const GError *cause, guint attempt,
                                            gboolean will_retry, GError **error);

/* A retryable write-error entry. */
typedef struct
{
  char *entity_id;
  SluiceEntity *entity; /* what the sink was given */
  guint retry_attempts; /* failed retries in later runs so far */
  int error_code;       /* of the last failure: sluice_retry_error_code () */
  char *error_message;  /* of the last failure */
} SluiceRetryEntry;

typedef struct _SluiceRetryLog SluiceRetryLog;

/* Reads the retryable entries of @pipe's log.  @store and @policy are borrowed and must outlive
 * the log. */
SluiceRetryLog *sluice_retry_log_load (SluiceStoreBackend *store, const char *pipe,
                                       const SluiceRetryPolicy *policy, GError **error);
void sluice_retry_log_free (SluiceRetryLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceRetryLog, sluice_retry_log_free)

guint sluice_retry_log_get_n_pending (SluiceRetryLog *log);
/* (transfer container; element type SluiceRetryEntry *, borrowed from the log, valid until the
 * entry changes) The retryable entries, oldest first. */
GPtrArray *sluice_retry_log_list_pending (SluiceRetryLog *log);

/* The sink could not write @entity.  On a first failure (@is_retry FALSE) a retryable entry is
 * created, or the pending one of the same id takes @entity and @cause; fails with
 * SLUICE_RETRY_LOG_ERROR_FULL, writing nothing, when that would make more than
 * max_write_errors_in_retry_dataset entries.  A failed retry (@is_retry TRUE) counts one more
 * attempt; after max_retries_per_entity of them the entry is dead: it is no longer retryable and
 * @entity is appended to the dead-letter dataset (*@ret_dead, nullable, says so). */
gboolean sluice_retry_log_record_failure (SluiceRetryLog *log, SluiceEntity *entity,
                                          const GError *cause, gboolean is_retry,
                                          gboolean *ret_dead, GError **error);
/* @entity was written, or is about to be: a pending entry of its id becomes resolved (not
 * retryable, resolved_entity is @entity).  Costs a hash lookup when there is none.  Writes to the
 * store: never call it while the thread holds a write transaction.  When the write fails after
 * all, sluice_retry_log_record_failure () makes the entry retryable again with its count. */
gboolean sluice_retry_log_resolve (SluiceRetryLog *log, SluiceEntity *entity, GError **error);
/* Every entry that was pending at load time has been retried: the next load may read the log
 * from where it ended at load time. */
gboolean sluice_retry_log_save_scan_start (SluiceRetryLog *log, GError **error);

/* The discard-retries operation (digest §3.6): every pending entry becomes non-retryable
 * (`discarded: true`), nothing is dead-lettered, and a `pump-discard-retries:<uuid>` entity
 * (`discarded`: how many) is written.  *@ret_n_discarded (nullable) receives that number. */
gboolean sluice_retry_log_discard (SluiceStoreBackend *store, const char *pipe,
                                   guint *ret_n_discarded, GError **error);

G_END_DECLS
