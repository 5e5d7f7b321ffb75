/* test-main-context.c — work handed from a worker thread to the main context runs on the thread
 * that iterates it (core/base/sluice-main-context.h), even when the worker's thread-default context
 * is that same context and nobody is iterating it at the moment: the case in which
 * g_main_context_invoke () would run it at once on the worker, concurrently with the main loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sluice-main-context.h"

typedef struct
{
  GThread *ran_on;
  gint ran;
} Record;

static gboolean
record_thread (gpointer data)
{
  Record *record = data;

  record->ran_on = g_thread_self ();
  g_atomic_int_set (&record->ran, TRUE);
  return G_SOURCE_REMOVE;
}

static gpointer
post_from_worker (gpointer data)
{
  /* No context pushed: this thread's thread-default context is the global default one, which
   * the main thread is not iterating now. */
  sluice_main_context_post (g_main_context_default (), record_thread, data, NULL);
  return NULL;
}

static void
test_runs_on_the_iterating_thread (void **state)
{
  Record record = { 0 };
  GThread *worker = g_thread_new ("worker", post_from_worker, &record);

  g_thread_join (worker);
  assert_false (g_atomic_int_get (&record.ran));
  while (!g_atomic_int_get (&record.ran))
    g_main_context_iteration (NULL, TRUE);
  assert_ptr_equal (record.ran_on, g_thread_self ());
}

typedef struct
{
  GArray *seen;
  gint value;
} Step;

static gboolean
record_step (gpointer data)
{
  Step *step = data;

  g_array_append_val (step->seen, step->value);
  return G_SOURCE_REMOVE;
}

/* Posted work runs in the order it was posted. */
static void
test_in_order (void **state)
{
  g_autoptr (GArray) seen = g_array_new (FALSE, FALSE, sizeof (gint));
  Step steps[3];

  for (gint i = 0; i < 3; i++)
    {
      steps[i] = (Step){ seen, i };
      sluice_main_context_post (NULL, record_step, &steps[i], NULL);
    }
  while (seen->len < 3)
    g_main_context_iteration (NULL, TRUE);
  for (gint i = 0; i < 3; i++)
    assert_int_equal (g_array_index (seen, gint, i), i);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_runs_on_the_iterating_thread),
    cmocka_unit_test (test_in_order),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
