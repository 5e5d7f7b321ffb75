/* sluice-engine.h — the running form of a configuration: one SluicePipe per pipe component, the
 * store they read and write, and the graph of which pipe feeds which (docs/engine.md).
 *
 * The engine is built from a loaded SluiceConfig and a registry; building it creates every
 * element instance (each element's `create` callback), which is also how `--check-config` finds
 * errors that only a plugin can see (a DTL rule that does not compile).  Scheduling (pumps, the
 * scheduler) is layered on top and reaches pipes through sluice_engine_get_pipes ().
 */
#pragma once

#include <glib-object.h>

#include "sluice-config-diagnostics.h"
#include "sluice-config.h"
#include "sluice-host-datasets.h"
#include "sluice-pipe-graph.h"
#include "sluice-pipe.h"
#include "sluice-registry.h"
#include "sluice-store-backend.h"

G_BEGIN_DECLS

#define SLUICE_TYPE_ENGINE (sluice_engine_get_type ())
G_DECLARE_FINAL_TYPE (SluiceEngine, sluice_engine, SLUICE, ENGINE, GObject)

/* Builds every pipe of @config.  @store (borrowed; may be NULL when nothing will run, as for
 * --check-config) must outlive the engine.  Each pipe that cannot be built is reported to
 * @diagnostics (nullable) located at its file, `_id` and the JSON pointer of the element, and makes
 * the call fail with SLUICE_CONFIG_ERROR_INVALID ("N errors in M files").  Cycles between pipes are
 * allowed here (feedback loops exist); only running them in dependency order refuses them. */
SluiceEngine *sluice_engine_new (SluiceRegistry *registry, SluiceConfig *config,
                                 SluiceStoreBackend *store, SluiceConfigDiagnostics *diagnostics,
                                 GError **error);

SluiceRegistry *sluice_engine_get_registry (SluiceEngine *engine);
SluiceConfig *sluice_engine_get_config (SluiceEngine *engine);
/* NULL when the engine was built without a store. */
SluiceStoreBackend *sluice_engine_get_store (SluiceEngine *engine);
/* Pipes in configuration order (element type: SluicePipe *). */
const GPtrArray *sluice_engine_get_pipes (SluiceEngine *engine);
/* NULL when there is no such pipe. */
SluicePipe *sluice_engine_lookup_pipe (SluiceEngine *engine, const char *pipe_id);
SluicePipeGraph *sluice_engine_get_graph (SluiceEngine *engine);

/* The options of the system component @system_id, with its element's defaults filled in (what
 * sluice_element_context_get_system () hands a plugin); borrowed, NULL when there is none. */
SluiceValue *sluice_engine_get_system (SluiceEngine *engine, const char *system_id);
/* The same lookup as a SluiceHostSystemLookup, to be called with the engine as its data. */
SluiceHostSystemLookup sluice_engine_get_system_lookup (SluiceEngine *engine);

/* The pump `mode` of a pipe: "scheduled" (the default), "manual" or "off"; NULL for no such pipe. */
const char *sluice_engine_get_pump_mode (SluiceEngine *engine, const char *pipe_id);
/* Whether a pipe runs without being named (scheduler, `--once` without names): mode "scheduled",
 * and the pipe is pumped at all (not a receiver or a publisher: sluice_pipe_is_pumped ()). */
gboolean sluice_engine_pipe_is_enabled (SluiceEngine *engine, const char *pipe_id);

G_END_DECLS
