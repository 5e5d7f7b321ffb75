/* test-file-plugin.c — the `file` source and sink (plugins/file/), linked in statically and driven
 * through their callbacks as the pipe engine drives them: round trips of 10,000 entities in both
 * formats, batch sizes, reading a large file in constant memory, the error messages a user sees,
 * continuation, and the sink's atomic replacement of its file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <sluice-plugin-sdk.h>

const SluicePluginDescriptor *sluice_plugin_file_get_descriptor (void);

typedef struct
{
  char *dir;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = g_dir_make_tmp ("sluice-file-plugin-XXXXXX", NULL);
  assert_non_null (f->dir);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  GDir *dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_unlink (path);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static char *
path_in (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

/* An element instance built from JSON options, as the host would build it. */
typedef struct
{
  SluiceElementContext *context;
  const SluiceElementDescriptor *element;
  void *instance;
} Element;

static const SluiceElementDescriptor *
find_element (SluiceElementKind kind)
{
  const SluicePluginDescriptor *plugin = sluice_plugin_file_get_descriptor ();

  for (size_t i = 0; plugin->elements[i] != NULL; i++)
    if (plugin->elements[i]->kind == kind && strcmp (plugin->elements[i]->type_name, "file") == 0)
      return plugin->elements[i];
  fail_msg ("no file element of kind %u", kind);
  return NULL;
}

static Element *
element_new (SluiceElementKind kind, const char *options_format, ...)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr (SluiceValue) options = NULL;
  Element *e = g_new0 (Element, 1);
  va_list args;

  va_start (args, options_format);
  json = g_strdup_vprintf (options_format, args);
  va_end (args);
  options = sluice_value_from_json (json, -1, &error);
  assert_null (error);
  e->element = find_element (kind);
  e->context = sluice_element_context_new ("file", "file", "test-pipe", options);
  if (kind == SLUICE_ELEMENT_KIND_SOURCE)
    e->instance = ((const SluiceSourceCallbacks *) e->element->callbacks)->create (e->context,
                                                                                    &error);
  else
    e->instance = ((const SluiceSinkCallbacks *) e->element->callbacks)->create (e->context,
                                                                                  &error);
  assert_null (error);
  assert_non_null (e->instance);
  return e;
}

static void
element_free (Element *e)
{
  if (e->element->kind == SLUICE_ELEMENT_KIND_SOURCE)
    ((const SluiceSourceCallbacks *) e->element->callbacks)->destroy (e->instance);
  else
    ((const SluiceSinkCallbacks *) e->element->callbacks)->destroy (e->instance);
  sluice_element_context_free (e->context);
  g_free (e);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Element, element_free)

static const SluiceSourceCallbacks *
source_cb (Element *e)
{
  return e->element->callbacks;
}

static const SluiceSinkCallbacks *
sink_cb (Element *e)
{
  return e->element->callbacks;
}

/* Entity number @i of the test data: nested values, a transit datetime, every 7th one deleted,
 * and @padding extra bytes of text. */
static SluiceValue *
make_body (size_t i, size_t padding)
{
  g_autofree char *json = NULL;
  g_autofree char *pad = g_strnfill (padding, 'x');

  json = g_strdup_printf ("{\"_id\": \"e-%zu\", \"n\": %zu, \"name\": \"entity \\\"%zu\\\"\", "
                          "\"tags\": [\"a\", {\"b\": null}], \"when\": \"~t2024-03-10T12:00:%02zuZ\", "
                          "\"ratio\": %zu.5%s, \"pad\": \"%s\"}",
                          i, i, i, i % 60, i, i % 7 == 0 ? ", \"_deleted\": true" : "", pad);
  return sluice_value_from_json (json, -1, NULL);
}

