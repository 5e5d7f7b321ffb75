/* test-registry.c — the plugin loader and element registry (core/registry/sluice-registry.c).
 *
 * Loads the test plugins of tests/plugins/ (good and deliberately broken) from the build tree and
 * asserts what a user sees: the problem message, the warning logged with it, and what a lookup of
 * the type the broken plugin would have provided says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "sluice-registry.h"

static GPtrArray *warnings; /* messages of the warnings logged, in order */

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & G_LOG_LEVEL_WARNING)
    {
      for (gsize i = 0; i < n_fields; i++)
        if (strcmp (fields[i].key, "MESSAGE") == 0)
          g_ptr_array_add (warnings, g_strdup (fields[i].value));
      return G_LOG_WRITER_HANDLED;
    }
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static char *
plugin_path (const char *name)
{
  const char *builddir = g_getenv ("SLUICE_TEST_BUILDDIR");
  g_autofree char *file = g_strdup_printf ("sluice-%s.so", name);

  assert_non_null (builddir);
  return g_build_filename (builddir, "tests", "plugins", file, NULL);
}

static int
setup (void **state)
{
  g_ptr_array_set_size (warnings, 0);
  g_unsetenv ("SLUICE_PLUGIN_PATH");
  g_unsetenv ("SLUICE_TEST_GOOD_ONE");
  return 0;
}

/* Loads one broken plugin and checks the error, the recorded problem and the logged warning all
 * carry "<path>: <reason>". */
static void
assert_refused (const char *name, int code, const char *reason)
{
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autofree char *path = plugin_path (name);
  g_autofree char *expected = g_strdup_printf ("%s: %s", path, reason);
  g_autoptr (GError) error = NULL;
  const GPtrArray *problems;
  SluicePluginProblem *problem;

  assert_false (sluice_registry_load_file (registry, path, &error));
  assert_non_null (error);
  assert_true (error->domain == SLUICE_REGISTRY_ERROR);
  assert_string_equal (error->message, expected);
  assert_int_equal (error->code, code);

  assert_int_equal (sluice_registry_get_plugins (registry)->len, 0);
  problems = sluice_registry_get_problems (registry);
  assert_int_equal (problems->len, 1);
  problem = g_ptr_array_index (problems, 0);
  assert_string_equal (problem->file, path);
  assert_string_equal (problem->message, expected);
  assert_int_equal (problem->code, code);

  assert_int_equal (warnings->len, 1);
  assert_string_equal (g_ptr_array_index (warnings, 0), expected);
}

static void
test_good_plugin (void **state)
{
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autofree char *path = plugin_path ("good-one");
  g_autoptr (GError) error = NULL;
  const SluicePluginInfo *info, *found = NULL;
  const SluiceElementDescriptor *element;
  const SluiceSourceCallbacks *callbacks;

  assert_true (sluice_registry_load_file (registry, path, &error));
  assert_null (error);
  assert_int_equal (sluice_registry_get_problems (registry)->len, 0);
  assert_int_equal (warnings->len, 0);
  assert_string_equal (g_getenv ("SLUICE_TEST_GOOD_ONE"), "init");

  assert_int_equal (sluice_registry_get_plugins (registry)->len, 1);
  info = g_ptr_array_index (sluice_registry_get_plugins (registry), 0);
  assert_string_equal (info->file, path);
  assert_string_equal (info->descriptor->name, "good_one");
  assert_string_equal (info->descriptor->version, "1.2.3");
  assert_string_equal (info->descriptor->license, "MIT");
  assert_non_null (info->descriptor->elements[3]);
  assert_null (info->descriptor->elements[4]);
  assert_string_equal (info->descriptor->elements[2]->type_name, "system:good");

  element = sluice_registry_lookup_element (registry, 0, "good-source", &found, &error);
  assert_non_null (element);
  assert_ptr_equal (found, info);
  assert_int_equal (element->kind, SLUICE_ELEMENT_KIND_SOURCE);
  assert_int_equal (element->flags, SLUICE_ELEMENT_FLAG_BLOCKING);
  callbacks = element->callbacks;
  assert_int_equal (callbacks->struct_size, sizeof (SluiceSourceCallbacks));
  assert_null (callbacks->read);

  element = sluice_registry_lookup_element (registry, 0, "pattern:good", NULL, &error);
  assert_non_null (element);
  assert_int_equal (element->kind, SLUICE_ELEMENT_KIND_PATTERN);

  g_clear_object (&registry);
  assert_string_equal (g_getenv ("SLUICE_TEST_GOOD_ONE"), "deinit");
}

