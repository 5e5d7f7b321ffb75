/* test-abi.c — the plugin ABI v1 layout has not moved.
 *
 * Compares sizeof and offsetof of every field of every descriptor struct with the committed table
 * tests/abi/abi-v1-lp64.txt.  A field that moved, changed size or disappeared breaks every plugin
 * already built; the failure names it.  Fields appended at the end of a struct (a new minor ABI) show
 * up as lines missing from the table: add them to the table in the same change that bumps
 * SLUICE_PLUGIN_ABI_MINOR.
 *
 * `test-abi --print` writes the current layout in the table's format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sluice-plugin-sdk.h>

typedef struct
{
  const char *name; /* "Struct" for the struct itself, "Struct.field" for a field */
  size_t offset;    /* 0 for the struct itself */
  size_t size;
} Layout;

#define STRUCT(type) { #type, 0, sizeof (type) }
#define FIELD(type, field) \
  { #type "." #field, offsetof (type, field), sizeof (((type *) 0)->field) }

static const Layout layout[] = {
  STRUCT (SluicePluginDescriptor),
  FIELD (SluicePluginDescriptor, magic),
  FIELD (SluicePluginDescriptor, abi_major),
  FIELD (SluicePluginDescriptor, abi_minor),
  FIELD (SluicePluginDescriptor, struct_size),
  FIELD (SluicePluginDescriptor, name),
  FIELD (SluicePluginDescriptor, version),
  FIELD (SluicePluginDescriptor, license),
  FIELD (SluicePluginDescriptor, description),
  FIELD (SluicePluginDescriptor, elements),
  FIELD (SluicePluginDescriptor, init),
  FIELD (SluicePluginDescriptor, deinit),

  STRUCT (SluiceElementDescriptor),
  FIELD (SluiceElementDescriptor, struct_size),
  FIELD (SluiceElementDescriptor, kind),
  FIELD (SluiceElementDescriptor, flags),
  FIELD (SluiceElementDescriptor, type_name),
  FIELD (SluiceElementDescriptor, description),
  FIELD (SluiceElementDescriptor, option_struct_size),
  FIELD (SluiceElementDescriptor, options),
  FIELD (SluiceElementDescriptor, callbacks),

  STRUCT (SluiceOptionSpec),
  FIELD (SluiceOptionSpec, key),
  FIELD (SluiceOptionSpec, types),
  FIELD (SluiceOptionSpec, flags),
  FIELD (SluiceOptionSpec, default_json),
  FIELD (SluiceOptionSpec, description),
  FIELD (SluiceOptionSpec, choices),
  FIELD (SluiceOptionSpec, properties),

  STRUCT (SluiceSourceCallbacks),
  FIELD (SluiceSourceCallbacks, struct_size),
  FIELD (SluiceSourceCallbacks, create),
  FIELD (SluiceSourceCallbacks, destroy),
  FIELD (SluiceSourceCallbacks, get_capabilities),
  FIELD (SluiceSourceCallbacks, open),
  FIELD (SluiceSourceCallbacks, read),
  FIELD (SluiceSourceCallbacks, close),

  STRUCT (SluiceSinkCallbacks),
  FIELD (SluiceSinkCallbacks, struct_size),
  FIELD (SluiceSinkCallbacks, create),
  FIELD (SluiceSinkCallbacks, destroy),
  FIELD (SluiceSinkCallbacks, begin),
  FIELD (SluiceSinkCallbacks, write),
  FIELD (SluiceSinkCallbacks, end),
  FIELD (SluiceSinkCallbacks, checkpoint),
  FIELD (SluiceSinkCallbacks, begin_at),

  STRUCT (SluiceTransformCallbacks),
  FIELD (SluiceTransformCallbacks, struct_size),
  FIELD (SluiceTransformCallbacks, create),
  FIELD (SluiceTransformCallbacks, destroy),
  FIELD (SluiceTransformCallbacks, transform),

  STRUCT (SluiceSystemCallbacks),
  FIELD (SluiceSystemCallbacks, struct_size),
  FIELD (SluiceSystemCallbacks, create),
  FIELD (SluiceSystemCallbacks, destroy),

  STRUCT (SluicePatternCallbacks),
  FIELD (SluicePatternCallbacks, struct_size),
  FIELD (SluicePatternCallbacks, expand),
};

/* Fixed-width types that cross the boundary by value. */
static const Layout scalar_types[] = {
  STRUCT (SluiceElementKind),
  STRUCT (SluiceFlow),
};

static char *
table_path (void)
{
  const char *srcdir = g_getenv ("SLUICE_TEST_SRCDIR");

  assert_non_null (srcdir);
  return g_build_filename (srcdir, "tests", "abi", "abi-v1-lp64.txt", NULL);
}

/* Parses "name offset size" lines (# comments and blank lines skipped) into a name -> Layout map. */
static GHashTable *
load_table (void)
{
  g_autofree char *path = table_path ();
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  if (!g_file_get_contents (path, &contents, NULL, &error))
    fail_msg ("%s", error->message);
  lines = g_strsplit (contents, "\n", -1);
  for (size_t i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) words = NULL;
      Layout *entry;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      words = g_strsplit_set (lines[i], " \t", -1);
      {
        g_autoptr (GPtrArray) nonempty = g_ptr_array_new ();

        for (size_t j = 0; words[j] != NULL; j++)
          if (words[j][0] != '\0')
            g_ptr_array_add (nonempty, words[j]);
        if (nonempty->len != 3)
          fail_msg ("%s:%zu: expected \"name offset size\", got \"%s\"", path, i + 1, lines[i]);
        entry = g_new0 (Layout, 1);
        entry->name = g_intern_string (g_ptr_array_index (nonempty, 0));
        entry->offset = g_ascii_strtoull (g_ptr_array_index (nonempty, 1), NULL, 10);
        entry->size = g_ascii_strtoull (g_ptr_array_index (nonempty, 2), NULL, 10);
      }
      g_hash_table_insert (table, (gpointer) entry->name, entry);
    }
  return table;
}

