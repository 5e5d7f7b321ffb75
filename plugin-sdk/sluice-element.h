/* sluice-element.h — element descriptors: the types a plugin provides.
 *
 * A plugin provides one or more elements.  Each element has a kind (source, sink, transform, system,
 * pattern), the type name used in configuration ("json", "dtl", "system:url", "pattern:upsert-split"),
 * an option schema, and a table of plain C callbacks on an opaque instance pointer.
 *
 * ABI rules (see docs/plugin-abi.md):
 *  - every struct here starts with its own struct_size, filled by the SLUICE_*_INIT macros;
 *  - structs only grow at the end; the host reads a field only when struct_size covers it;
 *  - a NULL callback means "not supported";
 *  - kinds and flags are fixed-width integers, never C enums;
 *  - what a callback receives is borrowed for the duration of the call; the host never frees memory
 *    a plugin allocated, and a plugin never frees memory the host allocated.
 */
#pragma once

#include <stdint.h>
#include "sluice-context.h"
#include "sluice-entity.h"
#include "sluice-flow.h"
#include "sluice-option.h"

SLUICE_BEGIN_DECLS

typedef uint32_t SluiceElementKind;

#define SLUICE_ELEMENT_KIND_SOURCE 1
#define SLUICE_ELEMENT_KIND_SINK 2
#define SLUICE_ELEMENT_KIND_TRANSFORM 3
#define SLUICE_ELEMENT_KIND_SYSTEM 4
#define SLUICE_ELEMENT_KIND_PATTERN 5

SLUICE_SDK_API const char *sluice_element_kind_get_name (SluiceElementKind kind);

/* Element flags. */
/* The element's callbacks block (file or socket I/O without GIO async calls): the host calls them on
 * a worker thread, never on the main loop. */
#define SLUICE_ELEMENT_FLAG_BLOCKING (1u << 0)
/* The element has side effects outside sluice (a transform that POSTs): preview refuses it. */
#define SLUICE_ELEMENT_FLAG_SIDE_EFFECTS (1u << 1)
/* Appended.  The sink handles entities marked `_filtered: true` itself (digest §5.2); the host
 * drops them before any other sink sees them. */
#define SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED (1u << 2)
/* Appended.  A pipe with this element (as its source or sink) is never pumped: its entities are
 * pushed to it, or pulled from it, over HTTP (the `http_endpoint` source and sink).  The host
 * schedules no run of such a pipe and refuses to start one. */
#define SLUICE_ELEMENT_FLAG_NOT_PUMPED (1u << 3)

/* Continuation characteristics of a source (digest §4.2), returned by get_capabilities. */
#define SLUICE_SOURCE_SUPPORTS_SINCE (1u << 0)
#define SLUICE_SOURCE_IS_SINCE_COMPARABLE (1u << 1)
#define SLUICE_SOURCE_IS_CHRONOLOGICAL (1u << 2)

/* Run flags passed to open/begin. */
#define SLUICE_RUN_FLAG_FULL (1u << 0) /* a full run (no stored offset, or a rescan) */
/* Appended.  With FULL: the run continues a full run that an earlier process left unfinished,
 * from its last checkpoint; what the earlier attempt saw is not known to this one.  A sink that
 * cannot continue it (a JSON push sequence) fails begin with SLUICE_ERROR_RESTART_FULL_RUN, and
 * the host starts the full run over. */
#define SLUICE_RUN_FLAG_RESUMED (1u << 1)
/* Appended.  Given to the sink: every input dataset of the source was populated when the run
 * started (always set for sources that read no dataset), digest §2.2. */
#define SLUICE_RUN_FLAG_SOURCE_POPULATED (1u << 2)

typedef struct _SluiceSourceCallbacks SluiceSourceCallbacks;
typedef struct _SluiceSinkCallbacks SluiceSinkCallbacks;
typedef struct _SluiceTransformCallbacks SluiceTransformCallbacks;
typedef struct _SluiceSystemCallbacks SluiceSystemCallbacks;
typedef struct _SluicePatternCallbacks SluicePatternCallbacks;
typedef struct _SluiceComponentSink SluiceComponentSink;
typedef struct _SluiceElementDescriptor SluiceElementDescriptor;

struct _SluiceSourceCallbacks
{
  uint32_t struct_size;
  /* Builds an instance from the context's options; NULL with @error set on failure. */
  void *(*create) (SluiceElementContext *context, GError **error);
  void (*destroy) (void *instance);
  /* SLUICE_SOURCE_* flags; NULL means none (every run is a full run). */
  uint32_t (*get_capabilities) (void *instance);
  /* Starts a run.  @since: the stored offset to continue after: on an incremental run, and on a
   * resumed full run (SLUICE_RUN_FLAG_RESUMED), whose checkpoint it is; NULL on a full run that
   * starts from the beginning.  A source that supports since must honour it on a resumed full
   * run too: a sink that keeps its own output (a file) already holds what came before. */
  gboolean (*open) (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error);
  /* Appends up to @max_entities entities to @batch.  Returns OK (call again), EOS (the run has
   * read everything; @batch may still hold the last entities), RETRY or ERROR. */
  SluiceFlow (*read) (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error);
  /* Ends a run, whatever its outcome. */
  void (*close) (void *instance);
};