static void
test_missing_symbol (void **state)
{
  assert_refused ("no-symbol", SLUICE_REGISTRY_ERROR_NO_SYMBOL,
                  "does not export the entry point sluice_plugin_no_symbol_get_descriptor () (is "
                  "it built with SLUICE_PLUGIN_DEFINE (no_symbol, …)?)");
}

static void
test_bad_magic (void **state)
{
  assert_refused ("bad-magic", SLUICE_REGISTRY_ERROR_BAD_MAGIC,
                  "bad magic 0xdeadbeef in the plugin descriptor (expected 0x534c5047, \"SLPG\"): "
                  "not a sluice plugin, or a corrupted one");
}

static void
test_newer_minor (void **state)
{
  assert_refused ("newer-minor", SLUICE_REGISTRY_ERROR_ABI_MISMATCH,
                  "plugin ABI 1.2 is newer than this host's ABI 1.1");
}

static void
test_other_major (void **state)
{
  assert_refused ("other-major", SLUICE_REGISTRY_ERROR_ABI_MISMATCH,
                  "plugin ABI 2.0 is of another major version; this host implements ABI 1.1");
}

static void
test_wrong_name (void **state)
{
  assert_refused ("wrong-name", SLUICE_REGISTRY_ERROR_BAD_NAME,
                  "declares name 'somebody-else' but its file name says 'wrong-name' (expected "
                  "sluice-somebody-else.so)");
}

static void
test_small_struct (void **state)
{
  g_autofree char *reason = g_strdup_printf (
    "plugin descriptor struct_size is 16, smaller than ABI 1.0's %zu bytes of "
    "SluicePluginDescriptor",
    sizeof (SluicePluginDescriptor));

  assert_refused ("small-struct", SLUICE_REGISTRY_ERROR_BAD_SIZE, reason);
}

static void
test_small_element (void **state)
{
  g_autofree char *reason = g_strdup_printf (
    "element #1 has struct_size 8, smaller than ABI 1.0's %zu bytes of SluiceElementDescriptor",
    sizeof (SluiceElementDescriptor));

  assert_refused ("small-element", SLUICE_REGISTRY_ERROR_BAD_SIZE, reason);
}

static void
test_init_fails (void **state)
{
  assert_refused ("init-fails", SLUICE_REGISTRY_ERROR_INIT,
                  "init failed: cannot reach the license server");
}

static void
test_bad_options (void **state)
{
  assert_refused ("bad-options", SLUICE_REGISTRY_ERROR_BAD_ELEMENT,
                  "element 'bad-options-source': option 'batch_size' has a default of type string "
                  "(\"ten\"), but the option accepts integer");
}

static void
test_unresolved_symbol (void **state)
{
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autofree char *path = plugin_path ("unresolved");
  g_autofree char *prefix = g_strdup_printf ("%s: cannot be loaded: ", path);
  g_autoptr (GError) error = NULL;

  /* Refused at load time, not when the missing function is first called. */
  assert_false (sluice_registry_load_file (registry, path, &error));
  assert_int_equal (error->code, SLUICE_REGISTRY_ERROR_OPEN);
  assert_true (g_str_has_prefix (error->message, prefix));
  assert_non_null (strstr (error->message, "sluice_test_function_that_does_not_exist"));
}