/* Runs the sink over @n generated entities in batches of @batch_size, ending with @success. */
static void
write_entities (Element *sink, uint32_t run_flags, size_t first, size_t n, size_t batch_size,
                size_t padding, gboolean success)
{
  g_autoptr (GError) error = NULL;
  size_t i = first;

  assert_true (sink_cb (sink)->begin (sink->instance, run_flags, &error));
  assert_null (error);
  while (i < first + n)
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      for (size_t k = 0; k < batch_size && i < first + n; k++, i++)
        {
          g_autoptr (SluiceValue) body = make_body (i, padding);

          sluice_batch_take (batch, sluice_entity_new (body, NULL));
        }
      assert_int_equal (sink_cb (sink)->write (sink->instance, batch, &error), SLUICE_FLOW_OK);
      assert_null (error);
    }
  assert_true (sink_cb (sink)->end (sink->instance, success, &error));
  assert_null (error);
}

/* Reads a whole run in batches of @batch_size, checking each entity against make_body (); returns
 * the number read.  Every read before the end must return a full batch. */
static size_t
read_and_check (Element *source, uint32_t run_flags, const SluiceValue *since, size_t first,
                uint32_t batch_size, size_t padding)
{
  g_autoptr (GError) error = NULL;
  size_t count = 0;
  SluiceFlow flow;

  assert_true (source_cb (source)->open (source->instance, run_flags, since, &error));
  assert_null (error);
  do
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      flow = source_cb (source)->read (source->instance, batch, batch_size, &error);
      assert_null (error);
      assert_true (flow == SLUICE_FLOW_OK || flow == SLUICE_FLOW_EOS);
      if (flow == SLUICE_FLOW_OK)
        assert_int_equal (sluice_batch_get_length (batch), batch_size);
      for (size_t k = 0; k < sluice_batch_get_length (batch); k++)
        {
          g_autoptr (SluiceValue) expected = make_body (first + count, padding);
          SluiceEntity *entity = sluice_batch_get (batch, k);

          assert_true (sluice_value_equal (sluice_entity_get_body (entity), expected));
          assert_int_equal (sluice_entity_is_deleted (entity), (first + count) % 7 == 0);
          count++;
        }
    }
  while (flow == SLUICE_FLOW_OK);
  source_cb (source)->close (source->instance);
  return count;
}

static char *
read_file (const char *path)
{
  char *contents = NULL;

  assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

static void
test_descriptor (void **state)
{
  const SluicePluginDescriptor *plugin = sluice_plugin_file_get_descriptor ();

  assert_string_equal (plugin->name, "file");
  assert_true (find_element (SLUICE_ELEMENT_KIND_SOURCE)->flags & SLUICE_ELEMENT_FLAG_BLOCKING);
  assert_true (find_element (SLUICE_ELEMENT_KIND_SINK)->flags & SLUICE_ELEMENT_FLAG_BLOCKING);
}

static void
test_round_trip_json (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "data.json");
  g_autofree char *contents = NULL;
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (Element) source = NULL;

  write_entities (sink, SLUICE_RUN_FLAG_FULL, 0, 10000, 1000, 0, TRUE);
  assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  contents = read_file (path);
  assert_true (g_str_has_prefix (contents, "[\n{\"_id\":"));
  assert_true (g_str_has_suffix (contents, "}\n]\n"));

  source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", path);
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 0, 100, 0), 10000);
  /* A second run reads the file again from the start. */
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 0, 333, 0), 10000);
}

static void
test_round_trip_jsonl (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "data.jsonl");
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (Element) source = NULL;

  write_entities (sink, SLUICE_RUN_FLAG_FULL, 0, 10000, 777, 0, TRUE);
  contents = read_file (path);
  lines = g_strsplit (contents, "\n", -1);
  assert_int_equal (g_strv_length (lines), 10001); /* the last line ends with a newline too */
  assert_string_equal (lines[10000], "");
  assert_true (g_str_has_prefix (lines[0], "{\"_id\":\"e-0\","));

  source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", path);
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 0, 100, 0), 10000);
}

static void
test_format_option (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "out.data");
  g_autofree char *contents = NULL;
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK,
                                          "{\"path\": \"%s\", \"format\": \"jsonl\"}", path);
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE,
                                            "{\"path\": \"%s\", \"format\": \"jsonl\"}", path);

  write_entities (sink, SLUICE_RUN_FLAG_FULL, 0, 3, 10, 0, TRUE);
  contents = read_file (path);
  assert_true (g_str_has_prefix (contents, "{\"_id\":\"e-0\""));
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 0, 2, 0), 3);
}

