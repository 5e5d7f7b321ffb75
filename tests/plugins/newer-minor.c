/* newer-minor.c — broken: built against a newer minor ABI than the host's. */
#include "test-plugin.h"

TEST_SOURCE (source, "newer-minor-source");

static const SluiceElementDescriptor *const elements[] = { &source, NULL };

static const SluicePluginDescriptor descriptor = {
  .magic = SLUICE_PLUGIN_MAGIC,
  .abi_major = SLUICE_PLUGIN_ABI_MAJOR,
  .abi_minor = SLUICE_PLUGIN_ABI_MINOR + 1,
  .struct_size = sizeof (SluicePluginDescriptor),
  .name = "newer-minor",
  .version = "1.0",
  .license = "MIT",
  .description = "ABI from elsewhere.",
  .elements = elements,
};

TEST_PLUGIN_ENTRY (newer_minor, &descriptor)
