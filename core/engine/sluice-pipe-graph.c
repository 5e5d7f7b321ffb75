/* sluice-pipe-graph.c — dependency order of pipes from the datasets they read and write.
 *
 * Configurations hold tens to a few thousand pipes, so plain arrays and quadratic scans are fast
 * enough and keep the order rules obvious: the sort takes the earliest ready pipe in configuration
 * order each time, so that independent pipes run in the order they were written.
 */
#include <gio/gio.h>

#include "sluice-pipe-graph.h"

typedef struct
{
  char *id;
  char **inputs;
  char **outputs;
} Node;

struct _SluicePipeGraph
{
  GPtrArray *nodes; /* Node *, configuration order */
  GHashTable *by_id; /* id → Node * */
};

static void
node_free (Node *node)
{
  g_free (node->id);
  g_strfreev (node->inputs);
  g_strfreev (node->outputs);
  g_free (node);
}

SluicePipeGraph *
sluice_pipe_graph_new (void)
{
  SluicePipeGraph *graph = g_new0 (SluicePipeGraph, 1);

  graph->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  graph->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  return graph;
}

void
sluice_pipe_graph_free (SluicePipeGraph *graph)
{
  if (graph == NULL)
    return;
  g_hash_table_destroy (graph->by_id);
  g_ptr_array_unref (graph->nodes);
  g_free (graph);
}

void
sluice_pipe_graph_add_pipe (SluicePipeGraph *graph, const char *pipe_id, const char *const *inputs,
                            const char *const *outputs)
{
  Node *node = g_new0 (Node, 1);

  g_return_if_fail (!g_hash_table_contains (graph->by_id, pipe_id));
  node->id = g_strdup (pipe_id);
  node->inputs = inputs != NULL ? g_strdupv ((char **) inputs) : g_new0 (char *, 1);
  node->outputs = outputs != NULL ? g_strdupv ((char **) outputs) : g_new0 (char *, 1);
  g_ptr_array_add (graph->nodes, node);
  g_hash_table_insert (graph->by_id, node->id, node);
}

static GPtrArray *
nodes_with (SluicePipeGraph *graph, const char *dataset, gboolean outputs)
{
  GPtrArray *result = g_ptr_array_new ();

  for (guint i = 0; i < graph->nodes->len; i++)
    {
      Node *node = g_ptr_array_index (graph->nodes, i);

      if (g_strv_contains ((const char *const *) (outputs ? node->outputs : node->inputs), dataset))
        g_ptr_array_add (result, node->id);
    }
  return result;
}

GPtrArray *
sluice_pipe_graph_get_readers (SluicePipeGraph *graph, const char *dataset)
{
  return nodes_with (graph, dataset, FALSE);
}

GPtrArray *
sluice_pipe_graph_get_writers (SluicePipeGraph *graph, const char *dataset)
{
  return nodes_with (graph, dataset, TRUE);
}

/* Whether @writer writes a dataset that @reader reads (a pipe never depends on itself). */
static gboolean
feeds (const Node *writer, const Node *reader)
{
  if (writer == reader)
    return FALSE;
  for (char **out = writer->outputs; *out != NULL; out++)
    if (g_strv_contains ((const char *const *) reader->inputs, *out))
      return TRUE;
  return FALSE;
}

GPtrArray *
sluice_pipe_graph_get_downstream (SluicePipeGraph *graph, const char *pipe_id)
{
  GPtrArray *result = g_ptr_array_new ();
  Node *self = g_hash_table_lookup (graph->by_id, pipe_id);

  if (self == NULL)
    return result;
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      Node *node = g_ptr_array_index (graph->nodes, i);

      if (feeds (self, node))
        g_ptr_array_add (result, node->id);
    }
  return result;
}

