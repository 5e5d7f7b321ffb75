/* sluice-registry.c — finds, validates and loads plugin modules; maps element types to elements.
 *
 * Every descriptor a plugin hands over is untrusted memory of unknown vintage: the registry reads the
 * fixed ABI prefix (magic, versions, struct_size) first, then copies each struct into a zeroed
 * host-sized struct, never reading past the struct_size the plugin declared.  Everything the rest of
 * the host sees (SluicePluginInfo.descriptor, element and callback tables) is one of those host
 * copies; only strings and option tables still point into the module, which stays loaded as long as
 * the registry.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmodule.h>
#include <glib/gstdio.h>

#include "sluice-build-config.h"
#include "sluice-option-table.h"
#include "sluice-registry.h"

/* Sizes of the ABI 1.0 structs: the smallest a plugin may declare.  Written as "end of the last 1.0
 * field" so that they stay fixed when later minor versions append fields. */
#define END_OF(type, field) (offsetof (type, field) + sizeof (((type *) 0)->field))
#define PLUGIN_DESCRIPTOR_SIZE_1_0 END_OF (SluicePluginDescriptor, deinit)
#define ELEMENT_DESCRIPTOR_SIZE_1_0 END_OF (SluiceElementDescriptor, callbacks)
#define SOURCE_CALLBACKS_SIZE_1_0 END_OF (SluiceSourceCallbacks, close)
#define SINK_CALLBACKS_SIZE_1_0 END_OF (SluiceSinkCallbacks, end)
#define TRANSFORM_CALLBACKS_SIZE_1_0 END_OF (SluiceTransformCallbacks, transform)
#define SYSTEM_CALLBACKS_SIZE_1_0 END_OF (SluiceSystemCallbacks, destroy)
#define PATTERN_CALLBACKS_SIZE_1_0 END_OF (SluicePatternCallbacks, expand)

/* The ABI prefix every descriptor of every version starts with. */
#define DESCRIPTOR_PREFIX_SIZE END_OF (SluicePluginDescriptor, struct_size)

/* A descriptor with more elements than this has lost its NULL terminator. */
#define MAX_ELEMENTS 256

#define KNOWN_ELEMENT_FLAGS                                                                        \
  (SLUICE_ELEMENT_FLAG_BLOCKING | SLUICE_ELEMENT_FLAG_SIDE_EFFECTS                                 \
   | SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED | SLUICE_ELEMENT_FLAG_NOT_PUMPED)

typedef union
{
  SluiceSourceCallbacks source;
  SluiceSinkCallbacks sink;
  SluiceTransformCallbacks transform;
  SluiceSystemCallbacks system;
  SluicePatternCallbacks pattern;
} AnyCallbacks;

typedef struct
{
  SluiceElementDescriptor element; /* host copy; element.callbacks points to callbacks below */
  AnyCallbacks callbacks;
  char *key; /* the registry key: "<kind>:<type_name>" (see type_key) */
} Element;

static void
element_free (Element *element)
{
  g_free (element->key);
  g_free (element);
}

typedef struct
{
  SluicePluginInfo info;             /* first: what get_plugins hands out */
  SluicePluginDescriptor descriptor; /* host copy; .elements points to element_ptrs */
  GModule *module;                   /* NULL for a static plugin */
  GPtrArray *elements;               /* of Element *, owned */
  GPtrArray *element_ptrs;           /* NULL-terminated view of the copies, for .elements */
  gboolean initialized;
} Plugin;

struct _SluiceRegistry
{
  GObject parent_instance;

  GPtrArray *plugins;      /* of Plugin *, load order */
  GPtrArray *problems;     /* of SluicePluginProblem * */
  GHashTable *types;       /* type_key () (borrowed from the Element) -> Plugin * */
  GHashTable *file_names;  /* basename -> path of the module that took it, for shadowing */
  char *installed_dir;
};

G_DEFINE_FINAL_TYPE (SluiceRegistry, sluice_registry, G_TYPE_OBJECT)

G_DEFINE_QUARK (sluice-registry-error-quark, sluice_registry_error)

static void
plugin_free (Plugin *plugin)
{
  if (plugin->initialized && plugin->descriptor.deinit != NULL)
    plugin->descriptor.deinit ();
  g_clear_pointer (&plugin->element_ptrs, g_ptr_array_unref);
  g_clear_pointer (&plugin->elements, g_ptr_array_unref);
  if (plugin->module != NULL)
    g_module_close (plugin->module);
  g_free (plugin->info.file);
  g_free (plugin);
}

static void
problem_free (SluicePluginProblem *problem)
{
  g_free (problem->file);
  g_free (problem->message);
  g_strfreev (problem->types);
  g_free (problem);
}

