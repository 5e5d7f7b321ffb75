/* sluice-pipe-push.h — a receiver: entities pushed to a pipe whose source is a receiver
 * (`http_endpoint`, flagged SLUICE_ELEMENT_FLAG_NOT_PUMPED), through the pipe's transforms into its
 * sink, with the transaction discipline of a run (docs/engine.md, "A run"; digest §8.12, §12.3).
 *
 * A receiver has element instances of its own (sluice-pipe-instances.h): the pipe itself never
 * runs.  Each push is one store transaction, committed with SLUICE_STORE_COMMIT_DURABLE before the
 * call returns, since pushed data cannot be read again: the sink's writes, what its `end` callback
 * writes, and the pipe's counters commit together or not at all.  A body that does not parse, or
 * holds something that is not an entity, is refused before anything is written.
 *
 * Full syncs (sluice-push-sequence.h) keep the sink in a full run across requests: the first
 * request of a sequence calls the sink's `begin` with SLUICE_RUN_FLAG_FULL, the last one its
 * `end (success)` in the transaction of that last request, so that a dataset sink deletes
 * what the sequence did not contain (deletion detection) with the ids it saw, held in memory as
 * in any full run.  A sequence that is replaced, broken, or never finished (sluiced stopped or
 * reloaded: the receiver is gone, and the sender's next request gets a 409) ends with
 * `end (FALSE)`: nothing is deleted on partial knowledge.  Incremental pushes during a full sync
 * go through the same sink instance, so the ids they write count as seen (they are never deleted
 * by that sync, the safe side).  An incremental push outside a full sync is a run of its own:
 * `begin` (flagged SLUICE_RUN_FLAG_SOURCE_POPULATED when the source's `auto_populate_dataset` is
 * true, so that a dataset sink marks its dataset populated), `write`, `end`.  A full sync always
 * flags its sink populated-source: its end populates the dataset.
 *
 * Pushes to one receiver are serialized (a mutex): a receiver may be used from any thread, one
 * push at a time.  The `X-Dataset-Completeness` header is not supported (the HTTP handler ignores
 * it).
 */
#pragma once

#include <sluice-plugin-sdk.h>

#include "sluice-engine.h"
#include "sluice-push-sequence.h"

G_BEGIN_DECLS

typedef struct _SluicePipePush SluicePipePush;

/* (transfer full) The receiver of @pipe_id.  Fails with SLUICE_PUSH_ERROR_NOT_FOUND for no such
 * pipe, SLUICE_PUSH_ERROR_NOT_RECEIVER when its source is not a receiver, and
 * SLUICE_PUSH_ERROR_FAILED when its elements cannot be built or the engine has no store. */
SluicePipePush *sluice_pipe_push_new (SluiceEngine *engine, const char *pipe_id, GError **error);
SluicePipePush *sluice_pipe_push_ref (SluicePipePush *push);
void sluice_pipe_push_unref (SluicePipePush *push);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluicePipePush, sluice_pipe_push_unref)

const char *sluice_pipe_push_get_pipe_id (SluicePipePush *push);

/* What one push did. */
typedef struct
{
  guint64 received; /* entities in the body */
  guint64 written;  /* entities the sink accepted (after the transforms, `_filtered` dropped for
                     * sinks that do not take them) */
  guint64 changes;  /* versions appended to datasets (deletion detection included) */
} SluicePushStats;

/* Pushes @body (@length bytes of JSON: one entity object, or an array of them; empty: none).
 * Errors are SLUICE_PUSH_ERROR: INVALID for a body that does not parse ("the body is not valid
 * JSON: byte 17: …") or a value that is not an entity ("body entity /3: entity has no \"_id\":
 * …"), CONFLICT(_BROKEN) for a request the protocol forbids, FAILED when a
 * transform, the sink or the store fails (naming the element, as a run does).  @ret_stats is
 * nullable. */
gboolean sluice_pipe_push_json (SluicePipePush *push, const SluicePushRequest *request,
                                const char *body, gsize length, SluicePushStats *ret_stats,
                                GError **error);

/* The same with entities already parsed. */
gboolean sluice_pipe_push_batch (SluicePipePush *push, const SluicePushRequest *request,
                                 const SluiceBatch *entities, SluicePushStats *ret_stats,
                                 GError **error);

/* The sequence_id of the full sync in progress (a copy), or NULL. */
char *sluice_pipe_push_dup_active_sequence (SluicePipePush *push);

G_END_DECLS