static void
test_not_a_plugin_file_name (void **state)
{
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autoptr (GError) error = NULL;

  assert_false (sluice_registry_load_file (registry, "/nowhere/libfoo.so", &error));
  assert_int_equal (error->code, SLUICE_REGISTRY_ERROR_BAD_NAME);
  assert_string_equal (error->message,
                       "/nowhere/libfoo.so: the file name is not of the form sluice-<name>.so "
                       "(<name> made of letters, digits, '-' and '_')");
}

static void
test_duplicate_type (void **state)
{
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autofree char *good = plugin_path ("good-one");
  g_autofree char *dup = plugin_path ("duplicate");
  g_autofree char *expected = g_strdup_printf (
    "%s: source type 'good-source' is already provided by %s", dup, good);
  g_autofree char *expected_lookup = NULL;
  g_autoptr (GError) error = NULL;
  const SluicePluginInfo *found = NULL;

  assert_true (sluice_registry_load_file (registry, good, NULL));
  assert_false (sluice_registry_load_file (registry, dup, &error));
  assert_int_equal (error->code, SLUICE_REGISTRY_ERROR_DUPLICATE);
  assert_string_equal (error->message, expected);
  assert_string_equal (g_ptr_array_index (warnings, 0), expected);
  g_clear_error (&error);

  /* The first plugin keeps its type; the refused one provides nothing, not even its other type. */
  assert_non_null (sluice_registry_lookup_element (registry, 0, "good-source", &found, NULL));
  assert_string_equal (found->file, good);
  assert_null (sluice_registry_lookup_element (registry, 0, "duplicate-other-source", NULL, &error));
  expected_lookup = g_strdup_printf ("element type 'duplicate-other-source' is provided by a "
                                     "plugin that could not be loaded: %s",
                                     expected);
  assert_int_equal (error->code, SLUICE_REGISTRY_ERROR_UNKNOWN_TYPE);
  assert_string_equal (error->message, expected_lookup);
}

static void
test_lookup_broken_and_unknown (void **state)
{
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autofree char *good = plugin_path ("good-one");
  g_autofree char *newer = plugin_path ("newer-minor");
  g_autofree char *magic = plugin_path ("bad-magic");
  g_autofree char *expected = NULL;
  g_autoptr (GError) error = NULL;

  assert_true (sluice_registry_load_file (registry, good, NULL));
  assert_false (sluice_registry_load_file (registry, newer, NULL));

  /* A newer minor ABI only appends fields, so the host can still tell which types it lacks. */
  assert_null (sluice_registry_lookup_element (registry, 0, "newer-minor-source", NULL, &error));
  expected = g_strdup_printf ("element type 'newer-minor-source' is provided by a plugin that "
                              "could not be loaded: %s: plugin ABI 1.2 is newer than this host's "
                              "ABI 1.1",
                              newer);
  assert_string_equal (error->message, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  assert_null (sluice_registry_lookup_element (registry, 0, "good-sourec", NULL, &error));
  assert_int_equal (error->code, SLUICE_REGISTRY_ERROR_UNKNOWN_TYPE);
  assert_string_equal (error->message,
                       "unknown element type 'good-sourec' (did you mean 'good-source'?)");
  g_clear_error (&error);

  /* A plugin whose descriptor could not be read at all might have provided anything. */
  assert_false (sluice_registry_load_file (registry, magic, NULL));
  assert_null (sluice_registry_lookup_element (registry, 0, "xml", NULL, &error));
  expected = g_strdup_printf ("unknown element type 'xml'; these plugins failed to load and "
                              "might provide it: %s",
                              magic);
  assert_string_equal (error->message, expected);
}

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("sluice-test-registry-XXXXXX", &error);

  assert_non_null (dir);
  return dir;
}

static void
link_plugin (const char *dir, const char *name)
{
  g_autofree char *target = plugin_path (name);
  g_autofree char *file = g_strdup_printf ("sluice-%s.so", name);
  g_autofree char *link = g_build_filename (dir, file, NULL);

  assert_int_equal (symlink (target, link), 0);
}