static void
sluice_registry_finalize (GObject *object)
{
  SluiceRegistry *self = SLUICE_REGISTRY (object);

  g_clear_pointer (&self->types, g_hash_table_unref);
  g_clear_pointer (&self->file_names, g_hash_table_unref);
  /* Later plugins may build on earlier ones: deinit and unload in reverse load order. */
  while (self->plugins->len > 0)
    plugin_free (g_ptr_array_steal_index (self->plugins, self->plugins->len - 1));
  g_clear_pointer (&self->plugins, g_ptr_array_unref);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->installed_dir, g_free);

  G_OBJECT_CLASS (sluice_registry_parent_class)->finalize (object);
}

static void
sluice_registry_class_init (SluiceRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sluice_registry_finalize;
}

static void
sluice_registry_init (SluiceRegistry *self)
{
  self->plugins = g_ptr_array_new ();
  self->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);
  self->types = g_hash_table_new (g_str_hash, g_str_equal);
  self->file_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* SLUICE_PLUGIN_SYSTEM_DIR replaces the installed directory; set to "" it turns it off, which
   * keeps tests from seeing plugins installed on the machine. */
  self->installed_dir = g_strdup (g_getenv ("SLUICE_PLUGIN_SYSTEM_DIR") ?: SLUICE_PLUGINDIR);
}

SluiceRegistry *
sluice_registry_new (void)
{
  return g_object_new (SLUICE_TYPE_REGISTRY, NULL);
}

void
sluice_registry_set_installed_dir (SluiceRegistry *registry, const char *dir)
{
  g_return_if_fail (SLUICE_IS_REGISTRY (registry));
  g_return_if_fail (dir != NULL);

  g_free (registry->installed_dir);
  registry->installed_dir = g_strdup (dir);
}

const char *
sluice_registry_get_installed_dir (SluiceRegistry *registry)
{
  g_return_val_if_fail (SLUICE_IS_REGISTRY (registry), NULL);
  return registry->installed_dir;
}

/* Records a problem, logs it as a warning and sets @error.  @message is the reason; the recorded
 * message is "<file>: <reason>". */
static gboolean
fail (SluiceRegistry *self, const char *file, int code, GStrv types, GError **error,
      const char *format, ...) G_GNUC_PRINTF (6, 7);

static gboolean
fail (SluiceRegistry *self, const char *file, int code, GStrv types, GError **error,
      const char *format, ...)
{
  SluicePluginProblem *problem = g_new0 (SluicePluginProblem, 1);
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  problem->file = g_strdup (file);
  problem->message = g_strdup_printf ("%s: %s", file, reason);
  problem->code = code;
  problem->types = types;
  g_ptr_array_add (self->problems, problem);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                    "SLUICE_PLUGIN_FILE", file,
                    "MESSAGE", "%s", problem->message);
  g_set_error_literal (error, SLUICE_REGISTRY_ERROR, code, problem->message);
  return FALSE;
}

/* "json-lines" and "json_lines" name the same plugin: the entry symbol can only use '_'. */
static gboolean
names_equal (const char *a, const char *b)
{
  for (; *a != '\0' && *b != '\0'; a++, b++)
    {
      char ca = *a == '-' ? '_' : *a;
      char cb = *b == '-' ? '_' : *b;

      if (ca != cb)
        return FALSE;
    }
  return *a == *b;
}

/* The <name> of sluice-<name>.so, or NULL when @basename does not have that form. */
static char *
name_from_file (const char *basename)
{
  size_t len = strlen (basename);
  g_autofree char *name = NULL;

  if (!g_str_has_prefix (basename, "sluice-") || !g_str_has_suffix (basename, ".so")
      || len <= strlen ("sluice-") + strlen (".so"))
    return NULL;
  name = g_strndup (basename + strlen ("sluice-"), len - strlen ("sluice-") - strlen (".so"));
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return NULL;
  return g_steal_pointer (&name);
}

static char *
entry_symbol_for (const char *name)
{
  g_autofree char *symbol = g_strconcat (SLUICE_PLUGIN_ENTRY_PREFIX, name,
                                         SLUICE_PLUGIN_ENTRY_SUFFIX, NULL);

  g_strdelimit (symbol, "-", '_');
  return g_steal_pointer (&symbol);
}

/* The element types a descriptor declares, read as carefully as the checks read them; NULL when
 * none can be read.  Used so that a lookup of a broken plugin's type can name the plugin. */
static GStrv
collect_types (const SluicePluginDescriptor *descriptor)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) types = NULL;

  if (descriptor->elements == NULL)
    return NULL;
  for (size_t i = 0; i < MAX_ELEMENTS && descriptor->elements[i] != NULL; i++)
    {
      SluiceElementDescriptor element = { 0 };
      uint32_t size = descriptor->elements[i]->struct_size;

      if (size < ELEMENT_DESCRIPTOR_SIZE_1_0)
        continue;
      memcpy (&element, descriptor->elements[i], MIN (size, sizeof element));
      if (element.type_name != NULL && element.type_name[0] != '\0')
        g_strv_builder_add (builder, element.type_name);
    }
  types = g_strv_builder_end (builder);
  if (types[0] == NULL)
    return NULL;
  return g_steal_pointer (&types);
}