/* The position of the open file descriptor of @path (from /proc/self/fdinfo), or -1. */
static gint64
open_file_position (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (g_strcmp0 (target, path) == 0)
        {
          g_autofree char *info_path = g_build_filename ("/proc/self/fdinfo", name, NULL);
          g_autofree char *info = read_file (info_path);

          assert_true (g_str_has_prefix (info, "pos:"));
          return g_ascii_strtoll (info + 4, NULL, 10);
        }
    }
  return -1;
}

static gint64
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, field);
  assert_non_null (line);
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

static void
test_large_file_constant_memory (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "large.jsonl");
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}",
                                            path);
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  g_autoptr (GError) error = NULL;
#if defined(__SANITIZE_ADDRESS__)
  /* Sanitizers make this slow, and the memory measure is off there anyway. */
  const size_t n = 15000, padding = 500;
#else
  const size_t n = 60000, padding = 500;
#endif
  gboolean measure_rss = FALSE;
  GStatBuf st;
  gint64 rss_before = 0;
  size_t count = 0;
  SluiceFlow flow;

  write_entities (sink, SLUICE_RUN_FLAG_FULL, 0, n, 1000, padding, TRUE);
  assert_int_equal (g_stat (path, &st), 0);
  assert_true ((size_t) st.st_size > n * padding);

#if !defined(__SANITIZE_ADDRESS__)
  /* Reset the peak resident size (VmHWM) so that it measures the read alone.  Sanitizers keep
   * freed memory in quarantine, so the measure means nothing there. */
  {
    FILE *clear = fopen ("/proc/self/clear_refs", "w");

    if (clear != NULL)
      {
        measure_rss = fputs ("5", clear) >= 0;
        measure_rss = fclose (clear) == 0 && measure_rss;
      }
    rss_before = status_kib ("VmRSS:");
  }
#endif

  assert_true (source_cb (source)->open (source->instance, SLUICE_RUN_FLAG_FULL, NULL, &error));
  assert_int_equal (source_cb (source)->read (source->instance, batch, 100, &error),
                    SLUICE_FLOW_OK);
  assert_int_equal (sluice_batch_get_length (batch), 100);
  /* The first batch came from the first chunk: the file was not read whole. */
  {
    gint64 position = open_file_position (path);

    assert_true (position > 0);
    assert_true (position <= 64 * 1024);
  }
  count = 100;
  do
    {
      sluice_batch_clear (batch);
      flow = source_cb (source)->read (source->instance, batch, 100, &error);
      assert_null (error);
      count += sluice_batch_get_length (batch);
    }
  while (flow == SLUICE_FLOW_OK);
  assert_int_equal (flow, SLUICE_FLOW_EOS);
  assert_int_equal (count, n);
  source_cb (source)->close (source->instance);

  if (measure_rss)
    {
      gint64 growth_kib = status_kib ("VmHWM:") - rss_before;

      /* The file is over 30 MB; reading it may not hold more than a few chunks at a time. */
      assert_true (growth_kib < 8 * 1024);
    }
}

static void
assert_open_fails (Element *source, const char *message)
{
  g_autoptr (GError) error = NULL;

  assert_false (source_cb (source)->open (source->instance, SLUICE_RUN_FLAG_FULL, NULL, &error));
  assert_non_null (error);
  assert_string_equal (error->message, message);
  source_cb (source)->close (source->instance);
}

/* Reads a run to its end and returns its error; the run must fail. */
static GError *
read_error (Element *source)
{
  GError *error = NULL;
  SluiceFlow flow;

  assert_true (source_cb (source)->open (source->instance, SLUICE_RUN_FLAG_FULL, NULL, &error));
  do
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      flow = source_cb (source)->read (source->instance, batch, 100, &error);
    }
  while (flow == SLUICE_FLOW_OK);
  assert_int_equal (flow, SLUICE_FLOW_ERROR);
  assert_non_null (error);
  source_cb (source)->close (source->instance);
  return error;
}

