/* sluice-pipe-instances.h — element instances of a pipe built afresh from its configuration, apart
 * from the ones the pipe runs with: what a publisher's reader (sluice-pipe-reader.c) and a
 * receiver (sluice-pipe-push.c) work with, so that neither disturbs the other nor a run, and
 * several readers of one pipe work at the same time.
 *
 * The instances get their own SluiceHostDatasets (the host's batch transaction is per user, and
 * its users never overlap: one reader or one receiver belongs to one thread at a time).  Building
 * is the same as the pipe's own (sluice-pipe.c): defaults filled in, a sink's dataset option
 * defaulting to the pipe `_id`, the pipe's configuration as the component; and, for a reader,
 * values bound to `_B` (sluice_element_context_get_bound ()). */
#pragma once

#include <json-glib/json-glib.h>
#include <sluice-plugin-sdk.h>

#include "sluice-engine.h"
#include "sluice-run.h"

G_BEGIN_DECLS

/* The options an element of pipe @pipe_id sees: a copy of its configuration object @node with the
 * option defaults of @descriptor filled in and, on a sink, string dataset options defaulting to
 * the pipe `_id`.  For the pipe's own elements (sluice-pipe.c, which defines it) and for
 * the fresh instances here. */
JsonNode *sluice_pipe_element_options (const SluiceElementDescriptor *descriptor,
                                       SluiceElementKind kind, JsonNode *node,
                                       const char *pipe_id);

/* What the elements of a pipe see as their component (sluice_element_context_get_component ()):
 * @node, the pipe's configuration with its defaults filled in, read as plugins read options
 * (sluice-config-json.h), each element's entity options as entities.  @numbers: the component's
 * numbers as written.  Defined in sluice-pipe.c. */
SluiceValue *sluice_pipe_component_value (SluiceRegistry *registry, JsonNode *node,
                                          GHashTable *numbers, GError **error);

/* Which elements to build. */
#define SLUICE_PIPE_INSTANCES_SOURCE (1u << 0)
#define SLUICE_PIPE_INSTANCES_TRANSFORMS (1u << 1)
#define SLUICE_PIPE_INSTANCES_SINK (1u << 2)

typedef struct
{
  /* SluiceRunElement's fields are borrowed from the instances: callbacks NULL when not built. */
  SluiceRunElement source;
  SluiceRunElement *transforms;
  guint n_transforms;
  SluiceRunElement sink;
  /* The flags of the source's and sink's element descriptors (SLUICE_ELEMENT_FLAG_*); 0 when not
   * built. */
  uint32_t source_flags;
  uint32_t sink_flags;
  SluiceHostDatasets *host;
  /* The options of the source and sink as configured, defaults filled in (NULL when not built):
   * the `http_endpoint` elements' options are read by the core. */
  SluiceValue *source_options;
  SluiceValue *sink_options;
  /* Private. */
  GPtrArray *elements;
  SluiceEngine *engine; /* owned: a reload must not free it under a reader still streaming */
} SluicePipeInstances;

/* Builds the elements of @pipe_id named by @which (SLUICE_PIPE_INSTANCES_*), in the pipe's order,
 * with @bound (nullable, a DICT) bound for each.  Fails with SLUICE_PIPE_ERROR_CONFIG naming the
 * element ("/transform/1: …") when an element's create callback refuses. */
SluicePipeInstances *sluice_pipe_instances_new (SluiceEngine *engine, const char *pipe_id,
                                                guint32 which, SluiceValue *bound,
                                                GError **error);
void sluice_pipe_instances_free (SluicePipeInstances *instances);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluicePipeInstances, sluice_pipe_instances_free)

/* Runs @batch through the transforms: (transfer full) the output, a new batch even when there is
 * no transform.  Fails naming the transform as a run does ("/transform/0 (type 'dtl') failed:
 * …"). */
SluiceBatch *sluice_pipe_instances_transform (SluicePipeInstances *instances,
                                              const SluiceBatch *batch, GError **error);

/* The first transform with side effects (flagged SLUICE_ELEMENT_FLAG_SIDE_EFFECTS or configured
 * `side_effects: true`), or -1. */
int sluice_pipe_instances_find_side_effects (SluicePipeInstances *instances);

G_END_DECLS