static size_t
callbacks_size_1_0 (SluiceElementKind kind)
{
  switch (kind)
    {
    case SLUICE_ELEMENT_KIND_SOURCE:
      return SOURCE_CALLBACKS_SIZE_1_0;
    case SLUICE_ELEMENT_KIND_SINK:
      return SINK_CALLBACKS_SIZE_1_0;
    case SLUICE_ELEMENT_KIND_TRANSFORM:
      return TRANSFORM_CALLBACKS_SIZE_1_0;
    case SLUICE_ELEMENT_KIND_SYSTEM:
      return SYSTEM_CALLBACKS_SIZE_1_0;
    case SLUICE_ELEMENT_KIND_PATTERN:
      return PATTERN_CALLBACKS_SIZE_1_0;
    default:
      return 0;
    }
}

static const char *
callbacks_type_name (SluiceElementKind kind)
{
  switch (kind)
    {
    case SLUICE_ELEMENT_KIND_SOURCE:
      return "SluiceSourceCallbacks";
    case SLUICE_ELEMENT_KIND_SINK:
      return "SluiceSinkCallbacks";
    case SLUICE_ELEMENT_KIND_TRANSFORM:
      return "SluiceTransformCallbacks";
    case SLUICE_ELEMENT_KIND_SYSTEM:
      return "SluiceSystemCallbacks";
    default:
      return "SluicePatternCallbacks";
    }
}

/* Copies and checks element @index of @plugin's descriptor into a new Element.  On failure,
 * returns NULL with @ret_code and @ret_reason set. */
static Element *
copy_element (const SluiceElementDescriptor *raw, size_t index, int *ret_code, char **ret_reason)
{
  g_autofree Element *element = g_new0 (Element, 1);
  SluiceElementDescriptor *e = &element->element;
  const char *type_name;
  uint32_t callbacks_size;
  size_t min_callbacks;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *where = NULL;
  SluiceOptionTable table;

  if (raw->struct_size < ELEMENT_DESCRIPTOR_SIZE_1_0)
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_SIZE;
      *ret_reason = g_strdup_printf ("element #%zu has struct_size %u, smaller than ABI 1.0's %zu "
                                     "bytes of SluiceElementDescriptor",
                                     index + 1, raw->struct_size, ELEMENT_DESCRIPTOR_SIZE_1_0);
      return NULL;
    }
  memcpy (e, raw, MIN (raw->struct_size, sizeof *e));

  if (e->type_name == NULL || e->type_name[0] == '\0')
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_ELEMENT;
      *ret_reason = g_strdup_printf ("element #%zu has no type name", index + 1);
      return NULL;
    }
  type_name = e->type_name;

  if (sluice_element_kind_get_name (e->kind) == NULL)
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_ELEMENT;
      *ret_reason = g_strdup_printf ("element '%s' has unknown kind %u (expected 1 to 5: source, "
                                     "sink, transform, system, pattern)",
                                     type_name, e->kind);
      return NULL;
    }
  if (e->kind == SLUICE_ELEMENT_KIND_SYSTEM
      && (!g_str_has_prefix (type_name, "system:") || type_name[strlen ("system:")] == '\0'))
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_ELEMENT;
      *ret_reason = g_strdup_printf ("system element '%s' must have a type name of the form "
                                     "'system:<kind>'",
                                     type_name);
      return NULL;
    }
  if (e->kind == SLUICE_ELEMENT_KIND_PATTERN
      && (!g_str_has_prefix (type_name, "pattern:") || type_name[strlen ("pattern:")] == '\0'))
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_ELEMENT;
      *ret_reason = g_strdup_printf ("pattern element '%s' must have a type name of the form "
                                     "'pattern:<kind>'",
                                     type_name);
      return NULL;
    }
  if (e->kind != SLUICE_ELEMENT_KIND_SYSTEM && e->kind != SLUICE_ELEMENT_KIND_PATTERN
      && (g_str_has_prefix (type_name, "system:") || g_str_has_prefix (type_name, "pattern:")))
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_ELEMENT;
      *ret_reason = g_strdup_printf ("%s element '%s' uses a prefix reserved for systems and "
                                     "patterns",
                                     sluice_element_kind_get_name (e->kind), type_name);
      return NULL;
    }
  if ((e->flags & ~(uint32_t) KNOWN_ELEMENT_FLAGS) != 0)
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_ELEMENT;
      *ret_reason = g_strdup_printf ("element '%s' has unknown flag bits 0x%x", type_name,
                                     e->flags & ~(uint32_t) KNOWN_ELEMENT_FLAGS);
      return NULL;
    }

  if (e->callbacks == NULL)
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_ELEMENT;
      *ret_reason = g_strdup_printf ("element '%s' has no callbacks table", type_name);
      return NULL;
    }
  /* Every callbacks struct starts with its struct_size. */
  callbacks_size = *(const uint32_t *) e->callbacks;
  min_callbacks = callbacks_size_1_0 (e->kind);
  if (callbacks_size < min_callbacks)
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_SIZE;
      *ret_reason = g_strdup_printf ("element '%s' has a callbacks table of %u bytes, smaller than "
                                     "ABI 1.0's %zu bytes of %s",
                                     type_name, callbacks_size, min_callbacks,
                                     callbacks_type_name (e->kind));
      return NULL;
    }
  memcpy (&element->callbacks, e->callbacks, MIN (callbacks_size, sizeof element->callbacks));
  e->callbacks = &element->callbacks;

  if (e->options != NULL && e->option_struct_size < SLUICE_OPTION_SPEC_SIZE_1_0)
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_SIZE;
      *ret_reason = g_strdup_printf ("element '%s' has option_struct_size %u, smaller than ABI "
                                     "1.0's %zu bytes of SluiceOptionSpec",
                                     type_name, e->option_struct_size,
                                     (size_t) SLUICE_OPTION_SPEC_SIZE_1_0);
      return NULL;
    }
  table = sluice_option_table_from_element (e);
  where = g_strdup_printf ("element '%s'", type_name);
  if (!sluice_option_table_check (&table, where, &local_error))
    {
      *ret_code = SLUICE_REGISTRY_ERROR_BAD_ELEMENT;
      *ret_reason = g_strdup (local_error->message);
      return NULL;
    }

  return g_steal_pointer (&element);
}

