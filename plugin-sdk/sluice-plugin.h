/* sluice-plugin.h — the plugin descriptor and the one macro that defines a plugin.
 *
 * A plugin module `sluice-<name>.so` exports exactly one symbol,
 * `sluice_plugin_<name>_get_descriptor` (with '-' in the name written as '_'), returning a pointer
 * to a const, static SluicePluginDescriptor.  SLUICE_PLUGIN_DEFINE writes that function and the
 * descriptor, so that authors never type the magic, the ABI version or a struct size:
 *
 *   SLUICE_PLUGIN_DEFINE (hello, "1.0.0", "MIT", "Says hello",
 *                         NULL, NULL, &hello_source, &hello_sink);
 *
 * The same function is what a test binary calls to register the plugin statically, without
 * loading a module.
 */
#pragma once

#include <stdint.h>
#include "sluice-element.h"
#include "sluice-version.h"

SLUICE_BEGIN_DECLS

typedef struct _SluicePluginDescriptor SluicePluginDescriptor;

struct _SluicePluginDescriptor
{
  uint32_t magic;       /* SLUICE_PLUGIN_MAGIC */
  uint16_t abi_major;   /* SLUICE_PLUGIN_ABI_MAJOR of the SDK the plugin was built with */
  uint16_t abi_minor;   /* SLUICE_PLUGIN_ABI_MINOR, likewise */
  uint32_t struct_size; /* sizeof (SluicePluginDescriptor) as the plugin was built */
  const char *name;     /* must match the file name: sluice-<name>.so */
  const char *version;
  const char *license; /* an SPDX identifier */
  const char *description;
  const SluiceElementDescriptor *const *elements; /* NULL-terminated */
  /* Optional: called once after loading, before any element is used; FALSE with @error set refuses
   * the plugin. */
  gboolean (*init) (GError **error);
  /* Optional: called once before the host exits. */
  void (*deinit) (void);
};

#define SLUICE_PLUGIN_ENTRY_PREFIX "sluice_plugin_"
#define SLUICE_PLUGIN_ENTRY_SUFFIX "_get_descriptor"

#define SLUICE_PLUGIN_DEFINE(name_, version_, license_, description_, init_, deinit_, ...)      \
  static const SluiceElementDescriptor *const sluice_plugin_elements_[] = { __VA_ARGS__, NULL }; \
  static const SluicePluginDescriptor sluice_plugin_descriptor_ = {                           \
    .magic = SLUICE_PLUGIN_MAGIC,                                                             \
    .abi_major = SLUICE_PLUGIN_ABI_MAJOR,                                                     \
    .abi_minor = SLUICE_PLUGIN_ABI_MINOR,                                                     \
    .struct_size = sizeof (SluicePluginDescriptor),                                           \
    .name = #name_,                                                                           \
    .version = version_,                                                                      \
    .license = license_,                                                                      \
    .description = description_,                                                              \
    .elements = sluice_plugin_elements_,                                                      \
    .init = init_,                                                                            \
    .deinit = deinit_,                                                                        \
  };                                                                                          \
  SLUICE_PLUGIN_EXPORT const SluicePluginDescriptor *sluice_plugin_##name_##_get_descriptor (void); \
  SLUICE_PLUGIN_EXPORT const SluicePluginDescriptor *sluice_plugin_##name_##_get_descriptor (void)  \
  {                                                                                           \
    return &sluice_plugin_descriptor_;                                                        \
  }

/* The prototype of the entry point, for hosts and harnesses. */
typedef const SluicePluginDescriptor *(*SluicePluginGetDescriptorFunc) (void);

SLUICE_END_DECLS
