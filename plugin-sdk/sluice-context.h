/* sluice-context.h — what the host tells an element instance about itself.
 *
 * The host creates one SluiceElementContext for every element instance it builds from configuration
 * (a pipe's source, each transform, its sink, a system) and passes it to the element's create
 * callback.  It carries the validated options (defaults filled in), the names used to tag log
 * messages, and nothing the element could use to reach into the host's internals.  The context
 * outlives the instance; everything returned from it is borrowed.
 *
 * The _new and _set functions are for the host and for the plugin test harness.
 */
#pragma once

#include "sluice-value.h"

SLUICE_BEGIN_DECLS

typedef struct _SluiceElementContext SluiceElementContext;

/* The component's options as a DICT, validated against the element's schema and with defaults
 * filled in. */
SLUICE_SDK_API SluiceValue *sluice_element_context_get_options (const SluiceElementContext *context);
/* Shortcuts into the options dict; the fallback is returned when the key is absent or of another
 * type (which validation normally rules out). */
SLUICE_SDK_API const char *sluice_element_context_get_string (const SluiceElementContext *context,
                                                             const char *key, const char *fallback);
SLUICE_SDK_API int64_t sluice_element_context_get_integer (const SluiceElementContext *context,
                                                           const char *key, int64_t fallback);
SLUICE_SDK_API gboolean sluice_element_context_get_boolean (const SluiceElementContext *context,
                                                            const char *key, gboolean fallback);

SLUICE_SDK_API const char *sluice_element_context_get_plugin_name (const SluiceElementContext *context);
SLUICE_SDK_API const char *sluice_element_context_get_element_type (const SluiceElementContext *context);
/* The `_id` of the component the element belongs to: a pipe or a system. */
SLUICE_SDK_API const char *sluice_element_context_get_component_id (const SluiceElementContext *context);

/* The whole configuration of the component the element belongs to (the pipe, with its namespace
 * settings and `_id`), as a DICT with defaults filled in; NULL when the host gave none. */
SLUICE_SDK_API SluiceValue *sluice_element_context_get_component (const SluiceElementContext *context);

/* The configuration of the system component whose `_id` is @system_id (what an element's `system`
 * option names), as a DICT: validated against the system type's schema, defaults filled in and
 * $SECRET values substituted (so never log it).  Borrowed, valid as long as the context.  NULL when
 * there is no such system component, or when the host gave the context no way to look it up. */
SLUICE_SDK_API SluiceValue *sluice_element_context_get_system (const SluiceElementContext *context,
                                                              const char *system_id);

/* Appended.  Values the host bound for this one instance, as a DICT: a publisher's extra query
 * parameters, which a DTL transform sees as `_B` (digest §9.6).  NULL when none were bound.
 * Borrowed, valid as long as the context. */
SLUICE_SDK_API SluiceValue *sluice_element_context_get_bound (const SluiceElementContext *context);

/* Host side. */
SLUICE_SDK_API SluiceElementContext *sluice_element_context_new (const char *plugin_name,
                                                                const char *element_type,
                                                                const char *component_id,
                                                                SluiceValue *options);
/* Sets the component configuration (referenced, not copied). */
SLUICE_SDK_API void sluice_element_context_set_component (SluiceElementContext *context,
                                                          SluiceValue *component);
/* Sets the bound values (referenced, not copied; NULL: none), before the element is created. */
SLUICE_SDK_API void sluice_element_context_set_bound (SluiceElementContext *context,
                                                      SluiceValue *bound);
SLUICE_SDK_API void sluice_element_context_free (SluiceElementContext *context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceElementContext, sluice_element_context_free)

SLUICE_END_DECLS