/* Checks, copies and initializes a descriptor; @file is the module path or "static:<name>";
 * @file_name is the <name> of the file, or NULL for a static plugin.  Takes @module. */
/* Sources, sinks and transforms share type names ("dataset" is a source and a sink, "rest" a
 * source, a sink and a transform), so the registry keys elements by kind and name. */
static char *
type_key (SluiceElementKind kind, const char *type_name)
{
  return g_strdup_printf ("%u:%s", kind, type_name);
}

/* "source type 'file'", for messages. */
static char *
describe_type (SluiceElementKind kind, const char *type_name)
{
  const char *kind_name = sluice_element_kind_get_name (kind);

  return g_strdup_printf ("%s type '%s'", kind_name ? kind_name : "element", type_name);
}

static gboolean
add_descriptor (SluiceRegistry *self, const SluicePluginDescriptor *raw, const char *file,
                const char *file_name, GModule *module, GError **error)
{
  Plugin *plugin;
  g_autoptr (GPtrArray) elements = g_ptr_array_new_with_free_func ((GDestroyNotify) element_free);
  g_autoptr (GHashTable) own_types = g_hash_table_new (g_str_hash, g_str_equal);
  SluicePluginDescriptor d = { 0 };
  g_autoptr (GError) init_error = NULL;
  size_t i;

  /* The message and types may point into the module: close it only after recording them. */
#define FAIL(code, types, ...)                                                     \
  G_STMT_START                                                                     \
  {                                                                                \
    fail (self, file, (code), (types), error, __VA_ARGS__);                        \
    if (module != NULL)                                                            \
      g_module_close (module);                                                     \
    return FALSE;                                                                  \
  }                                                                                \
  G_STMT_END

  if (raw == NULL)
    FAIL (SLUICE_REGISTRY_ERROR_FAILED, NULL, "the entry point returned no descriptor");

  /* The prefix (magic, ABI, struct_size) has the same layout in every ABI version. */
  memcpy (&d, raw, DESCRIPTOR_PREFIX_SIZE);
  if (d.magic != SLUICE_PLUGIN_MAGIC)
    FAIL (SLUICE_REGISTRY_ERROR_BAD_MAGIC, NULL,
          "bad magic 0x%08x in the plugin descriptor (expected 0x%08x, \"SLPG\"): not a sluice "
          "plugin, or a corrupted one",
          d.magic, SLUICE_PLUGIN_MAGIC);
  if (d.abi_major != SLUICE_PLUGIN_ABI_MAJOR)
    FAIL (SLUICE_REGISTRY_ERROR_ABI_MISMATCH, NULL,
          "plugin ABI %u.%u is of another major version; this host implements ABI %u.%u",
          d.abi_major, d.abi_minor, SLUICE_PLUGIN_ABI_MAJOR, SLUICE_PLUGIN_ABI_MINOR);
  if (d.struct_size < PLUGIN_DESCRIPTOR_SIZE_1_0)
    FAIL (SLUICE_REGISTRY_ERROR_BAD_SIZE, NULL,
          "plugin descriptor struct_size is %u, smaller than ABI 1.0's %zu bytes of "
          "SluicePluginDescriptor",
          d.struct_size, PLUGIN_DESCRIPTOR_SIZE_1_0);
  memcpy (&d, raw, MIN (d.struct_size, sizeof d));

  /* A newer minor only appended fields, so its 1.0 part (and its types) can still be read. */
  if (d.abi_minor > SLUICE_PLUGIN_ABI_MINOR)
    FAIL (SLUICE_REGISTRY_ERROR_ABI_MISMATCH, collect_types (&d),
          "plugin ABI %u.%u is newer than this host's ABI %u.%u", d.abi_major, d.abi_minor,
          SLUICE_PLUGIN_ABI_MAJOR, SLUICE_PLUGIN_ABI_MINOR);

  if (d.name == NULL || d.name[0] == '\0')
    FAIL (SLUICE_REGISTRY_ERROR_BAD_NAME, collect_types (&d), "the descriptor declares no name");
  if (file_name != NULL && !names_equal (d.name, file_name))
    FAIL (SLUICE_REGISTRY_ERROR_BAD_NAME, collect_types (&d),
          "declares name '%s' but its file name says '%s' (expected sluice-%s.so)", d.name,
          file_name, d.name);
  if (file_name == NULL)
    {
      for (i = 0; i < self->plugins->len; i++)
        {
          Plugin *other = g_ptr_array_index (self->plugins, i);

          if (names_equal (other->descriptor.name, d.name))
            FAIL (SLUICE_REGISTRY_ERROR_DUPLICATE, collect_types (&d),
                  "a plugin named '%s' is already loaded from %s", d.name, other->info.file);
        }
    }

  if (d.elements == NULL || d.elements[0] == NULL)
    FAIL (SLUICE_REGISTRY_ERROR_BAD_ELEMENT, NULL, "the plugin declares no elements");

  for (i = 0; d.elements[i] != NULL; i++)
    {
      int code = 0;
      g_autofree char *reason = NULL;
      g_autofree char *what = NULL;
      Element *element;
      Plugin *other;

      if (i >= MAX_ELEMENTS)
        FAIL (SLUICE_REGISTRY_ERROR_BAD_ELEMENT, NULL,
              "declares more than %d elements (is the list missing its NULL terminator?)",
              MAX_ELEMENTS);

      element = copy_element (d.elements[i], i, &code, &reason);
      if (element == NULL)
        FAIL (code, collect_types (&d), "%s", reason);
      g_ptr_array_add (elements, element);
      element->key = type_key (element->element.kind, element->element.type_name);
      what = describe_type (element->element.kind, element->element.type_name);

      if (!g_hash_table_add (own_types, element->key))
        FAIL (SLUICE_REGISTRY_ERROR_DUPLICATE, collect_types (&d), "%s is declared twice", what);
      other = g_hash_table_lookup (self->types, element->key);
      if (other != NULL)
        FAIL (SLUICE_REGISTRY_ERROR_DUPLICATE, collect_types (&d), "%s is already provided by %s",
              what, other->info.file);
    }

  if (d.init != NULL && !d.init (&init_error))
    FAIL (SLUICE_REGISTRY_ERROR_INIT, collect_types (&d), "init failed: %s",
          init_error != NULL ? init_error->message : "(the plugin gave no reason)");
#undef FAIL

  plugin = g_new0 (Plugin, 1);
  plugin->descriptor = d;
  plugin->module = module;
  plugin->initialized = TRUE;
  plugin->info.file = g_strdup (file);
  plugin->info.descriptor = &plugin->descriptor;
  plugin->elements = g_steal_pointer (&elements);
  plugin->element_ptrs = g_ptr_array_new ();
  for (i = 0; i < plugin->elements->len; i++)
    {
      Element *element = g_ptr_array_index (plugin->elements, i);

      g_ptr_array_add (plugin->element_ptrs, &element->element);
      g_hash_table_insert (self->types, element->key, plugin);
    }
  g_ptr_array_add (plugin->element_ptrs, NULL);
  plugin->descriptor.elements = (const SluiceElementDescriptor *const *) plugin->element_ptrs->pdata;
  g_ptr_array_add (self->plugins, plugin);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
                    "SLUICE_PLUGIN", d.name,
                    "SLUICE_PLUGIN_FILE", file,
                    "MESSAGE", "loaded plugin %s %s from %s", d.name,
                    d.version != NULL ? d.version : "", file);
  return TRUE;
}