static void
test_missing_file (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "missing.json");
  g_autofree char *message = g_strdup_printf ("file source: cannot open '%s': %s", path,
                                              g_strerror (ENOENT));
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}",
                                            path);

  assert_open_fails (source, message);
}

static void
test_bad_json (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "bad.json");
  g_autofree char *expected = NULL;
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}",
                                            path);
  g_autoptr (GError) error = NULL;

  /* The second entity lacks a comma: the '"' of "x" is byte 28 (counting from 0). */
  assert_true (g_file_set_contents (path, "[{\"_id\": \"a\"},\n {\"_id\": \"b\" \"x\": 1}]", -1,
                                    NULL));
  error = read_error (source);
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_PARSE));
  expected = g_strdup_printf ("file source: '%s': byte 28: expected ',' or '}' after object "
                              "member, got '\"'",
                              path);
  assert_string_equal (error->message, expected);
}

static void
test_truncated_json (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "truncated.json");
  g_autofree char *expected = NULL;
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}",
                                            path);
  g_autoptr (GError) error = NULL;

  assert_true (g_file_set_contents (path, "[{\"_id\": \"a\"}, {\"_id\": ", -1, NULL));
  error = read_error (source);
  expected = g_strdup_printf ("file source: '%s': byte 23: truncated input: unterminated object "
                              "starting at byte 15",
                              path);
  assert_string_equal (error->message, expected);
}

static void
test_entity_without_id (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "noid.jsonl");
  g_autofree char *expected = NULL;
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}",
                                            path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) error2 = NULL;

  assert_true (g_file_set_contents (path, "{\"_id\": \"a\"}\n{\"_id\": \"b\"}\n{\"_id\": 3}\n",
                                    -1, NULL));
  error = read_error (source);
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA));
  expected = g_strdup_printf ("file source: '%s': entity 2 (counting from 0): expected a string "
                              "`_id`",
                              path);
  assert_string_equal (error->message, expected);

  assert_true (g_file_set_contents (path, "{\"_id\": \"a\"}\n[1, 2]\n", -1, NULL));
  g_free (expected);
  error2 = read_error (source);
  expected = g_strdup_printf ("file source: '%s': entity 1 (counting from 0): expected an object, "
                              "got integer",
                              path);
  assert_string_equal (error2->message, expected);
}

/* Writes @text to @name and reads it with a file source: the run must fail with @code and
 * "file source: '<path>': @message". */
static void
assert_file_fails (Fixture *f, const char *name, const char *text, int code, const char *message)
{
  g_autofree char *path = path_in (f, name);
  g_autofree char *expected = NULL;
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}",
                                            path);
  g_autoptr (GError) error = NULL;

  assert_true (g_file_set_contents (path, text, -1, NULL));
  error = read_error (source);
  assert_true (g_error_matches (error, SLUICE_ERROR, code));
  expected = g_strdup_printf ("file source: '%s': %s", path, message);
  assert_string_equal (error->message, expected);
}

/* An _id with a U+0000 fails the run naming the entity: ids that differ after it would be one
 * entity of a dataset (issue 21, item 5). */
static void
test_entity_with_nul_in_id (void **state)
{
  assert_file_fails (*state, "nul.jsonl", "{\"_id\": \"a\"}\n{\"_id\": \"a\\u0000b\"}\n",
                     SLUICE_ERROR_INVALID_DATA,
                     "entity 1 (counting from 0): entity \"_id\" contains U+0000 at byte 1: "
                     "expected an _id without U+0000");
}

/* An object that names a key twice fails the run with its offset, as everywhere JSON enters
 * (issue 21, item 14). */
static void
test_duplicate_keys (void **state)
{
  assert_file_fails (*state, "dup.json", "[{\"_id\":\"a\",\"x\":1,\"x\":2}]", SLUICE_ERROR_PARSE,
                     "byte 18: duplicate key \"x\" in the object starting at byte 1 (first at "
                     "byte 12)");
}