static void
copy_plugin (const char *dir, const char *name, int mode)
{
  g_autofree char *source = plugin_path (name);
  g_autofree char *file = g_strdup_printf ("sluice-%s.so", name);
  g_autofree char *dest = g_build_filename (dir, file, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;

  assert_true (g_file_get_contents (source, &contents, &length, NULL));
  assert_true (g_file_set_contents (dest, contents, length, NULL));
  assert_int_equal (g_chmod (dest, mode), 0);
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  assert_non_null (handle);
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      assert_int_equal (g_unlink (path), 0);
    }
  assert_int_equal (g_rmdir (dir), 0);
}

static void
test_scan_order (void **state)
{
  g_autofree char *env_dir = make_temp_dir ();
  g_autofree char *extra_dir = make_temp_dir ();
  g_autofree char *missing = g_build_filename (env_dir, "missing", NULL);
  g_autofree char *path_value = g_strconcat (env_dir, ":", missing, NULL);
  g_autofree char *not_plugin = g_build_filename (env_dir, "libsomething.so", NULL);
  g_autofree char *versioned = g_build_filename (env_dir, "sluice-x.so.1", NULL);
  g_autofree char *magic = g_build_filename (extra_dir, "sluice-bad-magic.so", NULL);
  const char *extra[] = { extra_dir, NULL };
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  const GPtrArray *plugins, *problems;
  const SluicePluginInfo *info;
  g_autofree char *expected_warning = g_strdup_printf ("plugin directory %s cannot be read: ",
                                                       missing);

  link_plugin (env_dir, "good-two");
  link_plugin (env_dir, "good-one");
  assert_true (g_file_set_contents (not_plugin, "not a plugin", -1, NULL));
  assert_true (g_file_set_contents (versioned, "not a plugin", -1, NULL));
  link_plugin (extra_dir, "good-one"); /* shadowed by the one in SLUICE_PLUGIN_PATH */
  link_plugin (extra_dir, "bad-magic");

  g_setenv ("SLUICE_PLUGIN_PATH", path_value, TRUE);
  sluice_registry_scan (registry, extra, FALSE);

  plugins = sluice_registry_get_plugins (registry);
  assert_int_equal (plugins->len, 2);
  info = g_ptr_array_index (plugins, 0);
  assert_string_equal (info->descriptor->name, "good_one");
  assert_true (g_str_has_prefix (info->file, env_dir));
  info = g_ptr_array_index (plugins, 1);
  assert_string_equal (info->descriptor->name, "good_two");

  problems = sluice_registry_get_problems (registry);
  assert_int_equal (problems->len, 1);
  assert_string_equal (((SluicePluginProblem *) g_ptr_array_index (problems, 0))->file, magic);

  /* The directory in SLUICE_PLUGIN_PATH that does not exist is worth a warning, not a problem. */
  assert_int_equal (warnings->len, 2);
  assert_true (g_str_has_prefix (g_ptr_array_index (warnings, 0), expected_warning));

  g_clear_object (&registry);
  remove_tree (env_dir);
  remove_tree (extra_dir);
}

/* SLUICE_PLUGIN_SYSTEM_DIR replaces the installed directory, and "" turns it off. */
static void
test_system_dir_variable (void **state)
{
  g_autofree char *dir = make_temp_dir ();

  assert_int_equal (g_chmod (dir, 0755), 0);
  copy_plugin (dir, "good-one", 0755);

  g_setenv ("SLUICE_PLUGIN_SYSTEM_DIR", dir, TRUE);
  {
    g_autoptr (SluiceRegistry) registry = sluice_registry_new ();

    assert_string_equal (sluice_registry_get_installed_dir (registry), dir);
    sluice_registry_scan (registry, NULL, TRUE);
    assert_int_equal (sluice_registry_get_plugins (registry)->len, 1);
  }

  g_setenv ("SLUICE_PLUGIN_SYSTEM_DIR", "", TRUE);
  {
    g_autoptr (SluiceRegistry) registry = sluice_registry_new ();

    sluice_registry_scan (registry, NULL, TRUE);
    assert_int_equal (sluice_registry_get_plugins (registry)->len, 0);
    assert_int_equal (sluice_registry_get_problems (registry)->len, 0);
  }
  g_unsetenv ("SLUICE_PLUGIN_SYSTEM_DIR");
}

