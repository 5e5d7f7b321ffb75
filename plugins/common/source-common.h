/* source-common.h — option entries and continuation helpers shared by the built-in sources
 * (sluice-basic.so's `embedded`, sluice-file.so's `file`).
 *
 * Header-only on purpose: each plugin module links on its own, and a module exports exactly one
 * symbol, so there is no library to share code through; a few macros and inline functions are
 * the smallest way to keep the sources' common behaviour identical. */
#pragma once

#include <sluice-plugin-sdk.h>

/* The continuation and emptiness options (digest §4.3, §5.1).  The defaults are JSON text. */
#define SOURCE_COMMON_OPTIONS(supports_since_default, comparable_default, chronological_default) \
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,                     \
    .description = "Free text for the reader of the configuration; ignored." },                \
  { .key = "supports_since", .types = SLUICE_OPTION_BOOLEAN,                                   \
    .default_json = supports_since_default,                                                    \
    .description = "Whether the source can continue from a stored offset (incremental runs)." }, \
  { .key = "is_since_comparable", .types = SLUICE_OPTION_BOOLEAN,                              \
    .default_json = comparable_default,                                                        \
    .description = "Whether `_updated` values can be compared to find the largest." },         \
  { .key = "is_chronological", .types = SLUICE_OPTION_BOOLEAN,                                 \
    .default_json = chronological_default,                                                     \
    .description = "Whether entities come in increasing `_updated` order." },                  \
  { .key = "if_source_empty", .types = SLUICE_OPTION_STRING, .default_json = "\"accept\"",     \
    .choices = (const char *const[]){ "accept", "fail", NULL },                                \
    .description = "`fail` makes a full run that reads no entity fail, so that nothing is deleted." }

/* The SLUICE_SOURCE_* capabilities the common options declare. */
static inline uint32_t
source_common_get_capabilities (const SluiceElementContext *context)
{
  uint32_t caps = 0;

  if (sluice_element_context_get_boolean (context, "supports_since", FALSE))
    caps |= SLUICE_SOURCE_SUPPORTS_SINCE;
  if (sluice_element_context_get_boolean (context, "is_since_comparable", TRUE))
    caps |= SLUICE_SOURCE_IS_SINCE_COMPARABLE;
  if (sluice_element_context_get_boolean (context, "is_chronological", FALSE))
    caps |= SLUICE_SOURCE_IS_CHRONOLOGICAL;
  return caps;
}

/* The offset a run continues from: @since when the source supports since and the run is
 * incremental or a resumed full run (which continues after its checkpoint), else NULL (every
 * entity counts).  The result is a new reference. */
static inline SluiceValue *
source_common_dup_since (const SluiceElementContext *context, uint32_t run_flags,
                         const SluiceValue *since)
{
  gboolean fresh_full
    = (run_flags & SLUICE_RUN_FLAG_FULL) && !(run_flags & SLUICE_RUN_FLAG_RESUMED);

  if (since == NULL || fresh_full
      || !sluice_element_context_get_boolean (context, "supports_since", FALSE))
    return NULL;
  return sluice_value_ref ((SluiceValue *) since);
}

/* On an incremental run only entities whose own `_updated` sorts after the stored offset count;
 * an entity without `_updated` cannot be placed after it and is left out. */
static inline gboolean
source_common_is_after_since (const SluiceValue *since, const SluiceValue *body)
{
  SluiceValue *updated;

  if (since == NULL)
    return TRUE;
  updated = sluice_value_dict_lookup (body, "_updated");
  return updated != NULL && sluice_value_compare (updated, since) > 0;
}
