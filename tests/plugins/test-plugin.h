/* test-plugin.h — shared bits of the test-only plugins in tests/plugins/.
 *
 * The broken plugins write their descriptors by hand (SLUICE_PLUGIN_DEFINE would get every field
 * right), so they need the entry-point prototype and a callbacks table to point at.
 */
#pragma once

#include <sluice-plugin-sdk.h>

/* Declares and defines the entry point of sluice-<name>.so returning @descriptor. */
#define TEST_PLUGIN_ENTRY(name_, descriptor_)                                                     \
  SLUICE_PLUGIN_EXPORT const SluicePluginDescriptor *sluice_plugin_##name_##_get_descriptor (void); \
  SLUICE_PLUGIN_EXPORT const SluicePluginDescriptor *sluice_plugin_##name_##_get_descriptor (void)  \
  {                                                                                              \
    return (descriptor_);                                                                        \
  }

/* A source element of type @type_ with no options and no callbacks beyond the size. */
#define TEST_SOURCE(ident_, type_)                                                          \
  static const SluiceSourceCallbacks ident_##_callbacks = { SLUICE_SOURCE_CALLBACKS_INIT }; \
  static const SluiceElementDescriptor ident_ = {                                           \
    SLUICE_ELEMENT_DESCRIPTOR_INIT,                                                         \
    .kind = SLUICE_ELEMENT_KIND_SOURCE,                                                     \
    .type_name = (type_),                                                                   \
    .description = "A test source.",                                                        \
    .callbacks = &ident_##_callbacks,                                                       \
  }