struct _SluiceSinkCallbacks
{
  uint32_t struct_size;
  void *(*create) (SluiceElementContext *context, GError **error);
  void (*destroy) (void *instance);
  gboolean (*begin) (void *instance, uint32_t run_flags, GError **error);
  /* Writes a batch.  OK means the sink acknowledged every entity in it. */
  SluiceFlow (*write) (void *instance, const SluiceBatch *batch, GError **error);
  /* Ends a run: @success is FALSE when the run failed or was stopped. */
  gboolean (*end) (void *instance, gboolean success, GError **error);

  /* ABI 1.1.  A sink whose output lives outside the store (a file) implements these two so that
   * its output and the pipe offset agree after any failure, a SIGKILL included (see
   * docs/plugin-abi.md, "Sinks that keep their own output").  Other sinks leave them NULL: the host
   * commits their offset after write () returned OK (at least once). */

  /* Makes everything write () accepted so far durable and returns (transfer full) where the
   * output stands: any value, which the host stores in the same transaction as the pipe offset it
   * belongs to.  Called before every commit that stores an offset (every checkpoint_interval
   * batches) and once more after a successful end.  NULL with @error set fails the run. */
  SluiceValue *(*checkpoint) (void *instance, GError **error);
  /* Called instead of begin when set.  @position (nullable) is what checkpoint returned for the
   * offset this run starts from, NULL when none is stored.  The sink discards whatever it wrote
   * after that position.  On a resumed full run (SLUICE_RUN_FLAG_RESUMED) it continues from
   * @position, or fails with SLUICE_ERROR_RESTART_FULL_RUN when it cannot (its partial output is
   * gone): the host then starts the full run over from the beginning. */
  gboolean (*begin_at) (void *instance, uint32_t run_flags, const SluiceValue *position,
                        GError **error);
};

struct _SluiceTransformCallbacks
{
  uint32_t struct_size;
  void *(*create) (SluiceElementContext *context, GError **error);
  void (*destroy) (void *instance);
  /* Transforms @input into @output (which starts empty).  An entity may produce zero, one or
   * several output entities. */
  SluiceFlow (*transform) (void *instance, const SluiceBatch *input, SluiceBatch *output,
                           GError **error);
};

struct _SluiceSystemCallbacks
{
  uint32_t struct_size;
  void *(*create) (SluiceElementContext *context, GError **error);
  void (*destroy) (void *instance);
};

struct _SluicePatternCallbacks
{
  uint32_t struct_size;
  /* Expands a pattern component (its JSON text, validated against the element's schema, defaults
   * filled in) into ordinary components, each added to @sink with
   * sluice_component_sink_add_json (). */
  gboolean (*expand) (const char *component_json, SluiceComponentSink *sink, GError **error);
};

/* Adds one generated component (a JSON object with `_id` and `type`) to an expansion.  The text is
 * copied; FALSE with SLUICE_ERROR_PARSE when it is not one JSON object. */
SLUICE_SDK_API gboolean sluice_component_sink_add_json (SluiceComponentSink *sink, const char *json,
                                                        GError **error);
/* Host side: collects what a pattern's expand callback adds. */
SLUICE_SDK_API SluiceComponentSink *sluice_component_sink_new (void);
SLUICE_SDK_API void sluice_component_sink_free (SluiceComponentSink *sink);
SLUICE_SDK_API size_t sluice_component_sink_get_length (const SluiceComponentSink *sink);
/* Borrowed: the JSON text of the @index-th component added. */
SLUICE_SDK_API const char *sluice_component_sink_get_json (const SluiceComponentSink *sink,
                                                           size_t index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceComponentSink, sluice_component_sink_free)

struct _SluiceElementDescriptor
{
  uint32_t struct_size;
  SluiceElementKind kind;
  uint32_t flags;               /* SLUICE_ELEMENT_FLAG_* */
  const char *type_name;        /* as written in configuration */
  const char *description;      /* one sentence */
  uint32_t option_struct_size;  /* sizeof (SluiceOptionSpec) as the plugin was built */
  const SluiceOptionSpec *options; /* ended by an entry with key NULL; NULL for no options */
  /* Points to the callback table of the element's kind (SluiceSourceCallbacks for a source, …). */
  const void *callbacks;
};

/* Fill the size fields in designated initializers, so that authors never type a size:
 *   static const SluiceElementDescriptor my_source = {
 *     SLUICE_ELEMENT_DESCRIPTOR_INIT,
 *     .kind = SLUICE_ELEMENT_KIND_SOURCE, .type_name = "my-source", …
 *   };
 */
#define SLUICE_ELEMENT_DESCRIPTOR_INIT \
  .struct_size = sizeof (SluiceElementDescriptor), .option_struct_size = sizeof (SluiceOptionSpec)
#define SLUICE_SOURCE_CALLBACKS_INIT .struct_size = sizeof (SluiceSourceCallbacks)
#define SLUICE_SINK_CALLBACKS_INIT .struct_size = sizeof (SluiceSinkCallbacks)
#define SLUICE_TRANSFORM_CALLBACKS_INIT .struct_size = sizeof (SluiceTransformCallbacks)
#define SLUICE_SYSTEM_CALLBACKS_INIT .struct_size = sizeof (SluiceSystemCallbacks)
#define SLUICE_PATTERN_CALLBACKS_INIT .struct_size = sizeof (SluicePatternCallbacks)

SLUICE_END_DECLS