static void
test_installed_dir_unsafe (void **state)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *good = g_build_filename (dir, "sluice-good-one.so", NULL);
  g_autofree char *unsafe = g_build_filename (dir, "sluice-good-two.so", NULL);
  g_autofree char *expected = NULL;
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autoptr (SluiceRegistry) registry2 = sluice_registry_new ();
  const GPtrArray *problems;
  SluicePluginProblem *problem;

  assert_int_equal (g_chmod (dir, 0755), 0);
  copy_plugin (dir, "good-one", 0755);
  copy_plugin (dir, "good-two", 0775);

  sluice_registry_set_installed_dir (registry, dir);
  assert_string_equal (sluice_registry_get_installed_dir (registry), dir);
  sluice_registry_scan (registry, NULL, TRUE);

  assert_int_equal (sluice_registry_get_plugins (registry)->len, 1);
  problems = sluice_registry_get_problems (registry);
  assert_int_equal (problems->len, 1);
  problem = g_ptr_array_index (problems, 0);
  expected = g_strdup_printf ("%s: refusing to load from the installed plugin file: it is "
                              "writable by group (mode 0775; expected at most 0755)",
                              unsafe);
  assert_int_equal (problem->code, SLUICE_REGISTRY_ERROR_UNSAFE);
  assert_string_equal (problem->message, expected);
  g_clear_pointer (&expected, g_free);

  /* A directory anyone may write to is refused as a whole. */
  assert_int_equal (g_chmod (dir, 0757), 0);
  sluice_registry_set_installed_dir (registry2, dir);
  sluice_registry_scan (registry2, NULL, TRUE);
  assert_int_equal (sluice_registry_get_plugins (registry2)->len, 0);
  problems = sluice_registry_get_problems (registry2);
  assert_int_equal (problems->len, 1);
  expected = g_strdup_printf ("%s: refusing to load from the installed plugin directory: it is "
                              "writable by others (mode 0757; expected at most 0755)",
                              dir);
  assert_string_equal (((SluicePluginProblem *) g_ptr_array_index (problems, 0))->message,
                       expected);

  /* The same files found through --plugin-dir are the user's explicit choice: no mode check. */
  {
    g_autoptr (SluiceRegistry) registry3 = sluice_registry_new ();
    const char *extra[] = { dir, NULL };

    sluice_registry_scan (registry3, extra, FALSE);
    assert_int_equal (sluice_registry_get_plugins (registry3)->len, 2);
  }

  g_clear_object (&registry);
  g_clear_object (&registry2);
  assert_int_equal (g_chmod (dir, 0700), 0);
  remove_tree (dir);
}

/* Static descriptors, for the element checks that need no module of their own. */
static const SluiceSourceCallbacks source_callbacks = { SLUICE_SOURCE_CALLBACKS_INIT };
static const SluiceSinkCallbacks small_sink_callbacks = { .struct_size = 8 };

static gboolean
static_refused (const SluiceElementDescriptor *element, int code, const char *expected)
{
  const SluiceElementDescriptor *elements[] = { element, NULL };
  SluicePluginDescriptor descriptor = {
    .magic = SLUICE_PLUGIN_MAGIC,
    .abi_major = SLUICE_PLUGIN_ABI_MAJOR,
    .abi_minor = SLUICE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof (SluicePluginDescriptor),
    .name = "checks",
    .elements = elements,
  };
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autoptr (GError) error = NULL;

  assert_false (sluice_registry_add_static (registry, &descriptor, &error));
  assert_int_equal (error->code, code);
  assert_string_equal (error->message, expected);
  return TRUE;
}

