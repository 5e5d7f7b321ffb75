/* fake-runner.c — see fake-runner.h. */
#include "fake-runner.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void
fake_run_free (gpointer data)
{
  FakeRun *run = data;

  g_clear_object (&run->cancellable);
  g_clear_object (&run->task);
  g_free (run->pipe_id);
  g_free (run);
}

static void
fake_start (const SluiceRunRequest *request, GCancellable *cancellable,
            GAsyncReadyCallback callback, gpointer callback_data, gpointer user_data)
{
  FakeRunner *fake = user_data;
  FakeRun *run = g_new0 (FakeRun, 1);

  run->pipe_id = g_strdup (request->pipe_id);
  run->reason = request->reason;
  run->full = request->full;
  run->partial = request->partial;
  run->cancellable = g_object_ref (cancellable);
  run->task = g_task_new (NULL, cancellable, callback, callback_data);
  g_ptr_array_add (fake->runs, run);
}

static gboolean
fake_finish (GAsyncResult *result, GError **error, gpointer user_data)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

const SluiceRunner fake_runner_funcs = { fake_start, fake_finish };

FakeRunner *
fake_runner_new (void)
{
  FakeRunner *fake = g_new0 (FakeRunner, 1);

  fake->runs = g_ptr_array_new_with_free_func (fake_run_free);
  fake->finished = g_ptr_array_new_with_free_func (g_free);
  return fake;
}

void
fake_runner_free (FakeRunner *fake)
{
  g_ptr_array_unref (fake->runs);
  g_ptr_array_unref (fake->finished);
  g_free (fake);
}

static void
on_finished (SluiceScheduler *scheduler, const char *pipe_id, gboolean ok, const GError *error,
             FakeRunner *fake)
{
  fake->n_finished++;
  g_ptr_array_add (fake->finished, g_strdup_printf ("%s %s", pipe_id, ok ? "ok" : error->message));
}

static void
on_idle (SluiceScheduler *scheduler, FakeRunner *fake)
{
  fake->n_idle++;
}

void
fake_runner_watch (FakeRunner *fake, SluiceScheduler *scheduler)
{
  g_signal_connect (scheduler, "run-finished", G_CALLBACK (on_finished), fake);
  g_signal_connect (scheduler, "idle", G_CALLBACK (on_idle), fake);
}

FakeRun *
fake_runner_find_running (FakeRunner *fake, const char *pipe_id)
{
  for (guint i = fake->runs->len; i > 0; i--)
    {
      FakeRun *run = g_ptr_array_index (fake->runs, i - 1);

      if (run->task != NULL && g_strcmp0 (run->pipe_id, pipe_id) == 0)
        return run;
    }
  return NULL;
}

FakeRun *
fake_runner_find_any_running (FakeRunner *fake)
{
  for (guint i = 0; i < fake->runs->len; i++)
    {
      FakeRun *run = g_ptr_array_index (fake->runs, i);

      if (run->task != NULL)
        return run;
    }
  return NULL;
}

guint
fake_runner_count (FakeRunner *fake, const char *pipe_id)
{
  guint n = 0;

  for (guint i = 0; i < fake->runs->len; i++)
    {
      FakeRun *run = g_ptr_array_index (fake->runs, i);

      if (pipe_id == NULL || g_strcmp0 (run->pipe_id, pipe_id) == 0)
        n++;
    }
  return n;
}

void
fake_runner_finish (FakeRunner *fake, const char *pipe_id, const char *message)
{
  FakeRun *run = fake_runner_find_running (fake, pipe_id);
  g_autoptr (GTask) task = NULL;
  guint before = fake->n_finished;

  assert_non_null (run);
  task = g_steal_pointer (&run->task);
  if (message == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", message);
  /* GTask delivers the result from an idle source; a few iterations at most. */
  for (int i = 0; i < 1000 && fake->n_finished == before; i++)
    g_main_context_iteration (NULL, FALSE);
  assert_int_equal (fake->n_finished, before + 1);
}