/* Refuses a path that anyone but its owner can rewrite, and one owned by somebody other than root
 * or us: whoever can replace a plugin runs code inside sluiced. */
static gboolean
check_safe (SluiceRegistry *self, const char *path, gboolean is_dir, GError **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int saved_errno = errno;

      return fail (self, path, SLUICE_REGISTRY_ERROR_OPEN, NULL, error, "cannot stat: %s",
                   g_strerror (saved_errno));
    }
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fail (self, path, SLUICE_REGISTRY_ERROR_UNSAFE, NULL, error,
                 "refusing to load from the installed plugin %s: it is writable by %s (mode "
                 "%04o; expected at most 0755)",
                 is_dir ? "directory" : "file",
                 (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH) ? "group and others"
                 : (st.st_mode & S_IWGRP)                         ? "group"
                                                                  : "others",
                 (unsigned) (st.st_mode & 07777));
  if (st.st_uid != 0 && st.st_uid != geteuid ())
    return fail (self, path, SLUICE_REGISTRY_ERROR_UNSAFE, NULL, error,
                 "refusing to load from the installed plugin %s: it is owned by uid %u (expected "
                 "root or uid %u)",
                 is_dir ? "directory" : "file", (unsigned) st.st_uid, (unsigned) geteuid ());
  return TRUE;
}