static void
test_since (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "since.json");
  g_autoptr (Element) source = NULL;
  g_autoptr (Element) plain = NULL;
  g_autoptr (SluiceValue) since = sluice_value_new_integer (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();

  assert_true (g_file_set_contents (path,
                                    "[{\"_id\": \"a\", \"_updated\": 1}, {\"_id\": \"b\", "
                                    "\"_updated\": 2}, {\"_id\": \"c\", \"_updated\": 3}, "
                                    "{\"_id\": \"d\", \"_updated\": 4}, {\"_id\": \"e\"}]",
                                    -1, NULL));
  source = element_new (SLUICE_ELEMENT_KIND_SOURCE,
                        "{\"path\": \"%s\", \"supports_since\": true}", path);
  assert_int_equal (source_cb (source)->get_capabilities (source->instance),
                    SLUICE_SOURCE_SUPPORTS_SINCE | SLUICE_SOURCE_IS_SINCE_COMPARABLE);

  /* An incremental run: only what sorts after offset 3. */
  assert_true (source_cb (source)->open (source->instance, 0, since, &error));
  assert_int_equal (source_cb (source)->read (source->instance, batch, 100, &error),
                    SLUICE_FLOW_EOS);
  assert_int_equal (sluice_batch_get_length (batch), 1);
  assert_string_equal (sluice_entity_get_id (sluice_batch_get (batch, 0)), "d");
  source_cb (source)->close (source->instance);

  /* A full run: everything. */
  sluice_batch_clear (batch);
  assert_true (source_cb (source)->open (source->instance, SLUICE_RUN_FLAG_FULL, since, &error));
  assert_int_equal (source_cb (source)->read (source->instance, batch, 100, &error),
                    SLUICE_FLOW_EOS);
  assert_int_equal (sluice_batch_get_length (batch), 5);
  source_cb (source)->close (source->instance);

  /* Without supports_since (the default), a stored offset is ignored. */
  plain = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", path);
  assert_int_equal (source_cb (plain)->get_capabilities (plain->instance) & SLUICE_SOURCE_SUPPORTS_SINCE,
                    0);
  sluice_batch_clear (batch);
  assert_true (source_cb (plain)->open (plain->instance, 0, since, &error));
  assert_int_equal (source_cb (plain)->read (plain->instance, batch, 100, &error), SLUICE_FLOW_EOS);
  assert_int_equal (sluice_batch_get_length (batch), 5);
  source_cb (plain)->close (plain->instance);
}

static void
test_if_source_empty (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "empty.json");
  g_autofree char *expected = NULL;
  g_autoptr (Element) strict = NULL;
  g_autoptr (Element) lenient = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();

  assert_true (g_file_set_contents (path, "[]\n", -1, NULL));
  strict = element_new (SLUICE_ELEMENT_KIND_SOURCE,
                        "{\"path\": \"%s\", \"if_source_empty\": \"fail\"}", path);
  error = read_error (strict);
  expected = g_strdup_printf ("file source: '%s' holds no entities, and if_source_empty is \"fail\"",
                              path);
  assert_string_equal (error->message, expected);

  g_clear_error (&error);
  lenient = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", path);
  assert_true (source_cb (lenient)->open (lenient->instance, SLUICE_RUN_FLAG_FULL, NULL, &error));
  assert_int_equal (source_cb (lenient)->read (lenient->instance, batch, 100, &error),
                    SLUICE_FLOW_EOS);
  assert_int_equal (sluice_batch_get_length (batch), 0);
  source_cb (lenient)->close (lenient->instance);
}

