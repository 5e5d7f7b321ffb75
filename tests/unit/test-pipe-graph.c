/* test-pipe-graph.c — dependency order of pipes from the datasets they read and write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <gio/gio.h>

#include "sluice-pipe-graph.h"

static void
add (SluicePipeGraph *graph, const char *id, const char *inputs, const char *outputs)
{
  g_auto (GStrv) in = g_strsplit (inputs, " ", -1);
  g_auto (GStrv) out = g_strsplit (outputs, " ", -1);

  sluice_pipe_graph_add_pipe (graph, id, inputs[0] != '\0' ? (const char *const *) in : NULL,
                              outputs[0] != '\0' ? (const char *const *) out : NULL);
}

static char *
sorted (SluicePipeGraph *graph, const char *const *ids)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) order = sluice_pipe_graph_sort (graph, ids, &error);

  if (order == NULL)
    return g_strdup (error->message);
  return g_strjoinv (" ", order);
}

/* Writers come before readers; independent pipes keep their configuration order. */
static void
test_sort (void **state)
{
  g_autoptr (SluicePipeGraph) graph = sluice_pipe_graph_new ();
  g_autofree char *all = NULL, *some = NULL;
  const char *selection[] = { "share", "raw", NULL };

  add (graph, "share", "person", "");
  add (graph, "person", "crm erp", "person");
  add (graph, "other", "", "other");
  add (graph, "crm", "", "crm");
  add (graph, "erp", "", "erp");
  add (graph, "self", "self", "self"); /* reading its own output is no cycle */
  add (graph, "raw", "", "raw");

  all = sorted (graph, NULL);
  assert_string_equal (all, "other crm erp person share self raw");
  /* Only the named pipes, still in dependency and configuration order. */
  some = sorted (graph, selection);
  assert_string_equal (some, "share raw");
}

static void
test_cycle (void **state)
{
  g_autoptr (SluicePipeGraph) graph = sluice_pipe_graph_new ();
  g_autofree char *order = NULL, *cycle = NULL, *unknown = NULL;
  const char *names[] = { "nope", NULL };

  add (graph, "first", "", "x");
  add (graph, "a", "x c", "a");
  add (graph, "b", "a", "b");
  add (graph, "c", "b", "c");
  order = sorted (graph, NULL);
  assert_string_equal (order, "the pipes form a dependency cycle (a -> b -> c -> a): each writes a "
                              "dataset the next reads");
  assert_true (sluice_pipe_graph_find_cycle (graph, &cycle));
  assert_string_equal (cycle, "a -> b -> c -> a");
  unknown = sorted (graph, names);
  assert_string_equal (unknown, "no pipe named 'nope'");
}

static void
test_readers_writers (void **state)
{
  g_autoptr (SluicePipeGraph) graph = sluice_pipe_graph_new ();
  g_autoptr (GPtrArray) readers = NULL, writers = NULL, downstream = NULL;

  add (graph, "w1", "", "d");
  add (graph, "w2", "", "d");
  add (graph, "r1", "d", "e");
  add (graph, "r2", "d e", "");
  readers = sluice_pipe_graph_get_readers (graph, "d");
  writers = sluice_pipe_graph_get_writers (graph, "d");
  downstream = sluice_pipe_graph_get_downstream (graph, "r1");
  assert_int_equal (readers->len, 2);
  assert_string_equal (g_ptr_array_index (readers, 0), "r1");
  assert_string_equal (g_ptr_array_index (readers, 1), "r2");
  assert_int_equal (writers->len, 2);
  assert_string_equal (g_ptr_array_index (writers, 1), "w2");
  assert_int_equal (downstream->len, 1);
  assert_string_equal (g_ptr_array_index (downstream, 0), "r2");
  assert_false (sluice_pipe_graph_find_cycle (graph, NULL));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_sort),
    cmocka_unit_test (test_cycle),
    cmocka_unit_test (test_readers_writers),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
