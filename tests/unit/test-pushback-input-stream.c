/* test-pushback-input-stream.c — the stream that takes back what a reader above it had read
 * ahead (core/http-api/sluice-pushback-input-stream.c): what is taken back is read first and in its
 * order, taking back never reads the base, a source wakes up for it, and closing the stream
 * closes the connection under it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-pushback-input-stream.h"

typedef struct
{
  GInputStream *base_input; /* "base-bytes", a pollable memory stream */
  GIOStream *base;
  GInputStream *pushback;   /* over base */
  GIOStream *connection;    /* pushback and the base's output */
  GInputStream *reader;     /* reads the connection, holding bytes it read ahead */
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();

  f->base_input = g_memory_input_stream_new_from_data ("base-bytes", 10, NULL);
  f->base = g_simple_io_stream_new (f->base_input, output);
  f->pushback = sluice_pushback_input_stream_new (f->base);
  f->connection = g_simple_io_stream_new (f->pushback, output);
  /* A reader above: another pushback stream, whose own given-back bytes stand for what a
   * buffering reader (libsoup's) holds. */
  f->reader = sluice_pushback_input_stream_new (f->connection);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  g_object_unref (f->reader);
  g_object_unref (f->connection);
  g_object_unref (f->pushback);
  g_object_unref (f->base);
  g_object_unref (f->base_input);
  g_free (f);
  return 0;
}

static char *
read_all (GInputStream *stream)
{
  g_autoptr (GString) text = g_string_new (NULL);
  char buffer[4];
  gssize n;

  while ((n = g_input_stream_read (stream, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (text, buffer, n);
  assert_int_equal (n, 0);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Gives @text to @stream (a pushback stream) as if a reader above had read it ahead. */
static void
give (GInputStream *stream, const char *text)
{
  g_autoptr (GInputStream) memory = g_memory_input_stream_new_from_data (text, strlen (text), NULL);

  sluice_pushback_input_stream_reclaim (SLUICE_PUSHBACK_INPUT_STREAM (stream), memory);
}

static void
test_reads_the_base (void **state)
{
  Fixture *f = *state;
  g_autofree char *text = read_all (f->pushback);

  assert_string_equal (text, "base-bytes");
}

/* What the reader held comes first, then what was given back before, then the base; taking it
 * back reads nothing of the base. */
static void
test_reclaim_keeps_the_order (void **state)
{
  Fixture *f = *state;
  g_autofree char *text = NULL;

  give (f->pushback, "2:earlier,");
  give (f->reader, "1:held,");
  sluice_pushback_input_stream_reclaim (SLUICE_PUSHBACK_INPUT_STREAM (f->pushback), f->reader);
  assert_int_equal (g_seekable_tell (G_SEEKABLE (f->base_input)), 0);
  text = read_all (f->pushback);
  assert_string_equal (text, "1:held,2:earlier,base-bytes");
}

static gboolean
on_readable (GObject *stream, gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A source made while bytes wait wakes up for them, and non-blocking reads return them. */
static void
test_pollable (void **state)
{
  Fixture *f = *state;
  GPollableInputStream *pollable = G_POLLABLE_INPUT_STREAM (f->pushback);
  g_autoptr (GSource) source = NULL;
  gboolean readable = FALSE;
  char buffer[32];
  gssize n;

  give (f->pushback, "given");
  assert_true (g_pollable_input_stream_can_poll (pollable));
  assert_true (g_pollable_input_stream_is_readable (pollable));
  source = g_pollable_input_stream_create_source (pollable, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_readable), &readable, NULL);
  g_source_attach (source, NULL);
  while (!readable)
    g_main_context_iteration (NULL, TRUE);
  n = g_pollable_input_stream_read_nonblocking (pollable, buffer, sizeof buffer, NULL, NULL);
  assert_int_equal (n, 5);
  assert_memory_equal (buffer, "given", 5);
}

static void
test_close_closes_the_base (void **state)
{
  Fixture *f = *state;

  assert_true (g_io_stream_close (f->connection, NULL, NULL));
  assert_true (g_io_stream_is_closed (f->base));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_reads_the_base, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reclaim_keeps_the_order, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pollable, setup, teardown),
    cmocka_unit_test_setup_teardown (test_close_closes_the_base, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