static void
test_static_element_checks (void **state)
{
  SluiceElementDescriptor e = {
    SLUICE_ELEMENT_DESCRIPTOR_INIT,
    .kind = SLUICE_ELEMENT_KIND_SOURCE,
    .type_name = "x",
    .callbacks = &source_callbacks,
  };
  SluiceElementDescriptor bad;

  bad = e, bad.kind = 9;
  static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_ELEMENT,
                  "static:checks: element 'x' has unknown kind 9 (expected 1 to 5: source, sink, "
                  "transform, system, pattern)");
  bad = e, bad.type_name = "";
  static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_ELEMENT,
                  "static:checks: element #1 has no type name");
  bad = e, bad.kind = SLUICE_ELEMENT_KIND_SYSTEM;
  static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_ELEMENT,
                  "static:checks: system element 'x' must have a type name of the form "
                  "'system:<kind>'");
  bad = e, bad.kind = SLUICE_ELEMENT_KIND_PATTERN, bad.type_name = "pattern:";
  static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_ELEMENT,
                  "static:checks: pattern element 'pattern:' must have a type name of the form "
                  "'pattern:<kind>'");
  bad = e, bad.type_name = "system:url";
  static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_ELEMENT,
                  "static:checks: source element 'system:url' uses a prefix reserved for systems "
                  "and patterns");
  bad = e, bad.callbacks = NULL;
  static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_ELEMENT,
                  "static:checks: element 'x' has no callbacks table");
  bad = e, bad.flags = 1u << 5;
  static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_ELEMENT,
                  "static:checks: element 'x' has unknown flag bits 0x20");
  bad = e, bad.option_struct_size = 4, bad.options = (const SluiceOptionSpec[]) { { NULL } };
  {
    g_autofree char *expected = g_strdup_printf (
      "static:checks: element 'x' has option_struct_size 4, smaller than ABI 1.0's %zu bytes of "
      "SluiceOptionSpec",
      sizeof (SluiceOptionSpec));

    static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_SIZE, expected);
  }
  bad = e, bad.kind = SLUICE_ELEMENT_KIND_SINK, bad.callbacks = &small_sink_callbacks;
  {
    g_autofree char *expected = g_strdup_printf (
      "static:checks: element 'x' has a callbacks table of 8 bytes, smaller than ABI 1.0's %zu "
      "bytes of SluiceSinkCallbacks",
      offsetof (SluiceSinkCallbacks, end) + sizeof (((SluiceSinkCallbacks *) 0)->end));

    static_refused (&bad, SLUICE_REGISTRY_ERROR_BAD_SIZE, expected);
  }
}

static void
test_static_plugin_checks (void **state)
{
  static const SluiceElementDescriptor source = {
    SLUICE_ELEMENT_DESCRIPTOR_INIT,
    .kind = SLUICE_ELEMENT_KIND_SOURCE,
    .type_name = "static-source",
    .callbacks = &source_callbacks,
  };
  const SluiceElementDescriptor *twice[] = { &source, &source, NULL };
  const SluiceElementDescriptor *none[] = { NULL };
  SluicePluginDescriptor d = {
    .magic = SLUICE_PLUGIN_MAGIC,
    .abi_major = SLUICE_PLUGIN_ABI_MAJOR,
    .abi_minor = SLUICE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof (SluicePluginDescriptor),
    .name = "static-one",
    .elements = twice,
  };
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autoptr (GError) error = NULL;
  const SluicePluginInfo *info = NULL;

  assert_false (sluice_registry_add_static (registry, &d, &error));
  assert_string_equal (error->message,
                       "static:static-one: source type 'static-source' is declared twice");
  g_clear_error (&error);

  d.elements = none;
  assert_false (sluice_registry_add_static (registry, &d, &error));
  assert_string_equal (error->message, "static:static-one: the plugin declares no elements");
  g_clear_error (&error);

  d.elements = twice + 1;
  assert_true (sluice_registry_add_static (registry, &d, &error));
  assert_non_null (sluice_registry_lookup_element (registry, 0, "static-source", &info, NULL));
  assert_string_equal (info->file, "static:static-one");

  /* Two static plugins of the same name would be indistinguishable in every message. */
  assert_false (sluice_registry_add_static (registry, &d, &error));
  assert_string_equal (error->message,
                       "static:static-one: a plugin named 'static-one' is already loaded from "
                       "static:static-one");
}