static void
test_failed_run_keeps_old_file (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "keep.json");
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);

  write_entities (sink, SLUICE_RUN_FLAG_FULL, 0, 2, 10, 0, TRUE);
  before = read_file (path);

  /* A run that fails after writing: the old file stays and the temporary file goes. */
  write_entities (sink, SLUICE_RUN_FLAG_FULL, 100, 50, 10, 0, FALSE);
  after = read_file (path);
  assert_string_equal (after, before);
  assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));

  /* A run abandoned without end (the host destroyed the sink mid-run) also leaves no trace. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *still = NULL;

    assert_true (sink_cb (sink)->begin (sink->instance, SLUICE_RUN_FLAG_FULL, &error));
    assert_true (g_file_test (tmp, G_FILE_TEST_EXISTS));
    g_clear_pointer (&sink, element_free);
    assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
    still = read_file (path);
    assert_string_equal (still, before);
  }
}

static void
test_empty_run (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "none.json");
  g_autofree char *contents = NULL;
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (GError) error = NULL;

  assert_true (sink_cb (sink)->begin (sink->instance, SLUICE_RUN_FLAG_FULL, &error));
  assert_true (sink_cb (sink)->end (sink->instance, TRUE, &error));
  contents = read_file (path);
  assert_string_equal (contents, "[]\n");
}

static void
test_incremental_runs (void **state)
{
  Fixture *f = *state;
  g_autofree char *lines_path = path_in (f, "inc.jsonl");
  g_autofree char *array_path = path_in (f, "inc.json");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (Element) lines = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}",
                                           lines_path);
  g_autoptr (Element) array = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}",
                                           array_path);
  g_autoptr (Element) source = NULL;

  /* JSON lines: an incremental run appends, a failed one is cut back. */
  write_entities (lines, SLUICE_RUN_FLAG_FULL, 0, 5, 10, 0, TRUE);
  write_entities (lines, 0, 5, 3, 10, 0, TRUE);
  before = read_file (lines_path);
  write_entities (lines, 0, 8, 100, 10, 0, FALSE);
  after = read_file (lines_path);
  assert_string_equal (after, before);
  source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", lines_path);
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 0, 100, 0), 8);
  g_clear_pointer (&source, element_free);

  /* A JSON array: an incremental run replaces the file with its own entities. */
  write_entities (array, SLUICE_RUN_FLAG_FULL, 0, 5, 10, 0, TRUE);
  write_entities (array, 0, 5, 3, 10, 0, TRUE);
  source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", array_path);
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 5, 100, 0), 3);
}

static void
test_write_error (void **state)
{
  g_autoptr (Element) sink = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  g_autoptr (SluiceValue) body = make_body (1, 0);

  /* /dev/full fails every write with ENOSPC; an incremental JSON lines run appends to it in
   * place. */
  if (!g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    skip ();
  sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"/dev/full\", \"format\": \"jsonl\"}");
  assert_true (sink_cb (sink)->begin (sink->instance, 0, &error));
  sluice_batch_take (batch, sluice_entity_new (body, NULL));
  assert_int_equal (sink_cb (sink)->write (sink->instance, batch, &error), SLUICE_FLOW_ERROR);
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_IO));
  assert_string_equal (error->message, "file sink: cannot write '/dev/full': No space left on device");
  assert_true (sink_cb (sink)->end (sink->instance, FALSE, NULL));
}

static void
test_sink_cannot_create (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "no-such-dir/out.json");
  g_autofree char *expected = NULL;
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (GError) error = NULL;

  assert_false (sink_cb (sink)->begin (sink->instance, SLUICE_RUN_FLAG_FULL, &error));
  expected = g_strdup_printf ("file sink: cannot create '%s.tmp': %s", path, g_strerror (ENOENT));
  assert_string_equal (error->message, expected);
}

/* The sink's checkpoint protocol, as the host drives it (sluice-run.c): begin_at with the stored
 * position, checkpoint before each commit of an offset, and once more after a successful end. */

/* Writes entities [@first, @first + @n) in batches of 10. */
static void
write_range (Element *sink, size_t first, size_t n)
{
  g_autoptr (GError) error = NULL;

  for (size_t i = first; i < first + n;)
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      for (size_t k = 0; k < 10 && i < first + n; k++, i++)
        {
          g_autoptr (SluiceValue) body = make_body (i, 0);

          sluice_batch_take (batch, sluice_entity_new (body, NULL));
        }
      assert_int_equal (sink_cb (sink)->write (sink->instance, batch, &error), SLUICE_FLOW_OK);
      assert_null (error);
    }
}

static SluiceValue *
checkpoint (Element *sink)
{
  g_autoptr (GError) error = NULL;
  SluiceValue *position = sink_cb (sink)->checkpoint (sink->instance, &error);

  assert_null (error);
  assert_non_null (position);
  return position;
}

