/* sluice-registry.h — finds, validates and loads plugins; maps element type names to descriptors.
 *
 * The registry searches, in order, the directories in SLUICE_PLUGIN_PATH (colon-separated), the
 * directories given with --plugin-dir, and the installed plugin directory.  It considers only files
 * named sluice-*.so, opens them without lazy binding, resolves the one entry symbol derived from the
 * file name, and validates the descriptor (magic, ABI, struct sizes, name, element types, option
 * schemas).  A plugin that fails any check is recorded as a problem (a warning naming the file and
 * the reason) and provides nothing; it becomes fatal only when the configuration uses a type it
 * would have provided (sluice_registry_lookup_element then reports the plugin's problem).
 *
 * Test binaries register plugins linked into them with sluice_registry_add_static.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include <sluice-plugin-sdk.h>

G_BEGIN_DECLS

#define SLUICE_REGISTRY_ERROR (sluice_registry_error_quark ())

typedef enum
{
  SLUICE_REGISTRY_ERROR_FAILED,
  SLUICE_REGISTRY_ERROR_OPEN,         /* dlopen failed */
  SLUICE_REGISTRY_ERROR_NO_SYMBOL,    /* the entry symbol is missing */
  SLUICE_REGISTRY_ERROR_BAD_MAGIC,
  SLUICE_REGISTRY_ERROR_ABI_MISMATCH, /* other major, or newer minor */
  SLUICE_REGISTRY_ERROR_BAD_SIZE,     /* a struct_size smaller than ABI 1.0's */
  SLUICE_REGISTRY_ERROR_BAD_NAME,     /* declared name does not match the file */
  SLUICE_REGISTRY_ERROR_DUPLICATE,    /* an element type claimed twice */
  SLUICE_REGISTRY_ERROR_BAD_ELEMENT,  /* bad kind, type name, callbacks or option schema */
  SLUICE_REGISTRY_ERROR_INIT,         /* the plugin's init refused */
  SLUICE_REGISTRY_ERROR_UNSAFE,       /* installed file writable by group or others */
  SLUICE_REGISTRY_ERROR_UNKNOWN_TYPE, /* lookup of a type nobody provides */
  SLUICE_REGISTRY_ERROR_WRONG_KIND,   /* the type exists, but as another kind (a sink, not a source) */
  SLUICE_REGISTRY_ERROR_AMBIGUOUS_TYPE, /* no kind given, and several kinds have the name */
} SluiceRegistryError;

GQuark sluice_registry_error_quark (void);

#define SLUICE_TYPE_REGISTRY (sluice_registry_get_type ())
G_DECLARE_FINAL_TYPE (SluiceRegistry, sluice_registry, SLUICE, REGISTRY, GObject)

/* A loaded plugin. Borrowed from the registry; valid as long as it.  @descriptor, its elements and
 * their callback tables are the registry's zero-extended copies of what the plugin declared (fields
 * beyond the plugin's struct_size read as NULL/0); strings and option tables point into the
 * module. */
typedef struct
{
  const SluicePluginDescriptor *descriptor;
  char *file; /* the module's path, or "static:<name>" */
} SluicePluginInfo;

/* A plugin that could not be loaded. */
typedef struct
{
  char *file;
  char *message; /* "<file>: <reason>" as shown to the user */
  int code;      /* SluiceRegistryError */
  char **types;  /* element types it declared, when its descriptor could be read; may be NULL */
} SluicePluginProblem;

SluiceRegistry *sluice_registry_new (void);

/* The installed plugin directory (default: the build's SLUICE_PLUGINDIR).  Files there, and the
 * directory itself, are refused when group or others may write them.  Tests and relocated installs
 * point it elsewhere. */
void sluice_registry_set_installed_dir (SluiceRegistry *registry, const char *dir);
const char *sluice_registry_get_installed_dir (SluiceRegistry *registry);

/* Scans SLUICE_PLUGIN_PATH, then @extra_dirs (NULL-terminated, may be NULL), then, when
 * @use_installed_dir, the installed plugin directory.  Problems are recorded, never returned;
 * each is also logged as a warning. */
void sluice_registry_scan (SluiceRegistry *registry, const char *const *extra_dirs,
                           gboolean use_installed_dir);
/* Loads one module file with every check of a scan.  FALSE (and the problem recorded) on failure. */
gboolean sluice_registry_load_file (SluiceRegistry *registry, const char *path, GError **error);
/* Registers a plugin linked into the binary, with the same checks (no file-name check). */
gboolean sluice_registry_add_static (SluiceRegistry *registry,
                                     const SluicePluginDescriptor *descriptor, GError **error);

/* Loaded plugins in load order (element type: SluicePluginInfo *). */
const GPtrArray *sluice_registry_get_plugins (SluiceRegistry *registry);
/* Problems in the order found (element type: SluicePluginProblem *). */
const GPtrArray *sluice_registry_get_problems (SluiceRegistry *registry);

/* The element of @kind (SLUICE_ELEMENT_KIND_*, or 0 for any kind) named @type_name.  Type names
 * are unique per kind: "dataset" is both a source and a sink.  NULL on failure with
 * - SLUICE_REGISTRY_ERROR_WRONG_KIND when only other kinds have the name;
 * - SLUICE_REGISTRY_ERROR_AMBIGUOUS_TYPE when @kind is 0 and several kinds have it;
 * - SLUICE_REGISTRY_ERROR_UNKNOWN_TYPE otherwise: the message names the broken plugin that declared
 *   the type (with its reason) if there is one, or else the closest known type name of that kind,
 *   and lists broken plugins whose types could not be read. */
const SluiceElementDescriptor *sluice_registry_lookup_element (SluiceRegistry *registry,
                                                               SluiceElementKind kind,
                                                               const char *type_name,
                                                               const SluicePluginInfo **ret_plugin,
                                                               GError **error);

/* The JSON Schema of a type's options (for --describe).  @name is a type name, or
 * "source:NAME", "sink:NAME" or "transform:NAME" where several kinds share the name.  NULL with an
 * error for an unknown or ambiguous name. */
JsonNode *sluice_registry_describe_element (SluiceRegistry *registry, const char *type_name,
                                            GError **error);

G_END_DECLS
