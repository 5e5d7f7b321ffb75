/* sluice-pipe-graph.h — which pipe writes which dataset and which pipes read it.
 *
 * Built from the datasets each pipe names in options flagged SLUICE_OPTION_FLAG_DATASET (inputs on
 * sources and transforms, outputs on sinks).  It answers two questions: in which order `--once` runs
 * pipes (every writer of a dataset before its readers), and which pipes to signal when a dataset
 * changed.  A pipe that reads its own output is not a cycle (it never waits for itself).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SluicePipeGraph SluicePipeGraph;

SluicePipeGraph *sluice_pipe_graph_new (void);
void sluice_pipe_graph_free (SluicePipeGraph *graph);

/* Adds a pipe and its datasets (NULL-terminated; NULL for none), in configuration order. */
void sluice_pipe_graph_add_pipe (SluicePipeGraph *graph, const char *pipe_id,
                                 const char *const *inputs, const char *const *outputs);

/* (transfer container) The pipes reading / writing @dataset, in configuration order (element
 * type: const char *, borrowed from the graph). */
GPtrArray *sluice_pipe_graph_get_readers (SluicePipeGraph *graph, const char *dataset);
GPtrArray *sluice_pipe_graph_get_writers (SluicePipeGraph *graph, const char *dataset);
/* (transfer container) The pipes reading a dataset that @pipe_id writes (itself excluded). */
GPtrArray *sluice_pipe_graph_get_downstream (SluicePipeGraph *graph, const char *pipe_id);

/* (transfer full) @pipe_ids (NULL-terminated; NULL: every pipe) in dependency order: a pipe comes
 * after every selected pipe that writes a dataset it reads; otherwise configuration order is kept.
 * NULL with G_IO_ERROR_FAILED naming the pipes when they form a cycle, or G_IO_ERROR_NOT_FOUND for
 * an unknown pipe. */
char **sluice_pipe_graph_sort (SluicePipeGraph *graph, const char *const *pipe_ids, GError **error);

/* Whether the pipes form a cycle; @ret_cycle (nullable) receives "a -> b -> a". */
gboolean sluice_pipe_graph_find_cycle (SluicePipeGraph *graph, char **ret_cycle);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluicePipeGraph, sluice_pipe_graph_free)

G_END_DECLS
