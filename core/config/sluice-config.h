/* sluice-config.h — a loaded, validated configuration: its components by `_id`.
 *
 * A SluiceConfig is immutable once built.  It is the result of sluice_config_load (see
 * sluice-config-loader.h), which is a pure function of the files, the secrets file, the environment
 * and the registry: reloading builds a new SluiceConfig and swaps it in only when it loaded without
 * errors, so a running configuration is never half replaced.
 *
 * Each component keeps its JSON as written, with $ENV/$SECRET substituted, patterns expanded into
 * the components they generate, and the implicit default sink of a pipe made explicit, together
 * with the text of each of its numbers (a JsonNode holds only a gint64 or a double).  Option
 * defaults are not filled in here (the engine asks the schema for them; --describe shows them).  It
 * also remembers which values are secret (substituted from $SECRET, or under an option flagged
 * SECRET) so that every way of showing configuration redacts them.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include <sluice-plugin-sdk.h>

#include "sluice-config-error.h"

G_BEGIN_DECLS


/* What a value printed in place of a secret looks like. */
#define SLUICE_CONFIG_REDACTED "********"

typedef enum
{
  SLUICE_COMPONENT_PIPE,
  SLUICE_COMPONENT_SYSTEM,
  SLUICE_COMPONENT_PATTERN,
  SLUICE_COMPONENT_METADATA,
} SluiceComponentKind;

typedef struct _SluiceConfigComponent SluiceConfigComponent;

#define SLUICE_TYPE_CONFIG (sluice_config_get_type ())
G_DECLARE_FINAL_TYPE (SluiceConfig, sluice_config, SLUICE, CONFIG, GObject)

/* Components in load order (files sorted by name, then their order in the file; generated
 * components take the place of their pattern).  Element type: SluiceConfigComponent *. */
const GPtrArray *sluice_config_get_components (SluiceConfig *config);
/* NULL when there is no such component. */
SluiceConfigComponent *sluice_config_lookup (SluiceConfig *config, const char *component_id);
guint sluice_config_count (SluiceConfig *config, SluiceComponentKind kind);
/* How many files the configuration was read from. */
guint sluice_config_get_n_files (SluiceConfig *config);

/* The effective configuration as a JSON array, with every secret value replaced by
 * SLUICE_CONFIG_REDACTED.  Pretty-printed when @pretty. */
char *sluice_config_to_json (SluiceConfig *config, gboolean pretty);

const char *sluice_config_component_get_id (const SluiceConfigComponent *component);
/* "pipe", "system:url", … */
const char *sluice_config_component_get_type_name (const SluiceConfigComponent *component);
SluiceComponentKind sluice_config_component_get_kind (const SluiceConfigComponent *component);
/* The component's JSON (an object), substituted; borrowed.  Contains secrets in clear: never log it. */
JsonNode *sluice_config_component_get_node (const SluiceConfigComponent *component);
const char *sluice_config_component_get_file (const SluiceConfigComponent *component);
guint sluice_config_component_get_line (const SluiceConfigComponent *component);
/* The `_id` of the pattern that generated the component, or NULL. */
const char *sluice_config_component_get_generated_by (const SluiceConfigComponent *component);
/* Whether the value at @pointer (inside the component) is secret or inside a secret value. */
gboolean sluice_config_component_is_secret (const SluiceConfigComponent *component,
                                            const char *pointer);
/* A deep copy of the component's JSON with secrets redacted. */
JsonNode *sluice_config_component_dup_redacted (const SluiceConfigComponent *component);

/* The component's numbers as written in its file: JSON pointer (inside the component) -> text,
 * both char *; borrowed, NULL when none are known.  The node holds only a gint64 or a double: write
 * the component's values for plugins and users with sluice-config-json.h, which puts these texts
 * back. */
GHashTable *sluice_config_component_get_numbers (const SluiceConfigComponent *component);

/* Building (for the loader). */
SluiceConfig *sluice_config_new (guint n_files);
/* Takes ownership of @component; FALSE (and the component freed) when the `_id` is taken. */
gboolean sluice_config_add (SluiceConfig *config, SluiceConfigComponent *component);
/* @node is taken; @secret_pointers (char * set, may be NULL) and @numbers (see
 * sluice_config_component_get_numbers, may be NULL) are referenced. */
SluiceConfigComponent *sluice_config_component_new (const char *component_id, const char *type_name,
                                                    SluiceComponentKind kind, JsonNode *node,
                                                    const char *file, guint line,
                                                    const char *generated_by,
                                                    GHashTable *secret_pointers,
                                                    GHashTable *numbers);
void sluice_config_component_free (SluiceConfigComponent *component);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceConfigComponent, sluice_config_component_free)

G_END_DECLS
