/* basic-elements.h — the element descriptors of the `basic` plugin (sluice-basic.so): small, static
 * sources and sinks that need no external system: `embedded`, `empty` and `null`. */
#pragma once

#include <sluice-plugin-sdk.h>

extern const SluiceElementDescriptor basic_embedded_source;
extern const SluiceElementDescriptor basic_empty_source;
extern const SluiceElementDescriptor basic_null_sink;

/* The continuation and emptiness options every source of this plugin shares (digest §4.3, §5.1). */
#define BASIC_SOURCE_COMMON_OPTIONS(supports_since_default, comparable_default, chronological_default) \
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,                          \
    .description = "Free text for the reader of the configuration; ignored." },                     \
  { .key = "supports_since", .types = SLUICE_OPTION_BOOLEAN, .default_json = supports_since_default, \
    .description = "Whether the source can continue from a stored offset (incremental runs)." },    \
  { .key = "is_since_comparable", .types = SLUICE_OPTION_BOOLEAN,                                   \
    .default_json = comparable_default,                                                             \
    .description = "Whether `_updated` values can be compared to find the largest." },              \
  { .key = "is_chronological", .types = SLUICE_OPTION_BOOLEAN,                                      \
    .default_json = chronological_default,                                                          \
    .description = "Whether entities come in increasing `_updated` order." },                       \
  { .key = "if_source_empty", .types = SLUICE_OPTION_STRING, .default_json = "\"accept\"",          \
    .choices = basic_if_source_empty_choices,                                                       \
    .description = "`fail` makes a full run that reads no entity fail, so that nothing is deleted." }

extern const char *const basic_if_source_empty_choices[];
