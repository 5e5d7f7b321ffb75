/* sluice-control-push.h — pushes to receivers (the JSON push protocol, digest §12.3,
 * docs/http-endpoints.md): an operation of the control API (sluice-control.h), kept apart with
 * the protocol's vocabulary (sluice-push-sequence.h), which only the HTTP adapter needs.
 *
 * The receivers (sluice-pipe-push.h) live with the control, so that a full sync's state lasts
 * from one request to the next.  A receiver is created on its pipe's first push and kept until
 * the configuration changes: the first push after a reload drops every receiver of the old
 * engine (a full sync in progress ends without deleting anything, and its sender's next request
 * gets a 409).  A push that appended versions asks for runs of the pipes that read what it wrote,
 * as the end of a run does.
 *
 * Errors are SLUICE_PUSH_ERROR, whose codes the adapter turns into its own answers.
 */
#pragma once

#include "sluice-control.h"
#include "sluice-push-sequence.h"

G_BEGIN_DECLS

/* Pushes @chunks (GBytes, in order: a JSON body of one entity object or an array of them; transfer
 * full) to the receiver of @pipe_id with the protocol's @parameters (char * → char *, the query
 * of POST /api/receivers/{pipe}/entities: is_full, sequence_id, …; nullable; copied).  The push
 * runs on a worker thread, so that parsing, transforms and the durable commit do not hold up the
 * main context; pushes to one receiver wait for each other there.  @chunks are freed on that
 * thread as soon as the push is done, and after a body larger than SLUICE_PUSH_PART_BYTES the
 * freed memory is given back to the system (malloc_trim), so that a large push does not leave the
 * daemon that much larger.  @callback runs on the control's main context once the push is on
 * disk or has failed; call sluice_control_push_finish () there. */
void sluice_control_push_async (SluiceControl *control, const char *pipe_id, GHashTable *parameters,
                                GPtrArray *chunks, GAsyncReadyCallback callback,
                                gpointer user_data);

/* FALSE with SLUICE_PUSH_ERROR: NOT_FOUND (no such pipe), NOT_RECEIVER (its source is not a
 * receiver), INVALID (a bad parameter or body: nothing written), CONFLICT or CONFLICT_BROKEN (the
 * request breaks the protocol), FAILED (a transform, the sink or the store failed, or the
 * receiver could not be built). */
gboolean sluice_control_push_finish (SluiceControl *control, GAsyncResult *result, GError **error);

G_END_DECLS