static void
test_describe (void **state)
{
  static const char expected[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
    "\"title\":\"good-source\",\"description\":\"Reads nothing, well.\","
    "\"x-sluice-kind\":\"source\",\"x-sluice-plugin\":\"good_one\",\"x-sluice-blocking\":true,"
    "\"type\":\"object\",\"properties\":{"
    "\"url\":{\"type\":\"string\",\"description\":\"Where to read from.\"},"
    "\"page_size\":{\"type\":\"integer\",\"description\":\"Entities per request.\","
    "\"default\":100},"
    "\"mode\":{\"type\":\"string\",\"description\":\"How to read.\",\"default\":\"full\","
    "\"enum\":[\"full\",\"incremental\"]},"
    "\"auth\":{\"type\":\"object\",\"description\":\"Credentials.\",\"properties\":{"
    "\"user\":{\"type\":\"string\",\"description\":\"The user name.\"},"
    "\"password\":{\"type\":\"string\",\"description\":\"The password.\",\"writeOnly\":true}},"
    "\"required\":[\"user\"],\"additionalProperties\":false},"
    "\"headers\":{\"type\":[\"object\",\"null\"],\"description\":\"Extra HTTP headers.\","
    "\"default\":null}},"
    "\"required\":[\"url\"],\"additionalProperties\":false}";
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autofree char *path = plugin_path ("good-one");
  g_autoptr (JsonNode) schema = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  assert_true (sluice_registry_load_file (registry, path, NULL));
  schema = sluice_registry_describe_element (registry, "good-source", &error);
  assert_non_null (schema);
  text = json_to_string (schema, FALSE);
  assert_string_equal (text, expected);

  assert_null (sluice_registry_describe_element (registry, "good-sinc", &error));
  assert_string_equal (error->message,
                       "unknown element type 'good-sinc' (did you mean 'good-sink'?)");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup (test_good_plugin, setup),
    cmocka_unit_test_setup (test_missing_symbol, setup),
    cmocka_unit_test_setup (test_bad_magic, setup),
    cmocka_unit_test_setup (test_newer_minor, setup),
    cmocka_unit_test_setup (test_other_major, setup),
    cmocka_unit_test_setup (test_wrong_name, setup),
    cmocka_unit_test_setup (test_small_struct, setup),
    cmocka_unit_test_setup (test_small_element, setup),
    cmocka_unit_test_setup (test_init_fails, setup),
    cmocka_unit_test_setup (test_bad_options, setup),
    cmocka_unit_test_setup (test_unresolved_symbol, setup),
    cmocka_unit_test_setup (test_not_a_plugin_file_name, setup),
    cmocka_unit_test_setup (test_duplicate_type, setup),
    cmocka_unit_test_setup (test_lookup_broken_and_unknown, setup),
    cmocka_unit_test_setup (test_scan_order, setup),
    cmocka_unit_test_setup (test_installed_dir_unsafe, setup),
    cmocka_unit_test_setup (test_system_dir_variable, setup),
    cmocka_unit_test_setup (test_static_element_checks, setup),
    cmocka_unit_test_setup (test_static_plugin_checks, setup),
    cmocka_unit_test_setup (test_describe, setup),
  };
  int failed;

  warnings = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  failed = cmocka_run_group_tests_name ("registry", tests, NULL, NULL);
  g_ptr_array_unref (warnings);
  return failed;
}