static void
begin_at (Element *sink, uint32_t run_flags, const SluiceValue *position)
{
  g_autoptr (GError) error = NULL;

  assert_true (sink_cb (sink)->begin_at (sink->instance, run_flags, position, &error));
  assert_null (error);
}

/* Appends @text to @path, as a killed process leaves a half-written entity. */
static void
append_text (const char *path, const char *text)
{
  FILE *file = fopen (path, "a");

  assert_non_null (file);
  fputs (text, file);
  fclose (file);
}

/* A full run killed after its checkpoint, with half an entity written after it: the next run
 * continues the temporary file from the checkpoint, and the file holds every entity once. */
static void
resume_after_kill (Fixture *f, const char *name)
{
  g_autofree char *path = path_in (f, name);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autoptr (Element) killed = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (Element) next = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", path);
  g_autoptr (SluiceValue) position = NULL, final = NULL;
  g_autoptr (GError) error = NULL;

  begin_at (killed, SLUICE_RUN_FLAG_FULL, NULL);
  write_range (killed, 0, 20);
  position = checkpoint (killed);
  write_range (killed, 20, 7);
  /* The process dies.  (Destroying the instance cuts its file back to the checkpoint; the half
   * entity appended next stands for what a SIGKILL in the middle of a write leaves.) */
  g_clear_pointer (&killed, element_free);
  append_text (tmp, "{\"_id\": \"e-2");
  assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  begin_at (next, SLUICE_RUN_FLAG_FULL | SLUICE_RUN_FLAG_RESUMED, position);
  write_range (next, 20, 30);
  assert_true (sink_cb (next)->end (next->instance, TRUE, &error));
  final = checkpoint (next);
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 0, 100, 0), 50);
  assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  {
    g_autofree char *text = sluice_value_to_json (final);
    g_autofree char *contents = read_file (path);
    g_autofree char *expected = g_strdup_printf ("{\"file\":\"path\",\"size\":%zu}",
                                                 strlen (contents));

    assert_string_equal (text, expected);
  }
}

static void
test_resume_after_kill (void **state)
{
  resume_after_kill (*state, "resumed.json");
  resume_after_kill (*state, "resumed.jsonl");
}

/* An incremental JSON lines run killed after it appended: the next run cuts the file back to
 * what the last committed run left, then appends. */
static void
test_append_after_kill (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "appended.jsonl");
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", path);
  g_autoptr (SluiceValue) committed = NULL;
  g_autoptr (GError) error = NULL;

  begin_at (sink, SLUICE_RUN_FLAG_FULL, NULL);
  write_range (sink, 0, 5);
  assert_true (sink_cb (sink)->end (sink->instance, TRUE, &error));
  committed = checkpoint (sink);

  /* A killed incremental run appended entities and half of another. */
  begin_at (sink, 0, committed);
  write_range (sink, 5, 3);
  append_text (path, "{\"_id\": \"e-8\", \"n\"");

  begin_at (sink, 0, committed);
  write_range (sink, 5, 4);
  assert_true (sink_cb (sink)->end (sink->instance, TRUE, &error));
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 0, 100, 0), 9);
}

