/* sluice-pipe-reader.h — a pipe's source read through its transforms, outside any run, with nothing
 * written: what a publisher serves (digest §9.6: "the pipe's source and transforms run at request
 * time") and what a preview shows (§3.7).
 *
 * A reader creates element instances of its own from the pipe's configuration (a source and the
 * transforms), so it never disturbs a run of the pipe and several readers of one pipe can work at
 * the same time.  It writes no offset and no execution log.  A reader belongs to one thread at a
 * time and may be used on a worker thread (an HTTP response streaming a million entities).
 */
#pragma once

#include <sluice-plugin-sdk.h>

#include "sluice-pipe.h"

G_BEGIN_DECLS

typedef struct _SluicePipeReader SluicePipeReader;

typedef struct
{
  /* JSON text of the offset to read after (the source's own format), or NULL: from the start. */
  const char *since;
  /* Refuse (SLUICE_PIPE_ERROR_NOT_SUPPORTED naming the transform) a pipe with a
   * transform flagged SLUICE_ELEMENT_FLAG_SIDE_EFFECTS or configured `side_effects: true`. */
  gboolean refuse_side_effects;
  /* Values bound to the DTL variable `_B` (a publisher's extra query parameters); nullable,
   * borrowed for sluice_pipe_reader_new (). */
  const SluiceValue *bound;
} SluicePipeReaderOptions;

/* (transfer full) Opens the source.  Fails naming the element, as a run would. */
SluicePipeReader *sluice_pipe_reader_new (SluicePipe *pipe, const SluicePipeReaderOptions *options,
                                          GError **error);

/* Appends up to @max_entities entities, as they leave the last transform, to @batch (discarded
 * ones dropped; filtered ones kept with `_filtered: true`).  Returns SLUICE_FLOW_OK (call again),
 * SLUICE_FLOW_EOS (the end; @batch may hold the last ones) or SLUICE_FLOW_ERROR. */
SluiceFlow sluice_pipe_reader_read (SluicePipeReader *reader, SluiceBatch *batch,
                                    guint max_entities, GError **error);

/* Whether a transform dropped or filtered anything so far (`X-Dataset-Filtered`), or the pipe has
 * transforms that could (a conservative answer is fine: TRUE when there is any transform). */
gboolean sluice_pipe_reader_is_filtered (SluicePipeReader *reader);

void sluice_pipe_reader_free (SluicePipeReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluicePipeReader, sluice_pipe_reader_free)

G_END_DECLS
