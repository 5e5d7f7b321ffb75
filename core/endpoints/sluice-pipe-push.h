/* sluice-pipe-push.h — a receiver: entities pushed to a pipe whose source is a receiver
 * (`http_endpoint`, flagged SLUICE_ELEMENT_FLAG_NOT_PUMPED), through the pipe's transforms into its
 * sink, with the transaction discipline of a run (docs/engine.md, "A run"; digest §8.12, §12.3).
 *
 * A receiver has element instances of its own (sluice-pipe-instances.h): the pipe itself never
 * runs.  Each push is atomic and durable before the call returns (SLUICE_STORE_COMMIT_DURABLE),
 * since pushed data cannot be read again: the sink's writes, what its `end` callback writes, and
 * the pipe's counters become visible together or not at all.  A body that does not parse, or holds
 * something that is not an entity, is refused before anything is written.
 *
 * Memory is bounded by a part, not by the body: a body of up to SLUICE_PUSH_PART_BYTES is parsed
 * whole and pushed in one store transaction.  A larger body is first read through once without
 * keeping anything (so that a bad one is refused before any transform or sink sees it), then read
 * again a batch at a time, each batch through the transforms into the sink; every
 * SLUICE_PUSH_PART_BYTES of body the part written so far is committed, *held* (the store keeps it
 * invisible to every reader but this pipe: sluice-host-datasets.h), and the last transaction
 * releases the holds.  A push that fails rolls back what its parts committed; one whose process
 * died is rolled back when sluiced starts again.  Holding needs the receiver to be the only
 * writer of its datasets (no other pipe's sink names them) and the datasets to have no circuit
 * breaker; otherwise a large push is one transaction too (docs/decisions/0009).
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
 * Pushes to one receiver pipe are serialized (a mutex per pipe id, shared by every SluicePipePush
 * of the pipe, so also across a reload): a receiver may be used from any thread, one push at a
 * time.  The `X-Dataset-Completeness` header is not supported (the HTTP handler ignores
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

/* The body size above which a push commits in held parts. */
#define SLUICE_PUSH_PART_BYTES (4 * 1024 * 1024)

/* Tests: parts of @part_bytes instead (0: SLUICE_PUSH_PART_BYTES). */
void sluice_pipe_push_set_part_bytes (SluicePipePush *push, gsize part_bytes);

/* Pushes @body (@length bytes of JSON: one entity object, or an array of them; empty: none).
 * Errors are SLUICE_PUSH_ERROR: INVALID for a body that does not parse ("the body is not valid
 * JSON: byte 17: …") or a value that is not an entity ("body entity /3: entity has no \"_id\":
 * …"), CONFLICT(_BROKEN) for a request the protocol forbids, FAILED when a
 * transform, the sink or the store fails (naming the element, as a run does).  @ret_stats is
 * nullable. */
gboolean sluice_pipe_push_json (SluicePipePush *push, const SluicePushRequest *request,
                                const char *body, gsize length, SluicePushStats *ret_stats,
                                GError **error);

/* The same with the body in @chunks (GBytes, in order; read, not kept). */
gboolean sluice_pipe_push_json_chunks (SluicePipePush *push, const SluicePushRequest *request,
                                       GPtrArray *chunks, SluicePushStats *ret_stats,
                                       GError **error);

/* The same with entities already parsed (one transaction). */
gboolean sluice_pipe_push_batch (SluicePipePush *push, const SluicePushRequest *request,
                                 const SluiceBatch *entities, SluicePushStats *ret_stats,
                                 GError **error);

/* The sequence_id of the full sync in progress (a copy), or NULL. */
char *sluice_pipe_push_dup_active_sequence (SluicePipePush *push);

G_END_DECLS