static gboolean
load_file (SluiceRegistry *self, const char *path, gboolean installed, GError **error)
{
  g_autofree char *basename = g_path_get_basename (path);
  g_autofree char *name = name_from_file (basename);
  g_autofree char *symbol = NULL;
  SluicePluginGetDescriptorFunc get_descriptor = NULL;
  GModule *module;

  if (name == NULL)
    return fail (self, path, SLUICE_REGISTRY_ERROR_BAD_NAME, NULL, error,
                 "the file name is not of the form sluice-<name>.so (<name> made of letters, "
                 "digits, '-' and '_')");
  if (installed && !check_safe (self, path, FALSE, error))
    return FALSE;

  /* Without G_MODULE_BIND_LAZY: an unresolved symbol refuses the plugin now, not mid-run. */
  module = g_module_open_full (path, G_MODULE_BIND_LOCAL, NULL);
  if (module == NULL)
    return fail (self, path, SLUICE_REGISTRY_ERROR_OPEN, NULL, error, "cannot be loaded: %s",
                 g_module_error ());

  symbol = entry_symbol_for (name);
  if (!g_module_symbol (module, symbol, (gpointer *) &get_descriptor) || get_descriptor == NULL)
    {
      g_autofree char *ident = g_strdelimit (g_strdup (name), "-", '_');

      g_module_close (module);
      return fail (self, path, SLUICE_REGISTRY_ERROR_NO_SYMBOL, NULL, error,
                   "does not export the entry point %s () (is it built with "
                   "SLUICE_PLUGIN_DEFINE (%s, …)?)",
                   symbol, ident);
    }

  if (!add_descriptor (self, get_descriptor (), path, name, module, error))
    return FALSE;
  /* A loaded plugin stays mapped until the process exits.  Threads that the plugin or a library it
   * uses started (a resolver thread, a worker finishing a callback, thread-local destructors) may
   * still run its code after the registry is gone, and jumping into an unmapped module crashes.
   * deinit () still runs when the registry is finalized. */
  g_module_make_resident (module);
  return TRUE;
}

gboolean
sluice_registry_load_file (SluiceRegistry *registry, const char *path, GError **error)
{
  g_return_val_if_fail (SLUICE_IS_REGISTRY (registry), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return load_file (registry, path, FALSE, error);
}

gboolean
sluice_registry_add_static (SluiceRegistry *registry, const SluicePluginDescriptor *descriptor,
                            GError **error)
{
  g_autofree char *file = NULL;

  g_return_val_if_fail (SLUICE_IS_REGISTRY (registry), FALSE);
  g_return_val_if_fail (descriptor != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Read the name only once the prefix says the struct is ours. */
  if (descriptor->magic == SLUICE_PLUGIN_MAGIC && descriptor->abi_major == SLUICE_PLUGIN_ABI_MAJOR
      && descriptor->struct_size >= PLUGIN_DESCRIPTOR_SIZE_1_0 && descriptor->name != NULL)
    file = g_strconcat ("static:", descriptor->name, NULL);
  else
    file = g_strdup ("static:(unknown)");
  return add_descriptor (registry, descriptor, file, NULL, NULL, error);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
scan_dir (SluiceRegistry *self, const char *dir, gboolean installed)
{
  g_autoptr (GDir) handle = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local_error = NULL;
  const char *entry;

  handle = g_dir_open (dir, 0, &local_error);
  if (handle == NULL)
    {
      /* A missing installed directory is normal in a build tree; a directory the user named is
       * worth a word. */
      if (installed)
        g_debug ("no installed plugin directory: %s", local_error->message);
      else
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                          "plugin directory %s cannot be read: %s", dir, local_error->message);
      return;
    }
  if (installed && !check_safe (self, dir, TRUE, NULL))
    return;

  while ((entry = g_dir_read_name (handle)) != NULL)
    if (g_str_has_prefix (entry, "sluice-") && g_str_has_suffix (entry, ".so"))
      g_ptr_array_add (names, g_strdup (entry));
  /* Directory order is arbitrary; load order decides which of two duplicates wins. */
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      const char *earlier = g_hash_table_lookup (self->file_names, name);

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      /* Like PATH: a module earlier in the search order shadows one of the same name later. */
      if (earlier != NULL)
        {
          g_debug ("skipping %s: shadowed by %s", path, earlier);
          continue;
        }
      g_hash_table_insert (self->file_names, g_strdup (name), g_strdup (path));
      load_file (self, path, installed, NULL);
    }
}

void
sluice_registry_scan (SluiceRegistry *registry, const char *const *extra_dirs,
                      gboolean use_installed_dir)
{
  const char *env;

  g_return_if_fail (SLUICE_IS_REGISTRY (registry));

  env = g_getenv ("SLUICE_PLUGIN_PATH");
  if (env != NULL)
    {
      g_auto (GStrv) dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);

      for (size_t i = 0; dirs[i] != NULL; i++)
        if (dirs[i][0] != '\0')
          scan_dir (registry, dirs[i], FALSE);
    }
  for (size_t i = 0; extra_dirs != NULL && extra_dirs[i] != NULL; i++)
    scan_dir (registry, extra_dirs[i], FALSE);
  if (use_installed_dir && registry->installed_dir != NULL && registry->installed_dir[0] != '\0')
    scan_dir (registry, registry->installed_dir, TRUE);
}