static void
check_entries (GHashTable *table, const Layout *entries, size_t n, GString *failures)
{
  for (size_t i = 0; i < n; i++)
    {
      const Layout *committed = g_hash_table_lookup (table, entries[i].name);

      if (committed == NULL)
        {
          g_string_append_printf (failures,
                                  "  %s (offset %zu, size %zu) is not in the committed table\n",
                                  entries[i].name, entries[i].offset, entries[i].size);
          continue;
        }
      if (committed->offset != entries[i].offset || committed->size != entries[i].size)
        g_string_append_printf (failures,
                                "  %s moved: the committed table says offset %zu size %zu, this "
                                "build has offset %zu size %zu\n",
                                entries[i].name, committed->offset, committed->size,
                                entries[i].offset, entries[i].size);
      g_hash_table_remove (table, entries[i].name);
    }
}

static void
test_layout_matches_table (void **state)
{
  g_autoptr (GHashTable) table = NULL;
  g_autoptr (GString) failures = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key;

  if (sizeof (void *) != 8 || sizeof (long) != 8)
    skip (); /* the committed table is for LP64 targets */

  table = load_table ();
  check_entries (table, layout, G_N_ELEMENTS (layout), failures);
  check_entries (table, scalar_types, G_N_ELEMENTS (scalar_types), failures);

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_string_append_printf (failures,
                            "  %s is in the committed table but no longer in the headers\n",
                            (const char *) key);

  if (failures->len > 0)
    fail_msg ("the plugin ABI v1 layout changed:\n%s", failures->str);
}

static void
test_version_constants (void **state)
{
  /* Changing either breaks every plugin built so far. */
  assert_int_equal (SLUICE_PLUGIN_MAGIC, 0x534c5047u);
  assert_int_equal (SLUICE_PLUGIN_ABI_MAJOR, 1);
  assert_int_equal (SLUICE_ELEMENT_KIND_SOURCE, 1);
  assert_int_equal (SLUICE_ELEMENT_KIND_PATTERN, 5);
  assert_int_equal (SLUICE_FLOW_OK, 0);
  assert_int_equal (SLUICE_FLOW_EOS, 1);
  assert_int_equal (SLUICE_FLOW_RETRY, -1);
  assert_int_equal (SLUICE_FLOW_ERROR, -2);
}

static void
print_table (void)
{
  printf ("# Plugin ABI v1 layout on LP64 targets: name, offset, size (bytes).\n"
          "# Checked by tests/unit/test-abi.c; regenerate with `test-abi --print` only when\n"
          "# appending fields in a new minor ABI, never to accept a moved field.\n");
  for (size_t i = 0; i < G_N_ELEMENTS (layout); i++)
    printf ("%s%-44s %3zu %3zu\n", layout[i].offset == 0 && !strchr (layout[i].name, '.') && i > 0
                                     ? "\n"
                                     : "",
            layout[i].name, layout[i].offset, layout[i].size);
  printf ("\n");
  for (size_t i = 0; i < G_N_ELEMENTS (scalar_types); i++)
    printf ("%-44s %3zu %3zu\n", scalar_types[i].name, scalar_types[i].offset,
            scalar_types[i].size);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_layout_matches_table),
    cmocka_unit_test (test_version_constants),
  };

  if (argc > 1 && strcmp (argv[1], "--print") == 0)
    {
      print_table ();
      return 0;
    }
  return cmocka_run_group_tests_name ("abi", tests, NULL, NULL);
}
