/* wrong-name.c — broken: sluice-wrong-name.so whose descriptor says it is 'somebody-else'. */
#include "test-plugin.h"

TEST_SOURCE (source, "wrong-name-source");

static const SluiceElementDescriptor *const elements[] = { &source, NULL };

static const SluicePluginDescriptor descriptor = {
  .magic = SLUICE_PLUGIN_MAGIC,
  .abi_major = SLUICE_PLUGIN_ABI_MAJOR,
  .abi_minor = SLUICE_PLUGIN_ABI_MINOR,
  .struct_size = sizeof (SluicePluginDescriptor),
  .name = "somebody-else",
  .version = "1.0",
  .license = "MIT",
  .description = "Renamed file.",
  .elements = elements,
};

TEST_PLUGIN_ENTRY (wrong_name, &descriptor)