const GPtrArray *
sluice_registry_get_plugins (SluiceRegistry *registry)
{
  g_return_val_if_fail (SLUICE_IS_REGISTRY (registry), NULL);
  /* Plugin starts with its SluicePluginInfo, so the array doubles as one of SluicePluginInfo *. */
  return registry->plugins;
}

const GPtrArray *
sluice_registry_get_problems (SluiceRegistry *registry)
{
  g_return_val_if_fail (SLUICE_IS_REGISTRY (registry), NULL);
  return registry->problems;
}

/* The element of @plugin registered under @key. */
static Element *
plugin_element (Plugin *plugin, const char *key)
{
  for (guint i = 0; i < plugin->elements->len; i++)
    {
      Element *element = g_ptr_array_index (plugin->elements, i);

      if (strcmp (element->key, key) == 0)
        return element;
    }
  g_assert_not_reached ();
}

/* Every registered element named @type_name, of any kind, in kind order. */
static GPtrArray *
elements_named (SluiceRegistry *registry, const char *type_name)
{
  GPtrArray *found = g_ptr_array_new ();

  for (SluiceElementKind kind = SLUICE_ELEMENT_KIND_SOURCE; kind <= SLUICE_ELEMENT_KIND_PATTERN;
       kind++)
    {
      g_autofree char *key = type_key (kind, type_name);
      Plugin *plugin = g_hash_table_lookup (registry->types, key);

      if (plugin != NULL)
        g_ptr_array_add (found, plugin_element (plugin, key));
    }
  return found;
}

/* The error for a type nobody provides: the broken plugin that declared it, or the closest name. */
static void
set_unknown_type_error (SluiceRegistry *registry, SluiceElementKind kind, const char *type_name,
                        GError **error)
{
  g_autoptr (GString) message = NULL;
  g_autoptr (GPtrArray) unreadable = NULL;
  g_autofree char *what = NULL;
  SluiceSuggestion closest;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  what = kind != 0 ? describe_type (kind, type_name) : g_strdup_printf ("element type '%s'", type_name);
  unreadable = g_ptr_array_new ();
  for (guint i = 0; i < registry->problems->len; i++)
    {
      SluicePluginProblem *problem = g_ptr_array_index (registry->problems, i);

      if (problem->types == NULL)
        {
          /* A directory problem hides plugins, but is not one. */
          if (g_str_has_suffix (problem->file, ".so") || g_str_has_prefix (problem->file, "static:"))
            g_ptr_array_add (unreadable, problem->file);
          continue;
        }
      if (g_strv_contains ((const char *const *) problem->types, type_name))
        {
          g_set_error (error, SLUICE_REGISTRY_ERROR, SLUICE_REGISTRY_ERROR_UNKNOWN_TYPE,
                       "%s is provided by a plugin that could not be loaded: %s", what,
                       problem->message);
          return;
        }
    }

  /* Suggest among the types of the kind asked for (any kind when none was given). */
  sluice_suggestion_init (&closest, type_name);
  g_hash_table_iter_init (&iter, registry->types);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Element *element = plugin_element (value, key);

      if (kind == 0 || element->element.kind == kind)
        sluice_suggestion_consider (&closest, element->element.type_name);
    }

  message = g_string_new (NULL);
  g_string_append_printf (message, "unknown %s", what);
  if (sluice_suggestion_get (&closest) != NULL)
    g_string_append_printf (message, " (did you mean '%s'?)", sluice_suggestion_get (&closest));
  if (unreadable->len > 0)
    {
      g_string_append (message, "; these plugins failed to load and might provide it: ");
      for (guint i = 0; i < unreadable->len; i++)
        g_string_append_printf (message, "%s%s", i > 0 ? ", " : "",
                                (const char *) g_ptr_array_index (unreadable, i));
    }
  g_set_error_literal (error, SLUICE_REGISTRY_ERROR, SLUICE_REGISTRY_ERROR_UNKNOWN_TYPE,
                       message->str);
}

