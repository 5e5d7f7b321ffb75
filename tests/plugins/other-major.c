/* other-major.c — broken: built against another major ABI. */
#include "test-plugin.h"

TEST_SOURCE (source, "other-major-source");

static const SluiceElementDescriptor *const elements[] = { &source, NULL };

static const SluicePluginDescriptor descriptor = {
  .magic = SLUICE_PLUGIN_MAGIC,
  .abi_major = SLUICE_PLUGIN_ABI_MAJOR + 1,
  .abi_minor = 0,
  .struct_size = sizeof (SluicePluginDescriptor),
  .name = "other-major",
  .version = "1.0",
  .license = "MIT",
  .description = "ABI from elsewhere.",
  .elements = elements,
};

TEST_PLUGIN_ENTRY (other_major, &descriptor)