/* What a run cannot continue from is refused, or has the host start the full run over. */
static void
test_positions_refused (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "refused.jsonl");
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (SluiceValue) in_tmp = sluice_value_from_json ("{\"file\": \"tmp\", \"size\": 10}", -1,
                                                           NULL);
  g_autoptr (SluiceValue) too_long = sluice_value_from_json (
    "{\"file\": \"path\", \"size\": 100000}", -1, NULL);
  g_autoptr (SluiceValue) foreign = sluice_value_from_json ("{\"offset\": 3}", -1, NULL);
  g_autofree char *expected = NULL;
  uint32_t resumed = SLUICE_RUN_FLAG_FULL | SLUICE_RUN_FLAG_RESUMED;

  /* A resumed full run whose temporary file is gone, or that has no checkpoint, starts over. */
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;

      assert_false (sink_cb (sink)->begin_at (sink->instance, resumed, i == 0 ? in_tmp : NULL,
                                              &error));
      assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_RESTART_FULL_RUN));
    }

  /* A file shorter than the last run left it was changed outside sluice. */
  write_entities (sink, SLUICE_RUN_FLAG_FULL, 0, 2, 10, 0, TRUE);
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *contents = read_file (path);

    assert_false (sink_cb (sink)->begin_at (sink->instance, 0, too_long, &error));
    expected = g_strdup_printf ("file sink: '%s' is %zu bytes, shorter than the 100000 bytes the "
                                "last run left in it: it was changed outside sluice; reset the "
                                "pipe so that a full run writes it anew",
                                path, strlen (contents));
    assert_string_equal (error->message, expected);
    g_clear_pointer (&expected, g_free);
  }

  /* A position of some other sink. */
  {
    g_autoptr (GError) error = NULL;

    assert_false (sink_cb (sink)->begin_at (sink->instance, 0, foreign, &error));
    assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA));
    expected = g_strdup_printf ("file sink: '%s': the stored position {\"offset\":3} is not one "
                                "of this sink's",
                                path);
    assert_string_equal (error->message, expected);
  }
}

/* A failed run that checkpointed keeps its temporary file, cut back to the checkpoint, for the
 * next run to continue; the published file stays as it was. */
static void
test_failed_run_keeps_checkpoint (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = path_in (f, "failed.json");
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autoptr (Element) sink = element_new (SLUICE_ELEMENT_KIND_SINK, "{\"path\": \"%s\"}", path);
  g_autoptr (Element) source = element_new (SLUICE_ELEMENT_KIND_SOURCE, "{\"path\": \"%s\"}", path);
  g_autoptr (SluiceValue) position = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL, *after = NULL;

  write_entities (sink, SLUICE_RUN_FLAG_FULL, 0, 3, 10, 0, TRUE);
  before = read_file (path);
  begin_at (sink, SLUICE_RUN_FLAG_FULL, NULL);
  write_range (sink, 0, 10);
  position = checkpoint (sink);
  write_range (sink, 10, 5);
  assert_true (sink_cb (sink)->end (sink->instance, FALSE, &error));
  after = read_file (path);
  assert_string_equal (after, before);
  assert_true (g_file_test (tmp, G_FILE_TEST_EXISTS));

  begin_at (sink, SLUICE_RUN_FLAG_FULL | SLUICE_RUN_FLAG_RESUMED, position);
  write_range (sink, 10, 10);
  assert_true (sink_cb (sink)->end (sink->instance, TRUE, &error));
  assert_int_equal (read_and_check (source, SLUICE_RUN_FLAG_FULL, NULL, 0, 100, 0), 20);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_descriptor),
    cmocka_unit_test_setup_teardown (test_round_trip_json, setup, teardown),
    cmocka_unit_test_setup_teardown (test_round_trip_jsonl, setup, teardown),
    cmocka_unit_test_setup_teardown (test_format_option, setup, teardown),
    cmocka_unit_test_setup_teardown (test_large_file_constant_memory, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bad_json, setup, teardown),
    cmocka_unit_test_setup_teardown (test_truncated_json, setup, teardown),
    cmocka_unit_test_setup_teardown (test_entity_without_id, setup, teardown),
    cmocka_unit_test_setup_teardown (test_entity_with_nul_in_id, setup, teardown),
    cmocka_unit_test_setup_teardown (test_duplicate_keys, setup, teardown),
    cmocka_unit_test_setup_teardown (test_since, setup, teardown),
    cmocka_unit_test_setup_teardown (test_if_source_empty, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failed_run_keeps_old_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_empty_run, setup, teardown),
    cmocka_unit_test_setup_teardown (test_incremental_runs, setup, teardown),
    cmocka_unit_test (test_write_error),
    cmocka_unit_test_setup_teardown (test_sink_cannot_create, setup, teardown),
    cmocka_unit_test_setup_teardown (test_resume_after_kill, setup, teardown),
    cmocka_unit_test_setup_teardown (test_append_after_kill, setup, teardown),
    cmocka_unit_test_setup_teardown (test_positions_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failed_run_keeps_checkpoint, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