const SluiceElementDescriptor *
sluice_registry_lookup_element (SluiceRegistry *registry, SluiceElementKind kind,
                                const char *type_name, const SluicePluginInfo **ret_plugin,
                                GError **error)
{
  g_autoptr (GPtrArray) found = NULL;
  Element *element = NULL;

  g_return_val_if_fail (SLUICE_IS_REGISTRY (registry), NULL);
  g_return_val_if_fail (type_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  found = elements_named (registry, type_name);
  for (guint i = 0; i < found->len; i++)
    {
      Element *candidate = g_ptr_array_index (found, i);

      if (kind == 0 || candidate->element.kind == kind)
        element = candidate;
    }

  if (element != NULL && kind == 0 && found->len > 1)
    {
      g_autoptr (GString) message = g_string_new (NULL);

      g_string_append_printf (message, "'%s' names a type of several kinds; say which:", type_name);
      for (guint i = 0; i < found->len; i++)
        {
          Element *candidate = g_ptr_array_index (found, i);

          g_string_append_printf (message, "%s '%s:%s'", i > 0 ? " or" : "",
                                  sluice_element_kind_get_name (candidate->element.kind), type_name);
        }
      g_set_error_literal (error, SLUICE_REGISTRY_ERROR, SLUICE_REGISTRY_ERROR_AMBIGUOUS_TYPE,
                           message->str);
      return NULL;
    }
  if (element == NULL && found->len > 0)
    {
      Element *other = g_ptr_array_index (found, 0);

      g_set_error (error, SLUICE_REGISTRY_ERROR, SLUICE_REGISTRY_ERROR_WRONG_KIND,
                   "'%s' is a %s type, not a %s type", type_name,
                   sluice_element_kind_get_name (other->element.kind),
                   sluice_element_kind_get_name (kind));
      return NULL;
    }
  if (element == NULL)
    {
      set_unknown_type_error (registry, kind, type_name, error);
      return NULL;
    }

  if (ret_plugin != NULL)
    *ret_plugin = &((Plugin *) g_hash_table_lookup (registry->types, element->key))->info;
  return &element->element;
}

/* "source:file" names the source type `file`; "system:url" and "pattern:x" are whole type names. */
static const char *
split_kind_prefix (const char *name, SluiceElementKind *ret_kind)
{
  static const struct
  {
    const char *prefix;
    SluiceElementKind kind;
  } prefixes[] = {
    { "source:", SLUICE_ELEMENT_KIND_SOURCE },
    { "sink:", SLUICE_ELEMENT_KIND_SINK },
    { "transform:", SLUICE_ELEMENT_KIND_TRANSFORM },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (name, prefixes[i].prefix))
      {
        *ret_kind = prefixes[i].kind;
        return name + strlen (prefixes[i].prefix);
      }
  *ret_kind = 0;
  return name;
}

JsonNode *
sluice_registry_describe_element (SluiceRegistry *registry, const char *name, GError **error)
{
  SluiceElementKind kind;
  const char *type_name = split_kind_prefix (name, &kind);
  const SluicePluginInfo *plugin = NULL;
  const SluiceElementDescriptor *element;
  SluiceOptionTable table;
  g_autoptr (JsonNode) options = NULL;
  JsonObject *options_object;
  g_autoptr (JsonObject) schema = NULL;
  GList *members;

  element = sluice_registry_lookup_element (registry, kind, type_name, &plugin, error);
  if (element == NULL)
    return NULL;

  schema = json_object_new ();
  json_object_set_string_member (schema, "$schema", "https://json-schema.org/draft/2020-12/schema");
  json_object_set_string_member (schema, "title", element->type_name);
  if (element->description != NULL)
    json_object_set_string_member (schema, "description", element->description);
  json_object_set_string_member (schema, "x-sluice-kind",
                                 sluice_element_kind_get_name (element->kind));
  json_object_set_string_member (schema, "x-sluice-plugin", plugin->descriptor->name);
  if (element->flags & SLUICE_ELEMENT_FLAG_BLOCKING)
    json_object_set_boolean_member (schema, "x-sluice-blocking", TRUE);
  if (element->flags & SLUICE_ELEMENT_FLAG_SIDE_EFFECTS)
    json_object_set_boolean_member (schema, "x-sluice-side-effects", TRUE);

  table = sluice_option_table_from_element (element);
  options = sluice_option_table_to_json_schema (&table);
  options_object = json_node_get_object (options);
  members = json_object_get_members (options_object);
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (schema, l->data,
                            json_node_copy (json_object_get_member (options_object, l->data)));
  g_list_free (members);

  return json_node_init_object (json_node_alloc (), schema);
}