/* Depth-first search for a cycle among @nodes; colours: 0 unseen, 1 on the stack, 2 done. */
static gboolean
find_cycle_from (GPtrArray *nodes, guint index, guint8 *colour, GArray *stack, char **ret_cycle)
{
  Node *node = g_ptr_array_index (nodes, index);

  colour[index] = 1;
  g_array_append_val (stack, index);
  for (guint j = 0; j < nodes->len; j++)
    {
      if (!feeds (node, g_ptr_array_index (nodes, j)))
        continue;
      if (colour[j] == 1)
        {
          g_autoptr (GString) text = g_string_new (NULL);
          guint k = 0;

          while (g_array_index (stack, guint, k) != j)
            k++;
          for (; k < stack->len; k++)
            g_string_append_printf (
              text, "%s -> ", ((Node *) g_ptr_array_index (nodes, g_array_index (stack, guint, k)))->id);
          g_string_append (text, ((Node *) g_ptr_array_index (nodes, j))->id);
          if (ret_cycle != NULL)
            *ret_cycle = g_string_free (g_steal_pointer (&text), FALSE);
          return TRUE;
        }
      if (colour[j] == 0 && find_cycle_from (nodes, j, colour, stack, ret_cycle))
        return TRUE;
    }
  g_array_set_size (stack, stack->len - 1);
  colour[index] = 2;
  return FALSE;
}

static gboolean
find_cycle_in (GPtrArray *nodes, char **ret_cycle)
{
  g_autofree guint8 *colour = g_new0 (guint8, nodes->len + 1);
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < nodes->len; i++)
    if (colour[i] == 0 && find_cycle_from (nodes, i, colour, stack, ret_cycle))
      return TRUE;
  return FALSE;
}

gboolean
sluice_pipe_graph_find_cycle (SluicePipeGraph *graph, char **ret_cycle)
{
  return find_cycle_in (graph->nodes, ret_cycle);
}

char **
sluice_pipe_graph_sort (SluicePipeGraph *graph, const char *const *pipe_ids, GError **error)
{
  g_autoptr (GPtrArray) selected = g_ptr_array_new ();
  g_autoptr (GStrvBuilder) order = g_strv_builder_new ();
  g_autofree gboolean *done = NULL;
  g_autofree guint *blockers = NULL;
  g_autoptr (GPtrArray) fed = NULL;
  guint n, n_done = 0;

  if (pipe_ids == NULL)
    {
      for (guint i = 0; i < graph->nodes->len; i++)
        g_ptr_array_add (selected, g_ptr_array_index (graph->nodes, i));
    }
  else
    {
      /* Configuration order, whatever order the names were given in. */
      for (const char *const *id = pipe_ids; *id != NULL; id++)
        if (!g_hash_table_contains (graph->by_id, *id))
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no pipe named '%s'", *id);
            return NULL;
          }
      for (guint i = 0; i < graph->nodes->len; i++)
        {
          Node *node = g_ptr_array_index (graph->nodes, i);

          if (g_strv_contains (pipe_ids, node->id))
            g_ptr_array_add (selected, node);
        }
    }

  /* Kahn's algorithm, always taking the earliest ready pipe in configuration order. */
  n = selected->len;
  done = g_new0 (gboolean, n + 1);
  blockers = g_new0 (guint, n + 1);
  fed = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint i = 0; i < n; i++)
    {
      GArray *targets = g_array_new (FALSE, FALSE, sizeof (guint));

      for (guint j = 0; j < n; j++)
        if (feeds (g_ptr_array_index (selected, i), g_ptr_array_index (selected, j)))
          {
            g_array_append_val (targets, j);
            blockers[j]++;
          }
      g_ptr_array_add (fed, targets);
    }
  while (n_done < n)
    {
      guint i = 0;
      GArray *targets;

      while (i < n && (done[i] || blockers[i] > 0))
        i++;
      if (i == n)
        {
          g_autoptr (GPtrArray) rest = g_ptr_array_new ();
          g_autofree char *cycle = NULL;

          for (guint k = 0; k < n; k++)
            if (!done[k])
              g_ptr_array_add (rest, g_ptr_array_index (selected, k));
          find_cycle_in (rest, &cycle);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "the pipes form a dependency cycle (%s): each writes a dataset the next "
                       "reads",
                       cycle != NULL ? cycle : "?");
          return NULL;
        }
      done[i] = TRUE;
      n_done++;
      g_strv_builder_add (order, ((Node *) g_ptr_array_index (selected, i))->id);
      targets = g_ptr_array_index (fed, i);
      for (guint k = 0; k < targets->len; k++)
        blockers[g_array_index (targets, guint, k)]--;
    }
  return g_strv_builder_end (order);
}
